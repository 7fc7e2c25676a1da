"""Large graphs: every stage of snnir does work linear in the graph's size.

Wall time is never asserted; each test counts work (rule evaluations, searches, lookups, flattened
leaves) and checks it grows with the graph as it should. The times themselves are measured by
examples/benchmarks/bench_compile_scaling.py (docs/performance.md).
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import networkx as nx
import numpy as np
import pytest

import snnir
from snnir.analysis import infer_shapes
from snnir.ir import Graph
from snnir.ir.kinds.synapses import Scale


def _scale_chain(n: int, reverse: bool = False) -> Graph:
    """x -> n Scale nodes -> y, declared from the input (or, ``reverse``, from the output) on."""
    nodes = [{"kind": "Input", "id": "x", "shape": [3]}]
    nodes += [{"kind": "Scale", "id": f"s{i}", "scale": 0.5} for i in range(n)]
    nodes.append({"kind": "Output", "id": "y"})
    ids = [d["id"] for d in nodes]
    edges = [{"src": a, "dst": b} for a, b in zip(ids, ids[1:])]
    if reverse:
        nodes, edges = nodes[::-1], edges[::-1]
    return Graph.model_validate({"nodes": nodes, "edges": edges})


def _layer_chain(layers: int) -> Graph:
    b = snnir.GraphBuilder(key=0)
    h = b.input("x", 4)
    for i in range(layers):
        h = b.lif(b.linear(h, 4, id=f"fc{i}"), decay=0.5, id=f"lif{i}")
    b.output(h, id="y")
    return b.build()


@pytest.fixture
def count_scale_rules(monkeypatch):
    calls = []
    rule = Scale.infer_shapes

    def counted(self, inputs):
        calls.append(self.id)
        return rule(self, inputs)

    monkeypatch.setattr(Scale, "infer_shapes", counted)
    return calls


@pytest.mark.parametrize("reverse", [False, True])
def test_shape_inference_evaluates_each_node_once_in_any_declaration_order(count_scale_rules, reverse):
    # a worklist in declaration order evaluated a chain declared from its output twice per node, and a
    # pass over every node per change before that (cubic: 74 s for 800 nodes)
    graph = _scale_chain(300, reverse=reverse)
    shapes = infer_shapes(graph)
    assert shapes.output("s299") == (3,)
    assert len(count_scale_rules) == 300


def test_shape_inference_iterates_inside_a_cycle_only(count_scale_rules):
    # a loop s0 -> s1 -> s0 (one edge marked) in front of a long chain: only the loop's members are
    # evaluated again, each at most (loop size + 1) times
    graph = _scale_chain(200)
    edges = graph.edges + (snnir.Edge("s1", "s0", feedback=True),)
    shapes = infer_shapes(graph.replace(edges=edges))
    assert shapes.output("s199") == (3,)
    assert len(count_scale_rules) <= 200 + 2 * 3


def test_shape_problem_lookups_do_not_scan_every_edge():
    # every node of a long chain fails its shape rule: each problem names its edges and verification
    # reports one problem per node, without a search per problem (quadratic before)
    n = 200
    nodes = [{"kind": "Input", "id": "x", "shape": [3]}]
    nodes += [{"kind": "Linear", "id": f"l{i}", "weight": np.ones((3, 2), np.float32)} for i in range(n)]
    nodes.append({"kind": "Output", "id": "y"})
    ids = [d["id"] for d in nodes]
    graph = Graph.model_validate({"nodes": nodes, "edges": [{"src": a, "dst": b} for a, b in zip(ids, ids[1:])]})
    shapes = infer_shapes(graph)
    assert shapes.problems[0].node == "l0" and shapes.problems[0].edges == (("x", "l0"),)


def test_verification_searches_the_graph_once_however_many_nodes_are_troubled(monkeypatch):
    # nodes fed by a node with a shape problem are not reported again; finding them took one search per
    # troubled node (quadratic on a chain of them). Now one search from all of them at once.
    searches = []
    for name in ("descendants", "ancestors"):
        original = getattr(nx, name)
        monkeypatch.setattr(nx, name, lambda g, n, original=original: searches.append(n) or original(g, n))
    n = 100
    nodes = [{"kind": "Input", "id": "x", "shape": [3]}]
    nodes += [{"kind": "Linear", "id": f"l{i}", "weight": np.ones((3, 2), np.float32)} for i in range(n)]
    nodes.append({"kind": "Output", "id": "y"})
    ids = [d["id"] for d in nodes]
    edges = [{"src": a, "dst": b} for a, b in zip(ids, ids[1:])]
    edges += [{"src": "x", "dst": f"l{i}"} for i in range(1, n)]  # every Linear reads x: n problems
    graph = Graph.model_validate({"nodes": nodes, "edges": edges})
    codes = snnir.check(graph)
    assert [d.code for d in codes].count("shape-mismatch") == n
    assert len(searches) <= 2


def test_lowering_never_scans_the_graph_per_node(monkeypatch):
    # the lowering looked every node up by a pass over the node list and collected its in-edges by a
    # pass over the edge list: O(nodes * edges)
    lookups = []
    for name in ("node", "in_edges", "out_edges"):
        original = getattr(Graph, name)
        monkeypatch.setattr(Graph, name, lambda self, nid, original=original: lookups.append(nid) or original(self, nid))

    def count(layers):
        lookups.clear()
        snnir.compile(_layer_chain(layers), strategy="layered")
        return len(lookups)

    assert count(20) == count(40)


def _flattened_leaves(monkeypatch):
    """A counter of the leaves ``jax.tree_util.tree_leaves`` returns: Equinox flattens a module's
    arguments (for a bound method: the whole program) each time it makes a module."""
    seen = [0]
    original = jax.tree_util.tree_leaves

    def counted(*args, **kwargs):
        leaves = original(*args, **kwargs)
        seen[0] += len(leaves)
        return leaves

    monkeypatch.setattr(jax.tree_util, "tree_leaves", counted)
    return seen


@pytest.mark.parametrize("strategy", ["fused-scan", "layered"])
def test_tracing_and_init_state_flatten_the_program_a_linear_number_of_times(monkeypatch, strategy):
    # each call of a Program method inside the step (one per node) made an Equinox bound method, which
    # flattens the whole program: tracing and init_state were quadratic in the number of nodes
    def work(layers):
        prog = snnir.compile(_layer_chain(layers), strategy=strategy)
        xs = jnp.ones((3, 2, 4))
        seen = _flattened_leaves(monkeypatch)
        state = prog.init_state((2,))
        jax.make_jaxpr(lambda s, x: prog(s, x))(state, xs)
        monkeypatch.undo()
        return seen[0]

    small, large = work(15), work(30)
    assert large < 2.5 * small  # quadratic work gives about 4x


def test_jit_does_not_print_the_program():
    # jax.jit names a callable without __code__ by str(): Equinox's pretty-print of every kernel took
    # seconds for 1,000 nodes. The repr is one line.
    prog = snnir.compile(_layer_chain(30))
    text = repr(prog)
    assert "\n" not in text and text.startswith("Program(62 nodes")


def test_auto_compiles_one_fused_scan_when_the_layered_program_would_hold_too_many_loops():
    """Layered programs compile one XLA loop per scan stage; past MAX_LAYERED_LOOPS auto fuses them."""
    from snnir.passes.lower import MAX_LAYERED_LOOPS

    def chain(layers):
        b = snnir.GraphBuilder(key=0)
        h = b.input("x", shape=(4,))
        for i in range(layers):
            h = b.lif(b.linear(h, 4, id=f"fc{i}"), decay=0.9, id=f"lif{i}")
        b.output(h, id="y")
        return b.build()

    assert snnir.compile(chain(3)).strategy == "layered"  # hoisting the matmuls pays
    assert snnir.compile(chain(MAX_LAYERED_LOOPS + 1)).strategy == "fused-scan"
    assert snnir.compile(chain(MAX_LAYERED_LOOPS + 1), strategy="layered").strategy == "layered"
