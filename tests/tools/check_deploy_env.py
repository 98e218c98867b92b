#!/usr/bin/python3
"""Checks that every environment variable the deployment files give a
dlpfleet binary is a setting that binary accepts (its --help-markdown
table, NAME or NAME_FILE), or a KAFKA_* librdkafka property, so the
compose file, the Kubernetes manifests and the code cannot drift apart.

    check_deploy_env.py BIN_DIR FILE.yml...

docker-compose files: services' command and environment. Kubernetes
manifests: Deployments' container command, env, and the keys of the
ConfigMaps they take with envFrom."""
import re
import subprocess
import sys

import yaml

BINARIES = ("dlp-collector", "dlp-inspector", "dlp-reporter", "dlp-devbroker",
            "dlp-sim", "slack-sim")


def settings(bin_dir, binary, cache={}):
    if binary not in cache:
        out = subprocess.run([bin_dir + "/" + binary, "--help-markdown"],
                             capture_output=True, text=True, check=True).stdout
        cache[binary] = set(re.findall(r"^\| `([A-Z0-9_]+)`", out, re.M))
    return cache[binary]


def uses(docs):
    """(where, binary, [variable names]) for every binary a file runs."""
    configmaps = {d["metadata"]["name"]: list((d.get("data") or {}).keys())
                  for d in docs if d and d.get("kind") == "ConfigMap"}
    for d in docs:
        if not d:
            continue
        if "services" in d:  # docker-compose
            for name, svc in d["services"].items():
                cmd = svc.get("command") or []
                cmd = cmd.split() if isinstance(cmd, str) else cmd
                if cmd and cmd[0] in BINARIES:
                    yield name, cmd[0], list((svc.get("environment") or {}).keys())
        elif d.get("kind") == "Deployment":
            for c in d["spec"]["template"]["spec"]["containers"]:
                cmd = c.get("command") or []
                if not cmd or cmd[0] not in BINARIES:
                    continue
                names = [e["name"] for e in c.get("env") or []]
                for src in c.get("envFrom") or []:
                    ref = (src.get("configMapRef") or {}).get("name")
                    names += configmaps.get(ref, [])
                yield d["metadata"]["name"], cmd[0], names


def main():
    bin_dir, files = sys.argv[1], sys.argv[2:]
    docs = [d for f in files for d in yaml.safe_load_all(open(f))]
    checked, bad = 0, []
    for where, binary, names in uses(docs):
        known = settings(bin_dir, binary)
        for var in names:
            checked += 1
            base = var[:-5] if var.endswith("_FILE") else var
            if var.startswith("KAFKA_") or var in known or base in known:
                print("ok     %s: %s" % (where, var))
            else:
                bad.append("%s: %s is not a setting of %s" % (where, var, binary))
                print("FAILED " + bad[-1])
    print("%d passed, %d failed" % (checked - len(bad), len(bad)))
    return 1 if bad or checked == 0 else 0


if __name__ == "__main__":
    sys.exit(main())
