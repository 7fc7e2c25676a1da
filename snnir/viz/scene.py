"""What a drawing shows, computed once from a Graph and shared by every renderer (DOT, Mermaid, matplotlib).

A :class:`Scene` holds the drawn nodes (each with its id, kind, shape, parameter count and problems),
the drawn edges (delay, ports, feedback status, whether the edge constrains the left-to-right layout)
and a tree of boxes: strongly connected components ("cycle" boxes) and composites (ids ``block/inner``).

Composites: every id containing "/" belongs to the composite named by its prefix. Collapsed
(``expand=False``) each top-level prefix is drawn as one node, and edges inside it disappear; expanded
(``expand=True``) every prefix level is a box around its members.

Nothing here raises on an invalid graph: edges naming unknown nodes get placeholder nodes, and the
problems ``snnir.check`` finds are attached to the nodes and edges they name.
"""

from __future__ import annotations

import dataclasses
from typing import Literal, Union

from ..analysis import feedback_candidates, infer_shapes, sccs
from ..ir import Graph, Node
from ..verification import check

Role = Literal["input", "output", "neuron", "synapse", "delay", "composite", "unknown"]
Severity = Literal["error", "warning"]


@dataclasses.dataclass(frozen=True)
class Problem:
    severity: Severity
    code: str
    message: str


@dataclasses.dataclass(frozen=True)
class DrawNode:
    """One drawn node: a graph node, a collapsed composite or a placeholder for an unknown id."""

    id: str
    role: Role
    kind: str  # the node kind, "composite" or "unknown"
    shape: str  # "20 -> 64", "64", "?" or "" (placeholders)
    params: int
    tooltip: str
    in_cycle: bool = False
    problems: tuple[Problem, ...] = ()
    quant: str = ""  # the node's integer formats, e.g. "weight q8/ch, bias q16/ch" ("" if none)

    @property
    def severity(self) -> Severity | None:
        if any(p.severity == "error" for p in self.problems):
            return "error"
        return "warning" if self.problems else None

    @property
    def lines(self) -> tuple[str, ...]:
        """The label below the id: kind and shape, then the parameter count."""
        first = self.kind + (f" · {self.shape}" if self.shape else "")
        out = [first]
        if self.params:
            out.append(f"{self.params:,} param" + ("" if self.params == 1 else "s"))
        if self.quant:
            out.append(f"int {self.quant}")
        return tuple(out)


@dataclasses.dataclass(frozen=True)
class DrawEdge:
    src: str
    dst: str
    label: str
    feedback: Literal["marked", "auto"] | None  # marked in the graph, or what mark-feedback will mark
    delay: int
    constraint: bool  # False for edges running backwards inside a cycle (drawn right to left)
    severity: Severity | None
    indices: tuple[int, ...]  # positions in graph.edges


@dataclasses.dataclass(frozen=True)
class Box:
    """A cluster: ``kind`` "cycle" (a strongly connected component) or "composite" (an id prefix)."""

    name: str  # stable cluster name: "cycle:1" (":" never occurs in ids), or the composite prefix
    kind: Literal["cycle", "composite"]
    label: str
    items: tuple[Union[str, "Box"], ...]  # drawn node ids and nested boxes, in declaration order

    def node_ids(self) -> tuple[str, ...]:
        out: list[str] = []
        for item in self.items:
            out.extend(item.node_ids() if isinstance(item, Box) else (item,))
        return tuple(out)


@dataclasses.dataclass(frozen=True)
class Scene:
    title: str
    nodes: dict[str, DrawNode]  # in drawing order
    edges: tuple[DrawEdge, ...]
    items: tuple[Union[str, Box], ...]  # the top level: node ids and boxes
    notes: tuple[Problem, ...]  # problems that name no node (e.g. no-inputs)
    show_errors: bool

    def boxes(self) -> tuple[Box, ...]:
        """Every box, outermost first."""
        out: list[Box] = []

        def walk(items):
            for item in items:
                if isinstance(item, Box):
                    out.append(item)
                    walk(item.items)

        walk(self.items)
        return tuple(out)


# ---------------------------------------------------------------------- building
def role_of(node: Node) -> Role:
    if node.kind == "Input":
        return "input"
    if node.kind == "Output":
        return "output"
    if node.kind == "Delay":
        return "delay"
    return "neuron" if node.STATEFUL else "synapse"


def format_shape(shape: tuple[int, ...] | None) -> str:
    if shape is None:
        return "?"
    if len(shape) == 0:
        return "scalar"
    return "×".join(str(d) for d in shape)


def parameter_count(node: Node) -> int:
    return node.parameter_count()


def build_scene(graph: Graph, expand: bool = False, show_errors: bool = False) -> Scene:
    """The scene for ``graph``. Deterministic: the same graph always gives the same scene."""
    shapes = infer_shapes(graph)
    first: dict[str, Node] = {}
    for n in graph.nodes:
        first.setdefault(n.id, n)

    def drawn(nid: str) -> str:
        return nid if expand else nid.split("/", 1)[0]

    # ---- nodes (graph nodes, collapsed composites, placeholders for unknown ids)
    nodes: dict[str, DrawNode] = {}
    members: dict[str, list[Node]] = {}
    for n in first.values():
        members.setdefault(drawn(n.id), []).append(n)
    for did, group in members.items():
        if len(group) == 1 and group[0].id == did:
            nodes[did] = _node(group[0], shapes)
        else:
            nodes[did] = _composite(did, group)
    unknown = [x for e in graph.edges for x in (e.src, e.dst) if x not in first]
    for nid in dict.fromkeys(unknown):
        did = drawn(nid)
        if did not in nodes:
            nodes[did] = DrawNode(did, "unknown", "unknown", "", 0, f"{nid}: no node has this id")
    order = {did: i for i, did in enumerate(nodes)}

    # ---- edges
    marked_auto = set(feedback_candidates(graph))
    cycles = _drawn_cycles(sccs(graph), drawn)
    cycle_of = {did: k for k, comp in enumerate(cycles) for did in comp}
    # edges between the same two drawn nodes with the same feedback status become one arrow
    grouped: dict[tuple[str, str, str | None], list[int]] = {}
    for i, e in enumerate(graph.edges):
        s, d = drawn(e.src), drawn(e.dst)
        if s == d and (e.src != s or e.dst != d):
            continue  # an edge inside a collapsed composite
        status = "marked" if e.feedback else ("auto" if i in marked_auto else None)
        grouped.setdefault((s, d, status), []).append(i)

    # ---- problems
    node_problems: dict[str, list[Problem]] = {}
    edge_problems: dict[tuple[str, str], Severity] = {}
    notes: list[Problem] = []
    if show_errors:
        for diag in check(graph):
            p = Problem(diag.severity, diag.code, diag.message)
            named = [drawn(x) for x in diag.nodes] + [drawn(x) for key in diag.edges for x in key
                                                       if x not in first]
            for did in dict.fromkeys(named):
                if did in nodes:
                    node_problems.setdefault(did, []).append(p)
            for key in diag.edges:
                k = (drawn(key[0]), drawn(key[1]))
                if edge_problems.get(k) != "error":
                    edge_problems[k] = p.severity
            if not diag.nodes and not diag.edges:
                notes.append(p)
    for did, probs in node_problems.items():
        nodes[did] = dataclasses.replace(nodes[did], problems=tuple(dict.fromkeys(probs)))
    for did in cycle_of:
        nodes[did] = dataclasses.replace(nodes[did], in_cycle=True)

    edges = []
    for (s, d, feedback), idx in grouped.items():
        es = [graph.edges[i] for i in idx]
        backwards = s == d or (s in cycle_of and cycle_of.get(d) == cycle_of[s] and order[d] <= order[s])
        edges.append(DrawEdge(
            src=s, dst=d, label=_edge_label(es, feedback),
            feedback=feedback, delay=max(e.delay for e in es), constraint=not backwards,
            severity=edge_problems.get((s, d)), indices=tuple(idx),
        ))

    items = _layout_tree(list(nodes), cycles, expand)
    return Scene(title=_title(graph), nodes=nodes, edges=tuple(edges), items=items, notes=tuple(notes),
                 show_errors=show_errors)


def _node(node: Node, shapes) -> DrawNode:
    if node.kind == "Output":
        out = shapes.input(node.id)
        shape = format_shape(out)
    else:
        out = shapes.output(node.id)
        inp = shapes.input(node.id) if node.INPUT_PORTS else None
        shape = format_shape(out)
        if inp is not None and out is not None and tuple(inp) != tuple(out):
            shape = f"{format_shape(inp)} → {shape}"
        elif inp is None and out is None and node.INPUT_PORTS:
            shape = "?"
    summary = node.summary()
    tooltip = f"{node.id}: {node.kind}" + (f" {summary}" if summary else "")
    return DrawNode(node.id, role_of(node), node.kind, shape, parameter_count(node), tooltip,
                    quant=quant_label(node))


def quant_label(node: Node, most: int = 2) -> str:
    """A short label of a node's quantization: its first ``most`` entries, ``weight q8/ch, bias q16/ch``
    (``…`` when there are more; "" when the node has none)."""
    quant = getattr(node, "quant", None) or {}
    params = list(node.float_params())
    names = sorted(quant, key=lambda k: params.index(k) if k in params else len(params))  # parameters first
    parts = [f"{name} {quant[name].label()}" for name in names]
    return ", ".join(parts[:most]) + (", …" if len(parts) > most else "")


def _composite(did: str, group: list[Node]) -> DrawNode:
    params = sum(parameter_count(n) for n in group)
    kinds = ", ".join(dict.fromkeys(n.kind for n in group))
    tooltip = f"{did}: composite of {len(group)} nodes ({kinds}); draw with expand=True to see inside"
    return DrawNode(did, "composite", "composite", f"{len(group)} nodes", params, tooltip)


def _edge_label(edges, feedback) -> str:
    parts: list[str] = []
    for e in edges:
        bits = []
        src = e.src_port if e.src_port != "out" else ""
        dst = e.dst_port if e.dst_port != "in" else ""
        if src or dst:
            bits.append(f"{src}→{dst}" if dst else src)
        if e.delay:
            bits.append(f"delay {e.delay}")
        text = ", ".join(bits)
        if text and text not in parts:
            parts.append(text)
    if feedback == "marked":
        parts.append("feedback")
    elif feedback == "auto":
        parts.append("feedback (auto)")
    if len(edges) > 1 and not parts:
        parts.append(f"×{len(edges)}")
    return "; ".join(parts)


def _drawn_cycles(components, drawn) -> list[tuple[str, ...]]:
    """SCCs mapped to drawn ids; components sharing a drawn node merge; those inside one node vanish."""
    merged: list[list[str]] = []
    for comp in components:
        ids = list(dict.fromkeys(drawn(n) for n in comp))
        hits = [m for m in merged if set(m) & set(ids)]
        for m in hits:
            merged.remove(m)
            ids = list(dict.fromkeys(m + ids))
        merged.append(ids)
    return [tuple(m) for m in merged if len(m) > 1 or _self_cycle(m, components, drawn)]


def _self_cycle(m, components, drawn) -> bool:
    # a single drawn node is a cycle box only when it is the graph node itself (a self-loop), not a
    # collapsed composite that hides its cycle
    return any(len(c) == 1 and drawn(c[0]) == c[0] == m[0] for c in components)


def _layout_tree(ids: list[str], cycles: list[tuple[str, ...]], expand: bool) -> tuple:
    """Nest node ids into composite boxes (expanded) and cycle boxes, keeping declaration order."""
    # parents: path of composite prefixes for each id
    def path(did: str) -> tuple[str, ...]:
        if not expand:
            return ()
        parts = did.split("/")
        return tuple("/".join(parts[:k]) for k in range(1, len(parts)))

    # A tree of mutable dicts: {"name", "kind", "label", "items": [...]}
    root: dict = {"name": "", "kind": "root", "label": "", "items": []}
    boxes: dict[str, dict] = {"": root}
    for did in ids:
        parent = root
        for prefix in path(did):
            if prefix not in boxes:
                box = {"name": prefix, "kind": "composite", "label": prefix, "items": []}
                boxes[prefix] = box
                parent["items"].append(box)
            parent = boxes[prefix]
        parent["items"].append(did)

    for k, comp in enumerate(cycles, start=1):
        paths = [path(did) for did in comp]
        common: tuple[str, ...] = ()
        for level in zip(*paths):
            if len(set(level)) != 1:
                break
            common += (level[0],)
        holder = boxes[common[-1]] if common else root
        depth = len(common)
        # the items of ``holder`` that contain a member: the member itself or the child box holding it
        wanted = []
        for did, p in zip(comp, paths):
            target = did if len(p) == depth else boxes[p[depth]]
            if not any(_same_item(t, target) for t in wanted):
                wanted.append(target)
        if not all(any(_same_item(t, x) for x in holder["items"]) for t in wanted):
            continue  # already claimed by an earlier cycle box: the nodes stay marked, not boxed
        cycle = {"name": f"cycle:{k}", "kind": "cycle", "label": f"cycle {k}", "items": []}
        positions = [i for i, x in enumerate(holder["items"]) if any(_same_item(t, x) for t in wanted)]
        cycle["items"] = [holder["items"][i] for i in positions]
        holder["items"] = [x for i, x in enumerate(holder["items"]) if i not in positions]
        holder["items"].insert(positions[0], cycle)
        boxes[cycle["name"]] = cycle

    def freeze(items) -> tuple:
        return tuple(Box(x["name"], x["kind"], x["label"], freeze(x["items"])) if isinstance(x, dict) else x
                     for x in items)

    return freeze(root["items"])


def _same_item(a: str | dict, b: str | dict) -> bool:
    """Whether two items of the layout tree are the same: node ids by value, boxes by identity.

    Ids must compare with ``==``: the SCC's copy of an id is often a different string object from the
    node's (ids read from a file, or built at run time), and ``is`` would then miss every cycle member.
    """
    if isinstance(a, str) or isinstance(b, str):
        return a == b
    return a is b


def _title(graph: Graph) -> str:
    name = graph.metadata.get("name") if isinstance(graph.metadata, dict) else None
    total = sum(parameter_count(n) for n in graph.nodes)
    def count(n: int, what: str) -> str:
        return f"{n:,} {what}" + ("" if n == 1 else "s")

    stats = f"{count(len(graph.nodes), 'node')} · {count(len(graph.edges), 'edge')} · {count(total, 'param')}"
    return f"{name} — {stats}" if isinstance(name, str) and name else stats

