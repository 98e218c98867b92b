#!/usr/bin/python3
"""Posts N users' messages into slack-sim (POST /_sim/messages, as if each
user had written them) and writes the dlp.inspection/1 record of each, with
one finding, as kcat -K'\\t' input (key TAB value). The records point at the
real messages (channel, ts, user), so the reporter can notify their authors
and delete them.

  seed_messages.py SLACK_URL N [--prefix EvACT] [--channels 50] [--users 20]
                   [--rate R] [--info-type CREDIT_CARD_NUMBER]

Channels are C0ACT00.., users U0ACT000..; with --rate, records are written
at that pace, each message posted just before its record. With --file, each
message shares a file (seeded with POST /_sim/files, F0ACT<i>, report.csv,
owned by the user) and the finding is in its contents, on line 5 (the
record's files[] and the finding's file_id, line and part)."""
import argparse
import datetime
import json
import sys
import time
import urllib.request

QUOTES = {"CREDIT_CARD_NUMBER": "4111 \u2022\u2022\u2022\u2022 \u2022\u2022\u2022\u2022 1111",
          "EMAIL_ADDRESS": "a\u2022\u2022\u2022@example.com",
          "AWS_ACCESS_KEY_ID": "AKIA\u2022\u2022\u2022\u2022\u2022\u2022\u2022\u2022\u2022\u2022\u2022\u2022"}
RAW = {"CREDIT_CARD_NUMBER": "4111 1111 1111 1111", "EMAIL_ADDRESS": "alice@example.com",
       "AWS_ACCESS_KEY_ID": "AKIAIOSFODNN7EXAMPLE"}


def now_rfc3339():
    return datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def seed(url, channel, user, text):
    req = urllib.request.Request(url + "/_sim/messages", method="POST",
                                 data=json.dumps({"channel": channel, "user": user,
                                                  "text": text}).encode())
    with urllib.request.urlopen(req, timeout=10) as r:
        return json.load(r)["ts"]


def seed_file(url, fid, user, raw):
    body = {"id": fid, "user": user, "name": "report.csv", "mimetype": "text/csv",
            "filetype": "csv", "content": "id,card\n1,x\n2,x\n3,x\n4,%s\n" % raw}
    req = urllib.request.Request(url + "/_sim/files", method="POST",
                                 data=json.dumps(body).encode())
    with urllib.request.urlopen(req, timeout=10) as r:
        r.read()
    return len(body["content"].encode())


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("slack")
    ap.add_argument("count", type=int)
    ap.add_argument("--prefix", default="EvACT")
    ap.add_argument("--channels", type=int, default=50)
    ap.add_argument("--channel", help="one channel id for all")
    ap.add_argument("--users", type=int, default=20)
    ap.add_argument("--rate", type=float)
    ap.add_argument("--info-type", default="CREDIT_CARD_NUMBER", choices=sorted(QUOTES))
    ap.add_argument("--file", action="store_true", help="the finding is in a shared file")
    a = ap.parse_args()
    start = time.monotonic()
    for i in range(a.count):
        if a.rate:
            delay = start + i / a.rate - time.monotonic()
            if delay > 0:
                sys.stdout.flush()
                time.sleep(delay)
        eid = "%s%07d" % (a.prefix, i)
        channel = a.channel or "C0ACT%02d" % (i % a.channels)
        user = "U0ACT%03d" % (i % a.users)
        ts = seed(a.slack, channel, user, "my value is %s (%s)" % (RAW[a.info_type], eid))
        rec = {"schema": "dlp.inspection/1", "event_id": eid, "team_id": "T0ACT",
               "channel": channel, "user": user, "ts": ts, "kind": "message",
               "event_time": int(float(ts)),
               "findings": [{"info_type": a.info_type, "likelihood": "VERY_LIKELY",
                             "byte_start": 12, "byte_end": 31,
                             "quote_masked": QUOTES[a.info_type]}],
               "inspected_at": now_rfc3339(), "backend": "google-dlp-v2",
               "batch_id": "seed-1", "attempt": 1}
        if a.file:
            fid = "F0ACT%07d" % i
            size = seed_file(a.slack, fid, user, RAW[a.info_type])
            rec["kind"] = "file_share"
            rec["findings"][0].update({"file_id": fid, "line": 5, "part": "file report.csv"})
            rec["files"] = [{"id": fid, "name": "report.csv", "mimetype": "text/csv",
                             "size": size, "inspected": True, "as": "text", "requests": 1,
                             "link": "https://acme.slack.com/files/%s/%s/report.csv" % (user, fid)}]
        sys.stdout.write(eid + "\t" + json.dumps(rec, ensure_ascii=False, separators=(",", ":")) + "\n")
    sys.stdout.flush()


if __name__ == "__main__":
    main()
