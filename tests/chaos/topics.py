"""Reads topics from the first offset on, for the whole run, as a plain Kafka client.

No consumer group (partitions are assigned by hand), so the injected JoinGroup, Heartbeat and
OffsetCommit errors that the pipeline must survive do not blind the observers. The embedded
cluster keeps about 5 MiB per partition: reading from the start of the run keeps up with it,
and a jump in offsets (records dropped before they were read) is reported as a gap rather than
silently passing for "nothing happened".
"""

import threading

from confluent_kafka import OFFSET_BEGINNING, Consumer, KafkaError, TopicPartition


class TopicTail:
    def __init__(self, brokers, topics, on_record, name):
        self.brokers, self.topics, self.on_record, self.name = brokers, topics, on_record, name
        self.stopping = threading.Event()
        self.lock = threading.Lock()
        self.next_offset = {}  # (topic, partition) -> next offset expected
        self.gaps = []  # (topic, partition, expected, got)
        self.records = 0
        self.thread = None

    def start(self):
        self.consumer = Consumer({
            "bootstrap.servers": self.brokers,
            "group.id": "chaos-observer-" + self.name,  # required by the client; never joined
            "enable.auto.commit": False,
            "enable.partition.eof": False,
            "log_level": 0,  # the harness expects broker faults; it counts, not logs
        })
        meta = self.consumer.list_topics(timeout=30)
        parts = []
        for t in self.topics:
            for p in sorted(meta.topics[t].partitions):
                parts.append(TopicPartition(t, p, OFFSET_BEGINNING))
                self.next_offset[(t, p)] = 0
        self.consumer.assign(parts)
        self.thread = threading.Thread(target=self._run, daemon=True, name="tail-" + self.name)
        self.thread.start()

    def _run(self):
        while not self.stopping.is_set():
            for msg in self.consumer.consume(num_messages=500, timeout=0.2):
                if msg.error():
                    if msg.error().code() != KafkaError._PARTITION_EOF:
                        pass  # transient fetch errors while faults are injected: retried
                    continue
                key = (msg.topic(), msg.partition())
                with self.lock:
                    expected = self.next_offset.get(key, 0)
                    if msg.offset() < expected:
                        continue  # re-fetched after an error: already seen
                    if msg.offset() > expected:
                        self.gaps.append((msg.topic(), msg.partition(), expected, msg.offset()))
                    self.next_offset[key] = msg.offset() + 1
                    self.records += 1
                headers = dict((k, v.decode(errors="replace") if v else "")
                               for k, v in (msg.headers() or []))
                self.on_record(msg.topic(), msg.partition(), msg.offset(), msg.key(), headers,
                               msg.value())

    def caught_up(self):
        """True when every partition has been read up to its current end."""
        for (t, p), nxt in list(self.next_offset.items()):
            try:
                low, high = self.consumer.get_watermark_offsets(TopicPartition(t, p), timeout=5,
                                                                cached=False)
            except Exception:
                return False
            if nxt < high:
                return False
        return True

    def stop(self):
        self.stopping.set()
        if self.thread:
            self.thread.join(timeout=10)
        self.consumer.close()
