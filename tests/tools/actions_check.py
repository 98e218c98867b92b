#!/usr/bin/python3
"""Checks what the reporter did about N seeded events (seed_messages.py),
from both sides: the alerts topic (kcat -J dump: dlp.alert/1 and
dlp.action/1 records) and slack-sim (GET /_sim/messages).

  actions_check.py ALERTS_JSONL SLACK_URL N PREFIX ALERT_CHANNEL
                   [--expect removed|refused] [--json OUT]
                   [--other-channel C]

For every event, exactly once: an alert (a security-channel message naming
it, and one dlp.alert/1 record), a notice seen by its author only, and then
either (removed) its message deleted and one tombstone in its channel, or
(refused) its message still there, no tombstone, and one note saying it
could not be removed; one dlp.action/1 record per action. No raw value in
any message. Prints a summary and, with --json, the figures (event-to-gone
p50/p99 from the message's ts to its deleted_at). Exit 1 when a check
fails. --other-channel names a channel where other events' actions happen
at the same time (another check's): its tombstones are not counted."""
import argparse
import collections
import datetime
import json
import re
import sys
import urllib.request

RAW = ("4111 1111 1111 1111", "4111111111111111", "alice@example.com", "AKIAIOSFODNN7EXAMPLE")


def get(url):
    with urllib.request.urlopen(url, timeout=30) as r:
        return json.load(r)


def parse_time(s):
    return datetime.datetime.strptime(s.replace("Z", "+0000"), "%Y-%m-%dT%H:%M:%S.%f%z").timestamp()


def pct(xs, p):
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(round(p / 100.0 * (len(xs) - 1))))] if xs else None


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("alerts")
    ap.add_argument("slack")
    ap.add_argument("n", type=int)
    ap.add_argument("prefix")
    ap.add_argument("alert_channel")
    ap.add_argument("--expect", choices=("removed", "refused"), default="removed")
    ap.add_argument("--json")
    ap.add_argument("--other-channel", action="append", default=[])
    a = ap.parse_args()
    idre = re.compile(re.escape(a.prefix) + r"[0-9]{7}")
    ids = ["%s%07d" % (a.prefix, i) for i in range(a.n)]

    recs = collections.defaultdict(list)   # (event, kind) -> records
    for line in open(a.alerts, encoding="utf-8"):
        line = line.strip()
        if not line:
            continue
        r = json.loads(json.loads(line)["payload"])
        kind = "alert" if r["schema"] == "dlp.alert/1" else r["action"]
        recs[(r["event_id"], kind)].append(r)

    msgs = get(a.slack + "/_sim/messages")["messages"]
    seeded = {}                             # event -> the user's message
    alerts, notices, tombstones, notes = (collections.Counter() for _ in range(4))
    leaks = []
    for m in msgs:
        text = json.dumps(m["body"], ensure_ascii=False)
        found = set(idre.findall(text))
        if m["user"] != "U0SIM":            # a seeded user message
            for e in found:
                seeded[e] = m
            continue
        if any(raw in text for raw in RAW):
            leaks.append(m)
        if m.get("ephemeral_to") or m["channel"].startswith("D"):
            for e in found:
                notices[(e, m.get("ephemeral_to") or "U" + m["channel"][1:])] += 1
        elif m["channel"] == a.alert_channel and "could not remove" in text:
            notes.update(found)
            if "cant_delete_message" not in text:   # Slack's reason, quoted
                notes.update(["(without the reason)"])
        elif m["channel"] == a.alert_channel:
            alerts.update(found)
        elif "was removed" in text and m["channel"] not in a.other_channel:
            tombstones[m["channel"]] += 1
    failures = []

    def check(ok, what):
        if not ok:
            failures.append(what)

    tomb_want = collections.Counter()
    gone = []
    for e in ids:
        m = seeded.get(e)
        check(m is not None, "%s: no seeded message" % e)
        if m is None:
            continue
        check(alerts[e] == 1, "%s: in %d alert messages" % (e, alerts[e]))
        check(len(recs[(e, "alert")]) == 1, "%s: %d alert records" % (e, len(recs[(e, "alert")])))
        seen = {u: c for (ev, u), c in notices.items() if ev == e}
        check(seen == {m["user"]: 1}, "%s: notices seen %s, want one by %s" % (e, seen, m["user"]))
        check(len(recs[(e, "notify")]) == 1, "%s: %d notify records" % (e, len(recs[(e, "notify")])))
        rem = recs[(e, "remove")]
        check(len(rem) == 1, "%s: %d remove records" % (e, len(rem)))
        if a.expect == "removed":
            check("deleted_at" in m and m.get("deleted_by") == "U0ADMIN",
                  "%s: message not deleted by the admin" % e)
            check(all(r["outcome"] == "ok" for r in rem), "%s: remove not ok" % e)
            check(len(recs[(e, "tombstone")]) == 1,
                  "%s: %d tombstone records" % (e, len(recs[(e, "tombstone")])))
            tomb_want[m["channel"]] += 1
            if "deleted_at" in m:
                gone.append(parse_time(m["deleted_at"]) - float(m["ts"]))
        else:
            check("deleted_at" not in m, "%s: message deleted" % e)
            check(all(r["outcome"] == "failed" and r["slack"]["error"] == "cant_delete_message"
                      for r in rem), "%s: remove record does not say cant_delete_message" % e)
            check(notes[e] == 1, "%s: in %d could-not-remove notes" % (e, notes[e]))
            check(not recs[(e, "tombstone")], "%s: a tombstone record" % e)
    check(dict(tombstones) == dict(tomb_want), "tombstones per channel %s, want %s"
          % (dict(tombstones), dict(tomb_want)))
    check(not leaks, "%d bot messages carry a raw value" % len(leaks))
    check(not notes["(without the reason)"], "a could-not-remove note does not quote Slack's error")
    twice = sum(1 for (e, k), v in recs.items() if e in seeded and len(v) > 1)
    missed = sum(1 for e in ids for k in (["alert", "notify", "remove"] +
                                          (["tombstone"] if a.expect == "removed" else []))
                 if not recs[(e, k)])
    summary = {"events": a.n, "actions_twice": twice, "actions_missed": missed,
               "alert_messages": sum(alerts.values()), "notices": sum(notices.values()),
               "deleted": len(gone), "tombstones": sum(tombstones.values()),
               "notes": sum(notes.values()),
               "gone_p50_s": pct(gone, 50), "gone_p99_s": pct(gone, 99),
               "gone_max_s": max(gone) if gone else None}
    print("       " + json.dumps(summary))
    for f in failures[:20]:
        print("       " + f)
    if a.json:
        json.dump(summary, open(a.json, "w"))
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
