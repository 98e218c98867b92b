#!/usr/bin/python3
"""Deterministic generator of the sample Slack Events API stream.

Writes, beside this script (or into --out-dir):

  slack-events.jsonl          one Events API envelope per line, byte for byte
                              as Slack sends it (compact JSON, "\\/" and
                              "\\uXXXX" escapes, as Slack's encoder does)
  slack-events.expected.json  per event_id: inspectable or not, kind, the
                              info types a detector must report, and the
                              planted (fake) values with their UTF-8 byte
                              offsets in the text that is inspected

About 20 % of the inspectable messages carry planted fake values: test card
numbers (Luhn-valid test PANs), US SSNs, e-mail addresses, AWS access key
ids and Slack tokens. The clean messages are full of numbers that must NOT
match (order numbers failing Luhn, phones, versions, dates, IPs).

Inspectable = event.type "message" with no subtype or one of thread_broadcast,
file_share, message_changed, bot_message, me_message. For message_changed
the inspected text is the NEW one, event.message.text; previous_message is
never inspected, nor is a message_deleted or any non-message event.

  gen_events.py              regenerate the two files
  gen_events.py --check      regenerate in memory, compare with the files on
                             disk, and check the invariants (unique ids,
                             Luhn, expected findings == reference detector)
"""

import argparse
import base64
import json
import os
import random
import re
import sys
import uuid

SEED = 20251123
BASE_TIME = 1763900000
MIN_EVENTS = 220

TEAM = "T07NWD3FLT2"
APP = "A07DLPF1EET"
BOT_USER = "U07DLPB0T01"
VERIFICATION_TOKEN = "Jhj5dZrVaK7ZwHHjRyZWjbDl"

INFO_TYPES = ["CREDIT_CARD_NUMBER", "US_SOCIAL_SECURITY_NUMBER", "EMAIL_ADDRESS",
              "AWS_CREDENTIALS", "SLACK_TOKEN"]
CC, SSN, EMAIL, AWS, SLACK = INFO_TYPES

INSPECTABLE_SUBTYPES = {None, "thread_broadcast", "file_share", "message_changed",
                        "bot_message", "me_message"}

USERS = [
    ("U07A3KZ9QHM", "maya"), ("U07A5JX2LPD", "jonas"), ("U07B1QW8RTE", "priya"),
    ("U07B7MN4CVA", "tomasz"), ("U07C2HS6YKB", "aiko"), ("U07C9DF3ZWN", "li.wei"),
    ("U07D4RT7GXQ", "sam"), ("U07D8PL1JMC", "fatima"), ("U07E3VB5NHT", "diego"),
    ("U07E6KC9QRS", "olu"), ("U07F2WZ8TDL", "hannah"), ("U07F7YG4BPX", "ravi"),
]
# (id, name, channel_type as Slack sends it on message events)
CHANNELS = [
    ("C07B9M2KQ4D", "deploys", "channel"), ("C07B9N8XRT2", "incidents", "channel"),
    ("C024BE91L", "general", "channel"), ("C07C1PLQ8ZW", "random", "channel"),
    ("C07CK3J6HFA", "eng-backend", "channel"), ("C07D2W5TN9E", "lunch", "channel"),
    ("C07DQ7RZ1MB", "pr-reviews", "channel"), ("C07E4YV8S3K", "support-escalations", "channel"),
    ("G07F2H9LQ1X", "finance-private", "group"), ("D07G8A3MZ2P", "", "im"),
    ("G07H5TN2WQR", "mpdm-maya--jonas--priya-1", "mpim"),
]
BOTS = {
    "ci-bot": ("B07JNK1NS01", "A07CIB0T2QX"),
    "pagerduty": ("B07PGD7TY2R", "A07PGDAPP3Z"),
    "github": ("B07GHB3KZ9M", "A07GHUBAPP4"),
    "statuspage": ("B07STP4GE5W", "A07STATUS5K"),
}

SERVICES = ["checkout-api", "billing-worker", "search-indexer", "auth-gateway",
            "notifications", "ledger", "web-frontend", "ingest-pipeline"]
EMOJI = [":rocket:", ":tada:", ":eyes:", ":white_check_mark:", ":fire:", ":coffee:",
         ":pray:", ":sweat_smile:", ":+1:", ":100:", ":thinking_face:", ":raised_hands:"]
PLACES = ["the ramen place on 3rd", "Tacos El Gordo", "the food trucks", "Pho Saigon",
          "the salad bar downstairs", "Bella Napoli"]
FOODS = ["dumplings", "burritos", "sushi", "falafel", "pizza", "banh mi"]
WORDS = ["retry", "ledger", "invoice", "session", "cache", "webhook", "refund", "token_refresh"]
VENDORS = ["stripe", "twilio", "sendgrid", "cloudflare"]
HOSTS = ["db-primary-2", "kafka-3", "worker-17", "search-es-5"]

# Test PANs published by card networks and payment processors for testing.
TEST_PANS = ["4111111111111111", "5555555555554444", "378282246310005", "4012888888881881",
             "5105105105105100", "6011111111111117", "4242424242424242", "371449635398431",
             "3530111333300000", "5200828282828210", "4000056655665556", "2223003122003222"]
EMAIL_DOMAINS = ["northwind.io", "gmail.com", "acme-supplies.com", "contoso.co.uk"]
FIRST = ["alice", "bob", "carmen", "dmitri", "erin", "farah", "gus", "hiro", "ines", "jamal"]
LAST = ["nguyen", "okafor", "schmidt", "rossi", "tanaka", "silva", "kowalski", "haddad"]
B32 = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"
ALNUM = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
UPPER_ALNUM = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"


# ---------------------------------------------------------------------------
# Reference detector: what "a simple detector" finds. The generator uses it
# to prove that clean texts have nothing and planted texts exactly the
# planted values; expected.json's offsets come from it.

RE_DIGIT_RUN = re.compile(r"(?<!\d)\d(?:[ -]?\d)*")
RE_SSN = re.compile(r"(?<![\d-])(\d{3})-(\d{2})-(\d{4})(?![\d-])")
RE_EMAIL = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}")
RE_AWS = re.compile(r"(?<![A-Z0-9])AKIA[0-9A-Z]{16}(?![A-Z0-9])")
RE_SLACK = re.compile(r"(?<![A-Za-z0-9])xox[bpars]-[0-9]+-[0-9]+-[A-Za-z0-9]+")


def luhn_ok(digits):
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = ord(ch) - 48
        if i % 2 == 1:
            d *= 2
            if d > 9:
                d -= 9
        total += d
    return total % 10 == 0


def ssn_ok(area, group, serial):
    a = int(area)
    return 0 < a < 900 and a != 666 and group != "00" and serial != "0000"


def detect(text):
    """Findings of the reference detector: list of (info_type, value, char_start, char_end)."""
    found = []
    for m in RE_DIGIT_RUN.finditer(text):
        digits = re.sub(r"[ -]", "", m.group())
        if 13 <= len(digits) <= 19 and luhn_ok(digits):
            found.append((CC, m.group(), m.start(), m.end()))
    for m in RE_SSN.finditer(text):
        if ssn_ok(*m.groups()):
            found.append((SSN, m.group(), m.start(), m.end()))
    for rx, it in ((RE_EMAIL, EMAIL), (RE_AWS, AWS), (RE_SLACK, SLACK)):
        for m in rx.finditer(text):
            found.append((it, m.group(), m.start(), m.end()))
    found.sort(key=lambda f: (f[2], f[0]))
    return found


def risky(text):
    """Stricter than detect(): anything a sloppier detector could take for a value."""
    for m in RE_DIGIT_RUN.finditer(text):
        digits = re.sub(r"[ -]", "", m.group())
        for n in range(13, 20):
            for i in range(0, len(digits) - n + 1):
                if luhn_ok(digits[i:i + n]):
                    return "digit window %r" % digits[i:i + n]
    if re.search(r"\d{3}-\d{2}-\d{4}", text):
        return "ddd-dd-dddd"
    if "@" in text.replace("<@", "") or "AKIA" in text:
        return "@ or AKIA"
    if re.search(r"xox[a-z]-\d", text):
        return "xox token"
    return None


def byte_offset(text, char_index):
    return len(text[:char_index].encode("utf-8"))


# ---------------------------------------------------------------------------
# Value and text makers. All randomness flows from one random.Random(SEED).

class Gen:
    def __init__(self, seed):
        self.rng = random.Random(seed)
        self.used_ids = set()
        self.pan_i = 0

    # -- ids and times
    def rid(self, prefix, n, alphabet=UPPER_ALNUM):
        while True:
            s = prefix + "".join(self.rng.choice(alphabet) for _ in range(n))
            if s not in self.used_ids:
                self.used_ids.add(s)
                return s

    def event_id(self):
        return self.rid("Ev0", 8)

    def ts(self, secs):
        return "%d.%06d" % (secs, self.rng.randrange(1, 1000000))

    def client_msg_id(self):
        return str(uuid.UUID(int=self.rng.getrandbits(128), version=4))

    # -- planted values
    def card(self):
        pan = TEST_PANS[self.pan_i % len(TEST_PANS)]
        self.pan_i += 1
        style = self.rng.choice(["none", "space", "dash", "space"])
        if style == "none":
            return pan
        sep = " " if style == "space" else "-"
        groups = [pan[0:4], pan[4:10], pan[10:]] if len(pan) == 15 else \
            [pan[i:i + 4] for i in range(0, len(pan), 4)]
        return sep.join(groups)

    def ssn(self):
        while True:
            area = self.rng.randrange(1, 900)
            if area == 666:
                continue
            v = "%03d-%02d-%04d" % (area, self.rng.randrange(1, 100), self.rng.randrange(1, 10000))
            if v not in ("123-45-6789", "078-05-1120"):
                return v

    def email(self):
        r = self.rng
        return "%s.%s%s@%s" % (r.choice(FIRST), r.choice(LAST), r.choice(["", "", str(r.randrange(2, 99))]),
                               r.choice(EMAIL_DOMAINS))

    def aws(self):
        return "AKIA" + "".join(self.rng.choice(B32) for _ in range(16))

    def slack_token(self):
        r = self.rng
        kind = r.choice(["xoxb", "xoxb", "xoxp"])
        return "%s-%d-%d-%s" % (kind, r.randrange(10**11, 10**12), r.randrange(10**12, 10**13),
                                "".join(r.choice(ALNUM) for _ in range(24)))

    # -- harmless numbers (must not match)
    def order16(self):
        while True:
            d = str(self.rng.randrange(10**15, 10**16))
            if risky(d) is None:
                break
        if self.rng.random() < 0.4:
            return " ".join(d[i:i + 4] for i in range(0, 16, 4))
        return d

    def phone(self):
        r = self.rng
        return r.choice(["+1 415-555-%04d", "(212) 555-%04d", "+44 20 7946 %04d", "555-%04d"]) \
            % r.randrange(100, 200)

    def slots(self, channel_name=None):
        r = self.rng
        svc = r.choice(SERVICES)
        pr = r.randrange(200, 4000)
        user = r.choice(USERS)[0]
        other = r.choice(CHANNELS[:8])
        incident = "INC-%d" % r.randrange(1000, 9999)
        return {
            "svc": svc,
            "ver": "v%d.%d.%d" % (r.randrange(1, 5), r.randrange(0, 30), r.randrange(0, 20)),
            "ver2": "v%d.%d.%d" % (r.randrange(5, 7), r.randrange(0, 30), r.randrange(0, 20)),
            "pr": pr,
            "pr_link": "<https://github.com/northwind/%s/pull/%d|#%d>" % (svc, pr, pr),
            "user": "<@%s>" % user,
            "chan": "<#%s|%s>" % (other[0], other[1]),
            "emoji": r.choice(EMOJI),
            "time": r.choice(["2:30pm", "11:00", "15:45", "noon", "9am", "4pm"]),
            "date": r.choice(["2025-11-24", "Nov 28", "12/01/2025", "2025-12-03", "Dec 15"]),
            "pct": r.randrange(2, 97),
            "ms": r.randrange(40, 900), "ms2": r.randrange(40, 900),
            "n": r.randrange(2, 48), "sec": r.randrange(3, 600),
            "build": r.randrange(1000, 99999),
            "sha": "%07x" % r.randrange(16**7),
            "incident": incident, "incident_lower": incident.lower(),
            "jira": "PLAT-%d" % r.randrange(100, 9999),
            "host": r.choice(HOSTS), "vendor": r.choice(VENDORS),
            "place": r.choice(PLACES), "food": r.choice(FOODS),
            "word": r.choice(WORDS), "word2": r.choice(WORDS),
            "order16": self.order16(), "phone": self.phone(),
            "invoice": "INV-2025-%05d" % r.randrange(1, 99999),
            "ip": "10.%d.%d.%d" % (r.randrange(256), r.randrange(256), r.randrange(1, 255)),
            "pgver": r.choice(["16.4", "15.8", "17.1"]),
            "dash": "".join(r.choice("abcdefghijklmnopqrstuvwxyz0123456789") for _ in range(9)),
            "tracking": "1Z%dAA1%08d" % (r.randrange(100, 999), r.randrange(10**8)),
            "temp": r.randrange(24, 35),
        }

    def fill(self, template, **extra):
        s = self.slots()
        s.update(extra)
        return template.format(**s)

    def clean(self, templates):
        """A clean text from templates; redrawn until nothing in it looks sensitive."""
        while True:
            text = self.fill(self.rng.choice(templates))
            if not detect(text) and risky(text) is None:
                return text


PLAIN_CLEAN = [
    # deploys
    "deploying {svc} {ver} to prod now {emoji}",
    "{svc} {ver} is out, canary looks healthy — p99 {ms}ms vs {ms2}ms before",
    "rolling back {svc} to {ver}, error rate spiked to {pct}% right after the deploy",
    "heads up: deploy freeze starts {date} at {time} UTC for the holiday week",
    "can someone approve the prod deploy for {svc}? the pipeline is waiting on the manual gate {emoji}",
    "build #{build} failed on `{svc}` — flaky test again in `test_{word}_{word2}`",
    "migrations for {svc} ran in {sec}s, no locks :relieved:",
    "{user} staging is yours until {time}",
    "is anyone else seeing `ECONNRESET` from {svc} in staging? started around {time}",
    # incidents
    ":rotating_light: {incident} opened: {svc} returning 502s for ~{pct}% of requests. {user} is IC",
    "update on {incident}: mitigated by scaling {svc} to {n} replicas, root cause still unknown",
    "postmortem for {incident} is up: <https://docs.northwind.io/pm/{incident_lower}|doc> — comments by {date} please",
    "paging {user} — disk on {host} at {pct}%",
    "{svc} latency is back to normal, closing {incident} {emoji}",
    "looks like an upstream outage, see <https://status.{vendor}.com|their status page>",
    "{host} ({ip}) stopped answering health checks at {time}, I'm on it",
    # PR reviews
    "PR ready for review: {pr_link} — refactors the {word} logic in {svc}",
    "{user} left a few nits on {pr_link}, otherwise LGTM {emoji}",
    "anyone have cycles to review {pr_link}? it's blocking the {ver} release",
    "merged {pr_link}, thanks for the quick review {user}",
    "CI is red on main after {sha}, reverting",
    "can we squash those {n} commits before merging? :sweat_smile:",
    "I think {pr_link} breaks the {word} path when the cache is cold, see my comment",
    # lunch / social
    "lunch at {place} at {time}? {emoji}",
    "who's in for {food} today?",
    "the coffee machine on floor {n} is broken again :coffee: :broken_heart:",
    "happy birthday {user}! :birthday: :tada:",
    "reminder: team offsite on {date}, RSVP in {chan}",
    "I'll be OOO tomorrow, {user} is covering on-call",
    "Friday demo moved to {time}, same room",
    "R&amp;D sync is cancelled this week, see you in {chan}",
    "server room is at {temp}°C, facilities is looking at it",
    "¿alguien sabe si el deploy de hoy ya terminó? 🙏",
    "déjà vu: same OOM in {svc} as last week 😅",
    "thanks everyone for the help today — you all rock 🙌",
    # support
    "customer on order #{order16} says the confirmation email never arrived — it bounced, checking with {vendor}",
    "ticket {jira}: customer can't reset their password, escalating to {user}",
    "please call the customer back at {phone}, they prefer afternoons",
    "invoice {invoice} is overdue by {n} days, finance is on it",
    "tracking {tracking} shows delivered but the customer says nothing arrived",
    "order {order16} was charged twice, refund issued, ref {jira}",
    "the customer's new number is {phone} (old one is disconnected)",
    # misc tech
    "anyone know why `npm ci` takes {sec}s on the runners now?",
    "bumped postgres to {pgver} in staging, shout if anything looks off",
    "TIL you can use `jq -c` to compact output {emoji}",
    "the {svc} dashboard: <https://grafana.northwind.io/d/{dash}/{svc}?orgId=1&amp;from=now-6h|grafana>",
    "for the record, build {build} ran {n} tests in {sec}s",
    "`SELECT count(*) FROM orders WHERE created_at &gt; '{date}'` returns {build} rows, expected more",
    "we're on {ver} of the SDK, {ver2} fixes the {word} bug",
]

BOT_CLEAN = {
    "ci-bot": [
        "Build #{build} of *{svc}* succeeded on `main` ({sha}) in {n}m {sec}s :white_check_mark:",
        "Build #{build} of *{svc}* failed on `main` ({sha}): 3 tests failed in `test_{word}` :x:",
        "Deploy of *{svc}* {ver} to production finished (triggered by {user})",
    ],
    "pagerduty": [
        "Triggered: [{svc}] High error rate — {pct}% 5xx over 5m <https://northwind.pagerduty.com/incidents/Q{dash}|View>",
        "Resolved: [{svc}] p99 latency above {ms}ms",
        "Acknowledged by {user}: [{host}] disk usage {pct}%",
    ],
    "github": [
        "[northwind/{svc}] Pull request opened by {user}: {pr_link} Fix {word} handling",
        "[northwind/{svc}] {n} new commits pushed to `main`",
        "[northwind/{svc}] Review requested on {pr_link}",
    ],
    "statuspage": [
        "Investigating: elevated API latency on {svc}",
        "Resolved: intermittent login failures ({incident})",
    ],
}

ME_CLEAN = [
    "is heading to lunch :burrito:", "is out sick today", "is rebooting the VPN box",
    "is reviewing {pr_link}", "is on a plane until {time}", "is making more coffee :coffee:",
    "is pairing with {user} on {svc}",
]

FILE_COMMENTS = ["", "", "here's the log from last night", "screenshot of the error",
                 "Q4 roadmap draft, comments welcome", "the CSV finance asked for",
                 "flame graph for {svc} under load", "logo options for the offsite :art:"]
FILE_KINDS = [
    ("{svc}-deploy.log", "text/plain", "text", "Plain Text", "snippet"),
    ("Screenshot 2025-11-23 at 10.42.17.png", "image/png", "png", "PNG", "hosted"),
    ("roadmap-q4.pdf", "application/pdf", "pdf", "PDF", "hosted"),
    ("export.csv", "text/csv", "csv", "CSV", "hosted"),
    ("budget.xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
     "xlsx", "Excel Spreadsheet", "hosted"),
    ("flamegraph.svg", "image/svg+xml", "svg", "SVG", "hosted"),
]

# Sentences that carry one planted value each; {v} is the raw value, {m}
# the value as Slack's client renders a typed address (<mailto:v|v>).
PLANTED = {
    CC: [
        "customer called in, the card on file is {v} — can someone in billing update it?",
        "for the staging checkout use {v}, any future expiry and any CVC",
        "refund failed for card {v}, gateway says `card_declined`",
        "pasting from the ticket: \"my card number is {v} please charge it again\"",
        "why does the debug log print the full PAN?? saw {v} in `{svc}` output :scream:",
        "corporate card for the cloud bill: {v}, exp 08/28, ask Fatima for the CVC",
    ],
    SSN: [
        "HR form wants my SSN, it's {v} — is this channel private?",
        "new hire paperwork: SSN {v}, start date {date}",
        "the W-2 export shows SSNs in plain text, e.g. {v} on page 3",
        "background check vendor needs SSN {v} for the contractor",
    ],
    EMAIL: [
        "please add {m} to the vendor thread",
        "customer contact is {m}, they want a callback",
        "send the NDA to {m} before Friday",
        "my personal address is {m} if the VPN is down",
    ],
    AWS: [
        "deploy keeps failing with AccessDenied, I'm using access key {v} from the old IAM user",
        "```export AWS_ACCESS_KEY_ID={v}\nexport AWS_DEFAULT_REGION=us-east-1```",
        "found {v} hardcoded in `config/prod.yml` :grimacing: rotating now",
    ],
    SLACK: [
        "staging bot token is {v} if you need to test the app",
        "```SLACK_BOT_TOKEN={v} node index.js```",
        "why is {v} in the README? that's a live token",
    ],
}
BOT_PLANTED = {
    AWS: "Build #{build} of *{svc}* failed: env dump contains AWS_ACCESS_KEY_ID={v}",
    SLACK: "[northwind/{svc}] new commit {sha}: \"add staging creds {v}\"",
    EMAIL: "Test report: fixture user {v} failed login 3 times on {svc}",
    CC: "Payment webhook replay failed for card {v} (order {order16})",
}


class Builder:
    """Builds envelopes and their expected verdicts."""

    def __init__(self, gen):
        self.g = gen
        self.r = gen.rng
        self.t = BASE_TIME

    # -- values and texts with planted content
    def value(self, info_type):
        return {CC: self.g.card, SSN: self.g.ssn, EMAIL: self.g.email, AWS: self.g.aws,
                SLACK: self.g.slack_token}[info_type]()

    def planted_sentence(self, info_type, mailto=True):
        v = self.value(info_type)
        tpl = self.r.choice(PLANTED[info_type])
        m = "<mailto:%s|%s>" % (v, v) if mailto else v
        return self.g.fill(tpl, v=v, m=m), v

    def planted_text(self, types, mailto=True):
        parts, values = [], []
        for it in types:
            s, v = self.planted_sentence(it, mailto)
            parts.append(s)
            values.append(v)
        if len(parts) == 2:
            text = parts[0] + self.r.choice([" — also, ", "\n", ". oh and "]) + parts[1]
        else:
            text = parts[0]
        if self.r.random() < 0.3:
            text = self.g.clean(PLAIN_CLEAN) + "\n" + text
        return text, values

    # -- envelope parts
    def envelope(self, event, event_time, channel=None, et="message"):
        ctx = {"et": et, "tid": TEAM, "aid": APP, "cid": channel or ""}
        ctx_b64 = base64.urlsafe_b64encode(json.dumps(ctx, separators=(",", ":")).encode()).decode().rstrip("=")
        return {
            "token": VERIFICATION_TOKEN,
            "team_id": TEAM,
            "context_team_id": TEAM,
            "context_enterprise_id": None,
            "api_app_id": APP,
            "event": event,
            "type": "event_callback",
            "event_id": self.g.event_id(),
            "event_time": event_time,
            "authorizations": [{"enterprise_id": None, "team_id": TEAM, "user_id": BOT_USER,
                                "is_bot": True, "is_enterprise_install": False}],
            "is_ext_shared_channel": False,
            "event_context": "4-" + ctx_b64,
        }

    def tick(self):
        self.t += self.r.randrange(1, 20)
        return self.t

    def chan(self):
        # most traffic in public channels
        return self.r.choice(CHANNELS[:8] * 3 + CHANNELS[8:])

    @staticmethod
    def blocks(text):
        return [{"type": "rich_text", "block_id": base64.b32encode(text.encode()[:3] or b"x").decode()[:5],
                 "elements": [{"type": "rich_text_section", "elements": [{"type": "text", "text": text}]}]}]

    def user_message(self, text, user, ts, channel, extra=None):
        ev = {"user": user, "type": "message", "ts": ts, "client_msg_id": self.g.client_msg_id(),
              "text": text, "team": TEAM, "blocks": self.blocks(text) if text else []}
        if extra:
            ev.update(extra)
        ev.update({"channel": channel[0], "event_ts": ts, "channel_type": channel[2]})
        return ev

    # -- one event of each kind; each returns (envelope, expected)
    def plain(self, text):
        t = self.tick()
        ts, ch, user = self.g.ts(t), self.chan(), self.r.choice(USERS)[0]
        ev = self.user_message(text, user, ts, ch)
        return self.envelope(ev, t, ch[0]), {"kind": "message", "channel": ch[0], "ts": ts, "text": text}

    def thread_broadcast(self, text):
        t = self.tick()
        ts, ch = self.g.ts(t), self.chan()
        user, root_user = self.r.choice(USERS)[0], self.r.choice(USERS)[0]
        thread_ts = self.g.ts(t - self.r.randrange(60, 7200))
        root = {"client_msg_id": self.g.client_msg_id(), "type": "message",
                "text": self.g.clean(PLAIN_CLEAN), "user": root_user, "ts": thread_ts,
                "team": TEAM, "thread_ts": thread_ts, "reply_count": self.r.randrange(1, 9),
                "reply_users_count": self.r.randrange(1, 4), "latest_reply": ts,
                "reply_users": [user], "is_locked": False, "subscribed": False}
        ev = {"type": "message", "subtype": "thread_broadcast", "text": text, "user": user,
              "ts": ts, "thread_ts": thread_ts, "root": root, "client_msg_id": self.g.client_msg_id(),
              "blocks": self.blocks(text),
              "channel": ch[0], "event_ts": ts, "channel_type": ch[2]}
        return self.envelope(ev, t, ch[0]), {"kind": "thread_broadcast", "channel": ch[0], "ts": ts,
                                             "text": text, "thread_ts": thread_ts}

    def file_share(self, text):
        t = self.tick()
        ts, ch, user = self.g.ts(t), self.chan(), self.r.choice(USERS)[0]
        files = []
        for _ in range(self.r.choice([1, 1, 1, 2])):
            name, mime, ftype, pretty, mode = self.r.choice(FILE_KINDS)
            name = name.format(svc=self.r.choice(SERVICES))
            fid = self.g.rid("F07", 8)
            slug = re.sub(r"[^a-z0-9._-]+", "_", name.lower())
            files.append({
                "id": fid, "created": t, "timestamp": t, "name": name, "title": name,
                "mimetype": mime, "filetype": ftype, "pretty_type": pretty, "user": user,
                "user_team": TEAM, "editable": mode == "snippet", "size": self.r.randrange(300, 4_000_000),
                "mode": mode, "is_external": False, "external_type": "", "is_public": ch[2] == "channel",
                "public_url_shared": False, "display_as_bot": False, "username": "",
                "url_private": "https://files.slack.com/files-pri/%s-%s/%s" % (TEAM, fid, slug),
                "url_private_download": "https://files.slack.com/files-pri/%s-%s/download/%s" % (TEAM, fid, slug),
                "permalink": "https://northwind.slack.com/files/%s/%s/%s" % (user, fid, slug),
                "permalink_public": "https://slack-files.com/%s-%s-%s" % (TEAM, fid, "%010x" % self.r.randrange(16**10)),
                "has_rich_preview": False, "file_access": "visible",
            })
        ev = {"type": "message", "subtype": "file_share", "text": text, "files": files, "upload": False,
              "user": user, "display_as_bot": False, "ts": ts, "client_msg_id": self.g.client_msg_id(),
              "blocks": self.blocks(text) if text else [],
              "channel": ch[0], "event_ts": ts, "channel_type": ch[2]}
        return self.envelope(ev, t, ch[0]), {"kind": "file_share", "channel": ch[0], "ts": ts, "text": text}

    def message_changed(self, new_text, old_text):
        t = self.tick()
        ts, ch, user = self.g.ts(t), self.chan(), self.r.choice(USERS)[0]
        orig_ts = self.g.ts(t - self.r.randrange(20, 900))
        cmid = self.g.client_msg_id()
        message = {"client_msg_id": cmid, "type": "message", "text": new_text, "user": user,
                   "team": TEAM, "edited": {"user": user, "ts": ts}, "blocks": self.blocks(new_text),
                   "ts": orig_ts, "source_team": TEAM, "user_team": TEAM}
        previous = {"client_msg_id": cmid, "type": "message", "text": old_text, "user": user,
                    "ts": orig_ts, "team": TEAM, "blocks": self.blocks(old_text)}
        ev = {"type": "message", "subtype": "message_changed", "message": message,
              "previous_message": previous, "channel": ch[0], "hidden": True, "ts": ts,
              "event_ts": ts, "channel_type": ch[2]}
        return self.envelope(ev, t, ch[0]), {"kind": "message_changed", "channel": ch[0],
                                             "ts": orig_ts, "text": new_text}

    def bot_message(self, text, bot):
        t = self.tick()
        ts = self.g.ts(t)
        ch = self.r.choice([CHANNELS[0], CHANNELS[1], CHANNELS[4], CHANNELS[6]])
        bot_id, app_id = BOTS[bot]
        ev = {"type": "message", "subtype": "bot_message", "text": text, "ts": ts, "username": bot,
              "bot_id": bot_id, "app_id": app_id,
              "icons": {"image_48": "https://avatars.slack-edge.com/2025-01-10/%s_48.png" % bot_id.lower()},
              "channel": ch[0], "event_ts": ts, "channel_type": ch[2]}
        return self.envelope(ev, t, ch[0]), {"kind": "bot_message", "channel": ch[0], "ts": ts, "text": text}

    def me_message(self, text):
        t = self.tick()
        ts, ch, user = self.g.ts(t), self.chan(), self.r.choice(USERS)[0]
        ev = {"type": "message", "subtype": "me_message", "text": text, "user": user, "ts": ts,
              "channel": ch[0], "event_ts": ts, "channel_type": ch[2]}
        return self.envelope(ev, t, ch[0]), {"kind": "me_message", "channel": ch[0], "ts": ts, "text": text}

    def message_deleted(self, old_text):
        t = self.tick()
        ts, ch, user = self.g.ts(t), self.chan(), self.r.choice(USERS)[0]
        deleted_ts = self.g.ts(t - self.r.randrange(10, 3600))
        ev = {"type": "message", "subtype": "message_deleted", "hidden": True, "deleted_ts": deleted_ts,
              "channel": ch[0],
              "previous_message": {"client_msg_id": self.g.client_msg_id(), "type": "message",
                                   "text": old_text, "user": user, "ts": deleted_ts, "team": TEAM,
                                   "blocks": self.blocks(old_text)},
              "ts": ts, "event_ts": ts, "channel_type": ch[2]}
        return self.envelope(ev, t, ch[0]), {"kind": "message_deleted"}

    def channel_join(self):
        t = self.tick()
        ts, ch, user = self.g.ts(t), self.r.choice(CHANNELS[:8]), self.r.choice(USERS)[0]
        ev = {"type": "message", "subtype": "channel_join", "ts": ts, "user": user,
              "text": "<@%s> has joined the channel" % user, "inviter": self.r.choice(USERS)[0],
              "channel": ch[0], "event_ts": ts, "channel_type": ch[2]}
        return self.envelope(ev, t, ch[0]), {"kind": "channel_join"}

    def reaction(self, added=True):
        t = self.tick()
        ch = self.r.choice(CHANNELS[:8])
        ev = {"type": "reaction_added" if added else "reaction_removed",
              "user": self.r.choice(USERS)[0],
              "reaction": self.r.choice(["+1", "eyes", "white_check_mark", "tada", "pray", "rocket", "fire"]),
              "item_user": self.r.choice(USERS)[0],
              "item": {"type": "message", "channel": ch[0], "ts": self.g.ts(t - self.r.randrange(5, 3000))},
              "event_ts": self.g.ts(t)}
        return self.envelope(ev, t, ch[0], ev["type"]), {"kind": ev["type"]}

    def member_joined(self):
        t = self.tick()
        ch = self.r.choice(CHANNELS[:8])
        ev = {"type": "member_joined_channel", "user": self.r.choice(USERS)[0], "channel": ch[0],
              "channel_type": "C", "team": TEAM, "inviter": self.r.choice(USERS)[0], "event_ts": self.g.ts(t)}
        return self.envelope(ev, t, ch[0], ev["type"]), {"kind": "member_joined_channel"}

    def app_mention(self):
        t = self.tick()
        ts, ch, user = self.g.ts(t), self.r.choice(CHANNELS[:8]), self.r.choice(USERS)[0]
        text = "<@%s> %s" % (BOT_USER, self.r.choice([
            "what does this bot do?", "can you re-check the last message?",
            "help", "why did you flag my message in <#%s|%s>?" % (ch[0], ch[1])]))
        ev = {"client_msg_id": self.g.client_msg_id(), "type": "app_mention", "text": text, "user": user,
              "ts": ts, "blocks": self.blocks(text), "team": TEAM, "channel": ch[0], "event_ts": ts}
        return self.envelope(ev, t, ch[0], "app_mention"), {"kind": "app_mention"}


def long_log_text(g, value):
    """A ~3 KB pasted job log whose AWS key sits in the last line."""
    r = g.rng
    lines = ["here's the full output of the failed nightly job, sorry for the wall of text:", "```"]
    step = 0
    while len("\n".join(lines).encode()) < 2850:
        step += 1
        lines.append("2025-11-23T02:%02d:%02d.%03dZ %s worker[%d] %s" % (
            step % 60, r.randrange(60), r.randrange(1000), r.choice(["INFO", "INFO", "WARN", "DEBUG"]),
            r.randrange(1, 9), r.choice([
                "processed batch %d in %dms" % (r.randrange(10000), r.randrange(5, 900)),
                "fetched %d rows from ledger_entries (cursor=%s)" % (r.randrange(1, 5000), "%08x" % r.randrange(16**8)),
                "retrying upload to s3://northwind-exports/nightly/part-%05d.parquet (attempt %d/5)" % (r.randrange(99999), r.randrange(1, 5)),
                "GET /v1/accounts?page=%d -&gt; 200 (%d bytes)" % (r.randrange(1, 400), r.randrange(100, 90000)),
                "heap %dMiB / %dMiB, gc pause %dms" % (r.randrange(200, 900), 1024, r.randrange(1, 80)),
            ])))
    lines.append("2025-11-23T02:59:59.999Z ERROR worker[1] AccessDenied: upload failed")
    lines.append("```")
    lines.append("env had AWS_ACCESS_KEY_ID=%s set" % value)
    return "\n".join(lines)


def build(seed=SEED):
    """Returns (list of envelope dicts, dict of expected per event_id) in stream order."""
    g = Gen(seed)
    b = Builder(g)
    r = g.rng
    specs = []  # (callable producing (envelope, expected), planted values, note)

    def planted(kind, types, note=None):
        def make():
            if kind == "bot":
                bot = r.choice(list(BOTS))
                parts, values = [], []
                for it in types:
                    v = b.value(it)
                    parts.append(g.fill(BOT_PLANTED[it], v=v))
                    values.append(v)
                return b.bot_message("\n".join(parts), bot), values
            if kind == "me_message":
                v = g.email()
                return b.me_message("is emailing the signed contract to <mailto:%s|%s>" % (v, v)), [v]
            text, values = b.planted_text(types, mailto=True)
            if kind == "plain":
                return b.plain(text), values
            if kind == "thread_broadcast":
                return b.thread_broadcast(text), values
            if kind == "file_share":
                return b.file_share(text + " (screenshot attached)"), values
            if kind == "message_changed":
                if r.random() < 0.5:  # the value was added by the edit
                    old = text.replace(values[0], "(will DM you)")
                    old = old.replace("<mailto:(will DM you)|(will DM you)>", "(will DM you)")
                else:  # a typo fixed elsewhere: the old text had the value too
                    old = text.replace(" the ", " teh ", 1) if " the " in text else text + " ."
                for v in values[1:]:
                    old = old.replace("<mailto:%s|%s>" % (v, v), "them").replace(v, "[later]")
                return b.message_changed(text, old), values
            raise AssertionError(kind)
        specs.append((make, note))

    def clean(kind, note=None):
        def make():
            if kind == "plain":
                return b.plain(g.clean(PLAIN_CLEAN)), []
            if kind == "thread_broadcast":
                return b.thread_broadcast(g.clean(PLAIN_CLEAN)), []
            if kind == "file_share":
                return b.file_share(g.fill(r.choice(FILE_COMMENTS))), []
            if kind == "message_changed":
                new = g.clean(PLAIN_CLEAN)
                words = new.split(" ")
                old = r.choice([new.replace(" ", "  ", 1), " ".join(words[: max(1, len(words) // 2)]),
                                new + " typo"])
                return b.message_changed(new, old), []
            if kind == "bot":
                bot = r.choice(list(BOTS))
                return b.bot_message(g.clean(BOT_CLEAN[bot]), bot), []
            if kind == "me_message":
                return b.me_message(g.clean(ME_CLEAN)), []
            raise AssertionError(kind)
        specs.append((make, note))

    def other(fn, note=None):
        specs.append((lambda: (fn(), []), note))

    # plain: 110, 22 with planted values (incl. the long and the unicode one)
    for types in [[CC]] * 5 + [[SSN]] * 4 + [[EMAIL]] * 4 + [[AWS]] + [[SLACK]] * 2 + \
            [[CC, EMAIL], [SSN, EMAIL], [AWS, SLACK], [CC, SSN]]:
        planted("plain", types)
    for _ in range(88):
        clean("plain")

    def long_one():
        v = g.aws()
        return b.plain(long_log_text(g, v)), [v]
    specs.append((long_one, "long text (~3 KB), AWS key in its last line"))

    def unicode_one():
        v = g.card()
        text = "Zoë from the 東京 office ☕🎉 says the team card — %s — was charged twice 😱 can finance check?" % v
        return b.plain(text), [v]
    specs.append((unicode_one, "multi-byte characters and emoji before the value: byte offsets != char offsets"))

    # thread_broadcast: 14, 3 planted
    for types in [[CC], [EMAIL], [SSN]]:
        planted("thread_broadcast", types)
    for _ in range(11):
        clean("thread_broadcast")
    # file_share: 20, 4 planted
    for types in [[CC], [SSN], [EMAIL], [AWS]]:
        planted("file_share", types)
    for _ in range(16):
        clean("file_share")

    # message_changed: 22, 5 planted
    def changed_new_has_card():
        v = g.card()
        return b.message_changed("the card that failed was %s, can you retry it?" % v,
                                 "the card that failed was the corporate one, can you retry it?"), [v]
    specs.append((changed_new_has_card, "previous_message is clean, the NEW text has a card: finding expected"))

    def changed_old_had_card():
        v = g.card()
        return b.message_changed("the card that failed was [redacted], sorry — sent it in a DM instead",
                                 "the card that failed was %s" % v), []
    specs.append((changed_old_had_card,
                  "previous_message has a card, the NEW text is clean: no finding expected (old text is never inspected)"))
    for types in [[SSN], [EMAIL], [SLACK], [CC, EMAIL]]:
        planted("message_changed", types)
    for _ in range(16):
        clean("message_changed")

    # bot_message: 22, 5 planted
    for types in [[AWS], [SLACK], [EMAIL], [AWS, SLACK], [CC]]:
        planted("bot", types)
    for _ in range(17):
        clean("bot")
    # me_message: 12, 1 planted
    planted("me_message", [EMAIL])
    for _ in range(11):
        clean("me_message")

    # not inspectable: 40
    def deleted_with_ssn():
        return b.message_deleted("oops wrong channel — my SSN is %s" % g.ssn())
    other(deleted_with_ssn, "message_deleted whose previous_message has an SSN: nothing to inspect")

    def deleted_with_card():
        return b.message_deleted("card for the offsite booking: %s" % g.card())
    other(deleted_with_card, "message_deleted whose previous_message has a card: nothing to inspect")
    for _ in range(8):
        other(lambda: b.message_deleted(g.clean(PLAIN_CLEAN)))
    for _ in range(12):
        other(lambda: b.reaction(True))
    for _ in range(3):
        other(lambda: b.reaction(False))
    for _ in range(6):
        other(b.channel_join)
    for _ in range(5):
        other(b.member_joined)
    for _ in range(4):
        other(b.app_mention)

    r.shuffle(specs)
    envelopes, expected = [], {}
    for make, note in specs:
        (env, exp), values = make()
        ev = env["event"]
        inspectable = ev.get("type") == "message" and ev.get("subtype") in INSPECTABLE_SUBTYPES
        entry = {"inspectable": inspectable, "kind": exp["kind"]}
        if inspectable:
            text = exp["text"]
            found = detect(text)
            if sorted(set(values)) != sorted({f[1] for f in found}):
                raise SystemExit("generator bug: planted %r but detector found %r in %r" % (values, found, text))
            entry.update({
                "channel": exp["channel"], "ts": exp["ts"],
                "info_types": sorted({f[0] for f in found}),
                "planted": values,
                "occurrences": [{"info_type": it, "value": v,
                                 "byte_start": byte_offset(text, s), "byte_end": byte_offset(text, e)}
                                for it, v, s, e in found],
                "text_bytes": len(text.encode("utf-8")),
            })
        else:
            entry.update({"info_types": [], "planted": [], "occurrences": []})
        if note:
            entry["note"] = note
        envelopes.append(env)
        expected[env["event_id"]] = entry
    return envelopes, expected


def counts_of(expected):
    c = {"total": len(expected), "inspectable": 0, "not_inspectable": 0, "with_findings": 0,
         "without_findings": 0, "by_kind": {}, "events_by_info_type": {it: 0 for it in INFO_TYPES},
         "occurrences_by_info_type": {it: 0 for it in INFO_TYPES}, "events_with_two_types": 0}
    for e in expected.values():
        c["by_kind"][e["kind"]] = c["by_kind"].get(e["kind"], 0) + 1
        if not e["inspectable"]:
            c["not_inspectable"] += 1
            continue
        c["inspectable"] += 1
        if e["info_types"]:
            c["with_findings"] += 1
        else:
            c["without_findings"] += 1
        if len(e["info_types"]) >= 2:
            c["events_with_two_types"] += 1
        for it in e["info_types"]:
            c["events_by_info_type"][it] += 1
        for o in e["occurrences"]:
            c["occurrences_by_info_type"][o["info_type"]] += 1
    c["by_kind"] = dict(sorted(c["by_kind"].items()))
    return c


def encode_line(env):
    # Slack's encoder escapes "/" and everything outside ASCII.
    return json.dumps(env, ensure_ascii=True, separators=(",", ":")).replace("/", "\\/")


def render(seed=SEED):
    envelopes, expected = build(seed)
    jsonl = "".join(encode_line(e) + "\n" for e in envelopes)
    doc = {
        "about": "Expected verdicts for slack-events.jsonl, made by gen_events.py. Values are FAKE test "
                 "values. Byte offsets are UTF-8 byte offsets into the inspected text (event.text; "
                 "event.message.text for message_changed); ts is the inspected message's ts "
                 "(event.message.ts for message_changed).",
        "seed": seed,
        "info_types": INFO_TYPES,
        "counts": counts_of(expected),
        "events": expected,
    }
    exp = json.dumps(doc, ensure_ascii=False, indent=1) + "\n"
    return jsonl, exp


def check(out_dir):
    problems = []
    jsonl, exp = render()
    paths = {"slack-events.jsonl": jsonl, "slack-events.expected.json": exp}
    for name, want in paths.items():
        p = os.path.join(out_dir, name)
        try:
            with open(p, encoding="utf-8") as f:
                have = f.read()
        except OSError as e:
            problems.append("%s: %s" % (p, e))
            continue
        if have != want:
            problems.append("%s differs from a fresh generation (run gen_events.py)" % p)

    envs = [json.loads(line) for line in jsonl.splitlines()]
    doc = json.loads(exp)
    events = doc["events"]
    ids = [e["event_id"] for e in envs]
    if len(set(ids)) != len(ids):
        problems.append("duplicate event_ids")
    if len(envs) < MIN_EVENTS:
        problems.append("only %d events" % len(envs))
    if set(ids) != set(events):
        problems.append("expected.json and jsonl disagree on event ids")
    for env in envs:
        for k in ("token", "team_id", "api_app_id", "event", "type", "event_id", "event_time",
                  "authorizations", "is_ext_shared_channel", "event_context"):
            if k not in env:
                problems.append("%s lacks %s" % (env.get("event_id"), k))
        if not re.fullmatch(r"Ev[0-9A-Z]+", env["event_id"]) or env["type"] != "event_callback":
            problems.append("bad envelope %s" % env["event_id"])
        if abs(env["event_time"] - BASE_TIME) > 86400:
            problems.append("event_time far from %d" % BASE_TIME)
        ev = env["event"]
        for k in ("ts", "event_ts", "thread_ts", "deleted_ts"):
            if k in ev and not re.fullmatch(r"[0-9]+\.[0-9]{6}", ev[k]):
                problems.append("%s: bad %s" % (env["event_id"], k))
        e = events[env["event_id"]]
        text = None
        if e["inspectable"]:
            text = ev["message"]["text"] if ev.get("subtype") == "message_changed" else ev["text"]
            if e["info_types"] and not e["planted"]:
                problems.append("%s: info types without planted values" % env["event_id"])
            found = detect(text)
            if [[f[0], f[1], byte_offset(text, f[2]), byte_offset(text, f[3])] for f in found] != \
                    [[o["info_type"], o["value"], o["byte_start"], o["byte_end"]] for o in e["occurrences"]]:
                problems.append("%s: occurrences disagree with the detector" % env["event_id"])
            for o in e["occurrences"]:
                if text.encode()[o["byte_start"]:o["byte_end"]].decode() != o["value"]:
                    problems.append("%s: byte offsets wrong" % env["event_id"])
                if o["info_type"] == CC and not luhn_ok(re.sub(r"[ -]", "", o["value"])):
                    problems.append("%s: planted card fails Luhn" % env["event_id"])
            if not e["info_types"] and risky(text):
                problems.append("%s: clean text looks risky: %s" % (env["event_id"], risky(text)))
            if re.search(r"&(?!amp;|lt;|gt;)", text) or re.sub(r"<[^<>]+>", "", text).count("<") or \
                    re.sub(r"<[^<>]+>", "", text).count(">"):
                problems.append("%s: text not escaped as Slack does" % env["event_id"])
        elif e["info_types"] or e["planted"]:
            problems.append("%s: non-inspectable event with expected findings" % env["event_id"])

    c = doc["counts"]
    frac = c["with_findings"] / c["inspectable"]
    if not 0.15 <= frac <= 0.25:
        problems.append("%.0f%% of inspectable events have findings" % (100 * frac))
    notes = " ".join(e.get("note", "") for e in events.values())
    for want in ("NEW text has a card", "NEW text is clean", "message_deleted whose previous_message has an SSN",
                 "long text", "multi-byte"):
        if want not in notes:
            problems.append("special case missing: " + want)
    for it in INFO_TYPES:
        if c["events_by_info_type"][it] < 3:
            problems.append("too few %s" % it)
    if c["events_with_two_types"] < 3:
        problems.append("too few events with two info types")
    return problems, c


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--out-dir", default=here, help="where the files go (default: beside this script)")
    ap.add_argument("--check", action="store_true", help="verify the files on disk instead of writing them")
    args = ap.parse_args()
    if args.check:
        problems, c = check(args.out_dir)
        print(json.dumps(c))
        for p in problems:
            print("PROBLEM: " + p, file=sys.stderr)
        return 1 if problems else 0
    jsonl, exp = render()
    for name, data in (("slack-events.jsonl", jsonl), ("slack-events.expected.json", exp)):
        with open(os.path.join(args.out_dir, name), "w", encoding="utf-8", newline="\n") as f:
            f.write(data)
    print(json.dumps(json.loads(exp)["counts"]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
