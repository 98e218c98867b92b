#!/usr/bin/python3
"""Writes N dlp.inspection/1 records with findings, as kcat -K'\\t' input
(key TAB value), from --channels source channels; with --rate, paced to that
many records per second, each stamped (inspected_at) when it is written, so
alert delays can be measured against Slack's receive times."""
import argparse
import datetime
import json
import sys
import time

TYPES = (("CREDIT_CARD_NUMBER", "VERY_LIKELY", "4111 \u2022\u2022\u2022\u2022 \u2022\u2022\u2022\u2022 1111"),
         ("EMAIL_ADDRESS", "LIKELY", "\u2022\u2022\u2022\u2022.\u2022\u2022\u2022@\u2022\u2022\u2022\u2022\u2022\u2022e.com"),
         ("US_SOCIAL_SECURITY_NUMBER", "LIKELY", "\u2022\u2022\u2022-\u2022\u2022-1120"))


def now_rfc3339():
    return datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("count", type=int)
    ap.add_argument("--prefix", default="EvINS")
    ap.add_argument("--channels", type=int, default=20)
    ap.add_argument("--rate", type=float, help="records per second (default: as fast as possible)")
    a = ap.parse_args()
    start = time.monotonic()
    out = sys.stdout
    for i in range(a.count):
        if a.rate:
            due = start + i / a.rate
            delay = due - time.monotonic()
            if delay > 0:
                out.flush()
                time.sleep(delay)
        eid = "%s%07d" % (a.prefix, i)
        t, lk, q = TYPES[i % len(TYPES)]
        rec = {"schema": "dlp.inspection/1", "event_id": eid, "team_id": "T0LOAD",
               "channel": "C0SRC%02d" % (i % a.channels), "user": "U0LOAD%03d" % (i % 300),
               "ts": "1763900000.%06d" % i, "kind": "message", "event_time": 1763900000,
               "findings": [{"info_type": t, "likelihood": lk, "byte_start": 10,
                             "byte_end": 29, "quote_masked": q}],
               "inspected_at": now_rfc3339(), "backend": "google-dlp-v2",
               "batch_id": "gen-1", "attempt": 1}
        out.write(eid + "\t" + json.dumps(rec, ensure_ascii=False, separators=(",", ":")) + "\n")
    out.flush()


if __name__ == "__main__":
    main()
