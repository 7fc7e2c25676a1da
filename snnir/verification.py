"""Cross-reference checks over a whole graph. Every problem is collected before anything is raised.

``check(graph)`` returns all diagnostics; ``verify(graph)`` raises one :class:`VerifyError` holding all of
them when any is an error, and otherwise returns the warnings. Every code has an entry in
:mod:`snnir.codes` (``snnir explain CODE``).

``check(graph, target="xylo")`` and ``verify(graph, target=...)`` also judge the graph against a chip's
rules (:mod:`snnir.targets`): those diagnostics come after the others, with codes ``target-...``.

One slip is reported once: an edge that names an unknown node or port is read as the edge it most likely
meant (the closest id or port), so the node it should have fed is not also reported as unfed, unreachable
or shapeless, and the node it reads is not reported as unused.
"""

from __future__ import annotations

import re
from collections import Counter
from typing import Callable, NamedTuple

from .analysis import MODES, algebraic_loops, feedback_candidates, infer_shapes, timed, to_networkx
from .analysis.shapes import ShapeInfo
from .diagnostics import Diagnostic, close_matches, did_you_mean, suggest
from .errors import VerifyError
from .ir import Edge, Graph
from .ir.inline import has_composites, inline
from .ir.node import describe_edge
from .ir.printer import context

Check = Callable[[Graph, ShapeInfo], list[Diagnostic]]


def _duplicate_ids(graph: Graph, shapes: ShapeInfo) -> list[Diagnostic]:
    counts = Counter(graph.node_ids)
    return [
        Diagnostic("duplicate-id", f"node id {nid!r} is used by {k} nodes", "give every node a unique id", nodes=(nid,))
        for nid, k in counts.items() if k > 1
    ]


def _edge_name(e: Edge) -> str:
    return describe_edge(e.src, e.dst, e.src_port, e.dst_port, e.delay, e.feedback)


def _known_ids(ids: list[str], limit: int = 20) -> str:
    shown = sorted(ids)
    return str(shown) if len(shown) <= limit else str(shown[:limit])[:-1] + ", ...]"


def _edge_endpoints(graph: Graph, shapes: ShapeInfo) -> list[Diagnostic]:
    nodes = {n.id: n for n in graph.nodes}
    out = []
    for e in graph.edges:
        missing = [x for x in (e.src, e.dst) if x not in nodes]
        if missing:
            out.append(Diagnostic(
                "unknown-node", f"edge {_edge_name(e)} names unknown node(s) {missing}",
                _unknown_node_hint(missing, list(nodes)),
                nodes=tuple(x for x in (e.src, e.dst) if x in nodes), edges=(e.key,)))
            continue
        src, dst = nodes[e.src], nodes[e.dst]
        if e.src_port not in src.OUTPUT_PORTS:
            out.append(Diagnostic(
                "unknown-port",
                f"edge {_edge_name(e)} reads port {e.src_port!r}, but {src.kind} {e.src!r} "
                + (f"offers {list(src.OUTPUT_PORTS)}" if src.OUTPUT_PORTS else "has no outputs (it is a graph output)"),
                _port_hint(e.src_port, src.OUTPUT_PORTS, "read")
                if src.OUTPUT_PORTS else "read from the node that feeds the output instead",
                nodes=(e.src,), edges=(e.key,)))
        if e.dst_port not in dst.INPUT_PORTS:
            out.append(Diagnostic(
                "unknown-port",
                f"edge {_edge_name(e)} writes port {e.dst_port!r}, but {dst.kind} {e.dst!r} "
                + (f"takes {list(dst.INPUT_PORTS)}" if dst.INPUT_PORTS else "takes no inputs (it is a graph input)"),
                _port_hint(e.dst_port, dst.INPUT_PORTS, "write")
                if dst.INPUT_PORTS else "graph inputs are fed by the caller; remove the edge",
                nodes=(e.dst,), edges=(e.key,)))
    return out


def _unknown_node_hint(missing: list[str], ids: list[str]) -> str:
    guesses = {m: _did_you_mean_id(m, ids) for m in missing}
    said = [g if len(missing) == 1 else f"{m!r}: {g}" for m, g in guesses.items() if g]
    fix = f"add the node(s) {missing} or remove the edge; known ids are {_known_ids(ids)}"
    return f"{'; '.join(said)} Otherwise {fix}" if said else fix


def _did_you_mean_id(name: str, ids: list[str]) -> str:
    return suggest(_close_ids(name, ids))


def _port_hint(port: str, ports: tuple[str, ...], verb: str) -> str:
    guess = did_you_mean(port, ports)
    return (f"{guess} " if guess else "") + f"{verb} one of {list(ports)}"


class _Intended(NamedTuple):
    """What a broken edge was most likely meant to be; None where no known name is close."""

    src: str | None
    dst: str | None
    src_port: str | None
    dst_port: str | None


def _intended_edges(graph: Graph) -> list[_Intended]:
    """Each edge naming an unknown node or port, with the unknown names replaced by their closest match.

    The reachability, unfed-port and shape checks count these as present, so that the follow-on problems
    of one misspelt edge (its destination unfed and unreachable, its source unused) are not reported
    beside the unknown-node or unknown-port diagnostic that names the slip."""
    nodes = {n.id: n for n in graph.nodes}
    return [i for e in graph.edges if (i := _intent(e, nodes)) is not None]


def _intent(e: Edge, nodes: dict) -> _Intended | None:
    """The likely meaning of ``e`` if it names an unknown node or port; None for a sound edge, or for an
    edge out of an Output or into an Input (a wrong edge, not a slip)."""
    src, dst = _closest_id(e.src, nodes), _closest_id(e.dst, nodes)
    if src == e.src and dst == e.dst and e.src_port in nodes[src].OUTPUT_PORTS and e.dst_port in nodes[dst].INPUT_PORTS:
        return None
    if (src is not None and not nodes[src].OUTPUT_PORTS) or (dst is not None and not nodes[dst].INPUT_PORTS):
        return None
    src_port = None if src is None else _closest_port(e.src_port, nodes[src].OUTPUT_PORTS)
    dst_port = None if dst is None else _closest_port(e.dst_port, nodes[dst].INPUT_PORTS)
    return _Intended(src, dst, src_port, dst_port)


def _closest_port(port: str, ports: tuple[str, ...]) -> str | None:
    if port in ports:
        return port
    found = close_matches(port, ports, n=1)
    return found[0] if found else ports[0] if len(ports) == 1 else None


def _closest_id(name: str, known) -> str | None:
    if name in known:
        return name
    found = _close_ids(name, known)
    return found[0] if found else None


def _close_ids(name: str, known) -> list[str]:
    """Close matches for a node id; inside a composite (``block/inner``) among the ids of the same block,
    compared without the shared block path."""
    prefix = name[: name.rfind("/") + 1]
    tails = [k[len(prefix):] for k in known if k.startswith(prefix) and "/" not in k[len(prefix):]]
    return [prefix + t for t in close_matches(name[len(prefix):], tails)]


def _repaired(graph: Graph) -> Graph:
    """``graph`` with each misspelt edge whose meaning is clear replaced by it, at every level of
    composites, so that the checks of the expanded graph see one typo as one problem."""
    nodes = tuple(_repaired_node(n) for n in graph.nodes)
    by_id = {n.id: n for n in nodes}
    edges = []
    for e in graph.edges:
        i = _intent(e, by_id)
        if i is not None and None not in i:
            e = e.replace(src=i.src, dst=i.dst, src_port=i.src_port, dst_port=i.dst_port)
        edges.append(e)
    if all(a is b for a, b in zip(nodes + tuple(edges), graph.nodes + graph.edges)):
        return graph  # nothing to repair: skip validating the graph again
    return graph.replace(nodes=nodes, edges=tuple(edges))


def _repaired_node(node):
    if node.kind != "Subgraph":
        return node
    inner = _repaired(node.graph)
    return node if inner is node.graph else node.replace(graph=inner)


def _inputs_and_outputs(graph: Graph, shapes: ShapeInfo) -> list[Diagnostic]:
    out = []
    if not graph.inputs:
        out.append(Diagnostic("no-inputs", "the graph has no Input node", "add an Input node and connect it"))
    if not graph.outputs:
        out.append(Diagnostic("no-outputs", "the graph has no Output node", "add an Output node fed by the layer you want returned"))
    return out


def _fed_ports(graph: Graph) -> set[tuple[str, str]]:
    """(node, port) pairs some edge writes, counting what misspelt edges were meant to write."""
    fed = {(e.dst, e.dst_port) for e in graph.edges}
    return fed | {(i.dst, i.dst_port) for i in _intended_edges(graph) if i.dst is not None and i.dst_port}


def _missing_inputs(graph: Graph, shapes: ShapeInfo) -> list[Diagnostic]:
    fed = _fed_ports(graph)
    return [
        Diagnostic("missing-input", f"{n.kind} {n.id!r} has nothing connected to its input port {port!r}",
                   f"add an edge into {n.id}" + ("" if port == "in" else f" with dst_port={port!r}"), nodes=(n.id,))
        for n in graph.nodes for port in n.INPUT_PORTS if (n.id, port) not in fed
    ]


def _shapes(graph: Graph, shapes: ShapeInfo) -> list[Diagnostic]:
    out = []
    into: dict[str, list[Edge]] = {}  # looked up per problem: one pass over the edges, not one per problem
    for e in graph.edges:
        into.setdefault(e.dst, []).append(e)
    for p in shapes.problems:
        detail = _edge_shapes(into.get(p.node, ()), shapes, p.node)
        out.append(Diagnostic("shape-mismatch", p.message + (f" ({detail})" if detail else ""), p.hint,
                              nodes=(p.node,), edges=p.edges))
    return out


def _unknown_shapes(graph: Graph, shapes: ShapeInfo) -> list[Diagnostic]:
    """Ports whose shape nothing determines (e.g. a cycle no input or sized node reaches)."""
    g = to_networkx(graph)
    fed_ports = _fed_ports(graph)
    # A node with a shape problem, an unfed port or a misspelt edge into it is reported already; the
    # nodes it feeds inherit its missing shape, so they are not reported again.
    troubled = {p.node for p in shapes.problems}
    troubled |= {n.id for n in graph.nodes if any((n.id, p) not in fed_ports for p in n.INPUT_PORTS)}
    troubled |= {i.dst for i in _intended_edges(graph) if i.dst is not None}
    troubled = _reached(g.succ, troubled)
    out = []
    for n in graph.nodes:
        if n.id in troubled:
            continue
        missing = [port for port in n.OUTPUT_PORTS if shapes.output(n.id, port) is None]
        if missing:
            out.append(Diagnostic("unknown-shape", f"the shape of {n.kind} {n.id!r} cannot be inferred",
                                  "connect it to an Input (directly or through sized nodes) or give the neuron a shape",
                                  nodes=(n.id,)))
    return out


def _reached(adjacency, starts) -> set[str]:
    """``starts`` and every node reached from them along ``adjacency`` (a networkx ``succ`` or ``pred``
    view): one search from all of them at once, so the cost is O(nodes + edges) however many starts
    there are (a search per start was quadratic on a long chain of troubled nodes)."""
    seen = {n for n in starts if n in adjacency}
    todo = list(seen)
    while todo:
        for nxt in adjacency[todo.pop()]:
            if nxt not in seen:
                seen.add(nxt)
                todo.append(nxt)
    return seen | set(starts)


def _edge_shapes(in_edges, shapes: ShapeInfo, node: str) -> str:
    parts = []
    for e in in_edges:
        s = shapes.output(e.src, e.src_port)
        if s is not None:
            parts.append(f"{e.src}{'' if e.src_port == 'out' else '.' + e.src_port} -> {node}: {s}")
    return "; ".join(parts)


def _parameters(graph: Graph, shapes: ShapeInfo) -> list[Diagnostic]:
    out = []
    for n in graph.nodes:
        for message, hint in n.check(shapes.inputs.get(n.id, {})):
            out.append(Diagnostic("bad-parameter", f"{n.kind} {n.id!r}: {message}", hint, nodes=(n.id,)))
    dtypes = graph.param_dtypes(arrays_only=True)
    if len(dtypes) > 1:  # scalars are cast to the program dtype, so only arrays can conflict
        by_dtype: dict[str, list[str]] = {}
        for n in graph.nodes:
            for p, v in n.params().items():
                if p in n.float_params() and v.ndim > 0:
                    by_dtype.setdefault(v.dtype.name, []).append(f"{n.id}.{p}")
        listing = "; ".join(f"{d}: {', '.join(v[:4])}{' ...' if len(v) > 4 else ''}" for d, v in by_dtype.items())
        out.append(Diagnostic("mixed-dtypes", f"float array parameters mix dtypes ({listing})",
                              "cast the whole graph with graph.astype(dtype)",
                              nodes=tuple(dict.fromkeys(x.split(".")[0] for v in by_dtype.values() for x in v))))
    return out


def _quantizations(graph: Graph, shapes: ShapeInfo) -> list[Diagnostic]:
    """Every ``quant`` entry that is wrong for its node (snnir.ir.quant.problems)."""
    from .ir.quant import problems

    return [Diagnostic("bad-quantization", f"{n.kind} {n.id!r}: {message}", hint, nodes=(n.id,))
            for n in graph.nodes for message, hint in problems(n)]


def _algebraic_loops(graph: Graph) -> list[Diagnostic]:
    """A warning per zero-delay cycle of stateless nodes in ``graph`` (the graph as the chosen mode lowers
    it, composites expanded), naming its nodes and the edges the feedback rule marks in it: nothing in
    such a cycle holds a value across steps, so the marked edge reads the previous step's value, as SNNAX
    and NIR read such graphs. Every such cycle is broken; none is an error."""
    loops = algebraic_loops(graph)
    if not loops:
        return []
    marked = [graph.edges[i] for i in feedback_candidates(graph)]
    out = []
    for loop in loops:
        members = set(loop)
        breaks = tuple(e.key for e in marked if e.src in members and e.dst in members)
        names = ", ".join(f"{a} -> {b}" for a, b in breaks)
        out.append(Diagnostic(
            "algebraic-loop",
            f"zero-delay cycle through stateless nodes {list(loop)}: nothing in it holds a value across steps, "
            f"so {names} {'reads' if len(breaks) == 1 else 'read'} the previous step (feedback)",
            "nothing to do if that is what you mean; to say so, mark the edge yourself (feedback=True) or "
            "give it delay=1; or put a neuron in the loop",
            severity="warning", nodes=loop, edges=breaks))
    return out


def _reachability(graph: Graph, shapes: ShapeInfo) -> list[Diagnostic]:
    g = to_networkx(graph)
    sources = [n.id for n in graph.inputs]
    sinks = [n.id for n in graph.nodes if n.kind == "Output" or n.SINK]
    for i in _intended_edges(graph):  # a misspelt edge counts as the edge it was meant to be
        if i.src is not None and i.dst is not None:
            g.add_edge(i.src, i.dst)
        elif i.dst is not None:  # its source is unknown: assume it would have reached the destination
            sources.append(i.dst)
        elif i.src is not None:  # its destination is unknown: assume it would have led to an output
            sinks.append(i.src)
    reached = _reached(g.succ, sources)
    feeds_output = _reached(g.pred, sinks)  # nodes an Output or a legitimate sink (a spike counter) depends on
    out = []
    seen = set()
    has_inputs, has_outputs = bool(graph.inputs), bool(graph.outputs)
    for n in graph.nodes:
        if n.id in seen:
            continue
        seen.add(n.id)
        if has_inputs and n.id not in reached:
            code = "unreachable-output" if n.kind == "Output" else "unreachable-node"
            out.append(Diagnostic(code, f"{n.kind} {n.id!r} is not reached from any Input",
                                  "connect it (through other nodes) to an Input, or remove it", nodes=(n.id,)))
        elif has_outputs and n.id not in feeds_output and not n.SINK:
            if g.out_degree(n.id) == 0:
                out.append(Diagnostic("unused-output", f"nothing reads the output of {n.kind} {n.id!r}",
                                      "connect it to an Output (or another node), or remove it",
                                      severity="warning", nodes=(n.id,)))
            else:
                out.append(Diagnostic("dead-node", f"no Output depends on {n.kind} {n.id!r}",
                                      "connect its branch to an Output, or remove it", severity="warning", nodes=(n.id,)))
    return out


CHECKS: tuple[Check, ...] = (
    _duplicate_ids, _edge_endpoints, _inputs_and_outputs, _missing_inputs, _shapes, _unknown_shapes, _parameters,
    _quantizations,
)
# after the loop warnings, which judge the graph in the chosen mode's timing (see check)
LATE_CHECKS: tuple[Check, ...] = (_reachability,)


def check(graph: Graph, mode: str = "straight", target=None) -> tuple[Diagnostic, ...]:
    """Every problem in ``graph`` (errors and warnings), each with printed IR context; never raises on a
    bad graph.

    ``mode`` ("straight" or "delayed") is the timing the graph is judged in, as ``snnir.compile`` lowers
    it: only the zero-delay cycles that mode leaves are reported (in delayed mode every top-level edge
    between layers already has a delay, so only cycles inside a same-step composite remain).

    ``target`` (a bundled profile name such as ``"xylo"``, the path of a JSON profile file, or a
    :class:`snnir.targets.TargetProfile`) also judges the graph against that chip's rules, after the
    checks above: every neuron kind, capacity, fan-in, fan-out, weight, delay, recurrence,
    convolution and input/output problem, each naming its node (see :mod:`snnir.targets`). An unknown
    target or a bad profile file raises before anything is checked."""
    profile = None
    if target is not None:
        from .targets import load_profile  # the target checks are only imported when asked for

        profile = load_profile(target)
    if has_composites(graph):
        found = _check_composites(graph, mode)
    else:
        if mode not in MODES:
            timed(graph, mode)  # raises the unknown-mode error before anything is checked
        shapes = infer_shapes(graph)
        # Without composites, delayed mode delays every edge that can lie on a cycle (an edge leaving an
        # Input or entering an Output never does), so no zero-delay cycle is left to report.
        loops = _algebraic_loops(graph) if mode == "straight" else []
        found = [d for c in CHECKS for d in c(graph, shapes)] + loops
        found += [d for c in LATE_CHECKS for d in c(graph, shapes)]
        found = tuple(_with_context(graph, d) for d in found)
    if profile is not None:
        found += _target_checks(graph, profile)
    return found


def _target_checks(graph: Graph, profile) -> tuple[Diagnostic, ...]:
    """The target's diagnostics, judged on the graph with composites expanded (a composite's inner
    nodes are the chip's layers)."""
    from .targets import check_target

    flat = graph
    if has_composites(graph):
        try:
            flat = inline(_repaired(graph))
        except Exception:  # noqa: BLE001  (a graph too broken to expand: its structure errors say why)
            return ()
    return tuple(_with_context(flat, d) for d in check_target(flat, profile))


def verify(graph: Graph, mode: str = "straight", target=None) -> tuple[Diagnostic, ...]:
    """Raise :class:`VerifyError` listing every problem if any is an error; else return the warnings.

    ``mode`` and ``target`` as for :func:`check`: the graph is judged as that mode lowers it, and, with
    a target, against that chip's rules too."""
    diagnostics = check(graph, mode, target)
    if any(d.severity == "error" for d in diagnostics):
        raise VerifyError(diagnostics)
    return diagnostics


def _with_context(graph: Graph, d: Diagnostic) -> Diagnostic:
    import dataclasses

    names = set(d.nodes) | {x for e in d.edges for x in e}
    return dataclasses.replace(d, context=context(graph, names))


# ---------------------------------------------------------------------- graphs with composites
# Structure (ids, edge endpoints and ports, unfed ports) is checked level by level, each level's ids
# prefixed with its block path (``block/inner``); everything else (shapes, parameters, loops,
# reachability) on the expanded graph, where a problem inside a composite already carries those ids.
_STRUCTURE: tuple[Check, ...] = (_duplicate_ids, _edge_endpoints, _missing_inputs)
_PORT_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


def _check_composites(graph: Graph, mode: str) -> tuple[Diagnostic, ...]:
    repaired = _repaired(graph)
    timed_graph = timed(repaired, mode)  # delayed mode's timing sees the composite boundaries
    found = [_with_context(graph, d) for d in _reserved_ids(graph, "") + _inputs_and_outputs(graph, None)]
    for level in _levels(graph, ""):
        found += [_with_context(level, d) for c in _STRUCTURE for d in c(level, None)]
        found += [_with_context(level, d) for d in _composite_ports(level)]
    flat = inline(repaired)  # structure was judged level by level above; judge the rest as meant
    shapes = infer_shapes(flat)
    found += [_with_context(flat, d) for c in CHECKS if c not in _STRUCTURE and c is not _inputs_and_outputs
              for d in c(flat, shapes)]
    timed_flat = flat if timed_graph is repaired else inline(timed_graph)
    found += [_with_context(flat, d) for d in _algebraic_loops(timed_flat)]
    found += [_with_context(flat, d) for c in LATE_CHECKS for d in c(flat, shapes)]
    return tuple(found)


def _levels(graph: Graph, prefix: str):
    """The graph and every nested graph, each with its node ids (and edge ends) prefixed by its path."""
    level = graph if not prefix else graph.replace(
        nodes=tuple(n.model_copy(update={"id": prefix + n.id}) for n in graph.nodes),
        edges=tuple(e.replace(src=prefix + e.src, dst=prefix + e.dst) for e in graph.edges))
    yield level
    for n in graph.nodes:
        if n.kind == "Subgraph":
            yield from _levels(n.graph, f"{prefix}{n.id}/")


def _reserved_ids(graph: Graph, prefix: str) -> list[Diagnostic]:
    out = []
    for n in graph.nodes:
        if "/" in n.id:
            out.append(Diagnostic(
                "reserved-id", f"node id {prefix + n.id!r} contains '/', which is reserved for the ids of expanded "
                f"composites (block/inner) in a graph that has composites",
                f"rename it without '/' (e.g. {n.id.replace('/', '_')!r})", nodes=(prefix + n.id,)))
        if n.kind == "Subgraph":
            out += _reserved_ids(n.graph, f"{prefix}{n.id}/")
    return out


def _composite_ports(level: Graph) -> list[Diagnostic]:
    out = []
    for n in level.nodes:
        if n.kind != "Subgraph":
            continue
        for what, ports in (("Input", n.INPUT_PORTS), ("Output", n.OUTPUT_PORTS)):
            if not ports:
                out.append(Diagnostic(
                    "composite-ports", f"{n.composite} {n.id!r} has no {what} node inside, so it has no "
                    f"{'input' if what == 'Input' else 'output'} port",
                    f"add an {what} node to its graph (its id names the port, usually "
                    f"{'in' if what == 'Input' else 'out'!r})", nodes=(n.id,)))
            bad = [p for p in ports if not _PORT_NAME.match(p)]
            if bad:
                out.append(Diagnostic(
                    "composite-ports", f"{n.composite} {n.id!r}: inner {what} ids {bad} cannot serve as port names",
                    "name inner Input/Output nodes with letters, digits and '_' (not starting with a digit)",
                    nodes=(n.id,)))
    return out
