#!/usr/bin/env python3
"""Every metric the Grafana dashboard and the Prometheus rules name is one Switchboard exports.

usage: check_metric_names.py SWITCHBOARD_BINARY [REPO_ROOT]

Starts `switchboard up` (harness.py), runs the scenario that makes the series move, scrapes
/metrics, then for every expression of ops/grafana/switchboard.json (panels and query
variables) and of ops/prometheus/*.yml (rules, not their tests):
  - the metric name is in the scrape (a histogram only as name_bucket/_sum/_count), or is
    recorded by ops/prometheus/recording.yml, or is Prometheus' own `up`;
  - the name is registered in the C++ sources (.Name("...")), so that a family the scenario
    happened to miss is not silently accepted and a renamed one is caught;
  - every label a selector matches on exists on the family's scraped series (or is a target
    label Prometheus adds: job, instance, ...);
  - the expression parses (promtool check rules on a generated rule file, Grafana variables
    replaced);
checks that every alert has its runbook entry in docs/operations.md, and checks the
dashboard's shape for provisioning: a uid, a `datasource` variable of type
datasource for prometheus, every panel and target on `${datasource}`, unique panel ids.
Exit 0 when all hold; otherwise prints every problem and exits 1.
"""

import glob
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
import promql_names  # noqa: E402

TARGET_LABELS = {"job", "instance", "namespace", "pod", "container", "service", "endpoint"}
# Families a healthy run never gives a series (prometheus-cpp does not expose a family without
# one) and whose labels are not known before the first error: their labels as the code adds
# them. They must still be registered in the sources.
ERROR_ONLY_FAMILIES = {
    # app/kafka_probe.cc: a consumer's poll error (stage, librdkafka error name).
    "switchboard_kafka_consume_errors_total": {"stage", "reason"},
}
PROMETHEUS_SERIES = {"up": {"job", "instance"}}
HISTOGRAM_SUFFIXES = ("_bucket", "_sum", "_count")


def registered_names(repo):
    names = set()
    pattern = re.compile(r'\.Name\("(switchboard_[a-zA-Z0-9_]+)"\)')
    for top in ("core", "connectors", "router", "app"):
        for path in glob.glob(os.path.join(repo, top, "**", "*.cc"), recursive=True):
            with open(path, encoding="utf-8", errors="replace") as f:
                names.update(pattern.findall(f.read()))
    return names


def check_dashboard_shape(dashboard, problems):
    if not dashboard.get("uid"):
        problems.append("dashboard: no uid")
    if dashboard.get("id") not in (None,):
        problems.append("dashboard: 'id' must be null for provisioning")
    variables = dashboard.get("templating", {}).get("list", [])
    ds = [v for v in variables if v.get("name") == "datasource"]
    if not ds or ds[0].get("type") != "datasource" or ds[0].get("query") != "prometheus":
        problems.append("dashboard: needs a variable 'datasource' of type datasource, "
                        "query prometheus")
    want = {"type": "prometheus", "uid": "${datasource}"}
    ids = set()

    def walk(items):
        for p in items:
            yield p
            yield from walk(p.get("panels", []))

    for p in walk(dashboard.get("panels", [])):
        where = "panel %r" % p.get("title")
        if p.get("id") in ids:
            problems.append("%s: duplicate id %s" % (where, p.get("id")))
        ids.add(p.get("id"))
        if "gridPos" not in p:
            problems.append("%s: no gridPos" % where)
        if p.get("type") == "row":
            continue
        if p.get("datasource") != want:
            problems.append("%s: datasource %r, want %r" % (where, p.get("datasource"), want))
        if not p.get("targets"):
            problems.append("%s: no targets" % where)
        for t in p.get("targets", []):
            if t.get("datasource") != want:
                problems.append("%s target %s: datasource %r" % (where, t.get("refId"),
                                                                 t.get("datasource")))
    for v in variables:
        if v.get("type") == "query" and v.get("datasource") != want:
            problems.append("variable %r: datasource %r" % (v.get("name"), v.get("datasource")))


def check_syntax(expressions, problems):
    promtool = shutil.which("promtool")
    if not promtool:
        problems.append("promtool not found on PATH (Debian package prometheus; "
                        "scripts/install-deps.sh installs it)")
        return
    rules = ["groups:", "  - name: dashboard-syntax-check", "    rules:"]
    for n, (where, expr) in enumerate(expressions):
        rules.append("      - record: dashboard_check_%d" % n)
        rules.append("        expr: %s" % json.dumps(expr))
    with tempfile.NamedTemporaryFile("w", suffix=".yml", delete=False) as f:
        f.write("\n".join(rules) + "\n")
        path = f.name
    try:
        r = subprocess.run([promtool, "check", "rules", path], capture_output=True, text=True)
        if r.returncode != 0:
            # promtool names the rule: map it back to the panel.
            out = r.stdout + r.stderr
            for m in re.finditer(r"dashboard_check_(\d+)", out):
                where, expr = expressions[int(m.group(1))]
                problems.append("%s: PromQL does not parse: %s" % (where, expr))
            problems.append("promtool check rules on the dashboard's expressions:\n" + out)
    finally:
        os.unlink(path)


def main():
    if len(sys.argv) < 2:
        print(__doc__)
        return 2
    binary = sys.argv[1]
    repo = sys.argv[2] if len(sys.argv) > 2 else os.path.abspath(
        os.path.join(os.path.dirname(__file__), "..", ".."))
    problems = []

    with open(os.path.join(repo, "ops", "grafana", "switchboard.json")) as f:
        dashboard = json.load(f)
    check_dashboard_shape(dashboard, problems)
    expressions = promql_names.dashboard_expressions(dashboard)
    check_syntax([(w, promql_names.substitute_grafana_variables(e)) for w, e in expressions],
                 problems)

    recorded = set()
    for path in sorted(glob.glob(os.path.join(repo, "ops", "prometheus", "*.yml"))):
        if path.endswith("_test.yml"):
            continue
        with open(path) as f:
            entries = promql_names.rule_file_entries(f.read())
        recorded.update(entries["record"])
        rel = os.path.relpath(path, repo)
        expressions += [("%s:%d" % (rel, line), e) for line, e in entries["expr"]]
    if len(expressions) < 50:
        problems.append("only %d expressions found: did the file layout change?"
                        % len(expressions))

    # Every alert has a runbook entry: runbook_url docs/operations.md#<alert, lower case>,
    # and that heading exists.
    with open(os.path.join(repo, "docs", "operations.md")) as f:
        anchors = {h.lower() for h in re.findall(r"(?m)^#+ (\S+)\s*$", f.read())}
    with open(os.path.join(repo, "ops", "prometheus", "alerts.yml")) as f:
        alerts_text = f.read()
    for block in re.split(r"(?m)^\s*- alert: ", alerts_text)[1:]:
        name = block.split()[0]
        url = re.search(r"runbook_url: (\S+)", block)
        if not url or url.group(1) != "docs/operations.md#" + name.lower():
            problems.append("alert %s: runbook_url must be docs/operations.md#%s"
                            % (name, name.lower()))
        if name.lower() not in anchors:
            problems.append("alert %s: no heading '%s' in docs/operations.md" % (name, name))

    with harness.Switchboard(binary, harness.SCENARIO_POLICY) as sb:
        harness.run_scenario(sb)
        families = harness.parse_exposition(sb.scrape())
    registered = registered_names(repo)

    def labels_of(family, sample_name):
        return {k for n, labels, _ in families[family]["samples"] if n == sample_name
                for k in labels}

    used = {}
    for where, expr in expressions:
        try:
            found = promql_names.selectors(expr)
        except ValueError as e:
            problems.append("%s: %s" % (where, e))
            continue
        for name, matched in found:
            used.setdefault(name, []).append(where)
            if name in PROMETHEUS_SERIES:
                known = PROMETHEUS_SERIES[name]
            elif ":" in name:
                if name not in recorded:
                    problems.append("%s: %s is not recorded by ops/prometheus/*.yml"
                                    % (where, name))
                continue
            else:
                family = name
                if name not in families:
                    for suffix in HISTOGRAM_SUFFIXES:
                        base = name[:-len(suffix)]
                        if name.endswith(suffix) and families.get(base, {}).get(
                                "type") == "histogram":
                            family = base
                if family not in families and family in ERROR_ONLY_FAMILIES:
                    if family not in registered:
                        problems.append("%s: %s is not registered in core/ connectors/ router/ "
                                        "app/ (.Name(\"...\"))" % (where, family))
                    known = ERROR_ONLY_FAMILIES[family]
                    for label in matched:
                        if label not in known and label not in TARGET_LABELS:
                            problems.append("%s: %s has no label %r (it has: %s)"
                                            % (where, name, label, ", ".join(sorted(known))))
                    continue
                if family not in families:
                    problems.append("%s: %s is not in the scrape of `switchboard up`"
                                    % (where, name))
                    continue
                if families[family]["type"] == "histogram" and family == name:
                    problems.append("%s: %s is a histogram: use %s_bucket, _sum or _count"
                                    % (where, name, name))
                    continue
                if family not in registered:
                    problems.append("%s: %s is not registered in core/ connectors/ router/ "
                                    "app/ (.Name(\"...\"))" % (where, family))
                known = labels_of(family, name)
            for label in matched:
                if label not in known and label not in TARGET_LABELS:
                    problems.append("%s: %s has no label %r (it has: %s)"
                                    % (where, name, label, ", ".join(sorted(known)) or "none"))

    print("checked %d expressions (dashboard and rules); %d metric names:"
          % (len(expressions), len(used)))
    for name in sorted(used):
        print("  %-60s %d uses" % (name, len(used[name])))
    unused = sorted(f for f in families if f.startswith("switchboard_") and not any(
        u == f or (u.startswith(f) and u[len(f):] in HISTOGRAM_SUFFIXES) for u in used))
    if unused:
        print("exported but used by neither dashboard nor rules: " + ", ".join(unused))
    if problems:
        print("\nFAILED: %d problem(s)" % len(problems))
        for p in problems:
            print("  - " + p)
        return 1
    print("OK")
    return 0


if __name__ == "__main__":
    sys.exit(main())
