module github.com/seed405ffdea/mosn/core

go 1.26

require (
	github.com/gorilla/websocket v1.5.3
	github.com/seed405ffdea/mosn/api v0.0.0
	github.com/seed405ffdea/mosn/pkg v0.0.0
	github.com/valyala/fasthttp v1.73.0
	gopkg.in/yaml.v3 v3.0.1
)

require (
	github.com/andybalholm/brotli v1.2.2 // indirect
	github.com/klauspost/compress v1.19.1 // indirect
	github.com/valyala/bytebufferpool v1.0.0 // indirect
	gopkg.in/natefinch/lumberjack.v2 v2.2.1 // indirect
)

replace (
	github.com/seed405ffdea/mosn/api => ../api
	github.com/seed405ffdea/mosn/pkg => ../pkg
)
