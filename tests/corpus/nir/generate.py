"""Record snnTorch's and Norse's numbers for the NIR fixtures (not part of ``make test``).

    python tests/corpus/nir/generate.py [--venv /tmp/nir-peers] [--venv-snntorch09 /tmp/nir-peers-snntorch09]

Creates two throwaway virtual environments from the package registry, both with torch (the CPU build,
``torch==2.13.0``) and nir 1.0.8:

- ``--venv``: snnTorch 1.0.0, nirtorch 2.6 and Norse 1.1.0 (Norse without its dependencies, so its
  torchvision pin cannot pull a CUDA build of torch);
- ``--venv-snntorch09``: snnTorch 0.9.4 with nirtorch 2.6, the last snnTorch whose ``import_from_nir``
  runs its modules with nirtorch's GraphExecutor (nirtorch 1.0, its contemporary, cannot run with any
  nir that reads ``v_reset``: its ``load`` builds a type-checked ``nir.NIRGraph`` of torch modules);

then:

1. writes snnir's own reference models as ``fixtures/snnir_<name>.nir`` with fixed dyadic inputs
   (``.npz``), using snnir's ``to_nir``;
2. runs ``peers.py`` in the first environment, which exports the peers' reference models
   (``fixtures/<peer>_<name>.nir``, with their own outputs) and imports snnir's files with snnTorch 1.0
   (``snntorch``; and ``snntorch_graph_executor``, its module map run by nirtorch's GraphExecutor) and
   Norse (``norse``), recording their outputs; then ``peers.py --import-only snntorch_0_9_4`` in the
   second, which adds snnTorch 0.9.4's outputs;
3. writes ``fixtures/manifest.json``: per fixture, dt, which peer configuration ran it (or its error),
   and where a peer disagrees with NIR's own semantics (a float64 reading of NIR's equations in
   peers.py is the judge).

tests/test_nir_peers.py replays the fixtures through snnir.
"""

from __future__ import annotations

import argparse
import json
import pathlib
import subprocess
import sys

import numpy as np

HERE = pathlib.Path(__file__).resolve().parent
FIXTURES = HERE / "fixtures"
PEERS = ("torch==2.13.0", "snntorch==1.0.0", "nirtorch==2.6", "nir==1.0.8", "h5py", "numpy")
NORSE = "norse==1.1.0"
PEERS_SNNTORCH09 = ("torch==2.13.0", "snntorch==0.9.4", "nirtorch==2.6", "nir==1.0.8", "h5py", "numpy")
T, B = 16, 2
DELAY_SEED = 18   # a seed whose delay models put no membrane exactly on its threshold (see README)


def make_env(venv: pathlib.Path, packages=PEERS, no_deps=(NORSE,)) -> pathlib.Path:
    python = venv / "bin" / "python"
    if not python.exists():
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
        subprocess.run([str(python), "-m", "pip", "install", "-q", *packages], check=True)
        if no_deps:
            subprocess.run([str(python), "-m", "pip", "install", "-q", "--no-deps", *no_deps], check=True)
    return python


def versions(python) -> list[str]:
    freeze = subprocess.run([str(python), "-m", "pip", "freeze"], capture_output=True, text=True).stdout
    return sorted(line for line in freeze.splitlines()
                  if line.split("==")[0].lower() in ("torch", "snntorch", "norse", "nirtorch", "nir"))


# ---------------------------------------------------------------------- snnir's reference models
def _dyadic(rng, shape, spread=1.0, scale=8):
    return (np.round(rng.normal(size=shape) * spread * scale) / scale).astype(np.float32)


def snnir_models(rng):
    """(name, graph, input shape, dt): the forms snnTorch (input_scale one, dt 1e-4) and Norse (R = 1,
    dt 1e-3) each import; the same structures as the peers' own models, plus a loop of two neurons.
    Recurrent layers are named ``rec/lif`` and ``rec/w_rec`` (NIR names ``rec.lif``, ``rec.w_rec``):
    snnTorch's importer only recognises a recurrent layer whose two names share a dotted prefix."""
    import snnir

    def lif(nid, n, form):
        return snnir.LIF(id=nid, shape=(n,), decay=rng.choice([0.5, 0.75, 0.875], n).astype(np.float32),
                         threshold=1.0, reset="zero", input_scale=form)

    out = []
    for form, dt, peer in (("one", 1e-4, "snntorch"), ("one_minus_decay", 1e-3, "norse")):
        gain = 1.0 if form == "one" else 4.0  # Norse's R = 1 form scales the input by 1 − β
        out.append((f"snnir_feedforward_{peer}", snnir.Graph(nodes=[
            snnir.Input(id="input", shape=(3,)),
            snnir.Linear(id="fc1", weight=_dyadic(rng, (4, 3)) * gain, bias=_dyadic(rng, (4,), 0.25)),
            lif("lif1", 4, form),
            snnir.Linear(id="fc2", weight=_dyadic(rng, (2, 4)) * gain, bias=_dyadic(rng, (2,), 0.25)),
            lif("lif2", 2, form),
            snnir.Output(id="output")],
            edges=[("input", "fc1"), ("fc1", "lif1"), ("lif1", "fc2"), ("fc2", "lif2"), ("lif2", "output")]),
            (3,), dt))
        out.append((f"snnir_rleaky_{peer}", snnir.Graph(nodes=[
            snnir.Input(id="input", shape=(3,)),
            snnir.Linear(id="fc", weight=_dyadic(rng, (4, 3)) * gain, bias=_dyadic(rng, (4,), 0.25)),
            lif("rec/lif", 4, form),
            snnir.Linear(id="rec/w_rec", weight=_dyadic(rng, (4, 4), 0.5) * gain, bias=_dyadic(rng, (4,), 0.25)),
            snnir.Output(id="output")],
            edges=[("input", "fc"), ("fc", "rec/lif"), ("rec/lif", "rec/w_rec"), ("rec/w_rec", "rec/lif"),
                   ("rec/lif", "output")]),
            (3,), dt))
        out.append((f"snnir_rleaky_one_to_one_{peer}", snnir.Graph(nodes=[
            snnir.Input(id="input", shape=(3,)),
            snnir.Linear(id="fc", weight=_dyadic(rng, (4, 3)) * gain, bias=_dyadic(rng, (4,), 0.25)),
            lif("rec/lif", 4, form),
            snnir.Linear(id="rec/w_rec", weight=np.diag(_dyadic(rng, (4,), 0.5)) * gain),
            snnir.Output(id="output")],
            edges=[("input", "fc"), ("fc", "rec/lif"), ("rec/lif", "rec/w_rec"), ("rec/w_rec", "rec/lif"),
                   ("rec/lif", "output")]),
            (3,), dt))
        out.append((f"snnir_rsynaptic_{peer}", snnir.Graph(nodes=[
            snnir.Input(id="input", shape=(3,)),
            snnir.Linear(id="fc", weight=_dyadic(rng, (4, 3)) * gain * gain, bias=_dyadic(rng, (4,), 0.25)),
            snnir.CubaLIF(id="rec/lif", shape=(4,), syn_decay=rng.choice([0.5, 0.75], 4).astype(np.float32),
                          mem_decay=rng.choice([0.5, 0.75, 0.875], 4).astype(np.float32), threshold=1.0,
                          reset="zero", input_scale=form),
            snnir.Linear(id="rec/w_rec", weight=_dyadic(rng, (4, 4), 0.5) * gain * gain, bias=_dyadic(rng, (4,), 0.25)),
            snnir.Output(id="output")],
            edges=[("input", "fc"), ("fc", "rec/lif"), ("rec/lif", "rec/w_rec"), ("rec/w_rec", "rec/lif"),
                   ("rec/lif", "output")]),
            (3,), dt))
        out.append((f"snnir_two_neuron_loop_{peer}", snnir.Graph(nodes=[
            snnir.Input(id="input", shape=(2,)),
            snnir.Linear(id="fc", weight=_dyadic(rng, (2, 2)) * gain + 1.0 * gain),
            lif("a", 2, form),
            snnir.Linear(id="w_ab", weight=np.eye(2, dtype=np.float32) * 1.5 * gain),
            lif("b", 2, form),
            snnir.Linear(id="w_ba", weight=np.array([[0.0, 0.75], [-0.5, 0.0]], np.float32) * gain),
            snnir.Output(id="output")],
            edges=[("input", "fc"), ("fc", "a"), ("a", "w_ab"), ("w_ab", "b"), ("b", "w_ba"), ("w_ba", "a"),
                   ("b", "output")]),
            (2,), dt))
    return out


def snnir_delay_models(rng):
    """Models whose NIR form holds Delay nodes (docs/nir.md, "Pre-spike neurons", "Recurrence and edge
    delays"), in both peers' forms: a pre-spike neuron (NIR neuron -> Delay(dt)), Spyx's recurrent
    pre-spike layer, a feedback-marked edge on no loop (Delay(dt)), the user's edge delay (Delay(2 dt))
    and a loop whose back edge has the user's delay 2 (no mark; Delay(2 dt) on the cycle)."""
    import snnir

    def lif(nid, n, form):
        return snnir.LIF(id=nid, shape=(n,), decay=rng.choice([0.5, 0.75, 0.875], n).astype(np.float32),
                         threshold=1.0, reset="zero", input_scale=form)

    out = []
    for form, dt, peer in (("one", 1e-4, "snntorch"), ("one_minus_decay", 1e-3, "norse")):
        gain = 1.0 if form == "one" else 4.0
        pre = dict(spike_from="pre", reset_before_leak=True)
        out.append((f"snnir_pre_spike_{peer}", snnir.Graph(nodes=[   # Spyx's LIF: neuron -> Delay(dt)
            snnir.Input(id="input", shape=(3,)),
            snnir.Linear(id="fc", weight=_dyadic(rng, (4, 3)) * gain, bias=_dyadic(rng, (4,), 0.25)),
            lif("lif", 4, form).replace(**pre),
            snnir.Output(id="output")],
            edges=[("input", "fc"), ("fc", "lif"), ("lif", "output")]),
            (3,), dt))
        out.append((f"snnir_pre_spike_recurrent_{peer}", snnir.Graph(nodes=[   # Spyx's RLIF
            snnir.Input(id="input", shape=(3,)),
            snnir.Linear(id="fc", weight=_dyadic(rng, (4, 3)) * gain, bias=_dyadic(rng, (4,), 0.25)),
            lif("rlif", 4, form).replace(**pre),
            snnir.Linear(id="rec", weight=_dyadic(rng, (4, 4), 0.5) * gain),
            snnir.Output(id="output")],
            edges=[("input", "fc"), ("fc", "rlif"), ("rlif", "rec"), ("rec", "rlif"), ("rlif", "output")]),
            (3,), dt))
        out.append((f"snnir_feedback_no_loop_{peer}", snnir.Graph(nodes=[   # a marked edge: Delay(dt)
            snnir.Input(id="input", shape=(3,)),
            snnir.Linear(id="fc", weight=_dyadic(rng, (4, 3)) * gain, bias=_dyadic(rng, (4,), 0.25)),
            lif("lif", 4, form),
            snnir.Output(id="output")],
            edges=[("input", "fc"), snnir.Edge(src="fc", dst="lif", feedback=True), ("lif", "output")]),
            (3,), dt))
        out.append((f"snnir_edge_delay_{peer}", snnir.Graph(nodes=[   # the user's delay: Delay(2 dt)
            snnir.Input(id="input", shape=(3,)),
            snnir.Linear(id="fc1", weight=_dyadic(rng, (4, 3)) * gain, bias=_dyadic(rng, (4,), 0.25)),
            lif("lif1", 4, form),
            snnir.Linear(id="fc2", weight=(_dyadic(rng, (2, 4)) + 0.75) * gain, bias=_dyadic(rng, (2,), 0.25)),
            lif("lif2", 2, form),
            snnir.Output(id="output")],
            edges=[("input", "fc1"), ("fc1", "lif1"), ("lif1", "fc2", 2), ("fc2", "lif2"), ("lif2", "output")]),
            (3,), dt))
        out.append((f"snnir_delayed_loop_{peer}", snnir.Graph(nodes=[   # a loop of latency 2: Delay(2 dt)
            snnir.Input(id="input", shape=(3,)),
            snnir.Linear(id="fc", weight=_dyadic(rng, (4, 3)) * gain, bias=_dyadic(rng, (4,), 0.25)),
            lif("lif", 4, form),
            snnir.Linear(id="w_rec", weight=_dyadic(rng, (4, 4), 0.5) * gain, bias=_dyadic(rng, (4,), 0.25)),
            snnir.Output(id="output")],
            edges=[("input", "fc"), ("fc", "lif"), ("lif", "w_rec"), ("w_rec", "lif", 2), ("lif", "output")]),
            (3,), dt))
    return out


def write_snnir_fixtures() -> None:
    import nir

    from snnir.io.nir import to_nir

    for seed, models in ((16, snnir_models), (DELAY_SEED, snnir_delay_models)):  # a stream each: adding models to
        rng = np.random.default_rng(seed)                                # the second leaves the first alone
        for name, graph, shape, dt in models(rng):
            exported = to_nir(graph, dt)
            for node in exported.nodes.values():  # what a peer sees anyway; snnir's notes change no number
                node.metadata = {}
            exported.metadata = {}
            nir.write(FIXTURES / f"{name}.nir", exported, compression=None)
            compact(FIXTURES / f"{name}.nir")
            xs = ((rng.random((T, B) + shape) < 0.5) * 1.5).astype(np.float32)
            np.savez_compressed(FIXTURES / f"{name}.npz", xs=xs, meta=json.dumps({"dt": dt}))


def compact(path: pathlib.Path) -> None:
    """Rewrite a NIR file with HDF5's newest (smallest) object headers, uncompressed: the same groups and
    datasets, a third of the bytes for graphs this small."""
    import h5py

    def copy(src, dst):
        for key, item in src.items():
            if isinstance(item, h5py.Group):
                copy(item, dst.create_group(key))
            else:
                dst.create_dataset(key, data=item[()])

    tmp = path.with_suffix(".tmp")
    with h5py.File(path, "r") as src, h5py.File(tmp, "w", libver="latest") as dst:
        copy(src, dst)
    tmp.replace(path)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--venv", default="/tmp/nir-peers")
    parser.add_argument("--venv-snntorch09", default="/tmp/nir-peers-snntorch09")
    args = parser.parse_args(argv)
    python = make_env(pathlib.Path(args.venv))
    python09 = make_env(pathlib.Path(args.venv_snntorch09), PEERS_SNNTORCH09, no_deps=())
    FIXTURES.mkdir(exist_ok=True)
    for path in FIXTURES.glob("snnir_*"):
        path.unlink()
    write_snnir_fixtures()
    records, code = {}, 0
    for py, extra in ((python, []), (python09, ["--import-only", "snntorch_0_9_4"])):
        run = subprocess.run([str(py), str(HERE / "peers.py"), str(FIXTURES), *extra], capture_output=True,
                             text=True, cwd="/tmp")
        sys.stderr.write(run.stderr[-4000:])
        code = code or run.returncode
        for line in run.stdout.splitlines():
            if line.startswith("{"):
                r = json.loads(line)
                records.setdefault(r["name"], {}).update(r)
    for path in FIXTURES.glob("*.nir"):
        compact(path)
    manifest_path = FIXTURES / "manifest.json"
    old = json.loads(manifest_path.read_text()) if manifest_path.exists() else {}
    notes = old.get("peer_disagreements", {})
    manifest = {"versions": {"snntorch, snntorch_graph_executor, norse": versions(python),
                             "snntorch_0_9_4": versions(python09)},
                "fixtures": records, "peer_disagreements": notes}
    manifest_path.write_text(json.dumps(manifest, indent=1, sort_keys=True) + "\n")
    for r in records.values():
        print(json.dumps(r)[:400])
    return code


if __name__ == "__main__":
    sys.exit(main())
