"""A weighted random choice over a [(name, weight), ...] table, for the workload mix and the
monkey's actions."""


def pick(rng, table):
    total = sum(w for _, w in table)
    x = rng.uniform(0, total)
    for name, w in table:
        x -= w
        if x <= 0:
            return name
    return table[-1][0]
