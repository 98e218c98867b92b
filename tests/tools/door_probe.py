#!/usr/bin/python3
"""Attack the collector's front door over loopback and see whether Slack
still gets through (tests/e2e/45-door.sh asserts on it; bench/door.sh
prints its figures).

Opens COUNT attacking connections, keeps that many going for --hold-s
seconds (a connection the server closes is opened again after --reopen-s),
and meanwhile sends the signed envelopes of --events (JSONL, one request
each, from 127.0.0.1, one after another on a thread of their own, after
--settle-s). Attacks:

  idle          connect, send nothing
  slow-headers  a request line, then one header byte every --drip-s
  body          POST headers with Content-Length --body-bytes, then the
                body (all at once, or --drip-bytes every --drip-s), read
                the answer, start over; signed per --sign:
                  none    no signature headers (what a stranger sends)
                  forged  a fresh timestamp and a well-formed signature
                          made with another secret (passes the header check)

Attack connections come from --sources loopback addresses (127.1.x.y),
spread evenly, so the per-client limit can be tested or stepped around.
Prints one JSON object: the attack's counts (connected, opened again,
closed by the server, answers by status, open at the end), the signed
events' statuses and latencies, and with --pid the server's peak RSS
(sampled every 50 ms) and its file descriptors at the end.
"""

import argparse
import asyncio
import hashlib
import hmac
import json
import resource
import socket
import sys
import time
from collections import Counter


def signature(secret, ts, body):
    base = b"v0:" + str(ts).encode() + b":" + body
    return "v0=" + hmac.new(secret.encode(), base, hashlib.sha256).hexdigest()


def source(i, n):
    k = i % n
    return "127.1.%d.%d" % (k // 250, k % 250 + 1)


class Probe:
    def __init__(self, a):
        self.a = a
        self.host, port = a.addr.rsplit(":", 1)
        self.port = int(port)
        self.stop = False
        self.connected = 0
        self.reopened = 0
        self.closed_by_server = 0
        self.connect_failed = 0
        self.open_now = 0
        self.answers = Counter()
        self.peak_rss_kib = 0

    def attack_request(self):
        a = self.a
        path = "POST /slack/events HTTP/1.1\r\nHost: collector\r\n"
        if a.mode == "slow-headers":
            return path.encode(), b"X-Padding: " + b"a" * 4000 + b"\r\n"
        head = path + "Content-Type: application/json\r\n"
        body = (b'{"pad":"' + b"x" * max(0, a.body_bytes - 10) + b'"}')[: a.body_bytes]
        if a.sign == "forged":
            ts = int(time.time())
            head += "X-Slack-Request-Timestamp: %d\r\n" % ts
            head += "X-Slack-Signature: %s\r\n" % signature("not-the-secret", ts, body)
        head += "Content-Length: %d\r\n\r\n" % len(body)
        return head.encode(), body

    async def one_attacker(self, i):
        a = self.a
        first = True
        while not self.stop:
            if not first:
                self.reopened += 1
                await asyncio.sleep(a.reopen_s)
                if self.stop:
                    return
            first = False
            try:
                r, w = await asyncio.wait_for(
                    asyncio.open_connection(self.host, self.port,
                                            local_addr=(source(i, a.sources), 0)),
                    5)
            except (OSError, asyncio.TimeoutError):
                self.connect_failed += 1
                continue
            self.connected += 1
            self.open_now += 1
            try:
                await self.run_attack(r, w)
            except (OSError, asyncio.IncompleteReadError):
                self.closed_by_server += 1
            finally:
                self.open_now -= 1
                w.close()

    async def run_attack(self, r, w):
        a = self.a
        if a.mode == "idle":
            data = await r.read(1)  # returns b"" when the server closes
            if not self.stop:
                self.closed_by_server += 1
            return
        while not self.stop:
            head, rest = self.attack_request()
            drip = max(1, a.drip_bytes) if a.mode == "slow-headers" else a.drip_bytes
            reader = asyncio.ensure_future(r.read(4096))
            sent = 0
            try:
                w.write(head)
                await w.drain()
                while sent < len(rest) and not reader.done() and not self.stop:
                    n = len(rest) - sent if drip == 0 else drip
                    w.write(rest[sent:sent + n])
                    await w.drain()
                    sent += n
                    if drip:
                        await asyncio.wait([reader], timeout=a.drip_s)
            except OSError:
                pass  # the server answered early and closed: read that
            if self.stop:
                reader.cancel()
                return
            try:
                data = await reader
            except OSError:
                data = b""
            if not data:
                self.closed_by_server += 1
                return
            status = data.split(b" ", 2)[1].decode() if data.startswith(b"HTTP/") else "?"
            self.answers[status] += 1
            if b"Connection: close" in data or a.mode != "body":
                await r.read()  # until the server closes
                return

    def signed(self, line):
        """One signed event on its own connection, with blocking sockets on
        the sender's own thread: the attackers' event loop never delays
        it, so its latency is the server's."""
        a = self.a
        body = line.encode()
        ts = int(time.time())
        req = ("POST /slack/events HTTP/1.1\r\nHost: collector\r\n"
               "Content-Type: application/json\r\nConnection: close\r\n"
               "X-Slack-Request-Timestamp: %d\r\nX-Slack-Signature: %s\r\n"
               "Content-Length: %d\r\n\r\n" % (ts, signature(a.secret, ts, body), len(body)))
        t0 = time.monotonic()
        try:
            with socket.create_connection((self.host, self.port), timeout=a.signed_timeout_s,
                                          source_address=("127.0.0.1", 0)) as c:
                c.sendall(req.encode() + body)
                data = c.recv(4096)
            status = data.split(b" ", 2)[1].decode() if data.startswith(b"HTTP/") else "closed"
        except socket.timeout:
            status = "timeout"
        except OSError:
            status = "connection_failed"
        return status, time.monotonic() - t0

    async def sample_rss(self):
        while not self.stop:
            try:
                for l in open("/proc/%d/status" % self.a.pid):
                    if l.startswith("VmRSS:"):
                        self.peak_rss_kib = max(self.peak_rss_kib, int(l.split()[1]))
            except OSError:
                return
            await asyncio.sleep(0.05)

    async def run(self):
        a = self.a
        events = [l.strip() for l in open(a.events) if l.strip()] if a.events else []
        tasks = [asyncio.ensure_future(self.one_attacker(i)) for i in range(a.count)]
        if a.pid:
            tasks.append(asyncio.ensure_future(self.sample_rss()))
        t0 = time.monotonic()
        await asyncio.sleep(a.settle_s)
        attack_open = self.open_now
        results = await asyncio.get_running_loop().run_in_executor(
            None, lambda: [self.signed(line) for line in events])
        rest = a.hold_s - (time.monotonic() - t0)
        if rest > 0:
            await asyncio.sleep(rest)
        fds = None
        if a.pid:
            try:
                import os
                fds = len(os.listdir("/proc/%d/fd" % a.pid))
            except OSError:
                pass
        open_at_end = self.open_now
        self.stop = True
        await asyncio.sleep(0.2)
        for t in tasks:
            t.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        lat = sorted(t for s, t in results if s == "200")
        out = {
            "mode": a.mode, "sign": a.sign if a.mode == "body" else None,
            "count": a.count, "sources": a.sources,
            "attack": {"connected": self.connected, "reopened": self.reopened,
                       "connect_failed": self.connect_failed,
                       "closed_by_server": self.closed_by_server,
                       "answers": dict(self.answers),
                       "open_when_signed_began": attack_open,
                       "open_at_end": open_at_end},
            "signed": {"sent": len(results),
                       "status": dict(Counter(s for s, _ in results)),
                       "max_s": round(max((t for _, t in results), default=0), 3),
                       "p50_s": round(lat[len(lat) // 2], 3) if lat else None},
        }
        if a.pid:
            out["server"] = {"peak_rss_mib": round(self.peak_rss_kib / 1024, 1), "fds_at_end": fds}
        return out


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--addr", required=True, help="host:port of the collector")
    p.add_argument("--mode", choices=["idle", "slow-headers", "body"], required=True)
    p.add_argument("--count", type=int, required=True)
    p.add_argument("--sources", type=int, default=1, help="attacking addresses")
    p.add_argument("--sign", choices=["none", "forged"], default="none")
    p.add_argument("--body-bytes", type=int, default=1 << 20)
    p.add_argument("--drip-bytes", type=int, default=0, help="0: the body at once")
    p.add_argument("--drip-s", type=float, default=0.5)
    p.add_argument("--reopen-s", type=float, default=0.5)
    p.add_argument("--settle-s", type=float, default=3)
    p.add_argument("--hold-s", type=float, default=10)
    p.add_argument("--events", help="JSONL envelopes to send signed meanwhile")
    p.add_argument("--secret", default="")
    p.add_argument("--signed-timeout-s", type=float, default=3)
    p.add_argument("--pid", type=int, help="the server's pid: peak RSS, fds")
    a = p.parse_args()
    # our own descriptors: count + a margin
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    need = a.count + 256
    if soft < need:
        if hard != resource.RLIM_INFINITY and hard < need:
            sys.exit("door_probe: %d connections need ulimit -n >= %d (hard limit %d)"
                     % (a.count, need, hard))
        resource.setrlimit(resource.RLIMIT_NOFILE, (need, hard))
    print(json.dumps(asyncio.run(Probe(a).run())))


if __name__ == "__main__":
    main()
