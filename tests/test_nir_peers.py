"""snnir against snnTorch and Norse, through NIR files they and snnir wrote (fixtures recorded by
tests/corpus/nir/generate.py in a throwaway environment; neither peer is a test dependency).

- ``snntorch_*``, ``norse_*``: models built, run and exported by the peer. snnir imports the peer's file
  and must give the peer's own numbers, and those of a float64 reading of NIR's equations.
- ``snnir_*``: models exported by snnir (feedback as plain cycles), imported and run by each peer. The
  peer whose parameter form the model uses must give snnir's numbers.

Where a peer disagrees with NIR's own semantics, the manifest's ``peer_disagreements`` says why (and
docs/nir.md, "The peers"): snnir follows NIR there, and the test shows which snnir option gives the
peer's numbers. Inputs and parameters are dyadic, so spikes compare exactly.
"""

import json
import pathlib

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
    assert {f"snnir_{m}_{p}" for m in ("feedforward", "rleaky", "rleaky_one_to_one", "rsynaptic", "two_neuron_loop")
            for p in ("snntorch", "norse")} == set(SNNIR_EXPORTS)
    for path in FIXTURES.iterdir():
        assert path.stat().st_size < 20_000, path.name   # small enough to commit


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


def _own_form(name: str, peer: str) -> bool:
    """Models written in the peer's parameter form: snnTorch's R = τ/dt (dt 1e-4), Norse's R = 1 (dt 1e-3)."""
    return name.endswith(f"_{peer}")


@pytest.mark.parametrize("name", SNNIR_EXPORTS)
def test_the_peers_run_snnirs_exports_with_snnirs_numbers(name):
    path, data = fixture(name)
    record = MANIFEST["fixtures"][name]
    g = from_nir(path, dt=record["dt"])
    ys = outputs(g, data["xs"])
    assert ys.sum() > 0
    np.testing.assert_array_equal(ys, data["nir_reference"].astype(np.float32))
    assert not any(isinstance(n, nir.Delay) for n in nir.read(path).nodes.values())   # plain cycles
    for peer in ("snntorch", "norse"):
        if record[peer] != "ran":
            # the peer's importer refused: only snnTorch's, on recurrent layers (its own exports too)
            assert peer == "snntorch" and ("rleaky" in name or "rsynaptic" in name), record[peer]
            continue
        if _own_form(name, peer):
            np.testing.assert_array_equal(data[peer], ys, err_msg=f"{peer} on {name}")


def test_every_disagreement_has_a_reason_in_the_docs():
    docs = (pathlib.Path(__file__).parents[1] / "docs" / "nir.md").read_text()
    for key, item in DISAGREE.items():
        assert item["why"], key
    for phrase in ("reset_at=\"next\"", "norse#411", "dt²", "R = 1"):
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
    path, data = fixture(name)
    dt = MANIFEST["fixtures"][name]["dt"]
    g = from_nir(path, dt=dt)
    back = snnir.to_nir(g, dt)
    same_nir(nir.read(path, type_check=False), back)
    again = from_nir(back, dt=dt)
    assert again.feedback_edges == g.feedback_edges
    np.testing.assert_array_equal(outputs(again, data["xs"]), outputs(g, data["xs"]))
