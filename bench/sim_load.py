#!/usr/bin/python3
"""Drives a running dlp-sim with the inspector's requests, for
bench/dlp-sim.sh: content:inspect tables of --rows rows, one stringValue
cell each (the texts of tests/tools/gen_load.py), with the inspector's
default inspectConfig, byte for byte as workers/inspector/gdlp.c writes
them. --connections keep-alive connections, closed loop, until --requests
requests were answered. Prints one JSON object: requests by status, items
sent in accepted requests, seconds."""
import argparse
import http.client
import json
import os
import random
import sys
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "tests", "tools"))
from gen_load import text  # noqa: E402  the same texts as the benchmarks'

# gdlp.c's default inspectConfig (the envelope's tail)
CONFIG = ('{"infoTypes":[{"name":"CREDIT_CARD_NUMBER"},'
          '{"name":"US_SOCIAL_SECURITY_NUMBER"},{"name":"EMAIL_ADDRESS"},'
          '{"name":"AWS_CREDENTIALS"}],'
          '"customInfoTypes":[{"infoType":{"name":"SLACK_TOKEN"},'
          '"regex":{"pattern":"xox[abposr]-[A-Za-z0-9-]{10,}"},'
          '"likelihood":"VERY_LIKELY"}],'
          '"minLikelihood":"POSSIBLE","includeQuote":true,'
          '"limits":{"maxFindingsPerRequest":3000}}')


def bodies(n, rows, seed):
    rng = random.Random(seed)
    out = []
    for b in range(n):
        cells = []
        for r in range(rows):
            i = b * rows + r
            t = text(rng, i, i % 20 == 0)
            cells.append('{"values":[{"stringValue":%s}]}' %
                         json.dumps(t, ensure_ascii=False))
        out.append(('{"item":{"table":{"headers":[{"name":"text"}],"rows":['
                    + ",".join(cells) + ']}},"inspectConfig":' + CONFIG
                    + "}").encode())
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("addr", help="HOST:PORT of dlp-sim")
    ap.add_argument("--requests", type=int, default=1000)
    ap.add_argument("--rows", type=int, default=100)
    ap.add_argument("--connections", type=int, default=8)
    ap.add_argument("--distinct", type=int, default=50,
                    help="distinct request bodies, sent in turn")
    a = ap.parse_args()
    host, port = a.addr.rsplit(":", 1)
    reqs = bodies(a.distinct, a.rows, 7)
    lock = threading.Lock()
    state = {"next": 0, "status": {}, "items": 0}

    def worker():
        conn = http.client.HTTPConnection(host, int(port), timeout=30)
        while True:
            with lock:
                k = state["next"]
                if k >= a.requests:
                    break
                state["next"] = k + 1
            conn.request("POST", "/v2/projects/bench/locations/global/content:inspect",
                         reqs[k % len(reqs)], {"Content-Type": "application/json"})
            resp = conn.getresponse()
            resp.read()
            with lock:
                state["status"][resp.status] = state["status"].get(resp.status, 0) + 1
                if resp.status == 200:
                    state["items"] += a.rows
        conn.close()

    t0 = time.monotonic()
    threads = [threading.Thread(target=worker) for _ in range(a.connections)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    print(json.dumps({"requests": a.requests, "status": state["status"],
                      "items": state["items"], "seconds": time.monotonic() - t0}))


if __name__ == "__main__":
    main()
