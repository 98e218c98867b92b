#!/usr/bin/python3
"""Pins the record contracts: schemas/, their fixtures, the sample stream and the test tools.

  /usr/bin/python3 tests/tools/test_schemas.py

- every schema is a valid 2020-12 schema whose $id and `schema` const match its file name;
- every tests/fixtures/records/valid/*.json validates, every invalid/*.json fails, and
  fails for the reason named in INVALID_BECAUSE below (a fixture's schema is the
  prefix of its file name: event-, inspection-, alert-, deadletter-);
- samples/: gen_events.py --check passes (regenerates byte for byte, Luhn, unique
  ids, expected findings) and every inspectable sample envelope, mapped the way the
  collector maps it, is a valid dlp.event/1;
- validate_records.py accepts kcat -J output of good records and rejects bad ones,
  wrong keys and dead letters without their headers;
- send_events.py signs like Slack's worked example and retries a 503 like Slack.

Last line: "N passed, M failed"; exit status 1 when anything failed.
"""

import glob
import hashlib
import hmac
import json
import os
import re
import subprocess
import sys
import tempfile
import threading
import time
import traceback
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.normpath(os.path.join(HERE, "..", ".."))
SCHEMAS = os.path.join(ROOT, "schemas")
FIXTURES = os.path.join(ROOT, "tests", "fixtures", "records")
SAMPLES = os.path.join(ROOT, "samples")
PY = sys.executable or "/usr/bin/python3"
sys.path.insert(0, HERE)

import validate_records  # noqa: E402
from send_events import slack_signature  # noqa: E402

RECORDS = {"event": "dlp.event/1", "inspection": "dlp.inspection/1",
           "alert": "dlp.alert/1", "deadletter": "dlp.deadletter/1",
           "action": "dlp.action/1", "policy": "dlp.action-policy/1"}

# invalid fixture -> (validator keyword, JSON path of the error); the fixture must fail with it.
INVALID_BECAUSE = {
    "event-missing-text.json": ("required", ""),
    "event-kind-message-deleted.json": ("enum", "kind"),
    "event-extra-field.json": ("additionalProperties", ""),
    "event-received-at-not-utc.json": ("pattern", "received_at"),
    "event-ts-number.json": ("type", "ts"),
    "event-wrong-version.json": ("const", "schema"),
    "event-file-without-id.json": ("required", "files/1"),
    "event-part-empty-text.json": ("minLength", "parts/0/text"),
    "inspection-raw-quote.json": ("additionalProperties", "findings/0"),
    "inspection-has-text.json": ("additionalProperties", ""),
    "inspection-attempt-zero.json": ("minimum", "attempt"),
    "inspection-bad-likelihood.json": ("enum", "findings/1/likelihood"),
    "inspection-negative-offset.json": ("minimum", "findings/0/byte_start"),
    "inspection-missing-findings.json": ("required", ""),
    "inspection-file-not-inspected-without-reason.json": ("required", "files/3"),
    "inspection-file-line-zero.json": ("minimum", "findings/0/line"),
    "inspection-file-has-bytes.json": ("additionalProperties", "files/0"),
    "alert-empty-info-types.json": ("minItems", "info_types"),
    "alert-zero-findings.json": ("minimum", "findings_count"),
    "alert-missing-slack-ts.json": ("required", ""),
    "alert-raw-value.json": ("additionalProperties", ""),
    "alert-file-id-not-an-id.json": ("pattern", "file_ids/0"),
    "action-remove-file-without-file.json": ("required", ""),
    "deadletter-bad-stage.json": ("enum", "stage"),
    "deadletter-not-base64.json": ("pattern", "original_base64"),
    "deadletter-empty-reason.json": ("minLength", "reason"),
    "deadletter-impossible-date.json": ("format", "failed_at"),
    "action-failed-without-error.json": ("required", "slack"),
    "action-unknown-kind.json": ("enum", "action"),
    "action-notify-without-via.json": ("required", ""),
    "action-raw-value.json": ("additionalProperties", ""),
    "policy-unknown-action.json": ("enum", "rules/0/actions/1"),
    "policy-rule-without-info-types.json": ("required", "rules/1"),
    "policy-bad-channel.json": ("pattern", "rules/1/channels/0"),
    "policy-notify-sms.json": ("enum", "notify/via"),
}

TESTS = []


def test(fn):
    TESTS.append(fn)
    return fn


def load(path):
    with open(path, encoding="utf-8") as f:
        return json.load(f)


def validators():
    return validate_records.load_validators(SCHEMAS)


def record_kind(path):
    prefix = re.split(r"[-.]", os.path.basename(path), maxsplit=1)[0]
    assert prefix in RECORDS, "%s: name must start with one of %s" % (path, ", ".join(RECORDS))
    return RECORDS[prefix]


def fixtures(kind):
    return sorted(glob.glob(os.path.join(FIXTURES, kind, "*.json")))


# --------------------------------------------------------------------------- schemas

@test
def schema_files_are_2020_12_and_named_by_their_record():
    files = sorted(glob.glob(os.path.join(SCHEMAS, "*.json")))
    names = sorted(os.path.basename(f) for f in files)
    assert names == ["dlp.action-policy.1.json", "dlp.action.1.json", "dlp.alert.1.json",
                     "dlp.deadletter.1.json", "dlp.event.1.json",
                     "dlp.inspection.1.json"], names
    for f in files:
        s = load(f)
        base = os.path.basename(f)
        assert s["$schema"] == "https://json-schema.org/draft/2020-12/schema", base
        assert s["$id"] == "https://dlpfleet.dev/schemas/" + base, base
        assert s["additionalProperties"] is False, base
        const = s["properties"]["schema"]["const"]
        assert const.replace("/", ".") + ".json" == base, (const, base)
        assert "schema" in s["required"], base
    assert sorted(validators()) == sorted(RECORDS.values())


@test
def every_schema_has_fixtures_both_ways():
    for name in RECORDS.values():
        good = [p for p in fixtures("valid") if record_kind(p) == name]
        bad = [p for p in fixtures("invalid") if record_kind(p) == name]
        assert len(good) >= 1, "%s: no valid fixture" % name
        assert len(bad) >= 2, "%s: fewer than two invalid fixtures" % name


@test
def valid_fixtures_validate():
    v = validators()
    for p in fixtures("valid"):
        rec = load(p)
        assert rec["schema"] == record_kind(p), p
        errs = validate_records.schema_errors(rec, v)
        assert not errs, "%s: %s" % (os.path.basename(p), errs)


@test
def invalid_fixtures_fail_for_the_named_reason():
    v = validators()
    names = {os.path.basename(p) for p in fixtures("invalid")}
    assert names == set(INVALID_BECAUSE), "fixtures and INVALID_BECAUSE differ: %s" % (
        sorted(names ^ set(INVALID_BECAUSE)))
    for p in fixtures("invalid"):
        base = os.path.basename(p)
        validator = v[record_kind(p)]
        errs = list(validator.iter_errors(load(p)))
        assert errs, "%s validates but must not" % base
        keyword, path = INVALID_BECAUSE[base]
        got = [(e.validator, "/".join(map(str, e.absolute_path))) for e in errs]
        assert (keyword, path) in got, "%s: wanted %s at %r, got %s" % (base, keyword, path, got)


@test
def sample_action_policy_validates():
    """samples/actions.json, the README's example, is a valid policy (the C parser's unit
    test loads the same file)."""
    v = validators()["dlp.action-policy/1"]
    errs = list(v.iter_errors(load(os.path.join(SAMPLES, "actions.json"))))
    assert not errs, errs


@test
def raw_quote_is_rejected_anywhere_in_an_inspection():
    v = validators()["dlp.inspection/1"]
    rec = load(os.path.join(FIXTURES, "valid", "inspection-findings.json"))
    assert v.is_valid(rec)
    for i in range(len(rec["findings"])):
        r = json.loads(json.dumps(rec))
        r["findings"][i]["quote"] = "4111111111111111"
        assert not v.is_valid(r), "finding %d accepted a raw quote" % i


@test
def date_time_is_checked_whatever_is_installed():
    ok = validate_records.is_rfc3339
    for s in ("2025-11-23T12:20:12Z", "2025-11-23T12:20:12.517Z", "2016-12-31T23:59:60Z",
              "2025-11-23T13:20:12+01:00"):
        assert ok(s), s
    for s in ("2025-02-30T12:00:00Z", "2025-11-23 12:20:12Z", "2025-11-23T25:00:00Z",
              "2025-11-23T12:20:12", "1763900412", "2025-11-23T12:20:61Z"):
        assert not ok(s), s


# --------------------------------------------------------------------------- samples

@test
def sample_generator_check_passes():
    p = subprocess.run([PY, os.path.join(SAMPLES, "gen_events.py"), "--check"],
                       capture_output=True, text=True, timeout=120)
    assert p.returncode == 0, p.stderr[-2000:]
    c = json.loads(p.stdout)
    assert c["total"] >= 220 and c["inspectable"] > 0, c


def envelope_to_event(env, received_at="2025-11-23T12:00:00.000Z", source="replay"):
    """The collector's mapping from a Slack envelope to dlp.event/1, as a reference."""
    ev = env["event"]
    sub = ev.get("subtype")
    msg = ev["message"] if sub == "message_changed" else ev
    rec = {"schema": "dlp.event/1", "event_id": env["event_id"], "team_id": env["team_id"],
           "api_app_id": env["api_app_id"], "channel": ev["channel"], "ts": msg["ts"],
           "event_time": env["event_time"], "kind": sub or "message", "text": msg.get("text", ""),
           "received_at": received_at, "source": source}
    if "channel_type" in ev:
        rec["channel_type"] = ev["channel_type"]
    for k in ("user", "bot_id", "thread_ts"):
        if k in msg:
            rec[k] = msg[k]
    if msg.get("files"):
        rec["files"] = [{k: f[k] for k in ("id", "name", "mimetype", "size", "url_private") if k in f}
                        for f in msg["files"]]
    return rec


@test
def inspectable_sample_events_map_to_valid_event_records():
    v = validators()["dlp.event/1"]
    expected = load(os.path.join(SAMPLES, "slack-events.expected.json"))
    n = 0
    with open(os.path.join(SAMPLES, "slack-events.jsonl"), encoding="utf-8") as f:
        for line in f:
            env = json.loads(line)
            exp = expected["events"][env["event_id"]]
            if not exp["inspectable"]:
                continue
            rec = envelope_to_event(env)
            errs = [e.message for e in v.iter_errors(rec)]
            assert not errs, "%s: %s" % (env["event_id"], errs)
            assert (rec["channel"], rec["ts"], rec["kind"]) == (exp["channel"], exp["ts"], exp["kind"]), env["event_id"]
            text = rec["text"].encode("utf-8")
            for o in exp["occurrences"]:
                assert text[o["byte_start"]:o["byte_end"]].decode() == o["value"], env["event_id"]
            n += 1
    assert n == expected["counts"]["inspectable"], n


# --------------------------------------------------------------------------- validate_records.py

def kcat_line(rec, topic, partition, offset, key="__event_id__", headers=None):
    """One line as kcat 1.7.1 -J prints it."""
    env = {"topic": topic, "partition": partition, "offset": offset, "tstype": "create",
           "ts": 1763900000000 + offset, "broker": 1}
    if headers is not None:
        env["headers"] = [x for kv in headers for x in kv]
    env["key"] = rec.get("event_id") if key == "__event_id__" else key
    env["payload"] = rec if isinstance(rec, str) or rec is None else json.dumps(rec, separators=(",", ":"))
    return json.dumps(env, ensure_ascii=False, separators=(",", ":"))


def dl_headers(rec):
    return [("dlp-stage", rec["stage"]), ("dlp-reason", rec["reason"]), ("dlp-topic", rec["topic"]),
            ("dlp-partition", str(rec["partition"])), ("dlp-offset", str(rec["offset"]))]


def kcat_stream(paths):
    lines = []
    for i, p in enumerate(paths):
        rec = load(p)
        if rec.get("schema") == "dlp.deadletter/1":
            lines.append(kcat_line(rec, "dlp.deadletter.v1", 0, i, key=rec.get("key"), headers=dl_headers(rec)))
        else:
            lines.append(kcat_line(rec, "t", i % 3, i))
    return "\n".join(lines) + "\n"


def run_validator(stdin, *args):
    p = subprocess.run([PY, os.path.join(HERE, "validate_records.py")] + list(args),
                       input=stdin.encode("utf-8"), capture_output=True, timeout=60)
    out = p.stdout.decode("utf-8")
    return p.returncode, json.loads(out.splitlines()[-1]) if out.strip() else None, p.stderr.decode()


@test
def validator_accepts_kcat_output_of_good_records():
    good = fixtures("valid")
    with tempfile.TemporaryDirectory() as d:
        dump = os.path.join(d, "dump.jsonl")
        rc, s, err = run_validator(kcat_stream(good), "--expect-count", str(len(good)), "--dump", dump)
        assert rc == 0, err
        assert s["records"] == s["valid"] == len(good) and s["invalid"] == 0, s
        assert s["by_schema"]["dlp.inspection/1"]["valid"] == 4, s
        with open(dump, encoding="utf-8") as f:
            dumped = [json.loads(x) for x in f]
        assert dumped == [load(p) for p in good]


@test
def validator_rejects_each_bad_record():
    for p in fixtures("invalid"):
        rc, s, _ = run_validator(kcat_stream([p]))
        assert rc == 1 and s["invalid"] == 1 and s["errors"], (os.path.basename(p), s)


@test
def validator_counts_and_expectations():
    good = fixtures("valid")
    rc, s, _ = run_validator(kcat_stream(good), "--expect-count", str(len(good) + 1))
    assert rc == 1 and s["invalid"] == 0, s
    rc, s, _ = run_validator(kcat_stream(good), "--min-count", str(len(good)))
    assert rc == 0, s
    rc, s, _ = run_validator(kcat_stream(good), "--expect-schema", "dlp.alert/1")
    assert rc == 1 and s["valid"] == 4, s
    rc, s, _ = run_validator("", "--min-count", "1")
    assert rc == 1 and s["records"] == 0, s
    rc, s, _ = run_validator("")
    assert rc == 0 and s["records"] == 0, s


@test
def validator_checks_keys_headers_and_payload_bytes():
    rec = load(os.path.join(FIXTURES, "valid", "event-plain.json"))
    dl = load(os.path.join(FIXTURES, "valid", "deadletter-inspector.json"))
    cases = [
        (kcat_line(rec, "dlp.events.v1", 0, 1, key="EvSOMETHINGELSE"), "is not the event_id"),
        (kcat_line(rec, "dlp.events.v1", 0, 1, key=None), "is not the event_id"),
        (kcat_line(dl, "dlp.deadletter.v1", 0, 1, key=dl["key"]), "header dlp-stage missing"),
        (kcat_line(dl, "dlp.deadletter.v1", 0, 1, key=dl["key"],
                   headers=dl_headers(dl)[:4] + [("dlp-offset", "89")]), "header dlp-offset"),
        (kcat_line(dl, "dlp.deadletter.v1", 0, 1, key="other", headers=dl_headers(dl)), "differs from the body's key"),
        (kcat_line(None, "dlp.events.v1", 0, 1, key="Ev0X"), "tombstone"),
        (kcat_line('{"schema":"dlp.event/1",', "dlp.events.v1", 0, 1, key="Ev0X"), "payload is not JSON"),
        (kcat_line({"schema": "dlp.thing/9"}, "x", 0, 1, key=None), "unknown schema"),
        ("this is not json", "line is not JSON"),
    ]
    for line, want in cases:
        rc, s, _ = run_validator(line + "\n")
        assert rc == 1 and any(want in e for e in s["errors"]), (want, s)
    rc, s, _ = run_validator(kcat_line(rec, "dlp.events.v1", 0, 1, key="EvX") + "\n", "--no-key-check")
    assert rc == 0, s
    # bare records (no kcat envelope) are validated without key checks
    rc, s, _ = run_validator(json.dumps(rec) + "\n" + json.dumps(dl) + "\n")
    assert rc == 0 and s["valid"] == 2, s
    # duplicates are counted, not failed
    rc, s, _ = run_validator((kcat_line(rec, "t", 0, 1) + "\n") * 3)
    assert rc == 0 and s["by_schema"]["dlp.event/1"]["duplicates"] == 2, s


# --------------------------------------------------------------------------- send_events.py

@test
def slack_signature_matches_slacks_worked_example():
    body_path = os.path.join(ROOT, "..", "shared", "fixtures", "slack-signature-body.txt")
    if os.path.exists(body_path):
        with open(body_path, "rb") as f:
            body = f.read()
    else:  # the body of Slack's documented example
        body = (b"token=xyzz0WbapA4vBCDEFasx0q6G&team_id=T1DC2JH3J&team_domain=testteamnow&channel_id=G8PSS9T3V"
                b"&channel_name=foobar&user_id=U2CERLKJA&user_name=roadrunner&command=%2Fwebhook-collect&text="
                b"&response_url=https%3A%2F%2Fhooks.slack.com%2Fcommands%2FT1DC2JH3J%2F397700885554%2F96rGlfmibIGlgcZRskXaIFfN"
                b"&trigger_id=398738663015.47445629121.803a0bc887a14d10d2c447fce8b6703c")
    got = slack_signature("8f742231b10e8888abcd99yyyzzz85a5", 1531420618, body)
    assert got == "v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503", got


class _Collector(BaseHTTPRequestHandler):
    """A stand-in collector: checks the signature, answers 503 to the first try of every 2nd event."""
    protocol_version = "HTTP/1.1"
    secret = "test-secret"
    seen = {}
    retry_headers = []
    lock = threading.Lock()

    def log_message(self, *a):
        pass

    def do_POST(self):
        body = self.rfile.read(int(self.headers["Content-Length"]))
        ts, sig = self.headers.get("X-Slack-Request-Timestamp"), self.headers.get("X-Slack-Signature")
        code = 401
        if ts and sig and abs(time.time() - int(ts)) <= 300:
            want = "v0=" + hmac.new(self.secret.encode(), b"v0:" + ts.encode() + b":" + body,
                                    hashlib.sha256).hexdigest()
            if hmac.compare_digest(want, sig):
                code = 200
        if code == 200:
            eid = json.loads(body)["event_id"]
            with self.lock:
                n = self.seen[eid] = self.seen.get(eid, 0) + 1
                if self.headers.get("X-Slack-Retry-Num"):
                    self.retry_headers.append((self.headers["X-Slack-Retry-Num"],
                                               self.headers.get("X-Slack-Retry-Reason")))
                if n == 1 and len(self.seen) % 2 == 0:
                    code = 503
        self.send_response(code)
        self.send_header("Content-Length", "0")
        self.end_headers()


@test
def send_events_signs_retries_and_sends_bad_requests_on_purpose():
    srv = ThreadingHTTPServer(("127.0.0.1", 0), _Collector)
    t = threading.Thread(target=srv.serve_forever, daemon=True)
    t.start()
    try:
        url = "http://127.0.0.1:%d/slack/events" % srv.server_address[1]
        with open(os.path.join(SAMPLES, "slack-events.jsonl"), encoding="utf-8") as f:
            lines = f.readlines()[:20]
        tool = os.path.join(HERE, "send_events.py")

        def run(*args, env=None):
            p = subprocess.run([PY, tool, "--url", url, "--retry-delay-s", "0.05"] + list(args),
                               input="".join(lines), capture_output=True, text=True, timeout=60, env=env)
            return p.returncode, json.loads(p.stdout)

        env = dict(os.environ, SLACK_SIGNING_SECRET=_Collector.secret)
        rc, s = run(env=env)
        assert rc == 0 and s["sent"] == 20 and s["ok"] == 20 and s["failed"] == 0, s
        assert s["status"] == {"200": 20, "503": 10} and s["retries"] == 10, s
        assert _Collector.retry_headers == [("1", "http_error")] * 10, _Collector.retry_headers
        assert len(_Collector.seen) == 20
        for flag in ("--unsigned", "--bad-signature", "--stale"):
            rc, s = run(flag, "--secret", _Collector.secret, "--expect-status", "401")
            assert rc == 0 and s["status"] == {"401": 20} and s["retries"] == 0, (flag, s)
            rc, s = run(flag, "--secret", _Collector.secret)
            assert rc == 1 and s["failed"] == 20, (flag, s)
    finally:
        srv.shutdown()
        srv.server_close()


def main():
    passed = failed = 0
    for fn in TESTS:
        t0 = time.monotonic()
        try:
            fn()
        except Exception as e:  # noqa: BLE001 - report every failure and go on
            failed += 1
            print("FAIL %s: %s" % (fn.__name__, e))
            if not isinstance(e, AssertionError):
                traceback.print_exc()
        else:
            passed += 1
            print("ok   %s (%.2fs)" % (fn.__name__, time.monotonic() - t0))
    print("%d passed, %d failed" % (passed, failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
