#!/usr/bin/python3
"""Checks that every environment variable the deployment files give a
dlpfleet binary is a setting that binary accepts (its --help-markdown
table), or a KAFKA_* librdkafka property, so docs, compose file and code
cannot drift apart. Usage: check_deploy_env.py BIN_DIR docker-compose.yml"""
import re
import subprocess
import sys

import yaml


def settings(bin_dir, binary, cache={}):
    if binary not in cache:
        out = subprocess.run([bin_dir + "/" + binary, "--help-markdown"],
                             capture_output=True, text=True, check=True).stdout
        cache[binary] = set(re.findall(r"^\| `([A-Z0-9_]+)`", out, re.M))
    return cache[binary]


def main():
    bin_dir, compose = sys.argv[1:3]
    doc = yaml.safe_load(open(compose))
    checked, bad = 0, []
    for name, svc in doc["services"].items():
        cmd = svc.get("command") or []
        if isinstance(cmd, str):
            cmd = cmd.split()
        binary = cmd[0] if cmd else None
        if binary not in ("dlp-collector", "dlp-inspector", "dlp-reporter",
                          "dlp-devbroker", "dlp-sim", "slack-sim"):
            continue
        known = settings(bin_dir, binary)
        for var in (svc.get("environment") or {}):
            checked += 1
            base = var[:-5] if var.endswith("_FILE") else var
            if var.startswith("KAFKA_") or var in known or base in known:
                print("ok     %s: %s" % (name, var))
            else:
                bad.append("%s: %s is not a setting of %s" % (name, var, binary))
                print("FAILED " + bad[-1])
    print("%d passed, %d failed" % (checked - len(bad), len(bad)))
    return 1 if bad or checked == 0 else 0


if __name__ == "__main__":
    sys.exit(main())
