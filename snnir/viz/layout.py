"""A small layered (Sugiyama-style) layout for the pure-Python renderer: no Graphviz needed.

Layers grow left to right along the edges that constrain the layout (feedback and other backward edges
inside a cycle do not); edges spanning several layers get dummy points so they keep a lane of their own;
barycenter sweeps order each layer, and an isotonic pass places nodes close to their neighbours while
keeping them apart. Deterministic: ties keep declaration order.
"""

from __future__ import annotations

import dataclasses

from .scene import Box, Scene

BOX_GAP = 0.35  # extra separation (in rows) between neighbours that sit in different boxes


@dataclasses.dataclass(frozen=True)
class Layout:
    layer: dict[str, int]  # drawn node id -> layer
    y: dict[str, float]  # drawn node id -> vertical position in units of rows (0 = top)
    # for each edge index in scene.edges: the dummy positions (layer, y) it passes through
    bends: dict[int, tuple[tuple[int, float], ...]]
    n_layers: int


def box_paths(scene: Scene) -> dict[str, tuple[str, ...]]:
    """Drawn node id -> names of the boxes around it, outermost first."""
    paths: dict[str, tuple[str, ...]] = {}

    def walk(items, prefix: tuple[str, ...]) -> None:
        for item in items:
            if isinstance(item, Box):
                walk(item.items, prefix + (item.name,))
            else:
                paths[item] = prefix

    walk(scene.items, ())
    return paths


def layered_layout(scene: Scene, sweeps: int = 6) -> Layout:
    ids = list(scene.nodes)
    order_index = {nid: i for i, nid in enumerate(ids)}
    group = box_paths(scene)
    forward = [(k, e.src, e.dst) for k, e in enumerate(scene.edges) if e.constraint and e.src != e.dst]

    # ---- layers: longest path from the sources; outputs go to the last layer, inputs stay at 0
    layer = {nid: 0 for nid in ids}
    for _ in range(len(ids)):
        changed = False
        for _, s, d in forward:
            if layer[d] < layer[s] + 1:
                layer[d] = layer[s] + 1
                changed = True
        if not changed:
            break
    last = max(layer.values(), default=0)
    outputs = [nid for nid in ids if scene.nodes[nid].role == "output"]
    if outputs and any(layer[o] < last for o in outputs):
        for o in outputs:
            layer[o] = max(layer.values())
    n_layers = max(layer.values(), default=0) + 1

    # ---- dummies for long forward edges
    rows: list[list[str]] = [[] for _ in range(n_layers)]
    for nid in ids:
        rows[layer[nid]].append(nid)
    chains: dict[int, list[str]] = {}
    neighbours: dict[str, list[str]] = {nid: [] for nid in ids}  # undirected, for barycenters
    for k, s, d in forward:
        path = [s]
        shared = _common(group[s], group[d])
        for lay in range(layer[s] + 1, layer[d]):
            dummy = f"\0{k}:{lay}"
            rows[lay].append(dummy)
            layer[dummy] = lay
            neighbours[dummy] = []
            group[dummy] = shared
            path.append(dummy)
        path.append(d)
        chains[k] = path[1:-1]
        for a, b in zip(path, path[1:]):
            neighbours[a].append(b)
            neighbours[b].append(a)
    # edges that do not constrain the layers still pull their ends together, members of one box strongly
    for e in scene.edges:
        if not e.constraint and e.src != e.dst:
            neighbours[e.src].append(e.dst)
            neighbours[e.dst].append(e.src)

    # ---- order within layers: barycenter sweeps, ties by declaration order
    pos = {v: float(i) for row in rows for i, v in enumerate(row)}

    def key(v: str, side: int) -> tuple[float, int]:
        near = [pos[u] for u in neighbours[v] if layer[u] == layer[v] + side]
        bary = sum(near) / len(near) if near else pos[v]
        return bary, order_index.get(v, len(ids))

    depth = max((len(p) for p in group.values()), default=0)

    def grouped(row: list[str], side: int) -> list[str]:
        # members of one box stay contiguous: sort by the mean barycenter of each enclosing box first
        own = {v: key(v, side) for v in row}
        means: dict[tuple[str, ...], float] = {}
        for v in row:
            for level in range(1, len(group[v]) + 1):
                means.setdefault(group[v][:level], 0.0)
        for g in means:
            members = [own[v][0] for v in row if group[v][: len(g)] == g]
            means[g] = sum(members) / len(members)

        def full_key(v: str):
            levels = [means[group[v][:level]] if level <= len(group[v]) else own[v][0]
                      for level in range(1, depth + 1)]
            return (*levels, *own[v])

        return sorted(row, key=full_key)

    for sweep in range(sweeps):
        side = -1 if sweep % 2 == 0 else 1
        rng = range(1, n_layers) if side == -1 else range(n_layers - 2, -1, -1)
        for lay in rng:
            rows[lay] = grouped(rows[lay], side)
            for i, v in enumerate(rows[lay]):
                pos[v] = float(i)
    rows[0] = grouped(rows[0], 1)
    for i, v in enumerate(rows[0]):
        pos[v] = float(i)

    # ---- coordinates: pull each node toward its neighbours, keep order and one row of separation.
    # When neighbours in a layer compete for a place, members of a box hold theirs and dummies give way.
    weight = {v: 0.25 if v.startswith("\0") else 1.0 + 4.0 * sum(1 for u in neighbours[v] if group[u] and
                                                                  group[u] == group[v]) for v in layer}
    y = dict(pos)
    for lay in range(n_layers):  # start: each node level with its predecessors
        row = rows[lay]
        wanted = []
        for v in row:
            before = sorted(y[u] for u in neighbours[v] if layer[u] < lay)
            wanted.append(before[(len(before) - 1) // 2] if before else y[v])
        gaps = [0.0] + [1.0 + (BOX_GAP if group[a] != group[b] else 0.0) for a, b in zip(row, row[1:])]
        for v, value in zip(row, _isotonic_with_gaps(wanted, gaps, [weight[v] for v in row])):
            y[v] = value
    for sweep in range(2 * sweeps):
        for lay in range(n_layers) if sweep % 2 == 0 else range(n_layers - 1, -1, -1):
            row = rows[lay]
            wanted = []
            for v in row:
                # L1 step: stay put when between the (weighted) medians of the neighbours, so straight
                # chains stay straight; members of one box pull harder on each other
                values = sorted(y[u] for u in neighbours[v]
                                for _ in range(3 if group[u] and group[u] == group[v] else 1))
                if values:
                    lo, hi = values[(len(values) - 1) // 2], values[len(values) // 2]
                    wanted.append(min(max(y[v], lo), hi))
                else:
                    wanted.append(y[v])
            gaps = [0.0] + [1.0 + (BOX_GAP if group[a] != group[b] else 0.0) for a, b in zip(row, row[1:])]
            placed = _isotonic_with_gaps(wanted, gaps, [weight[v] for v in row])
            for v, value in zip(row, placed):
                y[v] = value
    low = min(y.values(), default=0.0)
    y = {v: value - low for v, value in y.items()}

    bends = {k: tuple((layer[dm], y[dm]) for dm in chain) for k, chain in chains.items()}
    return Layout(layer={nid: layer[nid] for nid in ids}, y={nid: y[nid] for nid in ids}, bends=bends,
                  n_layers=n_layers)


def _common(a: tuple[str, ...], b: tuple[str, ...]) -> tuple[str, ...]:
    out: list[str] = []
    for x, y in zip(a, b):
        if x != y:
            break
        out.append(x)
    return tuple(out)


def _isotonic_with_gaps(wanted: list[float], gaps: list[float], weights: list[float]) -> list[float]:
    """Values as close as possible (weighted least squares) to ``wanted`` with v[i+1] >= v[i] + gaps[i+1]."""
    offsets = []
    total = 0.0
    for g in gaps:
        total += g
        offsets.append(total)
    shifted = [w - o for w, o in zip(wanted, offsets)]
    blocks: list[list[float]] = []  # [weighted sum, total weight, count]
    for value, w in zip(shifted, weights):
        blocks.append([value * w, w, 1])
        while len(blocks) > 1 and blocks[-2][0] / blocks[-2][1] > blocks[-1][0] / blocks[-1][1]:
            total, weight, count = blocks.pop()
            blocks[-1][0] += total
            blocks[-1][1] += weight
            blocks[-1][2] += count
    out: list[float] = []
    for total, weight, count in blocks:
        out.extend([total / weight] * int(count))
    return [v + o for v, o in zip(out, offsets)]
