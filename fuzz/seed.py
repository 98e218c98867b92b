#!/usr/bin/env python3
"""Writes the first seed corpora of the fuzz harnesses from samples/ and the
test fixtures: fuzz/seed.py OUT_DIR (one OUT_DIR/<harness>/ per harness).

The committed corpora (fuzz/corpus/) are these seeds after minimisation
(fuzz/run.sh --merge) plus whatever the fuzzers found since; run this only to
start over, then merge (fuzz/README.md)."""
import hashlib
import hmac
import json
import os
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
# fuzz_slack_sig.c's first secret and clock
SECRET = b"8f742231b10e8888abcd99yyyzzz85a5"
NOW = 1700000000


def lines(path):
    with open(os.path.join(ROOT, path), "rb") as f:
        return [l.rstrip(b"\n") for l in f if l.strip()]


def records(kind):
    out = []
    for sub in ("valid", "invalid"):
        d = os.path.join(ROOT, "tests/fixtures/records", sub)
        for name in sorted(os.listdir(d)):
            if name.startswith(kind):
                with open(os.path.join(d, name), "rb") as f:
                    out.append(f.read())
    return out


def compact(obj):
    return json.dumps(obj, separators=(",", ":"), ensure_ascii=False).encode()


def sign(ts, body):
    mac = hmac.new(SECRET, b"v0:" + ts + b":" + body, hashlib.sha256)
    return b"v0=" + mac.hexdigest().encode()


def dlp_answer(findings, truncated=False):
    res = {"findings": findings}
    if truncated:
        res["findingsTruncated"] = True
    return compact({"result": res})


def finding(name, quote, start, end, row):
    loc = {"byteRange": {"end": str(end)},
           "contentLocations": [{"recordLocation": {
               "fieldId": {"name": "text"},
               "tableLocation": {"rowIndex": str(row)} if row else {}}}]}
    if start:
        loc["byteRange"]["start"] = str(start)
    return {"quote": quote, "infoType": {"name": name},
            "likelihood": "VERY_LIKELY", "location": loc}


def main():
    out = sys.argv[1]
    events = lines("samples/slack-events.jsonl")
    texts = []
    for l in events:
        ev = json.loads(l).get("event", {})
        t = (ev.get("message") or ev).get("text")
        if t:
            texts.append(t.encode())
    bare = [compact(json.loads(l)["event"]) for l in events
            if json.loads(l)["event"].get("type") == "message"][:20]
    sig_body = open(os.path.join(ROOT, "tests/fixtures/slack-signature-body.txt"),
                    "rb").read()
    inspections = records("inspection")
    shapes_dir = os.path.join(ROOT, "tests/fixtures/slack-events")
    shapes = [compact(json.load(open(os.path.join(shapes_dir, n), "rb")))
              for n in sorted(os.listdir(shapes_dir)) if n.endswith(".json")]
    seeds = {
        "envelope": events + shapes,
        # a replay file: a few envelopes and bare (exported) events per file
        "replay": [b"\n".join(events[i:i + 4] + bare[i // 12:i // 12 + 2]) + b"\n"
                   for i in range(0, len(events), 12)] + [b"\n".join(shapes)],
        "slack_sig": [b"%d\n%s\n%s" % (NOW + d, sign(b"%d" % (NOW + d), body), body)
                      for d, body in ((0, sig_body), (-299, events[0]),
                                      (301, events[1]), (0, b""))],
        "dlp_answer": [
            dlp_answer([finding("CREDIT_CARD_NUMBER", "4111 1111 1111 1111", 0, 19, 0),
                        finding("US_SOCIAL_SECURITY_NUMBER", "078-05-1120", 4, 15, 2)]),
            dlp_answer([finding("EMAIL_ADDRESS", "jane@example.com", 22, 38, 2)], True),
            dlp_answer([finding("CREDIT_CARD_NUMBER", "4111 1111 1111 1111", 1012, 1031, 3)]),
            b'{"result":{}}',
            b'{"error":{"code":400,"message":"Too many findings","status":"INVALID_ARGUMENT"}}',
            b'{"error":{"code":429,"message":"Quota exceeded","status":"RESOURCE_EXHAUSTED"}}',
        ],
        # max items, max bytes (2 bytes), then texts separated by 0x1e
        "dlp_request": [bytes([n, hi, 0x40]) + b"\x1e".join(texts[i:i + 6])
                        for n, hi, i in ((8, 0x00, 0), (32, 0x20, 30), (3, 0x01, 60),
                                         (1, 0x3f, 90))],
        "mask": [b"\xc8" + q for q in (
            b"4111 1111 1111 1111", b"078-05-1120", b"jane.doe@example.com",
            b"AKIAIOSFODNN7EXAMPLE", b"xoxb-1234567890-abcdefghij",
            "\u00e9t\u00e9 4111\u20111111\u20111111\u20111111".encode(),
            b"x" * 80)],
        "slack_answer": [
            b'{"ok":true,"channel":"C0ALERTS","ts":"1763900413.000100","message":{"text":"DLP alert"}}',
            b'{"ok":true,"channel":"C0ALERTS","permalink":"https://acme.slack.com/archives/C0ALERTS/p1763900413000100"}',
            b'{"ok":false,"error":"ratelimited"}',
            b'{"ok":false,"error":"channel_not_found"}',
            b'{"ok":false}',
            b"<html>502 Bad Gateway</html>",
        ],
        "alert": inspections + [b"[" + b",".join(r for r in inspections
                                                if b'"findings": [' in r) + b"]"],
        # capacity byte, then a header value or a text to cut
        "cuts": [b"\x40120", b"\x102026-11-23T14:50:00.123Z",
                 "\x20reason \u00e9t\u00e9 4111\u20111111 \U0001f600 \"q\" \\ \x01".encode()
                 + b"\x00tail"],
        # records as they come off Kafka, and the corners of the grammar
        # the fast path takes or hands to jansson
        "json_fast": events[:10] + shapes + records("event") + inspections + [
            b'{"a":"\\u00e9\\ud83d\\ude00\\n\\"\\/\\b\\f\\r\\t","b":[0,-0,'
            b'123456789012345678,1234567890123456789,-9223372036854775809,'
            b'1.5,1e3,-1E-2,01],"c":{"a":1,"a":{"b":2}},"d":[true,false,null]}',
            b' [ ] ', b'[[[[[[[[{"":[[]]}]]]]]]]]',
            '{"k\\u0041":"\u00e9\u20ac\U0001f600"}'.encode(),
            b'{"a":"\xc0\xaf \xed\xa0\x80 \xf4\x90\x80\x80 \xe2\x82"}',
            b'{"a":1} x', b'{"a":"\\u0000"}', b'{"a":"\\ud800x"}', b'',
            b'\xef\xbb\xbf{}', b'{"a":truex}', b'{"a":1}\x00',
        ],
        "config": [
            b"DLP_BATCH_MAX_ITEMS=20\n--log-level\ndebug\n--rate-limit=2.5",
            b"DLP_API_TOKEN_FILE=x\n--include-bots\n--check-config",
            b"KAFKA_SECURITY_PROTOCOL=SASL_SSL\n--kafka\nsasl.password=hunter2",
            b"DLP_TOPC_EVENTS=typo\n--batch-max-items=0",
            b"--help",
        ],
    }
    for name, items in seeds.items():
        d = os.path.join(out, name)
        os.makedirs(d, exist_ok=True)
        for item in items:
            h = hashlib.sha1(item).hexdigest()
            with open(os.path.join(d, h), "wb") as f:
                f.write(item)
        print(f"{name}: {len(items)} seeds")


if __name__ == "__main__":
    main()
