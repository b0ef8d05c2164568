#!/usr/bin/env python3
"""A real Prometheus scrapes a running `switchboard up` and sees its series move.

usage: prometheus_scrape_test.py SWITCHBOARD_BINARY [REPO_ROOT]

Needs `prometheus` and `promtool` on PATH (Debian package prometheus, installed by
scripts/install-deps.sh). Starts switchboard (port 0, read from its stdout) and Prometheus
(a free port found by binding, a temporary TSDB, 1 s scrape and rule evaluation, the rules of
ops/prometheus loaded), then through Prometheus' HTTP API:
  1. the target is up;
  2. switchboard_ingress_requests_total{channel="chat",outcome="accepted"} is 0, and after a
     chat POST it is 1; an agent's presence and a chat then show up as
     switchboard_router_assignments_total (the router stages' series move too);
  3. every rule of ops/prometheus loaded and evaluates with health "ok";
and `promtool check metrics` passes on the process' /metrics. Both processes are stopped
whatever happens.
"""

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402


def free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Prometheus:
    def __init__(self, target_port, rule_files):
        self.target_port = target_port
        self.rule_files = rule_files
        self.proc = None
        self.dir = None
        self.port = None

    def __enter__(self):
        binary = shutil.which("prometheus")
        if not binary:
            raise RuntimeError("prometheus not found on PATH (Debian package prometheus; "
                               "scripts/install-deps.sh installs it)")
        self.dir = tempfile.mkdtemp(prefix="sb-prom-")
        config = os.path.join(self.dir, "prometheus.yml")
        with open(config, "w") as f:
            f.write("global:\n  scrape_interval: 1s\n  evaluation_interval: 1s\n"
                    "rule_files:\n%s"
                    "scrape_configs:\n  - job_name: switchboard\n    static_configs:\n"
                    "      - targets: ['127.0.0.1:%d']\n"
                    % ("".join("  - %s\n" % r for r in self.rule_files), self.target_port))
        # The port is free when probed; another process could take it before Prometheus
        # binds, so a start that fails is retried on a new port.
        for _ in range(3):
            self.port = free_port()
            log = open(os.path.join(self.dir, "prometheus.log"), "w")
            self.proc = subprocess.Popen(
                [binary, "--config.file=" + config,
                 "--storage.tsdb.path=" + os.path.join(self.dir, "data"),
                 "--web.listen-address=127.0.0.1:%d" % self.port],
                stdout=log, stderr=subprocess.STDOUT)
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline and self.proc.poll() is None:
                try:
                    with urllib.request.urlopen(self.url("/-/ready"), timeout=2) as r:
                        if r.status == 200:
                            return self
                except OSError:
                    pass
                time.sleep(0.2)
            self.stop()
        raise RuntimeError("prometheus did not start:\n" + self.log())

    def __exit__(self, *exc):
        self.stop()
        shutil.rmtree(self.dir, ignore_errors=True)
        return False

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()

    def log(self):
        try:
            with open(os.path.join(self.dir, "prometheus.log")) as f:
                return "".join(f.readlines()[-30:])
        except OSError:
            return ""

    def url(self, path):
        return "http://127.0.0.1:%d%s" % (self.port, path)

    def api(self, path, **params):
        url = self.url(path) + ("?" + urllib.parse.urlencode(params) if params else "")
        with urllib.request.urlopen(url, timeout=10) as r:
            body = json.loads(r.read().decode())
        if body.get("status") != "success":
            raise RuntimeError("%s: %s" % (path, body))
        return body["data"]

    def query(self, expr):
        """The value of a one-series instant query, or None when it has no result."""
        result = self.api("/api/v1/query", query=expr)["result"]
        if len(result) > 1:
            raise RuntimeError("%s: %d series, expected one" % (expr, len(result)))
        return float(result[0]["value"][1]) if result else None

    def wait_until(self, what, check, timeout=90):
        deadline = time.monotonic() + timeout
        last = None
        while time.monotonic() < deadline:
            last = check()
            if last is True:
                return
            time.sleep(0.5)
        raise RuntimeError("timed out waiting for %s (last: %r)\n%s" % (what, last, self.log()))


def main():
    if len(sys.argv) < 2:
        print(__doc__)
        return 2
    binary = sys.argv[1]
    repo = sys.argv[2] if len(sys.argv) > 2 else os.path.abspath(
        os.path.join(os.path.dirname(__file__), "..", ".."))
    rules = [os.path.join(repo, "ops", "prometheus", f) for f in ("recording.yml", "alerts.yml")]
    promtool = shutil.which("promtool")
    if not promtool:
        print("FAILED: promtool not found on PATH (Debian package prometheus)")
        return 1

    with harness.Switchboard(binary) as sb, Prometheus(sb.port, rules) as prom:
        print("switchboard on :%d, prometheus on :%d" % (sb.port, prom.port))
        accepted = 'switchboard_ingress_requests_total{job="switchboard",channel="chat",' \
                   'outcome="accepted"}'
        prom.wait_until("the target to be up",
                        lambda: prom.query('up{job="switchboard"}') == 1.0 or None)
        prom.wait_until("the ingress series", lambda: prom.query(accepted) == 0.0 or
                        prom.query(accepted))
        print("before: %s = %s" % (accepted, prom.query(accepted)))

        sb.wait_ready()
        status, body = sb.request("POST", "/v1/agents/alice/presence",
                                  {"presence": "available", "capacities": {"chat": 3}})
        assert status == 202, (status, body)
        status, body = sb.request("POST", "/v1/chat/messages",
                                  {"visitor_id": "v-42", "message_id": "m-1", "text": "Hi"})
        assert status == 202, (status, body)
        prom.wait_until("the chat to be counted", lambda: prom.query(accepted) == 1.0 or
                        prom.query(accepted))
        print("after a chat POST: %s = %s" % (accepted, prom.query(accepted)))
        assigned = 'sum(switchboard_router_assignments_total{job="switchboard"})'
        prom.wait_until("the assignment", lambda: prom.query(assigned) == 1.0 or
                        prom.query(assigned))
        print("%s = %s" % (assigned, prom.query(assigned)))
        series = prom.api("/api/v1/label/__name__/values")
        names = [n for n in series if n.startswith("switchboard_")]
        print("prometheus holds %d switchboard_ metric names" % len(names))

        def rules_ok():
            groups = prom.api("/api/v1/rules")["groups"]
            all_rules = [r for g in groups for r in g["rules"]]
            bad = [(r["name"], r.get("health"), r.get("lastError")) for r in all_rules
                   if r.get("health") != "ok"]
            if all_rules and not bad:
                print("prometheus evaluates %d rules in %d groups, all healthy"
                      % (len(all_rules), len(groups)))
                return True
            return bad or "no rules loaded"

        prom.wait_until("every rule to evaluate", rules_ok)

        text = sb.scrape()
        check = subprocess.run([promtool, "check", "metrics"], input=text, capture_output=True,
                               text=True)
        print("promtool check metrics: exit %d %s" % (check.returncode,
                                                      (check.stdout + check.stderr).strip()))
        if check.returncode != 0:
            print("FAILED: promtool check metrics")
            return 1
    print("OK")
    return 0


if __name__ == "__main__":
    sys.exit(main())
