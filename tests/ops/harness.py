"""Shared by the ops checks: start a real `switchboard up`, make its series move, scrape it.

Standard library only (python3 on a stock Debian 12). `Switchboard` is a context manager that
starts the binary with `--http-port 0` (embedded Kafka, state in a temporary directory), reads
the port from the "listening on http://HOST:PORT (metrics" line and stops it with SIGINT (then
SIGKILL) on exit, whatever happened. `run_scenario()` drives the HTTP API so that the metric
families the dashboard and the alerts use have series: offers and offer timeouts, a waiting
queue, an overflow step, SLA breaches, assignments, a follow-up, a dead letter, an applied and a
rejected policy reload.
"""

import json
import os
import re
import shutil
import signal
import subprocess
import tempfile
import threading
import time
import urllib.error
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
SCENARIO_POLICY = os.path.join(HERE, "scenario-policy.yaml")
LISTENING = re.compile(r"listening on http://([^:\s]+):(\d+) \(metrics")


class Switchboard:
    def __init__(self, binary, policy=None, extra_args=()):
        self.binary = os.path.abspath(binary)
        self.policy_source = policy
        self.extra_args = list(extra_args)
        self.proc = None
        self.port = None
        self.lines = []
        self.workdir = None
        self.policy = None

    def __enter__(self):
        self.workdir = tempfile.mkdtemp(prefix="sb-ops-")
        args = [self.binary, "up", "--http-address", "127.0.0.1", "--http-port", "0",
                "--state-dir", os.path.join(self.workdir, "state"),
                "--bootstrap-file", os.path.join(self.workdir, "bootstrap")]
        if self.policy_source:
            self.policy = os.path.join(self.workdir, "policy.yaml")
            shutil.copyfile(self.policy_source, self.policy)
            args += ["--policy", self.policy, "--policy-reload-interval", "1"]
        args += self.extra_args
        # `up` serves the agent API, which wants a token (requests carry it: request()).
        env = dict(os.environ, SWITCHBOARD_AGENT_API_TOKEN=AGENT_API_TOKEN)
        self.proc = subprocess.Popen(args, cwd=self.workdir, stdout=subprocess.PIPE,
                                     stderr=subprocess.STDOUT, text=True, env=env)
        found = threading.Event()

        def reader():
            for line in self.proc.stdout:
                self.lines.append(line.rstrip("\n"))
                m = LISTENING.search(line)
                if m and not found.is_set():
                    self.port = int(m.group(2))
                    found.set()
            found.set()

        threading.Thread(target=reader, daemon=True).start()
        if not found.wait(60) or self.port is None:
            self.__exit__(None, None, None)
            raise RuntimeError("switchboard did not print its port:\n" + self.log())
        return self

    def __exit__(self, *exc):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)
            try:
                self.proc.wait(30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        if self.workdir:
            shutil.rmtree(self.workdir, ignore_errors=True)
        return False

    def log(self):
        return "\n".join(self.lines[-40:])

    @property
    def base(self):
        return "http://127.0.0.1:%d" % self.port

    def request(self, method, path, body=None):
        data = json.dumps(body).encode() if body is not None else None
        req = urllib.request.Request(self.base + path, data=data, method=method,
                                     headers={"Content-Type": "application/json",
                                              "Authorization": "Bearer " + AGENT_API_TOKEN})
        try:
            with urllib.request.urlopen(req, timeout=30) as r:
                return r.status, r.read().decode()
        except urllib.error.HTTPError as e:
            return e.code, e.read().decode()

    def scrape(self):
        status, text = self.request("GET", "/metrics")
        if status != 200:
            raise RuntimeError("GET /metrics: %d" % status)
        return text

    def wait_ready(self, timeout=90):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                if self.request("GET", "/readyz")[0] == 200:
                    return
            except OSError:
                pass
            time.sleep(0.2)
        raise RuntimeError("switchboard not ready in %ds:\n%s" % (timeout, self.log()))

    def wait_for(self, what, wanted, timeout=60):
        """Scrapes until every (family, {labels}) in `wanted` has a sample > 0 (summed over the
        samples whose labels include `labels`); returns the parsed scrape."""
        deadline = time.monotonic() + timeout
        while True:
            families = parse_exposition(self.scrape())
            missing = [(f, l) for f, l in wanted if not has(families, f, **l)]
            if not missing:
                return families
            if time.monotonic() > deadline:
                raise RuntimeError("timed out waiting for %s: still 0 or absent: %s\n%s"
                                   % (what, missing, self.log()))
            time.sleep(0.25)


AGENT_API_TOKEN = "ops-test-token"
SAMPLE = re.compile(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s+(\S+)')
LABEL = re.compile(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"')


def parse_exposition(text):
    """Prometheus text format → {family: {"type", "help", "samples": [(name, labels, value)]}}.
    Samples of a histogram (name_bucket, _sum, _count) belong to their family."""
    families = {}
    current = None
    for line in text.splitlines():
        if line.startswith("# HELP ") or line.startswith("# TYPE "):
            parts = line.split(" ", 3)
            fam = families.setdefault(parts[2], {"type": "untyped", "help": "", "samples": []})
            if parts[1] == "TYPE":
                fam["type"] = parts[3] if len(parts) > 3 else "untyped"
            else:
                fam["help"] = parts[3] if len(parts) > 3 else ""
            current = parts[2]
            continue
        if not line or line.startswith("#"):
            continue
        m = SAMPLE.match(line)
        if not m:
            raise ValueError("unparsable sample line: %r" % line)
        name, labels, value = m.group(1), dict(LABEL.findall(m.group(2) or "")), m.group(3)
        family = current if current and name.startswith(current) else name
        families.setdefault(family, {"type": "untyped", "help": "", "samples": []})
        families[family]["samples"].append((name, labels, float(value)))
    return families


def value(families, family, **labels):
    """Sum of the family's samples (named exactly `family`) whose labels include `labels`."""
    total = None
    for name, sample_labels, v in families.get(family, {}).get("samples", []):
        if name != family:
            continue
        if all(sample_labels.get(k) == want for k, want in labels.items()):
            total = (total or 0.0) + v
    return total


def has(families, family, **labels):
    v = value(families, family, **labels)
    return v is not None and v > 0


def run_scenario(sb):
    """Drives `sb` (started with SCENARIO_POLICY) through the story in the module comment;
    returns the final parsed scrape."""
    sb.wait_ready()

    def post(path, body, expect=202):
        status, text = sb.request("POST", path, body)
        if status != expect:
            raise RuntimeError("POST %s: %d %s (expected %d)" % (path, status, text, expect))
        return json.loads(text) if text else {}

    post("/v1/agents/alice/presence", {"presence": "available", "capacities": {"chat": 1}})
    post("/v1/chat/messages", {"visitor_id": "v-1", "message_id": "m-1", "text": "hello"})
    post("/v1/chat/messages", {"visitor_id": "v-2", "message_id": "m-2", "text": "anyone?"})
    post("/v1/chat/messages", {"text": "no visitor"}, expect=400)  # a dead letter
    # alice holds an offer she never answers (1 s reservation timeout); v-2 waits behind it and
    # the queue's overflow step (8 s) comes into force.
    sb.wait_for("offer timeout, overflow and a waiting queue", [
        ("switchboard_router_reservations_total", {"outcome": "offer_timeout"}),
        ("switchboard_router_overflow_widenings_total", {}),
        ("switchboard_router_queue_depth", {}),
        ("switchboard_router_oldest_wait_seconds", {}),
        # v-2 now waits for desk and, past the overflow step, backup; alice (desk) is away.
        ("switchboard_router_pool_queue_depth", {"pool": "backup"}),
        ("switchboard_router_pool_oldest_wait_seconds", {"pool": "desk"}),
        ("switchboard_router_pool_agents", {"pool": "desk"}),
        ("switchboard_router_offers_total", {})])
    # An answer for a work item the router does not know changes nothing.
    post("/v1/agents/alice/accept", {"work_item_id": "wi-does-not-exist"})
    # Reload to assign outright, then alice is back (an offer that lapsed made her away): the
    # waiting item goes to her (SLA 1 s: breached). She is told again until the dispatch task
    # has the new policy (an offer under the old one would lapse and make her away again).
    with open(sb.policy) as f:
        policy = f.read()
    with open(sb.policy, "w") as f:
        f.write(policy.replace("reservation_timeout: 1s", "reservation_timeout: 0s"))
    sb.wait_for("an applied reload", [("switchboard_policy_reloads_total", {"outcome": "applied"})])
    for attempt in range(10):
        post("/v1/agents/alice/presence", {"presence": "available", "capacities": {"chat": 3}})
        try:
            sb.wait_for("an assignment", [("switchboard_router_assignments_total", {}),
                                          ("switchboard_router_sla_total", {})], timeout=5)
            break
        except RuntimeError:
            if attempt == 9:
                raise
    sb.wait_for("an ignored input", [("switchboard_router_input_ignored_total", {})])
    # A follow-up in the conversation alice has in hand: which of the two she declined (her
    # first offer lapsed) depends on which reached dispatch first, so both customers write.
    post("/v1/chat/messages", {"visitor_id": "v-1", "message_id": "m-3", "text": "still there?"})
    post("/v1/chat/messages", {"visitor_id": "v-2", "message_id": "m-4", "text": "still there?"})
    with open(sb.policy, "w") as f:
        f.write("version: 1\npools: []\n")
    return sb.wait_for("a rejected reload and an appended follow-up", [
        ("switchboard_policy_reloads_total", {"outcome": "rejected"}),
        ("switchboard_router_appended_total", {})])
