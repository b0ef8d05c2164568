"""The metric names and label matchers a PromQL expression uses, and the expressions of the ops
files (the Grafana dashboard's panels and variables, the Prometheus rule files).

A small tokenizer, not a full PromQL parser: string literals, ranges and grouping lists
(`by (...)`, `on (...)` ...) are skipped, a name followed by `(` must be a PromQL function or
aggregation, and every other identifier is a metric name. Syntax is checked separately by
promtool (see check_metric_names.py), so this only has to find names, and it refuses what it
does not understand (a bare `{...}` selector) rather than guess.
"""

import re

STRING = re.compile(r'"(?:[^"\\]|\\.)*"|\'(?:[^\'\\]|\\.)*\'|`[^`]*`')
IDENT = re.compile(r"[a-zA-Z_:][a-zA-Z0-9_:]*")
NUMBER = re.compile(r"(?:0[xX][0-9a-fA-F]+|\d+(?:\.\d*)?(?:[eE][+-]?\d+)?)(?:ms|[smhdwy])*")
MATCHER = re.compile(r"([a-zA-Z_][a-zA-Z0-9_]*)\s*(?:=~|!~|!=|=)")

GROUPING = {"by", "without", "on", "ignoring", "group_left", "group_right"}
KEYWORDS = {"and", "or", "unless", "bool", "offset", "atan2", "Inf", "NaN", "inf", "nan"}
FUNCTIONS = {
    # aggregations
    "sum", "min", "max", "avg", "group", "stddev", "stdvar", "count", "count_values", "bottomk",
    "topk", "quantile",
    # functions (Prometheus 2.42)
    "abs", "absent", "absent_over_time", "ceil", "changes", "clamp", "clamp_max", "clamp_min",
    "day_of_month", "day_of_week", "day_of_year", "days_in_month", "delta", "deriv", "exp",
    "floor", "histogram_count", "histogram_sum", "histogram_fraction", "histogram_quantile",
    "holt_winters", "hour", "idelta", "increase", "irate", "label_join", "label_replace", "ln",
    "log2", "log10", "minute", "month", "predict_linear", "rate", "resets", "round", "scalar",
    "sgn", "sort", "sort_desc", "sqrt", "time", "timestamp", "vector", "year", "avg_over_time",
    "min_over_time", "max_over_time", "sum_over_time", "count_over_time", "quantile_over_time",
    "stddev_over_time", "stdvar_over_time", "last_over_time", "present_over_time", "acos",
    "acosh", "asin", "asinh", "atan", "atanh", "cos", "cosh", "sin", "sinh", "tan", "tanh",
    "deg", "rad", "pi",
}

# Grafana's variables, replaced for promtool's syntax check.
GRAFANA_VARIABLES = [
    (re.compile(r"\$__rate_interval|\$\{__rate_interval\}"), "5m"),
    (re.compile(r"\$__interval|\$\{__interval\}"), "1m"),
    (re.compile(r"\$__range|\$\{__range\}"), "1h"),
    (re.compile(r"\$\{?[a-zA-Z_][a-zA-Z0-9_]*\}?"), ".*"),
]


def substitute_grafana_variables(expr):
    for pattern, replacement in GRAFANA_VARIABLES:
        expr = pattern.sub(replacement, expr)
    return expr


def _closing(text, i, open_char, close_char):
    depth = 0
    for j in range(i, len(text)):
        if text[j] == open_char:
            depth += 1
        elif text[j] == close_char:
            depth -= 1
            if depth == 0:
                return j
    raise ValueError("unbalanced %r in %r" % (open_char, text))


def selectors(expr):
    """[(metric name, [label names matched])] in order of appearance. Raises ValueError on
    a function name PromQL does not have or a selector without a metric name."""
    text = STRING.sub('""', expr)
    text = re.sub(r"#[^\n]*", "", text)  # PromQL comments
    out = []
    i = 0
    while i < len(text):
        c = text[i]
        if c.isspace():
            i += 1
            continue
        if c == "[":
            i = _closing(text, i, "[", "]") + 1
            continue
        if c == "{":
            raise ValueError("selector without a metric name in %r" % expr)
        if c.isdigit() or (c == "." and i + 1 < len(text) and text[i + 1].isdigit()):
            m = NUMBER.match(text, i)
            i = m.end() if m and m.end() > i else i + 1
            continue
        m = IDENT.match(text, i)
        if not m:
            i += 1
            continue
        name = m.group(0)
        i = m.end()
        j = i
        while j < len(text) and text[j].isspace():
            j += 1
        nxt = text[j] if j < len(text) else ""
        if name in GROUPING:
            if nxt == "(":
                i = _closing(text, j, "(", ")") + 1
            continue
        if name in KEYWORDS:
            continue
        if name in FUNCTIONS and re.match(r"(by|without)\b", text[j:]):
            continue  # `sum by (x) (...)`
        if nxt == "(":
            if name not in FUNCTIONS:
                raise ValueError("unknown PromQL function %r in %r" % (name, expr))
            continue
        labels = []
        if nxt == "{":
            end = _closing(text, j, "{", "}")
            labels = MATCHER.findall(text[j + 1:end])
            i = end + 1
        out.append((name, labels))
    return out


def dashboard_expressions(dashboard):
    """[(where, PromQL expression)] of every panel target and query variable."""
    found = []

    def panels(items):
        for p in items:
            yield p
            yield from panels(p.get("panels", []))

    for p in panels(dashboard.get("panels", [])):
        for t in p.get("targets", []):
            if t.get("expr"):
                found.append(("panel %r target %s" % (p.get("title"), t.get("refId")), t["expr"]))
    for v in dashboard.get("templating", {}).get("list", []):
        if v.get("type") != "query":
            continue
        q = v.get("query")
        q = q.get("query") if isinstance(q, dict) else q
        m = re.fullmatch(r"\s*label_values\((.*),\s*([a-zA-Z_][a-zA-Z0-9_]*)\s*\)\s*", q or "")
        if m:
            # The label the variable lists must exist too: a matcher with it checks that.
            sel = m.group(1).strip()
            label = m.group(2)
            if "{" in sel:
                sel = sel.replace("{", "{%s=~\".*\"," % label, 1)
            else:
                sel = "%s{%s=~\".*\"}" % (sel, label)
            found.append(("variable %r" % v.get("name"), sel))
        elif q:
            found.append(("variable %r" % v.get("name"), q))
    return found


def rule_file_entries(text):
    """{'record': [names], 'expr': [(line, expression)]} of a Prometheus rule file. Reads the
    YAML subset rule files use (`expr:` plain, quoted or as a | / > block), standard library
    only."""
    lines = text.splitlines()
    records, exprs = [], []
    key = re.compile(r"^(\s*)(?:-\s+)?(record|expr):\s*(.*)$")
    i = 0
    while i < len(lines):
        m = key.match(lines[i])
        if not m:
            i += 1
            continue
        indent = len(m.group(1))
        value = m.group(3).strip()
        start = i + 1
        i += 1
        if value in ("|", "|-", ">", ">-", "|+", ">+"):
            block = []
            while i < len(lines) and (not lines[i].strip() or
                                      len(lines[i]) - len(lines[i].lstrip()) > indent):
                block.append(lines[i].strip())
                i += 1
            value = "\n".join(block).strip()
        elif value[:1] in ("'", '"'):
            value = value[1:-1]
        if m.group(2) == "record":
            records.append(value)
        else:
            exprs.append((start, value))
    return {"record": records, "expr": exprs}
