"""The chaos monkey: at random moments it SIGKILLs and restarts router and connector processes,
scales them up and down (each change is a consumer-group rebalance), and injects broker faults
through the embedded cluster's fault control: request errors on produce, fetch, join, sync,
heartbeat and commit calls, the broker down and back, added latency. Only faults a real Kafka
cluster also produces, with errors clients are expected to retry."""

import random
import threading
import time

from weights import pick

# (api, errors a real broker answers to it that a correct client retries or rejoins on)
REQUEST_FAULTS = [
    ("produce", ["NOT_LEADER_FOR_PARTITION", "REQUEST_TIMED_OUT", "NOT_ENOUGH_REPLICAS"]),
    ("fetch", ["NOT_LEADER_FOR_PARTITION", "REQUEST_TIMED_OUT"]),
    ("join_group", ["COORDINATOR_NOT_AVAILABLE", "COORDINATOR_LOAD_IN_PROGRESS"]),
    ("sync_group", ["REBALANCE_IN_PROGRESS", "COORDINATOR_NOT_AVAILABLE"]),
    ("heartbeat", ["REBALANCE_IN_PROGRESS", "NOT_COORDINATOR"]),
    ("offset_commit", ["REBALANCE_IN_PROGRESS", "COORDINATOR_NOT_AVAILABLE",
                       "REQUEST_TIMED_OUT"]),
]

ACTIONS = [("kill_router", 4), ("kill_connectors", 3), ("scale_router", 2),
           ("scale_connectors", 1), ("request_errors", 5), ("broker_down", 1),
           ("latency", 2)]


class Monkey:
    def __init__(self, deployment, seed, interval_s, max_routers=4, max_connectors=3, log=print):
        self.d = deployment
        self.rng = random.Random(seed)
        self.interval = interval_s
        self.max_routers, self.max_connectors = max_routers, max_connectors
        self.log = log
        self.stopping = threading.Event()
        self.counts = {"faults_injected": 0, "request_errors": 0, "broker_down": 0,
                       "latency": 0, "kills": 0, "scale_ups": 0, "scale_downs": 0}
        self.background = []

    def start(self):
        self.thread = threading.Thread(target=self._run, daemon=True, name="monkey")
        self.thread.start()

    def _run(self):
        while not self.stopping.wait(self.interval * self.rng.uniform(0.5, 1.5)):
            action = pick(self.rng, ACTIONS)
            try:
                getattr(self, "_" + action)()
            except Exception as e:  # a fault that could not be applied is not a test failure
                self.log("  monkey: %s failed: %s" % (action, e))

    def _in_background(self, fn):
        t = threading.Thread(target=fn, daemon=True)
        t.start()
        self.background.append(t)

    def _kill(self, kind):
        live = self.d.live(kind)
        if not live:
            return
        slot = self.rng.choice(live)
        delay = self.rng.uniform(0.5, 4.0)
        self.log("  monkey: SIGKILL %s, restart in %.1fs" % (slot.name, delay))
        self.counts["kills"] += 1
        self._in_background(lambda: self.d.kill(slot, restart_after=delay))

    def _kill_router(self):
        self._kill("router")

    def _kill_connectors(self):
        self._kill("connectors")

    def _scale(self, kind, maximum):
        slots = self.d.of_kind(kind)
        if len(slots) < maximum and (len(slots) <= 1 or self.rng.random() < 0.5):
            self.counts["scale_ups"] += 1
            self.log("  monkey: scale %s up to %d" % (kind, len(slots) + 1))
            self._in_background(lambda: self.d.add(kind))
        elif len(slots) > 1:
            live = [s for s in slots if s.proc is not None]
            if not live:
                return
            slot = self.rng.choice(live)
            self.counts["scale_downs"] += 1
            self.log("  monkey: scale %s down (stop %s)" % (kind, slot.name))
            self._in_background(lambda: self.d.stop(slot))

    def _scale_router(self):
        self._scale("router", self.max_routers)

    def _scale_connectors(self):
        self._scale("connectors", self.max_connectors)

    def _request_errors(self):
        api, errors = self.rng.choice(REQUEST_FAULTS)
        error = self.rng.choice(errors)
        count = self.rng.randint(1, 5)
        if self.d.fault("/v1/faults/request-errors", {"api": api, "error": error, "count": count}):
            self.counts["request_errors"] += 1
            self.counts["faults_injected"] += 1
            self.log("  monkey: %d x %s on %s" % (count, error, api))

    def _broker_down(self):
        seconds = self.rng.uniform(1.0, 5.0)
        if self.d.fault("/v1/faults/broker", {"broker": 1, "down": True}):
            self.counts["broker_down"] += 1
            self.counts["faults_injected"] += 1
            self.log("  monkey: broker down for %.1fs" % seconds)

            def back():
                time.sleep(seconds)
                self.d.fault("/v1/faults/broker", {"broker": 1, "down": False})
            self._in_background(back)

    def _latency(self):
        ms = self.rng.randint(50, 400)
        seconds = self.rng.uniform(3.0, 10.0)
        if self.d.fault("/v1/faults/rtt", {"broker": 1, "ms": ms}):
            self.counts["latency"] += 1
            self.counts["faults_injected"] += 1
            self.log("  monkey: +%d ms broker latency for %.1fs" % (ms, seconds))

            def back():
                time.sleep(seconds)
                self.d.fault("/v1/faults/rtt", {"broker": 1, "ms": 0})
            self._in_background(back)

    def stop(self):
        """Stops the chaos without healing (the run is over)."""
        self.stopping.set()
        self.thread.join(timeout=30)

    def stop_and_heal(self, routers, connectors):
        """Stops the chaos and brings the deployment back to `routers` + `connectors`."""
        self.stopping.set()
        self.thread.join()
        for t in self.background:
            t.join(timeout=120)
        self.d.fault("/v1/faults/clear", {})
        self.d.fault("/v1/faults/broker", {"broker": 1, "down": False})
        self.d.fault("/v1/faults/rtt", {"broker": 1, "ms": 0})
        for kind, want in (("router", routers), ("connectors", connectors)):
            for slot in self.d.of_kind(kind):
                if slot.proc is None:
                    self.d._spawn(slot)
            while len(self.d.of_kind(kind)) < want:
                self.d.add(kind)
