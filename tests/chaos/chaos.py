#!/usr/bin/python3
"""Soak-and-chaos run of Switchboard: a mixed workload of every channel through real HTTP and
SMTP into a multi-process deployment on the embedded cluster, while processes are killed and
scaled and the broker misbehaves; then an independent checker proves nothing was lost, nothing
was doubled, and capacity held. See tests/chaos/README.md.

  /usr/bin/python3 tests/chaos/chaos.py --binary build/app/switchboard --duration 180

Exit status 0 only when every invariant held and the run really exercised faults; 1 when an
invariant failed; 3 when the run was void: the embedded cluster itself died (an assertion in
librdkafka's mock broker under group churn), which leaves nothing to judge. --retries-on-void N
runs again with another seed in that case only.
"""

import argparse
import json
import os
import secrets
import shutil
import sys
import tempfile
import time
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import yaml  # noqa: E402  (python3-yaml)

import schemas  # noqa: E402
from checker import Checker  # noqa: E402
from deployment import ClusterExited, Deployment  # noqa: E402
from helpdesk import Helpdesk, agents_from_policy  # noqa: E402
from monkey import Monkey  # noqa: E402
from workload import Ledger, Workload  # noqa: E402

TOPICS = {"inbound": "switchboard.inbound.v1", "work_items": "switchboard.work-items.v1",
          "assignments": "switchboard.assignments.v1",
          "dead_letters": "switchboard.dead-letters.v1"}

MUST_BE_ZERO = ["lost", "lost_before_inbound", "duplicated", "double_assignments",
                "capacity_exceeded", "rejected_without_dead_letter", "unexpected_answers",
                "unassigned_conversations", "observer_gaps"]


def log(line):
    print("[%s] %s" % (time.strftime("%H:%M:%S"), line), flush=True)


def wait_ready(deployment, timeout=90):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        ready = 0
        routers = deployment.live("router")
        for s in routers:
            try:
                with urllib.request.urlopen("http://127.0.0.1:%d/readyz" % s.http_port,
                                            timeout=5) as r:
                    ready += r.status == 200
            except OSError:
                pass
        if routers and ready == len(routers):
            return True
        time.sleep(0.5)
    return False


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--binary", required=True)
    ap.add_argument("--duration", type=float, default=180, help="seconds of chaos")
    ap.add_argument("--rate", type=float, default=12, help="requests per second")
    ap.add_argument("--routers", type=int, default=2)
    ap.add_argument("--connectors", type=int, default=2)
    ap.add_argument("--partitions", type=int, default=6)
    ap.add_argument("--fault-interval", type=float, default=6, help="mean seconds between faults")
    ap.add_argument("--drain-timeout", type=float, default=120,
                    help="the drain gives up after this many seconds without progress")
    ap.add_argument("--drain-max", type=float, default=600, help="and after this many in all")
    ap.add_argument("--seed", type=int, default=None)
    ap.add_argument("--workdir", default=None, help="kept after the run (default: temporary)")
    ap.add_argument("--summary-json", default=None)
    ap.add_argument("--retries-on-void", type=int, default=0,
                    help="run again (another seed) this many times when librdkafka's mock "
                         "broker aborts; any other outcome stands")
    args = ap.parse_args()

    seed = args.seed if args.seed is not None else int.from_bytes(secrets.token_bytes(4), "big")
    for attempt in range(args.retries_on_void + 1):
        code = run(args, seed + attempt * 7919, attempt)
        if code != VOID:
            return code
        log("void run (%d of %d allowed)" % (attempt + 1, args.retries_on_void + 1))
    return VOID


VOID = 3


def run(args, seed, attempt):
    run_id = "%06x" % (seed & 0xFFFFFF)
    workdir = args.workdir or tempfile.mkdtemp(prefix="sb-chaos-")
    if args.workdir and attempt > 0:
        workdir = "%s-retry%d" % (args.workdir, attempt)
    os.makedirs(workdir, exist_ok=True)
    policy_path = os.path.join(HERE, "policy.yaml")
    with open(policy_path) as f:
        policy = yaml.safe_load(f)
    log("chaos run: seed %d, %.0fs of chaos at %.1f req/s, %d routers + %d connectors, "
        "workdir %s" % (seed, args.duration, args.rate, args.routers, args.connectors, workdir))
    pb = schemas.load(workdir)

    d = Deployment(os.path.abspath(args.binary), workdir, args.partitions, policy_path, log=log)
    ledger = Ledger()
    started = time.monotonic()
    monkey = workload = helpdesk = checker = None
    ok = False
    void = False
    keep = False  # a passing run's workdir, kept for what it counted but did not fail
    try:
        d.start_kafka()
        log("embedded cluster at %s, fault control on port %d" % (d.brokers, d.fault_port))
        for _ in range(args.connectors):
            d.add("connectors")
        for _ in range(args.routers):
            d.add("router")
        checker = Checker(d.brokers, TOPICS, pb, agents_from_policy(policy),
                          record_log=os.path.join(workdir, "records.tsv"))
        checker.start()
        helpdesk = Helpdesk(d, d.brokers, TOPICS, pb, policy, seed + 1)
        helpdesk.start()
        if not wait_ready(d):
            raise RuntimeError("routers not ready; logs in %s/logs" % workdir)
        log("deployment ready in %.1fs" % (time.monotonic() - started))

        workload = Workload(d, ledger, seed + 2, run_id, args.rate)
        monkey = Monkey(d, seed + 3, args.fault_interval, log=log)
        workload.start()
        monkey.start()
        chaos_end = time.monotonic() + args.duration
        next_report = time.monotonic() + 30
        while time.monotonic() < chaos_end:
            time.sleep(1)
            d.reap()
            if time.monotonic() >= next_report:
                next_report += 30
                log("progress: %s, work items %d, unassigned %s, routers %d, connectors %d" % (
                    ledger.by_outcome(), len(checker.item_records), checker.backlog(),
                    len(d.live("router")), len(d.live("connectors"))))

        log("chaos over: healing the deployment, finishing in-flight requests")
        monkey.stop_and_heal(args.routers, args.connectors)
        workload.stop()
        helpdesk.stop_flapping()
        helpdesk.all_available()
        log("draining (until %.0fs without progress, %.0fs at most): every message routed, "
            "every assignment completed" % (args.drain_timeout, args.drain_max))
        # A backlog left by the chaos drains at the agents' pace: wait while it shrinks.
        drain_started = time.monotonic()
        drain_end = drain_started + args.drain_max
        last_progress, progress_at = checker.progress(), drain_started
        next_report = drain_started + 30
        while time.monotonic() < drain_end:
            d.reap()
            if checker.settled(ledger) and helpdesk.idle() and checker.tail.caught_up():
                break
            time.sleep(1)
            progress = checker.progress()
            if time.monotonic() >= next_report:
                next_report += 30
                log("draining: unassigned %s" % checker.backlog())
            if progress != last_progress:
                last_progress, progress_at = progress, time.monotonic()
            elif time.monotonic() - progress_at > args.drain_timeout:
                log("drain stalled: no progress for %.0fs" % args.drain_timeout)
                break
        log("drained in %.0fs" % (time.monotonic() - drain_started))
        time.sleep(2)  # the last records' fetch
        summary, details = checker.verdict(ledger)
        summary.update({
            "seed": seed,
            "chaos_seconds": args.duration,
            "wall_seconds": round(time.monotonic() - started, 1),
            "faults_injected": monkey.counts["faults_injected"],
            "request_error_faults": monkey.counts["request_errors"],
            "broker_down_faults": monkey.counts["broker_down"],
            "latency_faults": monkey.counts["latency"],
            "kills": d.counts["kills"],
            "restarts": d.counts["restarts"],
            "scale_ups": monkey.counts["scale_ups"],
            "scale_downs": monkey.counts["scale_downs"],
            "unexpected_exits": d.counts["unexpected_exits"],
            "helpdesk": dict(helpdesk.counts),
        })
        helpdesk.stop()
        checker.stop()
        print("\n==== chaos summary ====")
        for k, v in summary.items():
            print("%-30s %s" % (k, v))
        for line in details[:40]:
            print("  " + line)
        failures = [k for k in MUST_BE_ZERO if summary[k] != 0]
        if summary["accepted"] == 0:
            failures.append("nothing accepted")
        if args.duration >= 60 and (summary["kills"] == 0 or summary["faults_injected"] == 0):
            failures.append("no kills or no faults: the run did not exercise chaos")
        with open(os.path.join(workdir, "ledger.json"), "w") as f:
            json.dump(ledger.entries, f, indent=0, sort_keys=True)
        if args.summary_json:
            with open(args.summary_json, "w") as f:
                json.dump({"summary": summary, "details": details, "failures": failures}, f,
                          indent=2)
        print("RESULT: %s" % ("PASS" if not failures else "FAIL " + ", ".join(failures)))
        ok = not failures
        keep = summary["repeated_records"] > 0 or summary["unexpected_exits"] > 0
    except ClusterExited as e:
        # Not a verdict on Switchboard: every topic was in the dead process's memory.
        log(str(e))
        if monkey is not None:
            monkey.stop()
        d.shutdown()  # first: the senders' retries end with the deployment
        for part in (workload, helpdesk, checker):
            if part is not None:
                part.stop()
        void = e.in_mock_broker()
        if void:
            print("RESULT: VOID (librdkafka mock broker assertion): %s" % e.last_line)
        else:
            print("RESULT: FAIL the embedded cluster died: %s" % e.last_line)
        if args.summary_json:
            with open(args.summary_json, "w") as f:
                json.dump({"void": str(e), "seed": seed}, f, indent=2)
    finally:
        d.shutdown()
        if ok and not keep and not args.workdir:
            shutil.rmtree(workdir, ignore_errors=True)
        elif not ok or keep:
            print("logs, records.tsv and ledger.json kept in %s" % workdir)
    return 0 if ok else (VOID if void else 1)


if __name__ == "__main__":
    sys.exit(main())
