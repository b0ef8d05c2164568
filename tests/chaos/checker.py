"""The independent checker: reads the inbound, work-items, assignments and dead-letter topics
(from offset 0, for the whole run) and, with the ledger of final answers the senders got,
proves the promises:

- every accepted request is on the inbound topic and became exactly one work item
  (lost = accepted with no work item; duplicated = more than one distinct work item for one
  message, or one record id written twice to work-items or assignments with different
  contents: two decisions where there must be one);
- a record written again byte for byte under the same id (`repeated_records`) is Kafka's
  at-least-once delivery, e.g. a produce retried across a broker outage: every consumer
  dedupes by id (dispatch by work item id, a helpdesk by assignment id), so it is counted and
  shown, not failed; the checks below apply each id once;
- a work item has at most one active holder at a time (offered or assigned to one agent;
  released only by REQUEUED or COMPLETED), and a completed item is never handed out again;
- no agent ever held more items of a channel than its pool's capacity;
- every rejected request (4xx) has its dead letter (found by the nonce in the raw payload);
- after the drain, every conversation that reached dispatch was assigned (nobody got none).
"""

import hashlib
import re
import threading
from collections import defaultdict

from topics import TopicTail

NONCE = re.compile(rb"n[0-9a-f]{6}-\d{6}")


class Checker:
    def __init__(self, brokers, topics, pb, agents, record_log=None):
        self.pb = pb
        # One line per record read (topic, partition, offset, sb-id, ids, nonces): what a failed
        # run is investigated with after the in-memory cluster is gone.
        self.record_log = open(record_log, "w") if record_log else None
        self.agents = agents  # agent -> (domain, {channel: capacity})
        self.topics = topics
        self.lock = threading.Lock()
        self.inbound = defaultdict(set)  # nonce -> idempotency keys seen on inbound
        self.items_by_nonce = defaultdict(set)  # nonce -> work item ids
        self.item_records = defaultdict(int)  # sb-id (work item id) -> records
        self.item_info = {}  # work item id -> (conversation id, channel name)
        self.assignment_records = defaultdict(int)  # assignment id -> records
        self.digests = {}  # (topic, record id) -> digest of the first record's bytes
        self.dead_letter_nonces = set()
        self.dead_letters = 0
        self.history = defaultdict(list)  # work item id -> "status:agent:cause" in order
        self.holder = {}  # work item id -> (agent, channel) while offered/assigned
        self.completed = set()
        self.assigned_conversations = set()
        self.held = defaultdict(int)  # (agent, channel) -> items held now
        self.max_held = defaultdict(int)
        self.violations = []  # human-readable, first few of each kind kept
        self.notes = []  # the same, for what is counted but not failed
        self.counts = defaultdict(int)
        St = pb["assignment_pb2"]
        self.OFFERED, self.ASSIGNED = St.ASSIGNMENT_STATUS_OFFERED, St.ASSIGNMENT_STATUS_ASSIGNED
        self.REQUEUED, self.COMPLETED = St.ASSIGNMENT_STATUS_REQUEUED, St.ASSIGNMENT_STATUS_COMPLETED
        self.APPENDED = St.ASSIGNMENT_STATUS_APPENDED
        self.channel_name = pb["envelope_pb2"].Channel.Name
        names = [topics[k] for k in ("inbound", "work_items", "assignments", "dead_letters")]
        self.tail = TopicTail(brokers, names, self._on_record, "checker")

    def start(self):
        self.tail.start()

    def stop(self):
        self.tail.stop()
        if self.record_log:
            self.record_log.close()

    def _violation(self, kind, text):
        self.counts[kind] += 1
        if self.counts[kind] <= 5:
            self.violations.append("%s: %s" % (kind, text))

    def _channel(self, channel_enum):
        return self.channel_name(channel_enum)[len("CHANNEL_"):].lower()

    def _on_record(self, topic, partition, offset, key, headers, value):
        if self.record_log:
            self.record_log.write("%s\t%d\t%d\t%s\t%s\n" % (
                topic, partition, offset, headers.get("sb-id", ""),
                ",".join(sorted(n.decode() for n in set(NONCE.findall(value))))))
        with self.lock:
            if topic == self.topics["inbound"]:
                m = self.pb["inbound_message_pb2"].InboundMessage()
                m.ParseFromString(value)
                for n in set(NONCE.findall(value)):
                    self.inbound[n.decode()].add(m.envelope.idempotency_key)
            elif topic == self.topics["work_items"]:
                w = self.pb["work_item_pb2"].WorkItem()
                w.ParseFromString(value)
                self.item_records[w.work_item_id] += 1
                if self.item_records[w.work_item_id] > 1:
                    self._again(topic, w.work_item_id, value)
                    return
                self.digests[(topic, w.work_item_id)] = hashlib.sha1(value).digest()
                self.item_info[w.work_item_id] = (w.conversation_id, self._channel(w.channel))
                for n in set(NONCE.findall(w.message.text.encode())):
                    self.items_by_nonce[n.decode()].add(w.work_item_id)
            elif topic == self.topics["assignments"]:
                a = self.pb["assignment_pb2"].Assignment()
                a.ParseFromString(value)
                self.assignment_records[a.assignment_id] += 1
                if self.assignment_records[a.assignment_id] > 1:
                    self._again(topic, a.assignment_id, value)
                    return  # the same decision again: already applied
                self.digests[(topic, a.assignment_id)] = hashlib.sha1(value).digest()
                self._on_assignment(a)
            elif topic == self.topics["dead_letters"]:
                self.dead_letters += 1
                for n in set(NONCE.findall(value)):
                    self.dead_letter_nonces.add(n.decode())

    def _again(self, topic, record_id, value):
        """A record id seen before on `topic`: the same bytes again, or a second decision."""
        if self.digests.get((topic, record_id)) == hashlib.sha1(value).digest():
            self.counts["repeated_record"] += 1
            if self.counts["repeated_record"] <= 5:
                self.notes.append("repeated_record: %s on %s" % (record_id, topic))
        else:
            self._violation("conflicting_record", "%s on %s" % (record_id, topic))

    def _on_assignment(self, a):
        self.counts["assignments_" + self.pb["assignment_pb2"].AssignmentStatus.Name(
            a.status)[len("ASSIGNMENT_STATUS_"):].lower()] += 1
        item, agent, channel = a.work_item_id, a.agent_id, self._channel(a.channel)
        self.history[item].append("%s:%s:%s" % (
            self.pb["assignment_pb2"].AssignmentStatus.Name(a.status)[18:].lower(), agent,
            a.reason.cause))
        current = self.holder.get(item)
        if a.status in (self.OFFERED, self.ASSIGNED):
            if item in self.completed:
                self._violation("handed_out_after_completion", "%s to %s" % (item, agent))
            if current is not None and current[0] != agent:
                self._violation("double_assignment", "%s held by %s, %s to %s" % (
                    item, current[0], "offered" if a.status == self.OFFERED else "assigned",
                    agent))
            if current is None:
                self._take(item, agent, channel)
            if a.status == self.ASSIGNED:
                self.assigned_conversations.add(a.conversation_id)
        elif a.status == self.APPENDED:
            self.assigned_conversations.add(a.conversation_id)
        elif a.status in (self.REQUEUED, self.COMPLETED):
            if current is not None:
                self._release(item)
            if a.status == self.COMPLETED:
                self.completed.add(item)

    def _take(self, item, agent, channel):
        self.holder[item] = (agent, channel)
        self.held[(agent, channel)] += 1
        n = self.held[(agent, channel)]
        self.max_held[(agent, channel)] = max(self.max_held[(agent, channel)], n)
        capacity = self.agents.get(agent, (None, {}))[1].get(channel)
        if capacity is not None and n > capacity:
            self._violation("capacity_exceeded", "%s holds %d %s items, capacity %d" % (
                agent, n, channel, capacity))

    def _release(self, item):
        agent, channel = self.holder.pop(item)
        self.held[(agent, channel)] -= 1

    # ---- the verdict -------------------------------------------------------------------
    def verdict(self, ledger):
        with self.lock, ledger.lock:
            entries = dict(ledger.entries)
            accepted = [n for n, e in entries.items() if e.get("outcome") == "accepted"]
            rejected = [n for n, e in entries.items() if e.get("outcome") == "rejected"]
            lost_inbound = [n for n in accepted if n not in self.inbound]
            lost = [n for n in accepted if not self.items_by_nonce.get(n)]
            duplicated = [n for n in accepted if len(self.items_by_nonce.get(n, ())) > 1]
            no_dead_letter = [n for n in rejected if n not in self.dead_letter_nonces]
            unexpected = [n for n, e in entries.items()
                          if e.get("outcome") in ("accepted", "rejected") and
                          e.get("outcome") != e.get("expect")]
            conversations = {info[0] for info in self.item_info.values()}
            unassigned = sorted(conversations - self.assigned_conversations)
            summary = {
                "requests_sent": ledger.counts["requests"],
                "request_retries": ledger.counts["retries"],
                "accepted": len(accepted),
                "rejected": len(rejected),
                "gave_up": sum(1 for e in entries.values() if e.get("outcome") == "gave_up"),
                "duplicates_sent": sum(e.get("duplicate_sends", 0) for e in entries.values()),
                "work_items": len(self.item_records),
                "dead_letters": self.dead_letters,
                "lost": len(lost),
                "lost_before_inbound": len(lost_inbound),
                "duplicated": len(duplicated) + self.counts["conflicting_record"],
                "repeated_records": self.counts["repeated_record"],
                "double_assignments": self.counts["double_assignment"] +
                self.counts["handed_out_after_completion"],
                "capacity_exceeded": self.counts["capacity_exceeded"],
                "rejected_without_dead_letter": len(no_dead_letter),
                "unexpected_answers": len(unexpected),
                "conversations": len(conversations),
                "unassigned_conversations": len(unassigned),
                "observer_gaps": len(self.tail.gaps),
            }
            for k, v in sorted(self.counts.items()):
                if k.startswith("assignments_"):
                    summary[k] = v
            details = []
            for name, items in (("lost", lost), ("duplicated", duplicated),
                                ("rejected_without_dead_letter", no_dead_letter),
                                ("unexpected_answer", unexpected),
                                ("unassigned_conversation", unassigned)):
                for n in items[:5]:
                    details.append("%s: %s %s" % (name, n, entries.get(n, "")))
            for conversation in unassigned[:5]:
                items = sorted(i for i, info in self.item_info.items() if info[0] == conversation)
                for i in items:
                    details.append("  unassigned %s item %s (%s): %s" % (
                        conversation, i, self.item_info[i][1], self.history.get(i, "no decision")))
            details += self.violations
            details += self.notes
            details += ["observer gap: %s" % (g,) for g in self.tail.gaps[:5]]
            return summary, details

    def progress(self):
        """What the drain watches move: conversations assigned, items completed, items made."""
        with self.lock:
            return (len(self.assigned_conversations), len(self.completed), len(self.item_records))

    def backlog(self):
        """Conversations not yet assigned, by channel: the queue the agents have still to serve."""
        with self.lock:
            waiting = defaultdict(set)
            for conversation, channel in self.item_info.values():
                if conversation not in self.assigned_conversations:
                    waiting[channel].add(conversation)
            return {channel: len(c) for channel, c in sorted(waiting.items())}

    def settled(self, ledger):
        """True when every accepted message has its work item, and every item is either held
        by nobody (completed, absorbed into a conversation) or the helpdesk is done with it."""
        with self.lock, ledger.lock:
            accepted = [n for n, e in ledger.entries.items() if e.get("outcome") == "accepted"]
            if any(not self.items_by_nonce.get(n) for n in accepted):
                return False
            conversations = {info[0] for info in self.item_info.values()}
            if conversations - self.assigned_conversations:
                return False
            return not self.holder
