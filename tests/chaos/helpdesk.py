"""A helpdesk with simulated agents, talking to the router only as a real one would: agent API
over HTTP (any live router process; the request_id makes a retried call the same event) and the
assignments topic.

Agents come from the policy. They go AVAILABLE at start; accept most offers, reject some and
let some lapse; complete assigned work after a few seconds; come back AVAILABLE after a lapsed
offer set them AWAY; and now and then go OFFLINE for a while (their offers are re-queued).
Each agent makes its calls in order on a thread of its own, as people at their own desks do: a
call stuck on a restarting router delays that agent only, not the whole floor.
"""

import heapq
import http.client
import json
import queue
import random
import threading
import time

from deployment import AGENT_API_TOKEN
from topics import TopicTail

ACCEPT, REJECT, IGNORE = 0.80, 0.12, 0.08


def agents_from_policy(policy):
    """agent id -> (domain, {channel: capacity}) for the pools that list agents."""
    agents = {}
    for pool in policy["pools"]:
        for a in pool.get("members", {}).get("agents", []):
            agents[a] = (pool.get("domain", "default"), dict(pool.get("capacity", {})))
    return agents


class Helpdesk:
    def __init__(self, deployment, brokers, topics, pb, policy, seed, flap_every_s=20.0):
        self.deployment, self.pb = deployment, pb
        self.agents = agents_from_policy(policy)
        self.rng = random.Random(seed)
        self.lock = threading.Lock()
        self.timers = []  # heap of (due, seq, action, agent, body)
        self.seq = 0
        self.desks = {agent: queue.Queue() for agent in self.agents}  # calls due, in order
        self.calls_pending = 0  # handed to a desk and not finished
        self.seen = set()
        self.counts = {"accepts": 0, "rejects": 0, "ignored": 0, "completes": 0,
                       "presence": 0, "api_errors": 0, "api_refused": 0}
        self.flap_every_s = flap_every_s
        self.stopping = threading.Event()
        self.tail = TopicTail(brokers, [topics["assignments"]], self._on_assignment, "helpdesk")
        self.Assignment = pb["assignment_pb2"].Assignment
        self.ST = pb["assignment_pb2"]

    def start(self):
        for agent in self.agents:
            self._later(0.0, "presence", agent, {"presence": "available"})
        self.tail.start()
        self.worker = threading.Thread(target=self._run, daemon=True, name="helpdesk")
        self.worker.start()
        self.desk_threads = [
            threading.Thread(target=self._desk, args=(agent, random.Random("%s/%s" % (
                self.rng.random(), agent))), daemon=True, name="desk-" + agent)
            for agent in sorted(self.agents)]
        for t in self.desk_threads:
            t.start()

    def _later(self, delay, action, agent, body):
        with self.lock:
            self.seq += 1
            body = dict(body, domain=self.agents[agent][0],
                        request_id="hd-%d-%s" % (self.seq, action))
            heapq.heappush(self.timers, (time.monotonic() + delay, self.seq, action, agent, body))

    def _on_assignment(self, topic, partition, offset, key, headers, value):
        a = self.Assignment()
        a.ParseFromString(value)
        if a.agent_id not in self.agents:
            return
        with self.lock:
            if a.assignment_id in self.seen:
                return
            self.seen.add(a.assignment_id)
        st = a.status
        if st == self.ST.ASSIGNMENT_STATUS_OFFERED:
            x = self.rng.random()
            if x < ACCEPT:
                self._later(self.rng.uniform(0.05, 1.5), "accept", a.agent_id,
                            {"work_item_id": a.work_item_id})
            elif x < ACCEPT + REJECT:
                self._later(self.rng.uniform(0.05, 1.0), "reject", a.agent_id,
                            {"work_item_id": a.work_item_id, "reason": "busy"})
            else:
                with self.lock:
                    self.counts["ignored"] += 1
        elif st == self.ST.ASSIGNMENT_STATUS_ASSIGNED:
            self._later(self.rng.uniform(1.0, 6.0), "complete", a.agent_id,
                        {"work_item_id": a.work_item_id})
        elif st == self.ST.ASSIGNMENT_STATUS_REQUEUED and a.reason.cause == "offer_timeout":
            # A lapsed offer set the agent AWAY: the helpdesk brings them back.
            self._later(self.rng.uniform(0.5, 2.0), "presence", a.agent_id,
                        {"presence": "available"})

    def _run(self):
        next_flap = time.monotonic() + self.flap_every_s
        while not self.stopping.is_set():
            now = time.monotonic()
            if self.flap_every_s and now >= next_flap:
                next_flap = now + self.flap_every_s * self.rng.uniform(0.5, 1.5)
                agent = self.rng.choice(sorted(self.agents))
                self._later(0.0, "presence", agent, {"presence": "offline"})
                self._later(self.rng.uniform(3.0, 8.0), "presence", agent,
                            {"presence": "available"})
            with self.lock:
                due = self.timers[0][0] if self.timers else now + 0.1
                item = heapq.heappop(self.timers) if due <= now else None
            if item is None:
                self.stopping.wait(min(0.1, max(0.0, due - now)))
                continue
            _, _, action, agent, body = item
            with self.lock:
                self.calls_pending += 1
            self.desks[agent].put((action, body))

    def _desk(self, agent, rng):
        while not self.stopping.is_set():
            try:
                action, body = self.desks[agent].get(timeout=0.2)
            except queue.Empty:
                continue
            try:
                self._call(action, agent, body, rng)
            finally:
                with self.lock:
                    self.calls_pending -= 1

    def _call(self, action, agent, body, rng):
        """Delivers one API call, retrying (same request_id) until a final answer."""
        deadline = time.monotonic() + 120
        payload = json.dumps(body).encode()
        while time.monotonic() < deadline and not self.stopping.is_set():
            ep = self.deployment.endpoint("router", rng)
            status = None
            if ep is not None:
                try:
                    conn = http.client.HTTPConnection(ep[0], ep[1], timeout=15)
                    conn.request("POST", "/v1/agents/%s/%s" % (agent, action), body=payload,
                                 headers={"Content-Type": "application/json",
                                          "Authorization": "Bearer " + AGENT_API_TOKEN})
                    resp = conn.getresponse()
                    resp.read()
                    conn.close()
                    status = resp.status
                except (OSError, http.client.HTTPException):
                    status = None
            if status is not None and 200 <= status < 300:
                key = {"accept": "accepts", "reject": "rejects", "complete": "completes",
                       "presence": "presence"}[action]
                with self.lock:
                    self.counts[key] += 1
                return
            if status is not None and 400 <= status < 500 and status != 429:
                with self.lock:
                    self.counts["api_refused"] += 1
                return
            with self.lock:
                self.counts["api_errors"] += 1
            time.sleep(0.3 + rng.random() * 0.5)

    def all_available(self):
        for agent in self.agents:
            self._later(0.0, "presence", agent, {"presence": "available"})

    def stop_flapping(self):
        self.flap_every_s = 0

    def idle(self):
        with self.lock:
            return not self.timers and self.calls_pending == 0

    def stop(self):
        self.stopping.set()
        self.worker.join(timeout=10)
        for t in self.desk_threads:
            t.join(timeout=10)
        self.tail.stop()
