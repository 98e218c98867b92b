#!/usr/bin/python3
"""Writes N dlp.event/1 records as kcat -K'\\t' input (key TAB value), for
loading the events topic directly in inspector tests and benchmarks; or,
with --envelopes, N Slack Events API envelopes for the collector.

Texts are chat-like lines of varied length; every --sensitive-every'th event
carries a fake card number or e-mail address, and --poison events carry the
marker dlp-sim rejects as INVALID_ARGUMENT (their ids are listed with
--poison-ids FILE)."""
import argparse
import json
import random
import sys

WORDS = ("deploy release rollback incident pager review merge branch build "
         "pipeline cache latency dashboard alert query index shard replica "
         "lunch coffee standup retro sprint ticket customer invoice backlog "
         "staging canary metrics trace logs kafka broker consumer lag").split()
CARDS = ("4111 1111 1111 1111", "5555-5555-5555-4444", "378282246310005")


def text(rng, i, sensitive):
    n = rng.randint(6, 60)
    words = " ".join(rng.choice(WORDS) for _ in range(n))
    if sensitive:
        if i % 2:
            words += " card " + rng.choice(CARDS)
        else:
            words += " mail me at user%d@example.com" % i
    return words


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("count", type=int)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--prefix", default="EvLOAD")
    ap.add_argument("--sensitive-every", type=int, default=20)
    ap.add_argument("--poison", type=int, default=0,
                    help="events whose text carries DLP_SIM_POISON")
    ap.add_argument("--poison-ids", help="write the poison event ids here")
    ap.add_argument("--envelopes", action="store_true",
                    help="write Slack Events API envelopes (JSONL) instead")
    a = ap.parse_args()
    rng = random.Random(a.seed)
    poison = set(rng.sample(range(a.count), a.poison)) if a.poison else set()
    out = sys.stdout
    ids = []
    for i in range(a.count):
        eid = "%s%07d" % (a.prefix, i)
        t = text(rng, i, a.sensitive_every and i % a.sensitive_every == 0)
        if i in poison:
            t += " DLP_SIM_POISON"
            ids.append(eid)
        rec = {"schema": "dlp.event/1", "event_id": eid, "team_id": "T0LOAD",
               "channel": "C0LOAD%02d" % (i % 20), "user": "U0LOAD%03d" % (i % 300),
               "ts": "1763900000.%06d" % i, "event_time": 1763900000,
               "kind": "message", "text": t,
               "received_at": "2026-11-23T00:00:00.000Z", "source": "replay"}
        if a.envelopes:
            env = {"token": "load", "team_id": rec["team_id"], "api_app_id": "A0LOAD",
                   "event": {"type": "message", "channel": rec["channel"],
                             "user": rec["user"], "text": t, "ts": rec["ts"],
                             "event_ts": rec["ts"], "channel_type": "channel"},
                   "type": "event_callback", "event_id": eid,
                   "event_time": rec["event_time"]}
            out.write(json.dumps(env, separators=(",", ":")) + "\n")
        else:
            out.write(eid + "\t" + json.dumps(rec, separators=(",", ":")) + "\n")
    if a.poison_ids:
        with open(a.poison_ids, "w") as f:
            f.write("\n".join(ids) + "\n")


if __name__ == "__main__":
    main()
