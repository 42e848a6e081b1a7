"""Generates large_router.json and requests.txt for TestGolden (python3 gen_large.py).

After changing it, regenerate decisions.golden: go test ./core/router -run TestGolden -update
"""
import json, os, random
HERE = os.path.dirname(os.path.abspath(__file__))
random.seed(405)
clusters = [f"cluster-{i}" for i in range(20)]
def cl(i): return clusters[i % len(clusters)]

def routes_for(v, kind):
    rs = []
    n = 8 + (v % 17)
    for j in range(n):
        k = (v + j) % 14
        c = cl(v * 7 + j)
        if k == 0:
            rs.append({"match": {"path": f"/v{v}/exact/{j}"}, "route": {"cluster_name": c}})
        elif k == 1:
            rs.append({"match": {"prefix": f"/v{v}/p{j}/"}, "route": {"cluster_name": c, "prefix_rewrite": f"/rewritten/{j}/"}})
        elif k == 2:
            rs.append({"match": {"regex": f"/v{v}/items/[0-9]+/r{j}"}, "route": {"cluster_name": c}})
        elif k == 3:
            rs.append({"match": {"prefix": f"/v{v}/h{j}", "headers": [{"name": "x-tier", "value": "gold"}]}, "route": {"cluster_name": c}})
        elif k == 4:
            rs.append({"match": {"prefix": f"/v{v}/h{j}", "headers": [{"name": "x-tier", "value": "(silver|bronze)", "regex": True}]}, "route": {"cluster_name": c, "host_rewrite": f"backend-{j}.internal"}})
        elif k == 5:
            rs.append({"match": {"prefix": f"/V{v}/CI{j}", "case_sensitive": False}, "route": {"cluster_name": c}})
        elif k == 6:
            rs.append({"match": {"path": f"/v{v}/q", "query_parameters": [{"name": "id", "string_match": {"prefix": str(j)}}]}, "route": {"cluster_name": c}})
        elif k == 7:
            rs.append({"match": {"prefix": f"/v{v}/old{j}"}, "redirect": {"path_redirect": f"/v{v}/new{j}", "response_code": [301, 302, 307, 308][j % 4]}})
        elif k == 8:
            rs.append({"match": {"path": f"/v{v}/health{j}"}, "direct_response": {"status": 200, "body": f"ok {v}/{j}"}})
        elif k == 9:
            rs.append({"match": {"prefix": f"/v{v}/w{j}"}, "route": {"weighted_clusters": [{"cluster": {"name": cl(j), "weight": 1}}, {"cluster": {"name": cl(j + 1), "weight": 0}}]}})
        elif k == 10:
            rs.append({"match": {"prefix": f"/v{v}/by-header{j}"}, "route": {"cluster_header": "x-cluster"}})
        elif k == 11:
            rs.append({"match": {"prefix": f"/v{v}/rx{j}/"}, "route": {"cluster_name": c, "regex_rewrite": {"pattern": {"regex": f"^/v{v}/rx{j}/([a-z]+)/(.*)$"}, "substitution": "/\\2/\\1"}}})
        elif k == 12:
            if v % 5 == 0:
                rs.append({"match": {"prefix": f"/v{v}/dsl{j}", "dsl_expressions": [{"expression": "request.headers[\"x-user\"] | \"anon\" == \"beta\""}]}, "route": {"cluster_name": c}})
            else:
                rs.append({"match": {"prefix": f"/v{v}/m{j}", "headers": [{"name": ":method", "value": "POST"}]}, "route": {"cluster_name": c}})
        else:
            rs.append({"match": {"prefix": f"/v{v}/s{j}/", "query_parameters": [{"name": "debug", "present_match": True}]}, "route": {"cluster_name": c, "auto_host_rewrite_header": "x-host"}})
    rs.append({"match": {"prefix": "/"}, "route": {"cluster_name": cl(v)}})
    return rs

vhosts = []
v = 0
for i in range(100):
    doms = [f"svc{i}.example.com"]
    if i % 10 == 0:
        doms.append(f"svc{i}.example.com:8443")
    vh = {"name": f"exact-{i}", "domains": doms, "routers": routes_for(v, "exact")}
    if i % 25 == 3:
        vh["require_tls"] = "ALL"
    vhosts.append(vh); v += 1
for i in range(60):
    doms = [f"*.team{i}.example.org"]
    if i % 3 == 0:
        doms.append(f"*-canary.team{i}.example.org")
    vhosts.append({"name": f"suffix-{i}", "domains": doms, "routers": routes_for(v, "suffix")}); v += 1
for i in range(30):
    vhosts.append({"name": f"prefix-{i}", "domains": [f"region{i}.*", f"region{i}.eu.*"], "routers": routes_for(v, "prefix")}); v += 1
vhosts.append({"name": "fallback", "domains": ["*"], "routers": [
    {"match": {"prefix": "/known/"}, "route": {"cluster_name": "cluster-0"}},
    {"match": {"path": "/"}, "direct_response": {"status": 404, "body": "unknown host"}}]})

cfg = {
  "servers": [{
    "default_log_path": "stdout",
    "listeners": [{"name": "ingress", "address": "0.0.0.0:8080", "bind_port": True,
      "filter_chains": [{"filters": [{"type": "proxy", "config": {"downstream_protocol": "Http1", "router_config_name": "large"}}]}]}],
    "routers": [{
      "router_config_name": "large",
      "request_headers_to_add": [{"header": {"key": "x-edge", "value": "%DOWNSTREAM_LOCAL_ADDRESS%"}}],
      "response_headers_to_remove": ["server"],
      "virtual_hosts": vhosts}]}],
  "cluster_manager": {"clusters": [{"name": c, "type": "SIMPLE", "lb_type": "LB_ROUNDROBIN", "hosts": [{"address": f"10.0.{i}.1:8080"}]} for i, c in enumerate(clusters)]}
}
vh_lines = ",\n".join("   " + json.dumps(vh, separators=(", ", ": ")) for vh in vhosts)
cfg["servers"][0]["routers"][0]["virtual_hosts"] = "@VH@"
text = json.dumps(cfg, indent=1)
text = text.replace('"@VH@"', "[\n" + vh_lines + "\n  ]")
open(os.path.join(HERE, "large_router.json"), "w").write(text + "\n")

# requests: for sampled virtual hosts, one or two requests aimed at each
# route (a hit and a near miss), by the same kind formula as routes_for.
reqs = []
def add(line, *hdrs):
    reqs.append(" | ".join([line] + list(hdrs)))
def aimed(h, v):
    n = 8 + (v % 17)
    for j in range(n):
        k = (v + j) % 14
        if k == 0:
            add(f"GET {h} /v{v}/exact/{j}"); add(f"GET {h} /v{v}/exact/{j}/")
        elif k == 1:
            add(f"GET {h} /v{v}/p{j}/a/b?x=1"); add(f"GET {h} /v{v}/p{j}")
        elif k == 2:
            add(f"GET {h} /v{v}/items/12/r{j}"); add(f"GET {h} /v{v}/items/12x/r{j}")
        elif k == 3:
            add(f"GET {h} /v{v}/h{j}x", "x-tier: gold"); add(f"GET {h} /v{v}/h{j}x", "x-tier: Gold")
        elif k == 4:
            add(f"GET {h} /v{v}/h{j}x", "x-tier: silver"); add(f"GET {h} /v{v}/h{j}x", "x-tier: silverish")
        elif k == 5:
            add(f"GET {h} /v{v}/ci{j}/z"); add(f"GET {h} /V{v}/CI{j}")
        elif k == 6:
            add(f"GET {h} /v{v}/q?id={j}7"); add(f"GET {h} /v{v}/q?ID={j}")
        elif k == 7:
            add(f"GET {h} /v{v}/old{j}?keep=1"); add(f"GET {h.split(':')[0]}:80 /v{v}/old{j}x")
        elif k == 8:
            add(f"GET {h} /v{v}/health{j}"); add(f"HEAD {h} /v{v}/health{j}?x")
        elif k == 9:
            add(f"GET {h} /v{v}/w{j}")
        elif k == 10:
            add(f"GET {h} /v{v}/by-header{j}", "x-cluster: cluster-3"); add(f"GET {h} /v{v}/by-header{j}")
        elif k == 11:
            add(f"GET {h} /v{v}/rx{j}/abc/rest/of?q"); add(f"GET {h} /v{v}/rx{j}/ABC/x")
        elif k == 12:
            if v % 5 == 0:
                add(f"GET {h} /v{v}/dsl{j}", "x-user: beta"); add(f"GET {h} /v{v}/dsl{j}")
            else:
                add(f"POST {h} /v{v}/m{j}"); add(f"GET {h} /v{v}/m{j}")
        else:
            add(f"GET {h} /v{v}/s{j}/?debug", "x-host: h.example"); add(f"GET {h} /v{v}/s{j}/?debug=1"); add(f"GET {h} /v{v}/s{j}/?nodebug")
    add(f"GET {h} /elsewhere")

for i in [0, 3, 5, 10, 28, 99]:
    aimed(f"svc{i}.example.com", i)
add("GET SVC0.EXAMPLE.COM:80 /v0/exact/0")
add("GET svc0.example.com:8443 /v0/exact/0")
add("GET svc10.example.com:8443 /")
add("GET svc10.example.com:9999 /")
for i in [0, 3, 59]:
    v = 100 + i
    aimed(f"a.team{i}.example.org", v)
    for h in [f"x-canary.team{i}.example.org", f"team{i}.example.org", f"-canary.team{i}.example.org", f"deep.a.team{i}.example.org:8080"]:
        add(f"GET {h} /")
        add(f"GET {h} /v{v}/p{(1 - v) % 14}/x")
for i in [0, 5, 29]:
    v = 160 + i
    aimed(f"region{i}.example.net", v)
    for h in [f"region{i}.eu.example.net", f"region{i}.", f"region{i}x.example.net"]:
        add(f"GET {h} /")
for h in ["unknown.example", "other.org:8080", "[::1]:80"]:
    add(f"GET {h} /")
    add(f"GET {h} /known/x")
    add(f"GET {h} /nothing")
open(os.path.join(HERE, "requests.txt"), "w").write(
  "# One request per line: METHOD HOST TARGET, then \" | \"-separated header fields.\n# An empty HOST is written as two spaces.\n" + "\n".join(reqs) + "\n")
print(len(reqs), "requests")
