#!/usr/bin/env python3
"""Cold starts side by side: the time from exec of a bootstrap to its first GET
.../invocation/next on a stub Runtime API (what scripts/bench calls a cold start; no invocation
is answered, the process is killed then), and each bootstrap's size. Runs the builds in turn,
run by run, so each sees the same machine load: compare two builds of a function without the
whole benchmark.

usage: python3 tools/coldstart.py RUNS NAME=BOOTSTRAP [NAME=BOOTSTRAP ...]
e.g.   python3 tools/coldstart.py 60 before=/tmp/old/queue-guard after=target/release/queue-guard

The settings given are the least every function starts with (GUARD_TABLE for the guards,
MEDIAOPS_ACCOUNT_ID for the runbook and batch-prioritizer); no AWS call is made before the first
invocation, so none is made at all."""
import http.server, os, statistics, subprocess, sys, threading, time

first = {}
class H(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        if self.path.endswith("/invocation/next") and "t" not in first:
            first["t"] = time.perf_counter()
            first["ev"].set()
        time.sleep(5)
        self.send_response(500); self.end_headers()
    def log_message(self, *a): pass

srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), H)
threading.Thread(target=srv.serve_forever, daemon=True).start()
api = f"127.0.0.1:{srv.server_address[1]}"
env_base = dict(os.environ, AWS_LAMBDA_RUNTIME_API=api, AWS_REGION="us-east-1",
    AWS_ACCESS_KEY_ID="AKIDEXAMPLE", AWS_SECRET_ACCESS_KEY="x", AWS_LAMBDA_FUNCTION_NAME="f",
    AWS_LAMBDA_FUNCTION_MEMORY_SIZE="256", AWS_LAMBDA_FUNCTION_VERSION="1",
    GUARD_TABLE="mediaops-guard", MEDIAOPS_ACCOUNT_ID="123456789012", RUST_LOG="error")
runs = int(sys.argv[1]); subjects = [a.split("=", 1) for a in sys.argv[2:]]
res = {n: [] for n, _ in subjects}
for i in range(runs):
    for name, path in subjects:
        first.clear(); first["ev"] = threading.Event()
        t0 = time.perf_counter()
        p = subprocess.Popen([path], env=env_base, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        ok = first["ev"].wait(20)
        if ok: res[name].append((first["t"] - t0) * 1000)
        p.kill(); p.wait()
for name, path in subjects:
    v = res[name]
    if not v:
        print(f"{name:32} never polled for an invocation: run it by hand to see why")
        continue
    print(f"{name:32} size {os.path.getsize(path):>10} B  cold start median {statistics.median(v):6.1f} ms  (n={len(v)}, min {min(v):.1f}, max {max(v):.1f})")
