#!/usr/bin/python3
"""Turns docker-compose.yml into local process launches: for each service
running a dlpfleet binary, one line per replica with its name, command and
environment, exactly as composed except for what only exists inside
Docker's network: service hostnames and listen addresses (mapped to
loopback ports), the broker address, topic names (given a run suffix so
runs do not share topics) and the image's sample path.

    compose_plan.py docker-compose.yml BOOTSTRAP SUFFIX SAMPLE PORTS...

PORTS: free loopback ports for the services that listen (dlp-sim,
slack-sim, collector, then one admin port per replica). Prints JSON lines:
{"name", "cmd": [...], "env": {...}}; with --shell, lines of
`NAME VAR=VALUE... -- CMD...`, shell-quoted, for scripts/lib/fleet.sh."""
import json
import re
import shlex
import sys

import yaml

BINARIES = ("dlp-collector", "dlp-inspector", "dlp-reporter", "dlp-sim", "slack-sim")


def main():
    args = sys.argv[1:]
    shell = args[0] == "--shell"
    if shell:
        args = args[1:]
    compose, bootstrap, suffix, sample = args[:4]
    ports = iter(args[4:])
    doc = yaml.safe_load(open(compose))
    services = doc["services"]
    # where each listening service is, inside compose and here
    hosts = {}
    for name, svc in services.items():
        for key, val in (svc.get("environment") or {}).items():
            if key.endswith("LISTEN_ADDR"):
                hosts[name] = (val.split(":")[1], next(ports))
    for name, svc in services.items():
        cmd = svc.get("command") or []
        cmd = cmd.split() if isinstance(cmd, str) else list(cmd)
        if not cmd or cmd[0] not in BINARIES:
            continue
        replicas = (svc.get("deploy") or {}).get("replicas", 1)
        for r in range(replicas):
            env = {}
            for key, val in (svc.get("environment") or {}).items():
                val = str(val)
                if key == "KAFKA_BOOTSTRAP_SERVERS":
                    val = bootstrap
                elif key.startswith("DLP_TOPIC_"):
                    val = val + "." + suffix
                elif key.endswith("LISTEN_ADDR"):
                    val = "127.0.0.1:" + hosts[name][1]
                else:  # http://dlp-sim:8470 -> http://127.0.0.1:PORT
                    for host, (inner, outer) in hosts.items():
                        val = re.sub(r"\b%s:%s\b" % (re.escape(host), inner),
                                     "127.0.0.1:" + outer, val)
                env[key] = val
            if cmd[0] in ("dlp-collector", "dlp-inspector", "dlp-reporter"):
                # the image's ENV DLP_ADMIN_ADDR, one port per replica here
                env["DLP_ADMIN_ADDR"] = "127.0.0.1:" + next(ports)
                if name in ("inspector", "reporter"):  # groups per run
                    env["DLP_GROUP_ID" if name == "inspector" else
                        "DLP_REPORTER_GROUP_ID"] = "dlp-%s-%s" % (name, suffix)
            argv = [a.replace("/usr/local/share/dlpfleet/samples/slack-events.jsonl", sample)
                    for a in cmd]
            pname = "%s-%d" % (name, r + 1) if replicas > 1 else name
            if shell:
                print(" ".join([shlex.quote(pname)] +
                               [shlex.quote("%s=%s" % kv) for kv in env.items()] +
                               ["--"] + [shlex.quote(a) for a in argv]))
            else:
                print(json.dumps({"name": pname, "cmd": argv, "env": env}))


if __name__ == "__main__":
    main()
