#!/usr/bin/python3
"""Validate dlpfleet records taken off Kafka against schemas/ (JSON Schema 2020-12).

Input (a file, or stdin): one record per line, either kcat's JSON envelope

  kcat -C -b BROKER -t TOPIC -e -q -J | validate_records.py

  {"topic":"dlp.events.v1","partition":0,"offset":5,"tstype":"create","ts":1763900001000,
   "broker":1,"headers":["dlp-stage","inspector",...],"key":"Ev0...","payload":"{...}"}

(kcat 1.7.1: "payload" and "key" are the raw bytes as a JSON string, or null;
"headers" is a FLAT array name, value, name, value... and is absent when the
record has none), or a bare record JSON object per line.

Each payload is validated with jsonschema.Draft202012Validator and a format
checker (date-time is checked as RFC 3339 by this script, whatever optional
packages are installed) against the schema file whose `schema` const matches
the record's `schema` field ("dlp.event/1" -> dlp.event.1.json). With kcat
envelopes it also checks the contracts the schemas cannot see:

  - the key is the record's event_id (events, inspections, alerts);
  - a dead letter carries the headers dlp-stage, dlp-reason, dlp-topic,
    dlp-partition, dlp-offset agreeing with its body, its key equals the
    body's `key`, and original_base64 decodes.

Prints one JSON summary line on stdout:
  {"records":N,"valid":N,"invalid":N,"by_schema":{"dlp.event/1":{"records":..,
   "valid":..,"invalid":..,"duplicates":..}},"errors":[first errors]}
and the first errors, readable, on stderr. Exit 1 if any record is invalid or
a count check fails, 2 on usage errors, else 0.
"""

import argparse
import base64
import binascii
import datetime
import glob
import json
import os
import re
import sys

import jsonschema

HERE = os.path.dirname(os.path.abspath(__file__))
DEFAULT_SCHEMA_DIR = os.path.normpath(os.path.join(HERE, "..", "..", "schemas"))
DEADLETTER_HEADERS = ("dlp-stage", "dlp-reason", "dlp-topic", "dlp-partition", "dlp-offset")

RE_RFC3339 = re.compile(r"^(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$")
RE_URI = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:[^\s]*$")


def is_rfc3339(value):
    if not isinstance(value, str):
        return True  # formats only constrain strings
    m = RE_RFC3339.match(value)
    if not m:
        return False
    y, mo, d, h, mi, s = (int(x) for x in m.groups()[:6])
    try:
        datetime.datetime(y, mo, d, h, mi, min(s, 59))
    except ValueError:
        return False
    return s <= 59 or (s == 60 and mi == 59)  # a leap second ends some minute 59


def format_checker():
    fc = jsonschema.FormatChecker()
    fc.checks("date-time")(is_rfc3339)
    if "uri" not in fc.checkers:
        fc.checks("uri")(lambda v: not isinstance(v, str) or bool(RE_URI.match(v)))
    return fc


def load_validators(schema_dir):
    """Map of record name ("dlp.event/1") -> Draft202012Validator, from every *.json in schema_dir."""
    validators = {}
    fc = format_checker()
    for path in sorted(glob.glob(os.path.join(schema_dir, "*.json"))):
        with open(path, encoding="utf-8") as f:
            schema = json.load(f)
        jsonschema.Draft202012Validator.check_schema(schema)
        name = schema.get("properties", {}).get("schema", {}).get("const")
        if not isinstance(name, str):
            raise ValueError("%s: no properties.schema.const" % path)
        if os.path.basename(path) != name.replace("/", ".") + ".json":
            raise ValueError("%s: file name does not match %s" % (path, name))
        validators[name] = jsonschema.Draft202012Validator(schema, format_checker=fc)
    if not validators:
        raise ValueError("no schemas in %s" % schema_dir)
    return validators


def schema_errors(record, validators):
    """List of readable errors for one decoded record (empty when valid)."""
    if not isinstance(record, dict):
        return ["record is not a JSON object"]
    name = record.get("schema")
    v = validators.get(name)
    if v is None:
        return ["unknown schema %r (known: %s)" % (name, ", ".join(sorted(validators)))]
    out = []
    for e in sorted(v.iter_errors(record), key=lambda e: list(map(str, e.absolute_path))):
        where = "/".join(str(p) for p in e.absolute_path) or "(record)"
        out.append("%s: %s [%s]" % (where, e.message, e.validator))
    return out


def header_pairs(headers):
    """kcat 1.7.1 prints headers as a flat array; later versions may print an object."""
    if headers is None:
        return []
    if isinstance(headers, dict):
        return list(headers.items())
    if isinstance(headers, list):
        return [(headers[i], headers[i + 1] if i + 1 < len(headers) else None)
                for i in range(0, len(headers), 2)]
    return []


def contract_errors(env, record, key_check=True, header_check=True):
    """Checks that need the Kafka envelope: key and dead-letter headers."""
    out = []
    name = record.get("schema")
    if name == "dlp.deadletter/1":
        if key_check and "key" in record and env.get("key") != record.get("key"):
            out.append("key %r differs from the body's key %r" % (env.get("key"), record.get("key")))
        if header_check:
            hdrs = dict(header_pairs(env.get("headers")))
            want = {"dlp-stage": record.get("stage"), "dlp-reason": record.get("reason"),
                    "dlp-topic": record.get("topic"), "dlp-partition": str(record.get("partition")),
                    "dlp-offset": str(record.get("offset"))}
            for h in DEADLETTER_HEADERS:
                if h not in hdrs:
                    out.append("header %s missing" % h)
                elif hdrs[h] != want[h]:
                    out.append("header %s=%r differs from the body (%r)" % (h, hdrs[h], want[h]))
        try:
            base64.b64decode(record.get("original_base64", ""), validate=True)
        except (binascii.Error, ValueError, TypeError) as e:
            out.append("original_base64 does not decode: %s" % e)
    elif key_check and "event_id" in record:
        if env.get("key") != record.get("event_id"):
            out.append("key %r is not the event_id %r" % (env.get("key"), record.get("event_id")))
    return out


def read_lines(path):
    f = sys.stdin.buffer if path in (None, "-") else open(path, "rb")
    try:
        for n, raw in enumerate(f, 1):
            line = raw.decode("utf-8", "surrogateescape").strip()
            if line:
                yield n, line
    finally:
        if f is not sys.stdin.buffer:
            f.close()


def is_kcat_envelope(obj):
    return isinstance(obj, dict) and "payload" in obj and "topic" in obj and "offset" in obj


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter, epilog=__doc__)
    ap.add_argument("file", nargs="?", help="input (default stdin)")
    ap.add_argument("--schema-dir", default=DEFAULT_SCHEMA_DIR, help="default: %(default)s")
    ap.add_argument("--expect-count", type=int, help="fail unless exactly N records were read")
    ap.add_argument("--min-count", type=int, help="fail unless at least N records were read")
    ap.add_argument("--expect-schema", action="append", default=[],
                    help="fail on a record of any other schema (repeatable), e.g. dlp.inspection/1")
    ap.add_argument("--dump", metavar="FILE", help="write every decoded payload here, one JSON per line")
    ap.add_argument("--max-errors", type=int, default=20, help="errors to report (default 20)")
    ap.add_argument("--no-key-check", action="store_true", help="do not check record keys")
    ap.add_argument("--no-header-check", action="store_true", help="do not check dead-letter headers")
    args = ap.parse_args()

    try:
        validators = load_validators(args.schema_dir)
    except (OSError, ValueError, jsonschema.SchemaError) as e:
        print("validate_records: %s" % e, file=sys.stderr)
        return 2
    unknown = [s for s in args.expect_schema if s not in validators]
    if unknown:
        ap.error("unknown --expect-schema %s" % ", ".join(unknown))

    dump = open(args.dump, "w", encoding="utf-8", errors="surrogateescape") if args.dump else None
    total = valid = invalid = 0
    by_schema = {}
    seen = {}
    errors = []

    for lineno, line in read_lines(args.file):
        total += 1
        where = "line %d" % lineno
        problems = []
        record = None
        env = None
        try:
            obj = json.loads(line)
        except ValueError as e:
            obj = None
            problems.append("line is not JSON: %s" % e)
        if obj is not None and is_kcat_envelope(obj):
            env = obj
            where = "%s[%s]@%s" % (env.get("topic"), env.get("partition"), env.get("offset"))
            payload = env.get("payload")
            if payload is None:
                problems.append("null payload (tombstone)")
            elif isinstance(payload, str):
                try:
                    record = json.loads(payload)
                except ValueError as e:
                    problems.append("payload is not JSON: %s" % e)
            else:
                record = payload  # already decoded (kcat with a JSON deserializer)
        elif obj is not None:
            record = obj

        name = record.get("schema") if isinstance(record, dict) else None
        name = name if isinstance(name, str) else "(none)"
        if record is not None:
            if dump:
                dump.write(json.dumps(record, ensure_ascii=False, separators=(",", ":")) + "\n")
            problems += schema_errors(record, validators)
            if env is not None and isinstance(record, dict):
                problems += contract_errors(env, record, not args.no_key_check, not args.no_header_check)
            if args.expect_schema and name not in args.expect_schema:
                problems.append("schema %s is not one of %s" % (name, ", ".join(args.expect_schema)))

        s = by_schema.setdefault(name, {"records": 0, "valid": 0, "invalid": 0, "duplicates": 0})
        s["records"] += 1
        if isinstance(record, dict):
            ident = record.get("event_id")
            if name == "dlp.deadletter/1":
                ident = (record.get("topic"), record.get("partition"), record.get("offset"))
            if ident is not None:
                k = (name, json.dumps(ident))
                if k in seen:
                    s["duplicates"] += 1
                seen[k] = True
        if problems:
            invalid += 1
            s["invalid"] += 1
            eid = record.get("event_id") if isinstance(record, dict) else None
            for p in problems:
                if len(errors) < args.max_errors:
                    errors.append("%s%s: %s" % (where, " (%s)" % eid if eid else "", p))
        else:
            valid += 1
            s["valid"] += 1
    if dump:
        dump.close()

    count_problems = []
    if args.expect_count is not None and total != args.expect_count:
        count_problems.append("expected %d records, read %d" % (args.expect_count, total))
    if args.min_count is not None and total < args.min_count:
        count_problems.append("expected at least %d records, read %d" % (args.min_count, total))

    summary = {"records": total, "valid": valid, "invalid": invalid,
               "by_schema": dict(sorted(by_schema.items())), "errors": errors + count_problems}
    print(json.dumps(summary, ensure_ascii=False))
    for e in errors + count_problems:
        print("validate_records: " + e, file=sys.stderr)
    if invalid > len(errors) and errors:
        print("validate_records: ... and more (%d invalid records)" % invalid, file=sys.stderr)
    return 1 if invalid or count_problems else 0


if __name__ == "__main__":
    sys.exit(main())
