"""A multi-process Switchboard deployment on one machine, as Kubernetes would run it.

One `switchboard kafka --fault-control` (the embedded cluster, never killed: it is the Kafka
cluster, whose data lives in its memory), several `switchboard connectors` and several
`switchboard router` processes in the same consumer groups. Each process has a slot: a name,
its command line and, for routers, its own state directory (like a pod with a volume). A slot
can be SIGKILLed and restarted, stopped gracefully, or added and removed (scaling). Processes
listen on port 0; the port is read from the line the process prints.

Thread-safe: the harness's workload, helpdesk and monkey threads all ask for live endpoints.
"""

import json
import os
import random
import re
import signal
import subprocess
import threading
import time
import urllib.request

LISTENING = re.compile(r"listening on http://[^:\s]+:(\d+)")
SMTP = re.compile(r"accepting mail by SMTP on [^:\s]+:(\d+)")
FAULTS = re.compile(r"Fault injection listening on http://[^:\s]+:(\d+)")

AGENT_API_TOKEN = "chaos-agent-token"
SECRETS = {
    "SWITCHBOARD_TWILIO_AUTH_TOKEN": "chaos-twilio-token",
    "SWITCHBOARD_TWILIO_PUBLIC_URL": "https://chaos.example/v1/sms/twilio",
    "SWITCHBOARD_META_APP_SECRET": "chaos-meta-secret",
    "SWITCHBOARD_META_VERIFY_TOKEN": "chaos-verify",
    "SWITCHBOARD_TELEGRAM_SECRET_TOKEN": "chaos-telegram-secret",
    "SWITCHBOARD_X_CONSUMER_SECRET": "chaos-x-secret",
    "SWITCHBOARD_EMAIL_INBOUND_TOKEN": "chaos-email-token",
    "SWITCHBOARD_AGENT_API_TOKEN": AGENT_API_TOKEN,
}


def wait_for_line(path, pattern, proc, timeout):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with open(path, "r", errors="replace") as f:
                m = pattern.search(f.read())
            if m:
                return int(m.group(1))
        except FileNotFoundError:
            pass
        if proc.poll() is not None:
            return None
        time.sleep(0.05)
    return None


class Slot:
    """One process of the deployment; `generation` counts its (re)starts."""

    def __init__(self, name, kind, argv, workdir):
        self.name, self.kind, self.argv, self.workdir = name, kind, argv, workdir
        self.proc = None
        self.generation = 0
        self.http_port = None
        self.smtp_port = None
        self.exits = []  # (generation, returncode) of processes that ended on their own

    def log_path(self):
        return os.path.join(self.workdir, "logs", "%s.%d.log" % (self.name, self.generation))


class ClusterExited(Exception):
    """The embedded cluster (librdkafka's mock broker in `switchboard kafka`) exited. Its data
    was in memory only, so the run cannot be judged: it is void, neither pass nor fail."""

    def __init__(self, returncode, log_path):
        self.returncode = returncode
        self.log_path = log_path
        try:
            with open(log_path) as f:
                self.last_line = (f.read().strip().splitlines() or [""])[-1]
        except OSError:
            self.last_line = ""
        super().__init__("the embedded cluster exited (code %s): %s" % (returncode,
                                                                         self.last_line))

    def in_mock_broker(self):
        """An assertion inside librdkafka's mock broker (not Switchboard's code): e.g. librdkafka
        2.0.2's rd_kafka_mock_cgrp_member_add `!member->resp`, when a consumer rejoins its group
        while the mock still holds its previous JoinGroup."""
        return "rdkafka_mock" in self.last_line


class Deployment:
    def __init__(self, binary, workdir, partitions, policy, log=print):
        self.binary, self.workdir, self.partitions, self.policy = (
            binary, workdir, partitions, policy)
        self.log = log
        self.lock = threading.Lock()
        self.slots = {}
        # Per slot name: processes started and slots added under it, so that a name reused after
        # a scale-down neither overwrites the old logs nor inherits the old state directory.
        self.generations = {}
        self.incarnations = {}
        self.kafka = None
        self.closed = False
        self.brokers = None
        self.fault_port = None
        self.counts = {"kills": 0, "restarts": 0, "scale_ups": 0, "scale_downs": 0,
                       "unexpected_exits": 0}
        os.makedirs(os.path.join(workdir, "logs"), exist_ok=True)
        self.env = dict(os.environ)
        self.env.update(SECRETS)
        self.env.setdefault("SWITCHBOARD_LOG", "info")

    # ---- the cluster -------------------------------------------------------------------
    def start_kafka(self):
        path = os.path.join(self.workdir, "logs", "kafka.log")
        bootstrap = os.path.join(self.workdir, "bootstrap")
        argv = [self.binary, "kafka", "--fault-control", "--http-address", "127.0.0.1",
                "--http-port", "0", "--partitions", str(self.partitions),
                "--bootstrap-file", bootstrap]
        self.kafka = subprocess.Popen(argv, stdout=open(path, "w"), stderr=subprocess.STDOUT,
                                      env=self.env, start_new_session=True)
        self.fault_port = wait_for_line(path, FAULTS, self.kafka, 30)
        if self.fault_port is None:
            raise RuntimeError("switchboard kafka did not start:\n" + open(path).read())
        with open(bootstrap) as f:
            self.brokers = f.read().strip()

    def fault(self, path, body):
        """POST to the cluster's fault control; returns True when applied."""
        req = urllib.request.Request(
            "http://127.0.0.1:%d%s" % (self.fault_port, path), data=json.dumps(body).encode(),
            headers={"Content-Type": "application/json"}, method="POST")
        with urllib.request.urlopen(req, timeout=10) as r:
            return r.status == 200

    # ---- slots -------------------------------------------------------------------------
    def add(self, kind):
        with self.lock:
            n = 1 + sum(1 for s in self.slots.values() if s.kind == kind)
            name = "%s-%d" % (kind, n)
            while name in self.slots:
                n += 1
                name = "%s-%d" % (kind, n)
            common = ["--brokers", self.brokers, "--http-address", "127.0.0.1", "--http-port", "0",
                      "--partitions", str(self.partitions)]
            if kind == "connectors":
                argv = [self.binary, "connectors"] + common + [
                    "--smtp-port", "0", "--max-body-bytes", "65536"]
            else:
                # A new replica starts with an empty state directory (a restart keeps its own).
                self.incarnations[name] = self.incarnations.get(name, 0) + 1
                state = os.path.join(self.workdir, "state",
                                     "%s.%d" % (name, self.incarnations[name]))
                argv = [self.binary, "router"] + common + [
                    "--state-dir", state, "--policy", self.policy]
            slot = Slot(name, kind, argv, self.workdir)
            slot.generation = self.generations.get(name, 0)
            self.slots[name] = slot
        self._spawn(slot)
        return slot

    def _spawn(self, slot):
        with self.lock:
            slot.generation += 1
            self.generations[slot.name] = slot.generation
        proc = subprocess.Popen(slot.argv, stdout=open(slot.log_path(), "w"),
                                stderr=subprocess.STDOUT, env=self.env, start_new_session=True)
        port = wait_for_line(slot.log_path(), LISTENING, proc, 60)
        smtp = None
        if slot.kind == "connectors" and port is not None:
            smtp = wait_for_line(slot.log_path(), SMTP, proc, 10)
        with self.lock:
            slot.proc, slot.http_port, slot.smtp_port = proc, port, smtp
        if port is None:
            self.log("  %s did not start (exit %s), see %s" % (slot.name, proc.poll(),
                                                              slot.log_path()))

    def kill(self, slot, restart_after=None):
        """SIGKILL, as the OOM killer or a node failure would; restart like a Deployment."""
        with self.lock:
            proc = slot.proc
            slot.proc, slot.http_port, slot.smtp_port = None, None, None
        if proc is not None and proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
            self.counts["kills"] += 1
        if restart_after is not None:
            time.sleep(restart_after)
            self._spawn(slot)
            self.counts["restarts"] += 1

    def stop(self, slot, remove=True):
        """SIGTERM and wait: a graceful scale-down (the process leaves its groups)."""
        with self.lock:
            proc = slot.proc
            slot.proc, slot.http_port, slot.smtp_port = None, None, None
            if remove:
                self.slots.pop(slot.name, None)
        if proc is not None and proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(timeout=60)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()

    def reap(self):
        """Restarts processes that ended on their own (a stage that failed on a fault). Raises
        ClusterExited when the embedded cluster itself is gone: nothing can go on without it."""
        if self.kafka is not None and self.kafka.poll() is not None:
            raise ClusterExited(self.kafka.returncode,
                                os.path.join(self.workdir, "logs", "kafka.log"))
        dead = []
        with self.lock:
            for slot in self.slots.values():
                if slot.proc is not None and slot.proc.poll() is not None:
                    slot.exits.append((slot.generation, slot.proc.returncode))
                    slot.proc, slot.http_port, slot.smtp_port = None, None, None
                    dead.append(slot)
        for slot in dead:
            self.counts["unexpected_exits"] += 1
            self.log("  %s exited on its own (code %s), restarting; log %s" % (
                slot.name, slot.exits[-1][1], slot.log_path()))
            self._spawn(slot)
            self.counts["restarts"] += 1
        return dead

    def live(self, kind):
        with self.lock:
            return [s for s in self.slots.values()
                    if s.kind == kind and s.proc is not None and s.http_port is not None]

    def of_kind(self, kind):
        with self.lock:
            return [s for s in self.slots.values() if s.kind == kind]

    def endpoint(self, kind, rng=random):
        """(host, port, smtp_port) of a random live process of `kind`, or None."""
        live = self.live(kind)
        if not live:
            return None
        s = rng.choice(live)
        return ("127.0.0.1", s.http_port, s.smtp_port)

    def shutdown(self):
        if self.closed:
            return
        self.closed = True  # senders still retrying give up (Sender.send)
        for slot in list(self.slots.values()):
            self.stop(slot, remove=False)
        if self.kafka is not None and self.kafka.poll() is None:
            self.kafka.send_signal(signal.SIGTERM)
            try:
                self.kafka.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.kafka.kill()
