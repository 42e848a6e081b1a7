# One target runs the same thing for every module. The README's test
# command is `make test`'s recipe, and .ci/run calls it.
GO      ?= go
MODULES := api pkg core distro tools istio-adapter
PKGS    := $(addsuffix /...,$(addprefix ./,$(MODULES)))

.PHONY: run build test lint bench fuzz tidy-check

run:
	$(GO) run ./distro/cmd/mosn start

build:
	mkdir -p bin && $(GO) build -o bin/mosn ./distro/cmd/mosn

test:
	$(GO) test -race $(PKGS) && $(GO) test -run Alloc $(PKGS)

lint:
	@out=$$(gofmt -l $(MODULES)); if [ -n "$$out" ]; then echo "gofmt:"; echo "$$out"; exit 1; fi
	$(GO) vet $(PKGS)
	@for m in $(MODULES); do (cd $$m && GOWORK=off $(GO) build ./...) || exit 1; done

bench:
	$(GO) test -run '^$$' -bench . -benchmem $(PKGS)

# Runs each fuzz target for FUZZTIME (default 30s).
FUZZTIME ?= 30s
fuzz:
	@for t in FuzzParseRequest FuzzParseResponse FuzzChunked; do \
		$(GO) test -run '^$$' -fuzz "^$$t\$$" -fuzztime $(FUZZTIME) ./core/protocol/http1 || exit 1; done
	$(GO) test -run '^$$' -fuzz '^FuzzParse$$' -fuzztime $(FUZZTIME) ./core/config
	$(GO) test -run '^$$' -fuzz '^FuzzParse$$' -fuzztime $(FUZZTIME) ./istio-adapter/bootstrap
	$(GO) test -run '^$$' -fuzz '^FuzzReadConfigDump$$' -fuzztime $(FUZZTIME) ./istio-adapter/envoyjson

# The proxy comparison against nginx and HAProxy on loopback (tools/bench):
# about 12 minutes on 2 CPUs; rewrites the marked section of
# docs/benchmarks.md and docs/img/bench-*.png. Never part of `make test`.
BENCH_FLAGS ?= -rounds 3 -duration 8s
.PHONY: bench-proxy
bench-proxy:
	$(GO) run ./tools/bench $(BENCH_FLAGS)
