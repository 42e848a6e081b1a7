#!/usr/bin/env bash
# HTTP/1.1 keep-alive proxy benchmark on loopback: our mosn against nginx as
# a reverse proxy, the proxy pinned to CPU 0 (GOMAXPROCS=1 for mosn), the
# origin (nginx, one worker) and wrk pinned to CPU 1. Prints rps, p99 and
# the proxy's CPU microseconds per request (utime+stime / requests).
#
#   scripts/bench-wrk.sh [duration_s] [connections] [body_bytes] [rounds]
set -euo pipefail
DUR=${1:-10}; CONNS=${2:-50}; BODY=${3:-128}; ROUNDS=${4:-3}
cd "$(dirname "$0")/.."
for c in nginx wrk taskset; do command -v $c >/dev/null || { echo "missing $c (apt-get install nginx wrk util-linux)"; exit 1; }; done
work=$(mktemp -d); trap 'kill $(cat $work/*.pid 2>/dev/null) 2>/dev/null || true; rm -rf $work' EXIT
port() { python3 -c 'import socket;s=socket.socket();s.bind(("127.0.0.1",0));print(s.getsockname()[1])'; }
ORIGIN=$(port); NGX=$(port); MOSN=$(port)
mkdir -p $work/o $work/p; chmod 755 $work $work/o
head -c "$BODY" /dev/zero | tr '\0' 'x' > $work/o/body
cat > $work/o/nginx.conf <<CONF
worker_processes 1; daemon off; pid $work/o/nginx.pid; error_log stderr error;
events { worker_connections 4096; }
http { access_log off; keepalive_requests 1000000;
  open_file_cache max=16;
  server { listen 127.0.0.1:$ORIGIN; root $work/o; location / { default_type text/plain; try_files /body =404; } } }
CONF
cat > $work/p/nginx.conf <<CONF
worker_processes 1; daemon off; pid $work/p/nginx.pid; error_log stderr error;
events { worker_connections 4096; }
http { access_log off; keepalive_requests 1000000;
  upstream o { server 127.0.0.1:$ORIGIN; keepalive 256; }
  server { listen 127.0.0.1:$NGX;
    location / { proxy_pass http://o; proxy_http_version 1.1; proxy_set_header Connection ""; } } }
CONF
cat > $work/mosn.json <<CONF
{"servers":[{"default_log_path":"stderr","default_log_level":"ERROR",
  "routers":[{"router_config_name":"r","virtual_hosts":[{"name":"v","domains":["*"],"routers":[{"match":{"prefix":"/"},"route":{"cluster_name":"o"}}]}]}],
  "listeners":[{"name":"l","address":"127.0.0.1:$MOSN","bind_port":true,
    "filter_chains":[{"filters":[{"type":"proxy","config":{"downstream_protocol":"Http1","router_config_name":"r"}}]}]}]}],
 "cluster_manager":{"clusters":[{"name":"o","type":"SIMPLE","lb_type":"LB_ROUNDROBIN","hosts":[{"address":"127.0.0.1:$ORIGIN"}]}]}}
CONF
go build -o $work/mosn ./distro/cmd/mosn

taskset -c 1 nginx -p $work/o -c $work/o/nginx.conf & echo $! > $work/origin.pid
taskset -c 0 nginx -p $work/p -c $work/p/nginx.conf & echo $! > $work/nginx.pid
GOMAXPROCS=1 taskset -c 0 $work/mosn start -c $work/mosn.json >/dev/null & echo $! > $work/mosn.pid
sleep 1
cat > $work/done.lua <<'LUA'
done = function(summary, latency, requests)
  io.write(string.format("RESULT %d %d %.0f\n", summary.requests, summary.duration, latency:percentile(99)))
end
LUA
cpu() { awk '{print $14+$15}' /proc/$1/stat; }
# nginx's worker is the child of the master we started.
worker() { local p=$(cat $work/$1.pid); [ "$1" = nginx ] && p=$(pgrep -P "$p" | head -1); echo "$p"; }
tck=$(getconf CLK_TCK)
curl -fsS http://127.0.0.1:$MOSN/ >/dev/null; curl -fsS http://127.0.0.1:$NGX/ >/dev/null
printf "%-6s %-5s %10s %10s %12s\n" target round rps p99_ms cpu_us_req
for r in $(seq 1 "$ROUNDS"); do
  for t in nginx mosn; do
    p=$(worker $t); portv=$([ $t = nginx ] && echo $NGX || echo $MOSN)
    c0=$(cpu "$p")
    out=$(taskset -c 1 wrk -t1 -c"$CONNS" -d"${DUR}s" -s $work/done.lua http://127.0.0.1:$portv/ | grep RESULT)
    c1=$(cpu "$p")
    read -r _ reqs dur p99 <<<"$out"
    awk -v t=$t -v r=$r -v n=$reqs -v d=$dur -v p=$p99 -v c=$((c1-c0)) -v k=$tck \
      'BEGIN{printf "%-6s %-5s %10.0f %10.2f %12.2f\n", t, r, n/(d/1e6), p/1000, c/k*1e6/n}'
  done
done
