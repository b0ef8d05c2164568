"""The mixed inbound workload: every channel in its provider's real wire format, signed as the
provider signs it, plus the bad input a public endpoint gets. Each request carries a unique
nonce (in the message text, or at the start of a bad body) so the checker can find what became
of it on the topics without knowing how a connector derives ids.

A sender behaves like the providers: on a connection error, a timeout, 5xx or 429 it retries
the very same bytes (same provider message id) later, possibly at another connector process,
until it gets a final answer or gives up. `Ledger` records the final answer of every request.
"""

import base64
import hashlib
import hmac
import http.client
import json
import random
import smtplib
import threading
import time
import urllib.parse

from deployment import SECRETS
from weights import pick

# What the harness sends; weights of the mix.
GOOD_KINDS = [("chat", 30), ("chat_followup", 8), ("sms", 12), ("messenger", 10),
              ("telegram", 8), ("x", 6), ("email_raw", 8), ("smtp", 6)]
BAD_KINDS = [("bad_json", 3), ("bad_signature", 3), ("oversized", 2), ("malformed_mime", 2),
             ("unknown_channel", 1), ("duplicate", 4)]


class Ledger:
    """Final answers, by nonce. A nonce's request was either accepted (2xx), rejected (4xx:
    must have a dead letter), or never answered finally (gave up after retries: the sender
    knows it may or may not have been taken, like a provider that stops retrying)."""

    def __init__(self):
        self.lock = threading.Lock()
        self.entries = {}  # nonce -> dict(kind, channel, outcome, status, attempts)
        self.counts = {"requests": 0, "retries": 0}

    def record(self, nonce, **fields):
        with self.lock:
            self.entries.setdefault(nonce, {}).update(fields)

    def accepted(self):
        with self.lock:
            return [n for n, e in self.entries.items() if e.get("outcome") == "accepted"]

    def by_outcome(self):
        out = {}
        with self.lock:
            for e in self.entries.values():
                out[e.get("outcome", "pending")] = out.get(e.get("outcome", "pending"), 0) + 1
        return out


def hex_hmac(key, data, algo=hashlib.sha256):
    return hmac.new(key.encode(), data, algo).hexdigest()


def b64_hmac(key, data, algo=hashlib.sha256):
    return base64.b64encode(hmac.new(key.encode(), data, algo).digest()).decode()


def twilio_signature(url, fields):
    data = url + "".join(k + v for k, v in sorted(fields.items()))
    return b64_hmac(SECRETS["SWITCHBOARD_TWILIO_AUTH_TOKEN"], data.encode(), hashlib.sha1)


class Request:
    """One provider request: HTTP (method, path, headers, body) or SMTP (mail)."""

    def __init__(self, kind, channel, nonce, path=None, body=b"", headers=None, mail=None,
                 expect="accepted"):
        self.kind, self.channel, self.nonce = kind, channel, nonce
        self.path, self.body, self.headers, self.mail = path, body, headers or {}, mail
        self.expect = expect


class Generator:
    """Builds requests. Senders come from a bounded population so that customers write again
    (conversation continuity, sticky agents, follow-ups) while most messages are new work."""

    def __init__(self, seed, run_id):
        self.rng = random.Random(seed)
        self.run_id = run_id
        self.seq = 0
        self.lock = threading.Lock()
        self.sent_good = []  # requests accepted once, for provider-retry duplicates

    def _nonce(self):
        with self.lock:
            self.seq += 1
            return "n%s-%06d" % (self.run_id, self.seq)

    def next(self):
        with self.lock:
            bad = self.rng.random() < 0.12
            kind = pick(self.rng, BAD_KINDS if bad else GOOD_KINDS)
            if kind == "duplicate":
                if not self.sent_good:
                    kind = "chat"
                else:
                    return self.rng.choice(self.sent_good[-500:]), True
        nonce = self._nonce()
        return getattr(self, "_" + kind)(nonce), False

    def remember(self, request):
        with self.lock:
            self.sent_good.append(request)

    def _sender(self, population=400):
        return self.rng.randrange(population)

    # ---- good requests, one per channel -----------------------------------------------
    def _chat(self, nonce, visitor=None):
        visitor = visitor if visitor is not None else "v%s-%d" % (self.run_id, self._sender())
        body = json.dumps({"visitor_id": visitor, "message_id": nonce,
                           "text": "Hello, I need help with order %s" % nonce,
                           "language": "en"}).encode()
        return Request("chat", "chat", nonce, "/v1/chat/messages", body,
                       {"Content-Type": "application/json"})

    def _chat_followup(self, nonce):
        # A small set of visitors writing again and again: their messages join one
        # conversation (absorbed while queued, appended while an agent has it).
        visitor = "v%s-regular-%d" % (self.run_id, self.rng.randrange(8))
        r = self._chat(nonce, visitor)
        r.kind = "chat_followup"
        return r

    def _sms(self, nonce):
        sid = "SM" + hashlib.md5(nonce.encode()).hexdigest()
        fields = {"MessageSid": sid, "SmsSid": sid, "AccountSid": "AC" + "0" * 32,
                  "From": "+1555%07d" % self._sender(), "To": "+15558675310",
                  "Body": "Where is my parcel? %s" % nonce, "NumMedia": "0"}
        url = SECRETS["SWITCHBOARD_TWILIO_PUBLIC_URL"]
        return Request("sms", "sms", nonce, "/v1/sms/twilio",
                       urllib.parse.urlencode(fields).encode(),
                       {"Content-Type": "application/x-www-form-urlencoded",
                        "X-Twilio-Signature": twilio_signature(url, fields)})

    def _meta_body(self, nonce):
        psid = str(1254459154000000 + self._sender())
        now = int(time.time() * 1000)
        return json.dumps({"object": "page", "entry": [{
            "id": "682498302938465", "time": now, "messaging": [{
                "sender": {"id": psid}, "recipient": {"id": "682498302938465"},
                "timestamp": now,
                "message": {"mid": "m_" + nonce, "text": "Refund please %s" % nonce}}]}]}).encode()

    def _messenger(self, nonce):
        body = self._meta_body(nonce)
        return Request("messenger", "messenger", nonce, "/v1/meta/webhook", body,
                       {"Content-Type": "application/json",
                        "X-Hub-Signature-256": "sha256=" + hex_hmac(
                            SECRETS["SWITCHBOARD_META_APP_SECRET"], body)})

    def _telegram(self, nonce):
        with self.lock:
            update_id = 500000 + self.seq
        user = 700000 + self._sender()
        body = json.dumps({"update_id": update_id, "message": {
            "message_id": update_id, "date": int(time.time()),
            "from": {"id": user, "is_bot": False, "first_name": "T%d" % user},
            "chat": {"id": user, "type": "private"},
            "text": "My account is locked %s" % nonce}}).encode()
        return Request("telegram", "telegram", nonce, "/v1/telegram/webhook", body,
                       {"Content-Type": "application/json",
                        "X-Telegram-Bot-Api-Secret-Token":
                            SECRETS["SWITCHBOARD_TELEGRAM_SECRET_TOKEN"]})

    def _x(self, nonce):
        body = json.dumps({"for_user_id": "4337869213", "direct_message_events": [{
            "type": "message_create", "id": str(int(hashlib.md5(nonce.encode()).hexdigest()[:15], 16)),
            "created_timestamp": str(int(time.time() * 1000)),
            "message_create": {"target": {"recipient_id": "4337869213"},
                               "sender_id": str(3001969000 + self._sender()),
                               "message_data": {"text": "Still broken %s" % nonce}}}]}).encode()
        return Request("x", "x", nonce, "/v1/x/webhook", body,
                       {"Content-Type": "application/json",
                        "x-twitter-webhooks-signature": "sha256=" + b64_hmac(
                            SECRETS["SWITCHBOARD_X_CONSUMER_SECRET"], body)})

    def _mime(self, nonce):
        who = self._sender()
        return ("From: Customer %d <customer%d@example.org>\r\n"
                "To: support@example.com\r\n"
                "Subject: Invoice question %s\r\n"
                "Message-ID: <%s@chaos.example.org>\r\n"
                "Date: Mon, 23 Nov 2026 09:00:00 +0000\r\n"
                "MIME-Version: 1.0\r\n"
                "Content-Type: text/plain; charset=utf-8\r\n"
                "\r\n"
                "Hello, my invoice is wrong. %s\r\n" % (who, who, nonce, nonce, nonce)).encode()

    def _email_raw(self, nonce):
        return Request("email_raw", "email", nonce, "/v1/email/raw", self._mime(nonce),
                       {"Content-Type": "message/rfc822",
                        "Authorization": "Bearer " + SECRETS["SWITCHBOARD_EMAIL_INBOUND_TOKEN"]})

    def _smtp(self, nonce):
        return Request("smtp", "email", nonce, mail=self._mime(nonce))

    # ---- bad input: 4xx and a dead letter that holds the nonce ------------------------
    def _bad_json(self, nonce):
        body = ('{"visitor_id": "%s", "text": "broken' % nonce).encode()
        return Request("bad_json", "chat", nonce, "/v1/chat/messages", body,
                       {"Content-Type": "application/json"}, expect="rejected")

    def _bad_signature(self, nonce):
        body = self._meta_body(nonce)
        return Request("bad_signature", "messenger", nonce, "/v1/meta/webhook", body,
                       {"Content-Type": "application/json",
                        "X-Hub-Signature-256": "sha256=" + hex_hmac("not-the-secret", body)},
                       expect="rejected")

    def _oversized(self, nonce):
        text = nonce + " " + "x" * 70000  # over the connectors' --max-body-bytes 65536
        body = json.dumps({"visitor_id": "big", "message_id": nonce, "text": text}).encode()
        body = b'{"nonce":"' + nonce.encode() + b'",' + body[1:]
        return Request("oversized", "chat", nonce, "/v1/chat/messages", body,
                       {"Content-Type": "application/json"}, expect="rejected")

    def _malformed_mime(self, nonce):
        body = ("%s\x00\x01 this is not a message at all" % nonce).encode()
        return Request("malformed_mime", "email", nonce, "/v1/email/raw", body,
                       {"Content-Type": "message/rfc822",
                        "Authorization": "Bearer " + SECRETS["SWITCHBOARD_EMAIL_INBOUND_TOKEN"]},
                       expect="rejected")

    def _unknown_channel(self, nonce):
        body = json.dumps({"nonce": nonce, "text": "fax from 1987"}).encode()
        return Request("unknown_channel", "unknown", nonce, "/v1/fax/webhook", body,
                       {"Content-Type": "application/json"}, expect="rejected")


class Sender:
    """Delivers a request with provider-style retries. Final answers go to the ledger."""

    RETRY_FOR_S = 120.0

    def __init__(self, deployment, ledger, rng):
        self.deployment, self.ledger, self.rng = deployment, ledger, rng

    def send(self, request, duplicate=False):
        nonce = request.nonce
        deadline = time.monotonic() + self.RETRY_FOR_S
        attempt = 0
        delay = 0.2
        while True:
            attempt += 1
            with self.ledger.lock:
                self.ledger.counts["requests"] += 1
                if attempt > 1:
                    self.ledger.counts["retries"] += 1
            status, via = self._attempt(request)
            final = status is not None and (200 <= status < 300 or
                                            (400 <= status < 500 and status != 429))
            if final or time.monotonic() > deadline or self.deployment.closed:
                break
            time.sleep(delay * (0.5 + self.rng.random()))
            delay = min(delay * 2, 5.0)
        if duplicate:
            # A provider retry of a request accepted earlier: must be accepted again (2xx) and
            # must not make a second work item; the ledger keeps the original entry.
            self.ledger.record(nonce, duplicate_sends=1 + self.ledger.entries.get(nonce, {}).get(
                "duplicate_sends", 0), last_duplicate_status=status)
            return status
        if status is not None and 200 <= status < 300:
            outcome = "accepted"
        elif status is not None and 400 <= status < 500 and status != 429:
            outcome = "rejected"
        else:
            outcome = "gave_up"
        self.ledger.record(nonce, kind=request.kind, channel=request.channel, outcome=outcome,
                           status=status, attempts=attempt, expect=request.expect, via=via,
                           at=time.strftime("%H:%M:%S"))
        return status

    def _attempt(self, request):
        ep = self.deployment.endpoint("connectors", self.rng)
        if ep is None:
            return None, None
        host, port, smtp_port = ep
        via = "%s:%s" % (port, smtp_port) if request.mail is not None else str(port)
        try:
            if request.mail is not None:
                return self._smtp(host, smtp_port, request), via
            conn = http.client.HTTPConnection(host, port, timeout=20)
            conn.request("POST", request.path, body=request.body, headers=request.headers)
            resp = conn.getresponse()
            resp.read()
            conn.close()
            return resp.status, via
        except (OSError, http.client.HTTPException):
            return None, via

    def _smtp(self, host, port, request):
        if port is None:
            return None
        try:
            with smtplib.SMTP(host, port, timeout=20) as s:
                s.ehlo("chaos.example.org")
                s.sendmail("sender@example.org", ["support@example.com"], request.mail)
            return 250
        except smtplib.SMTPResponseException as e:
            code = e.smtp_code
            # 4xx SMTP = try again later (like 5xx HTTP), 5xx SMTP = refused for good.
            if 400 <= code < 500:
                return 503
            return 400 if code >= 500 else None
        except smtplib.SMTPRecipientsRefused as e:
            codes = [c for c, _ in e.recipients.values()]
            return 503 if any(400 <= c < 500 for c in codes) else 400
        except (OSError, smtplib.SMTPException):
            return None


class Workload:
    """`threads` senders at about `rate` requests per second in total, until stop()."""

    def __init__(self, deployment, ledger, seed, run_id, rate, threads=6):
        self.deployment, self.ledger = deployment, ledger
        self.generator = Generator(seed, run_id)
        self.rate, self.threads = rate, threads
        self.stopping = threading.Event()
        self.workers = []
        self.seed = seed

    def start(self):
        for i in range(self.threads):
            t = threading.Thread(target=self._run, args=(i,), daemon=True)
            t.start()
            self.workers.append(t)

    def _run(self, i):
        rng = random.Random(self.seed * 1000 + i)
        sender = Sender(self.deployment, self.ledger, rng)
        interval = self.threads / float(self.rate)
        while not self.stopping.is_set():
            began = time.monotonic()
            request, duplicate = self.generator.next()
            status = sender.send(request, duplicate)
            if not duplicate and status is not None and 200 <= status < 300:
                self.generator.remember(request)
            spent = time.monotonic() - began
            if spent < interval:
                self.stopping.wait(interval - spent)

    def stop(self):
        self.stopping.set()
        for t in self.workers:
            t.join(timeout=Sender.RETRY_FOR_S + 30)
