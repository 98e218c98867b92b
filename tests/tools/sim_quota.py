#!/usr/bin/python3
"""Quota used over the steady part of a run, from dlp-sim's /_sim/stats.

  sim_quota.py STATS_JSON RATE [--min Q]

The steady part: the full seconds from the third second with a request up to
(excluding) the last one; the first two hold start-up (joining the group,
the first batches, connections), the last is partial. Quota used = mean
requests per second over it / RATE. Prints one JSON line; with --min, exits
1 when the quota used is below Q (or the steady part is under 5 s)."""
import argparse
import json
import sys


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("stats")
    ap.add_argument("rate", type=float)
    ap.add_argument("--min", type=float)
    a = ap.parse_args()
    st = json.load(open(a.stats))
    series = st["requests_per_second"]
    busy = [s["t"] for s in series if s["n"]]
    if not busy:
        print(json.dumps({"quota": 0, "steady_s": 0}))
        return 1 if a.min is not None else 0
    lo, hi = busy[0] + 2, busy[-1]
    steady = [s["n"] for s in series if lo <= s["t"] < hi]
    quota = sum(steady) / len(steady) / a.rate if steady else 0
    out = {"quota": round(quota, 3), "steady_s": len(steady),
           "steady_min": min(steady) if steady else 0,
           "steady_max": max(steady) if steady else 0,
           "max_in_any_1s": st["max_requests_in_any_1s_window"],
           "requests": st["accepted"], "rejected": st["rejected"]}
    print(json.dumps(out))
    if a.min is not None and (quota < a.min or len(steady) < 5):
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
