#!/usr/bin/python3
"""Checks what a fleet run left behind against what the sample promised.

Reads the sample's expected.json, the records taken off the topics (kcat -J
dumps), what slack-sim received and dlp-sim's counters, then checks:

  * exactly one inspection record per inspectable event, none for the rest;
  * each event's findings name exactly the planted info types, at the
    planted byte offsets;
  * one alert (topic and Slack) for exactly the events with findings, with
    the right info types;
  * no planted raw value anywhere in Slack, the topics or the logs;
  * dlp-sim rejected nothing and never saw more than --rate-limit requests
    in any one-second window.

Prints a summary (the demo shows it) and, with --check, one line per check
and "N passed, M failed"; exits 1 if any check failed.
"""
import argparse
import collections
import glob
import json
import sys


def records(path):
    out = []
    with open(path, encoding="utf-8") as f:
        for line in f:
            line = line.strip()
            if not line:
                continue
            rec = json.loads(line)
            payload = rec.get("payload")
            out.append({"key": rec.get("key"), "headers": rec.get("headers"),
                        "value": json.loads(payload) if payload else None})
    return out


class Checks:
    def __init__(self, verbose):
        self.passed = self.failed = 0
        self.verbose = verbose

    def __call__(self, ok, what, detail=""):
        if ok:
            self.passed += 1
        else:
            self.failed += 1
        if self.verbose or not ok:
            print(("ok     " if ok else "FAILED ") + what +
                  ("" if ok or not detail else ": " + str(detail)[:800]))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--expected", required=True)
    ap.add_argument("--inspected", required=True, help="kcat -J dump")
    ap.add_argument("--alerts", required=True, help="kcat -J dump")
    ap.add_argument("--deadletter", help="kcat -J dump")
    ap.add_argument("--slack", required=True, help="slack-sim /_sim/messages")
    ap.add_argument("--dlp-stats", required=True, help="dlp-sim /_sim/stats")
    ap.add_argument("--logs", help="glob of log files to search for raw values")
    ap.add_argument("--forbid", action="append", default=[],
                    help="a credential that must appear nowhere (repeatable)")
    ap.add_argument("--rate-limit", type=int, default=10)
    ap.add_argument("--elapsed", type=float)
    ap.add_argument("--sent", type=int)
    ap.add_argument("--check", action="store_true")
    ap.add_argument("--show-alerts", action="store_true")
    a = ap.parse_args()

    expected = json.load(open(a.expected, encoding="utf-8"))["events"]
    inspectable = {k for k, v in expected.items() if v["inspectable"]}
    with_findings = {k for k in inspectable if expected[k]["info_types"]}
    planted = sorted({p for v in expected.values() for p in v["planted"]})

    inspected = [r["value"] for r in records(a.inspected)]
    alerts = [r["value"] for r in records(a.alerts)]
    dead = [r["value"] for r in records(a.deadletter)] if a.deadletter else []
    slack = json.load(open(a.slack, encoding="utf-8"))["messages"]
    stats = json.load(open(a.dlp_stats, encoding="utf-8"))

    per_event = collections.Counter(r["event_id"] for r in inspected)
    findings = sum(len(r["findings"]) for r in inspected)
    by_id = {r["event_id"]: r for r in inspected}

    if a.show_alerts:
        print("Alerts received by slack-sim (channel %s):" %
              (slack[0]["channel"] if slack else "-"))
        for m in slack:
            print("  %s  %s" % (m["ts"], m["body"].get("text", "")))
        print()
    print("Summary")
    if a.sent is not None:
        print("  events sent to the collector   %d" % a.sent)
    print("  inspectable events expected    %d" % len(inspectable))
    print("  inspection records             %d (%d distinct events)" %
          (len(inspected), len(per_event)))
    print("  findings                       %d in %d events" %
          (findings, sum(1 for r in inspected if r["findings"])))
    print("  Slack messages (alerts, digests) %d" % len(slack))
    print("  alert records                  %d" % len(alerts))
    print("  dead letters                   %d" % len(dead))
    print("  DLP requests accepted          %s, rejected %s, most in any 1 s: %s"
          % (stats.get("accepted"), stats.get("rejected"),
             stats.get("max_requests_in_any_1s_window")))
    if a.elapsed is not None:
        print("  elapsed                        %.1f s" % a.elapsed)
    if not a.check:
        return 0

    print()
    check = Checks(verbose=True)
    check(set(per_event) == inspectable,
          "every inspectable event has an inspection record, no other event",
          {"missing": sorted(inspectable - set(per_event))[:10],
           "unexpected": sorted(set(per_event) - inspectable)[:10]})
    dups = {k: n for k, n in per_event.items() if n > 1}
    check(not dups, "exactly one inspection record per event", dups)

    wrong_types, wrong_offsets = {}, {}
    for eid in inspectable & set(by_id):
        got = sorted({f["info_type"] for f in by_id[eid]["findings"]})
        if got != sorted(set(expected[eid]["info_types"])):
            wrong_types[eid] = {"got": got,
                                "want": expected[eid]["info_types"]}
        spans = {(f["info_type"], f["byte_start"], f["byte_end"])
                 for f in by_id[eid]["findings"]}
        for occ in expected[eid]["occurrences"]:
            if (occ["info_type"], occ["byte_start"], occ["byte_end"]) not in spans:
                wrong_offsets[eid] = {"want": occ["info_type"],
                                      "at": [occ["byte_start"], occ["byte_end"]],
                                      "got": sorted(spans)}
    check(not wrong_types, "findings name exactly the planted info types",
          wrong_types)
    check(not wrong_offsets, "findings sit at the planted byte offsets",
          wrong_offsets)

    alert_ids = collections.Counter(r["event_id"] for r in alerts)
    check(set(alert_ids) == with_findings and
          all(n == 1 for n in alert_ids.values()),
          "one alert record for exactly the events with findings",
          {"missing": sorted(with_findings - set(alert_ids))[:10],
           "unexpected": sorted(set(alert_ids) - with_findings)[:10],
           "doubled": {k: n for k, n in alert_ids.items() if n > 1}})
    bad_alert_types = {r["event_id"]: r["info_types"] for r in alerts
                       if r["event_id"] in expected and
                       sorted(r["info_types"]) !=
                       sorted(set(expected[r["event_id"]]["info_types"]))}
    check(not bad_alert_types, "alerts name the right info types",
          bad_alert_types)
    slack_ids = collections.Counter()
    for m in slack:
        body = json.dumps(m["body"])
        hits = [eid for eid in with_findings if eid in body]
        slack_ids.update(hits)
    check(set(slack_ids) == with_findings and
          all(n == 1 for n in slack_ids.values()),
          "every event with findings is in exactly one Slack message "
          "(%d messages: alerts and digests)" % len(slack),
          {"missing": sorted(with_findings - set(slack_ids))[:10],
           "doubled": {k: n for k, n in slack_ids.items() if n > 1}})

    haystacks = {"slack-sim": json.dumps(slack, ensure_ascii=False),
                 "inspected topic": json.dumps(inspected, ensure_ascii=False),
                 "alerts topic": json.dumps(alerts, ensure_ascii=False)}
    for path in sorted(glob.glob(a.logs)) if a.logs else []:
        with open(path, encoding="utf-8", errors="replace") as f:
            haystacks[path] = f.read()
    leaks = {where: [p for p in planted if p in text]
             for where, text in haystacks.items()}
    leaks = {k: v for k, v in leaks.items() if v}
    check(not leaks, "no planted raw value in Slack, the topics or the logs "
          "(%d values, %d places)" % (len(planted), len(haystacks)), leaks)

    if a.forbid:
        leaked = {where: n for where, text in haystacks.items()
                  for n, secret in enumerate(a.forbid) if secret in text}
        check(not leaked, "no credential (%d) in Slack, the topics or the logs"
              % len(a.forbid), leaked)

    check(stats.get("rejected") == 0, "dlp-sim rejected no request",
          stats.get("rejected_by_reason"))
    check(0 < stats.get("max_requests_in_any_1s_window", 0) <= a.rate_limit,
          "dlp-sim never saw more than %d requests in any 1 s window"
          % a.rate_limit, stats.get("max_requests_in_any_1s_window"))

    print("%d passed, %d failed" % (check.passed, check.failed))
    return 1 if check.failed else 0


if __name__ == "__main__":
    sys.exit(main())
