#!/usr/bin/python3
"""Validates custom resources against a CRD's OpenAPI v3 schema (vendored
under deploy/k8s/schemas/), strictly: like kubectl's strict field
validation, a field the schema does not name is an error (the API server
would otherwise drop it silently, e.g. a misspelt maxReplicaCount).

    check_crd.py SCHEMA.json KIND FILE.yaml...

Every document of kind KIND in the files is checked; it is an error if
there is none. Prints one line per resource; exit 1 on any failure."""
import json
import sys

import jsonschema
import yaml


def strict(schema):
    """The schema with additionalProperties: false on every object that lists
    its properties and does not ask to keep unknown fields."""
    if isinstance(schema, dict):
        out = {k: strict(v) for k, v in schema.items()}
        if ("properties" in out and "additionalProperties" not in out
                and not out.get("x-kubernetes-preserve-unknown-fields")):
            out["additionalProperties"] = False
        return out
    if isinstance(schema, list):
        return [strict(v) for v in schema]
    return schema


def main(argv):
    if len(argv) < 4:
        print(__doc__, file=sys.stderr)
        return 2
    with open(argv[1]) as f:
        schema = strict(json.load(f))
    validator = jsonschema.Draft7Validator(schema)
    kind, checked, failed = argv[2], 0, 0
    for path in argv[3:]:
        with open(path) as f:
            docs = [d for d in yaml.safe_load_all(f) if d]
        for d in docs:
            if d.get("kind") != kind:
                continue
            checked += 1
            name = "%s %s/%s" % (path, kind, d.get("metadata", {}).get("name"))
            errors = sorted(validator.iter_errors(d), key=lambda e: list(e.path))
            for e in errors:
                print("FAIL %s: %s: %s" % (name, "/".join(map(str, e.path)) or "(root)",
                                           e.message))
            if errors:
                failed += 1
            else:
                print("ok   %s" % name)
    if checked == 0:
        print("FAIL no %s in %s" % (kind, " ".join(argv[3:])))
        return 1
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
