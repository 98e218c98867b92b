#!/usr/bin/python3
"""Replay Slack Events API envelopes to a collector the way Slack delivers them.

Reads one JSON envelope per line (a file, or stdin with "-" or no file) and
POSTs each line, byte for byte, as the request body with Slack's v0 signature:

  X-Slack-Request-Timestamp: <unix seconds>
  X-Slack-Signature: v0=<hex HMAC-SHA256(secret, "v0:" + timestamp + ":" + body)>

Like Slack, it waits 3 s for an answer and retries a delivery that timed out,
failed to connect, or got a 5xx (or 429) up to 3 times, re-signed, with
X-Slack-Retry-Num: 1..3 and X-Slack-Retry-Reason (http_timeout,
connection_failed or http_error); an answer carrying X-Slack-No-Retry: 1 stops
the retries. A 4xx is final. Prints one JSON summary on stdout:

  {"sent": events read, "ok": events answered 2xx, "status": {"200": n, "503": n,
   "timeout": n, "connection_failed": n}, "retries": n, "failed": events,
   "unsent": events, "elapsed_s": s}

"status" counts every attempt. Exit status 0 when every event finally got a
2xx (or, with --expect-status, exactly that status), else 1; 2 on usage
errors.

Deliberately bad requests for tests, each sending exactly what it says:
  --unsigned        no X-Slack-Signature and no X-Slack-Request-Timestamp
  --bad-signature   current timestamp, signature made with a different secret
  --stale           correct signature over a timestamp 600 s in the past
"""

import argparse
import hashlib
import hmac
import http.client
import json
import os
import socket
import sys
import threading
import time
import urllib.parse
from concurrent.futures import ThreadPoolExecutor

SLACK_TIMEOUT_S = 3.0
MAX_RETRIES = 3
STALE_AGE_S = 600


def slack_signature(secret, timestamp, body):
    """v0=<hex HMAC-SHA256> over "v0:<timestamp>:<body>"; body is bytes."""
    base = b"v0:" + str(timestamp).encode() + b":" + body
    return "v0=" + hmac.new(secret.encode(), base, hashlib.sha256).hexdigest()


class Sender:
    def __init__(self, args, secret):
        self.record = None  # list of final statuses with --record
        self.args = args
        self.secret = secret
        u = urllib.parse.urlsplit(args.url)
        if u.scheme not in ("http", "https") or not u.hostname:
            raise SystemExit("send_events: bad --url %r" % args.url)
        self.scheme, self.host, self.port = u.scheme, u.hostname, u.port
        self.path = (u.path or "/") + ("?" + u.query if u.query else "")
        self.deadline = time.monotonic() + args.timeout_s
        self.local = threading.local()
        self.lock = threading.Lock()
        self.status = {}
        self.retries = 0
        self.ok = 0
        self.failed = 0
        self.unsent = 0
        self.matched = 0

    def count(self, key):
        with self.lock:
            self.status[key] = self.status.get(key, 0) + 1

    def conn(self, timeout):
        c = getattr(self.local, "conn", None)
        if c is None:
            cls = http.client.HTTPSConnection if self.scheme == "https" else http.client.HTTPConnection
            c = cls(self.host, self.port, timeout=timeout)
            self.local.conn = c
        c.timeout = timeout
        if c.sock is not None:
            c.sock.settimeout(timeout)
        return c

    def drop_conn(self):
        c = getattr(self.local, "conn", None)
        if c is not None:
            c.close()
        self.local.conn = None

    def headers(self, body, retry_num, retry_reason):
        h = {"Content-Type": "application/json", "User-Agent": "Slackbot 1.0 (+https://api.slack.com/robots)"}
        now = int(time.time())
        if self.args.unsigned:
            pass
        elif self.args.bad_signature:
            h["X-Slack-Request-Timestamp"] = str(now)
            h["X-Slack-Signature"] = slack_signature(self.secret + "-wrong", now, body)
        elif self.args.stale:
            ts = now - STALE_AGE_S
            h["X-Slack-Request-Timestamp"] = str(ts)
            h["X-Slack-Signature"] = slack_signature(self.secret, ts, body)
        else:
            h["X-Slack-Request-Timestamp"] = str(now)
            h["X-Slack-Signature"] = slack_signature(self.secret, now, body)
        if retry_num:
            h["X-Slack-Retry-Num"] = str(retry_num)
            h["X-Slack-Retry-Reason"] = retry_reason
        return h

    def attempt(self, body, retry_num, retry_reason):
        """One POST. Returns (status int or None, retry reason or None, no_retry flag)."""
        remaining = self.deadline - time.monotonic()
        if remaining <= 0:
            return None, "deadline", True
        timeout = min(SLACK_TIMEOUT_S, remaining)
        try:
            reused = getattr(self.local, "conn", None) is not None and self.local.conn.sock is not None
            try:
                c = self.conn(timeout)
                c.request("POST", self.path, body=body, headers=self.headers(body, retry_num, retry_reason))
                resp = c.getresponse()
            except (http.client.RemoteDisconnected, BrokenPipeError, ConnectionResetError):
                if not reused:
                    raise
                # The server closed an idle keep-alive connection: not a delivery failure.
                self.drop_conn()
                c = self.conn(timeout)
                c.request("POST", self.path, body=body, headers=self.headers(body, retry_num, retry_reason))
                resp = c.getresponse()
            resp.read()
            no_retry = resp.getheader("X-Slack-No-Retry") == "1"
            if resp.getheader("Connection", "").lower() == "close":
                self.drop_conn()
        except (socket.timeout, TimeoutError):
            self.drop_conn()
            self.count("timeout")
            return None, "http_timeout", False
        except (ConnectionError, http.client.HTTPException, OSError):
            self.drop_conn()
            self.count("connection_failed")
            return None, "connection_failed", False
        self.count(str(resp.status))
        if resp.status >= 500 or resp.status == 429:
            return resp.status, "http_error", no_retry
        return resp.status, None, True

    def send(self, body):
        if time.monotonic() >= self.deadline:
            with self.lock:
                self.unsent += 1
            return
        reason = None
        final = None
        for retry_num in range(0, self.args.retries + 1):
            if retry_num:
                with self.lock:
                    self.retries += 1
                delay = self.args.retry_delay_s * (2 ** (retry_num - 1))
                if time.monotonic() + delay >= self.deadline:
                    break
                time.sleep(delay)
            status, reason, stop = self.attempt(body, retry_num, reason)
            final = status
            if stop or reason is None:
                break
        with self.lock:
            if self.record is not None:
                try:
                    eid = json.loads(body).get("event_id")
                except ValueError:
                    eid = None
                self.record.append({"event_id": eid, "status": final})
            if final is not None and 200 <= final < 300:
                self.ok += 1
            else:
                self.failed += 1
            if self.args.expect_status is not None and final == self.args.expect_status:
                self.matched += 1


def read_bodies(path):
    f = sys.stdin.buffer if path in (None, "-") else open(path, "rb")
    try:
        for raw in f:
            body = raw.rstrip(b"\r\n")
            if body.strip():
                yield body
    finally:
        if f is not sys.stdin.buffer:
            f.close()


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter, epilog=__doc__)
    ap.add_argument("file", nargs="?", help="JSONL of envelopes (default stdin)")
    ap.add_argument("--url", default="http://127.0.0.1:3000/slack/events")
    ap.add_argument("--secret", help="signing secret (default: env SLACK_SIGNING_SECRET)")
    ap.add_argument("--concurrency", type=int, default=8, help="parallel senders (default 8)")
    ap.add_argument("--timeout-s", type=float, default=120.0, help="total time limit (default 120)")
    ap.add_argument("--retry-delay-s", type=float, default=0.5,
                    help="pause before retry 1, doubled for each further retry (default 0.5; Slack waits minutes)")
    ap.add_argument("--expect-status", type=int,
                    help="succeed iff every event's final answer has this status (e.g. 401)")
    bad = ap.add_mutually_exclusive_group()
    bad.add_argument("--unsigned", action="store_true", help="send no signature headers")
    bad.add_argument("--bad-signature", action="store_true", help="sign with a wrong secret")
    bad.add_argument("--stale", action="store_true", help="sign a timestamp %d s old" % STALE_AGE_S)
    ap.add_argument("--retries", type=int, default=MAX_RETRIES,
                    help="retries after a 5xx, 429 or timeout (default %d, as Slack)" % MAX_RETRIES)
    ap.add_argument("--record", metavar="FILE",
                    help="write each event's final status here, one JSON per line")
    args = ap.parse_args()

    secret = args.secret if args.secret is not None else os.environ.get("SLACK_SIGNING_SECRET")
    if not secret and not args.unsigned:
        ap.error("no signing secret: use --secret or set SLACK_SIGNING_SECRET")
    if args.concurrency < 1:
        ap.error("--concurrency must be >= 1")

    start = time.monotonic()
    sender = Sender(args, secret or "")
    sender.record = [] if args.record else None
    sent = 0
    with ThreadPoolExecutor(max_workers=args.concurrency) as pool:
        futures = []
        for body in read_bodies(args.file):
            sent += 1
            futures.append(pool.submit(sender.send, body))
        for fu in futures:
            fu.result()

    summary = {
        "sent": sent, "ok": sender.ok,
        "status": dict(sorted(sender.status.items())),
        "retries": sender.retries, "failed": sender.failed, "unsent": sender.unsent,
        "elapsed_s": round(time.monotonic() - start, 3),
    }
    if args.expect_status is not None:
        summary["expected_status"] = args.expect_status
        summary["matched"] = sender.matched
        good = sender.matched == sent and sent > 0
    else:
        good = sender.failed == 0 and sender.unsent == 0
    if args.record:
        with open(args.record, "w") as f:
            for r in sender.record:
                f.write(json.dumps(r) + "\n")
    print(json.dumps(summary))
    return 0 if good else 1


if __name__ == "__main__":
    sys.exit(main())
