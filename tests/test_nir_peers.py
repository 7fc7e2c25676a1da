"""snnir against snnTorch and Norse, through NIR files they and snnir wrote (fixtures recorded by
tests/corpus/nir/generate.py in throwaway environments; neither peer is a test dependency).

- ``snntorch_*``, ``norse_*``: models built, run and exported by the peer. snnir imports the peer's file
  and must give the peer's own numbers, and those of a float64 reading of NIR's equations.
- ``snnir_*``: models exported by snnir (feedback as plain cycles; pre-spike neurons, edge delays and
  marks on no loop as NIR Delay nodes), imported and run by each peer configuration: snnTorch 1.0's
  ``import_from_nir`` (``snntorch``), snnTorch 1.0's module map run by nirtorch's GraphExecutor
  (``snntorch_graph_executor``), snnTorch 0.9.4's ``import_from_nir`` (``snntorch_0_9_4``) and Norse 1.1
  (``norse``). On the models in its parameter form, each gives snnir's numbers exactly, or fails as
  :data:`PEER_GAPS` records (and docs/nir.md, "The peers").

Where a peer disagrees with NIR's own semantics, the manifest's ``peer_disagreements`` says why (and
docs/nir.md, "The peers"): snnir follows NIR there, and the test shows which snnir option gives the
peer's numbers. Inputs and parameters are dyadic, so spikes compare exactly.
"""

import json
import pathlib
import re

import nir
import numpy as np
import pytest

import snnir
from snnir.io.nir import NIRConversionError, from_nir

FIXTURES = pathlib.Path(__file__).parent / "corpus" / "nir" / "fixtures"
MANIFEST = json.loads((FIXTURES / "manifest.json").read_text())
DISAGREE = MANIFEST["peer_disagreements"]
PEER_EXPORTS = sorted(n for n, r in MANIFEST["fixtures"].items() if r["kind"] == "peer_export")
SNNIR_EXPORTS = sorted(n for n, r in MANIFEST["fixtures"].items() if r["kind"] == "snnir_export")


def outputs(graph, xs):
    prog = snnir.compile(graph)
    _, ys = prog(prog.init_state((xs.shape[1],)), xs)
    assert len(ys) == 1
    return np.asarray(next(iter(ys.values())))


def assert_matches(ours, theirs, what=""):
    """Spikes exactly; a membrane readout (any value other than 0 and 1) to 1e-5."""
    theirs = np.asarray(theirs, np.float32)
    if np.isin(theirs, (0.0, 1.0)).all() and np.isin(ours, (0.0, 1.0)).all():
        np.testing.assert_array_equal(ours, theirs, err_msg=what)
    else:
        np.testing.assert_allclose(ours, theirs, rtol=1e-5, atol=1e-5, err_msg=what)


def fixture(name):
    return FIXTURES / f"{name}.nir", np.load(FIXTURES / f"{name}.npz", allow_pickle=False)


def test_the_corpus_covers_both_peers_and_both_directions():
    assert {"snntorch_feedforward", "snntorch_conv", "snntorch_rleaky_all_to_all", "snntorch_rleaky_one_to_one",
            "snntorch_rsynaptic_all_to_all", "snntorch_rsynaptic_one_to_one", "norse_feedforward",
            "norse_li_readout"} <= set(PEER_EXPORTS)
    assert {f"snnir_{m}_{p}" for m in ("feedforward", "rleaky", "rleaky_one_to_one", "rsynaptic", "two_neuron_loop",
                                       *DELAY_MODELS)
            for p in ("snntorch", "norse")} == set(SNNIR_EXPORTS)
    for name in SNNIR_EXPORTS:
        assert set(PEER_FORM) <= set(MANIFEST["fixtures"][name]), name   # every configuration was run
    for path in FIXTURES.iterdir():
        assert path.stat().st_size < 20_000, path.name   # small enough to commit
    assert sum(p.stat().st_size for p in FIXTURES.parent.rglob("*") if p.is_file()) < 1_000_000


@pytest.mark.parametrize("name", PEER_EXPORTS)
def test_snnir_runs_the_peers_exports_with_their_numbers(name):
    path, data = fixture(name)
    record = MANIFEST["fixtures"][name]
    expect = DISAGREE.get(name, {}).get("expect")
    if expect == "norse_tau_times_dt":
        # read as NIR says, Norse's τ is dt·τ: shorter than dt, refused under Euler
        with pytest.raises(NIRConversionError, match="shorter than dt"):
            from_nir(path, dt=record["dt"])
        graph = nir.read(path, type_check=False)
        for key, node in graph.nodes.items():   # Norse also writes the sample's batch axis into the shapes
            if isinstance(node, (nir.Input, nir.Output)):
                shape = (node.input_type if isinstance(node, nir.Input) else node.output_type)
                dims = np.asarray(next(iter(shape.values())))[1:]
                graph.nodes[key] = type(node)(**({"input_type": dims} if isinstance(node, nir.Input)
                                                 else {"output_type": dims}))
        ys = outputs(from_nir(graph, dt=record["dt"] ** 2), data["xs"])   # dt² undoes the factor dt
        assert_matches(ys, data["native"])
        assert np.abs(ys).sum() > 0
        return
    g = from_nir(path, dt=record["dt"])
    ys = outputs(g, data["xs"])
    assert ys.sum() > 0
    np.testing.assert_array_equal(ys, data["nir_reference"].astype(np.float32))   # NIR's equations
    if expect == "reset_at_next":
        assert not np.array_equal(ys, data["native"])
        late = g.replace(nodes=tuple(n.replace(reset_at="next") if n.kind == "CubaLIF" else n for n in g.nodes))
        np.testing.assert_array_equal(outputs(late, data["xs"]), data["native"])
        return
    np.testing.assert_array_equal(ys, data["native"])                             # the peer's own numbers


#: peer configuration -> the parameter form it imports (snnTorch's R = τ/dt at dt 1e-4, Norse's R = 1 at 1e-3)
PEER_FORM = {"snntorch": "snntorch", "snntorch_graph_executor": "snntorch", "snntorch_0_9_4": "snntorch",
             "norse": "norse"}
#: models whose NIR form holds Delay nodes: (node, delay in steps) that snnir's export must write
DELAY_MODELS = {"pre_spike": ("lif.spike_delay", 1), "pre_spike_recurrent": ("rlif.spike_delay", 1),
                "feedback_no_loop": ("delay.fc.lif", 1), "edge_delay": ("delay.lif1.fc2", 2),
                "delayed_loop": ("delay.w_rec.lif", 2)}
_NO_DELAY = "delay_dropped"   # no peer computes a NIR Delay: it fails, or runs with other numbers
#: where a peer configuration does not give snnir's numbers on a model in its form: the error it raises
#: (a regex) and the manifest's reason; every other model must give snnir's numbers exactly
PEER_GAPS = {
    "snntorch": {"rleaky": ("GraphModule' object has no attribute 'items'", "snntorch_import_recurrent"),
                 "rleaky_one_to_one": ("GraphModule' object has no attribute 'items'", "snntorch_import_recurrent"),
                 "rsynaptic": ("GraphModule' object has no attribute 'items'", "snntorch_import_recurrent"),
                 **{m: ("Unknown node type .*Delay", _NO_DELAY) for m in DELAY_MODELS}},
    "snntorch_graph_executor": {"rsynaptic": ("NoneType' and 'Tensor'", "snntorch_import_rsynaptic_crash"),
                                **{m: (None, _NO_DELAY) for m in DELAY_MODELS}},
    "snntorch_0_9_4": {"rleaky": ("LIF in subgraph not supported", "snntorch_0_9_4_import_recurrent"),
                       "rleaky_one_to_one": ("LIF in subgraph not supported", "snntorch_0_9_4_import_recurrent"),
                       "rsynaptic": ("NoneType' and 'Tensor'", "snntorch_import_rsynaptic_crash"),
                       **{m: (None, _NO_DELAY) for m in DELAY_MODELS}},
    "norse": {m: (None, _NO_DELAY) for m in DELAY_MODELS},
}


def _model(name: str) -> str:
    """``snnir_rleaky_one_to_one_norse`` -> ``rleaky_one_to_one``."""
    return name.removeprefix("snnir_").rsplit("_", 1)[0]


@pytest.mark.parametrize("name", SNNIR_EXPORTS)
def test_the_peers_run_snnirs_exports_with_snnirs_numbers(name):
    path, data = fixture(name)
    record = MANIFEST["fixtures"][name]
    g = from_nir(path, dt=record["dt"])
    ys = outputs(g, data["xs"])
    assert ys.sum() > 0
    np.testing.assert_array_equal(ys, data["nir_reference"].astype(np.float32))
    delays = {k: v for k, v in nir.read(path).nodes.items() if isinstance(v, nir.Delay)}
    model = _model(name)
    if model in DELAY_MODELS:
        node, steps = DELAY_MODELS[model]
        assert list(delays) == [node]
        np.testing.assert_allclose(delays[node].delay, steps * record["dt"], rtol=1e-6)
    else:
        assert not delays   # plain cycles
    for peer, form in PEER_FORM.items():
        if not name.endswith(f"_{form}"):
            continue    # the other form: the peer's importer reads other gains (docs/nir.md, "The peers")
        pattern, reason = PEER_GAPS[peer].get(model, (None, None))
        if reason is None:
            assert record[peer] == "ran", f"{peer} on {name}: {record[peer]}"
            assert_matches(ys, data[peer], f"{peer} on {name}")   # spikes exactly, membranes to 1e-5
            continue
        assert DISAGREE[reason]["why"], reason
        if pattern is not None:
            assert record[peer] != "ran" and re.search(pattern, record[peer]), (peer, record[peer])
        else:   # it fails, or runs with other numbers
            assert record[peer] != "ran" or not np.array_equal(data[peer], ys), (peer, name)


def _generator():
    """tests/corpus/nir/generate.py as a module (it imports nothing beyond numpy at load)."""
    import importlib.util
    import sys

    spec = importlib.util.spec_from_file_location("nir_corpus_generate", FIXTURES.parent / "generate.py")
    module = importlib.util.module_from_spec(spec)
    dont_write, sys.dont_write_bytecode = sys.dont_write_bytecode, True
    try:
        spec.loader.exec_module(module)
    finally:
        sys.dont_write_bytecode = dont_write
    return module


DELAY_FIXTURES = [n for n in SNNIR_EXPORTS if _model(n) in DELAY_MODELS]


@pytest.fixture(scope="module")
def delay_graphs():
    gen = _generator()
    return {name: graph for name, graph, _, _ in gen.snnir_delay_models(np.random.default_rng(gen.DELAY_SEED))}


@pytest.mark.parametrize("name", DELAY_FIXTURES)
def test_the_delay_fixtures_compute_snnirs_graphs(name, delay_graphs):
    """The snnir graphs behind the Delay fixtures (pre-spike neurons, marks on no loop, edge delays): their
    files compute the graph's own numbers, and with snnir's notes the import folds every Delay back."""
    g = delay_graphs[name]
    path, data = fixture(name)
    dt = MANIFEST["fixtures"][name]["dt"]
    assert from_nir(snnir.to_nir(g, dt), dt=dt) == g
    np.testing.assert_array_equal(outputs(g, data["xs"]), data["nir_reference"].astype(np.float32))


def test_a_peer_configuration_runs_every_recurrent_layer_with_snnirs_numbers():
    """snnTorch's recurrent layers from snnir's exports: snnTorch 1.0's module map under nirtorch's
    GraphExecutor builds RLeaky (all-to-all and one-to-one) with snnir's numbers, a loop of two LIF
    layers in every configuration; Norse runs every plain cycle."""
    for model in ("rleaky", "rleaky_one_to_one", "two_neuron_loop"):
        data = np.load(FIXTURES / f"snnir_{model}_snntorch.npz")
        assert MANIFEST["fixtures"][f"snnir_{model}_snntorch"]["snntorch_graph_executor"] == "ran"
        assert "snntorch_graph_executor" in data.files
    for model in ("rleaky", "rleaky_one_to_one", "rsynaptic", "two_neuron_loop"):
        assert MANIFEST["fixtures"][f"snnir_{model}_norse"]["norse"] == "ran"


def test_every_disagreement_has_a_reason_in_the_docs():
    docs = (pathlib.Path(__file__).parents[1] / "docs" / "nir.md").read_text()
    for key, item in DISAGREE.items():
        assert item["why"], key
    for phrase in ("reset_at=\"next\"", "norse#411", "dt²", "R = 1", "snnTorch 0.9.4", "GraphExecutor",
                   "Delay"):
        assert phrase in docs, phrase


def same_nir(a, b):
    """Same node names and types, edges and parameters (within float32 rounding)."""
    assert sorted(a.nodes) == sorted(b.nodes)
    assert sorted(map(tuple, a.edges)) == sorted(map(tuple, b.edges))
    for name, x in a.nodes.items():
        y = b.nodes[name]
        assert type(x) is type(y), name
        dx, dy = x.to_dict(), y.to_dict()
        for key in set(dx) - {"metadata", "type"}:
            u, v = dx[key], dy.get(key)
            if u is None or v is None or isinstance(u, str) or isinstance(v, str):
                assert str(u) == str(v), (name, key)
            else:
                np.testing.assert_allclose(np.asarray(v, np.float64).reshape(-1),
                                           np.asarray(u, np.float64).reshape(-1), rtol=1e-6, err_msg=f"{name}.{key}")


@pytest.mark.parametrize("name", [n for n in PEER_EXPORTS + SNNIR_EXPORTS if not n.startswith("norse")])
def test_nir_snnir_nir_gives_the_same_graph_and_numbers(name):
    path = FIXTURES / f"{name}.nir"
    dt = MANIFEST["fixtures"][name]["dt"]
    g = from_nir(path, dt=dt)
    back = snnir.to_nir(g, dt)
    same_nir(nir.read(path, type_check=False), back)
    again = from_nir(back, dt=dt)
    assert again.feedback_edges == g.feedback_edges
    assert again == g   # the same graph, so the same numbers (g's are NIR's and the peer's: the tests above)
