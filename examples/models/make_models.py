"""Write every bundled model file of examples/models/ (deterministic: the same files every run).

    python examples/models/make_models.py [OUT_DIR]      # default: this folder

| file | what it is |
|---|---|
| `recurrent.snnir`, `recurrent.json` | input -> Linear -> LIF (+ a recurrent Linear) -> Linear -> LI readout (snnir's default subtractive reset) |
| `recurrent_nir.snnir`, `recurrent_nir.nir` | the same network with `reset="zero"`, which NIR can express, and its NIR export (dt = 1e-4) |
| `spikes.npy` | an input for them: Bernoulli spikes [T=50, batch=2, 20] |
| `custom.snnir` | a model with a user-written layer (`Leaky`, defined and registered in `layers.py`) |
| `broken.json` | a hand-written model file with several problems at once (for `snnir validate` and `draw --show-errors`) |

`v1/` holds files written in the first file format; they are kept as written to test the migration, and
this script does not touch them. A test checks that the committed files equal what this script writes.
"""

from __future__ import annotations

import json
import pathlib
import sys

import numpy as np

import snnir
from snnir.plugins import import_plugin

HERE = pathlib.Path(__file__).resolve().parent
DT = 1e-4


def recurrent(reset: str | None = None) -> snnir.Graph:
    b = snnir.GraphBuilder(key=0)
    x = b.input("x", shape=(20,))
    options = {} if reset is None else {"reset": reset}
    spikes = b.lif(b.linear(x, 32, gain=3.0), decay=0.9, id="lif", **options)
    b.connect(b.linear(spikes, 32, id="rec", bias=False), spikes)
    b.output(b.li(b.linear(spikes, 5), decay=0.8, id="readout"), id="y")
    return b.build(metadata={"name": "recurrent demo" if reset is None else "recurrent demo, NIR-exportable"})


def custom() -> snnir.Graph:
    layers = import_plugin(str(HERE / "layers.py"))   # as `snnir --import examples/models/layers.py` does
    b = snnir.GraphBuilder(key=1)
    x = b.input("x", shape=(20,))
    h = b.add(snnir.Custom(id="leaky", module=layers.Leaky(0.9, 2.0)), b.linear(x, 16))
    b.output(b.lif(h, decay=0.8, id="lif"), id="y")
    return b.build(metadata={"name": "a custom layer"})


def broken() -> dict:
    """A model file as one would write it by hand, with five problems (four errors, one warning)."""
    nodes = [
        {"kind": "Input", "id": "x", "shape": [4]},
        {"kind": "Linear", "id": "fc", "weight": np.full((8, 3), 0.25).tolist()},   # wants 3 inputs, x gives 4
        {"kind": "LIF", "id": "lif", "shape": [8], "decay": 1.5},                   # a decay above 1
        {"kind": "Scale", "id": "probe", "scale": 1.0},                              # read by nothing
        {"kind": "Output", "id": "y"},
    ]
    edges = [{"src": "x", "dst": "fc"}, {"src": "fc", "dst": "lif"}, {"src": "lif", "dst": "y"},
             {"src": "ghost", "dst": "lif"},                                         # no node 'ghost'
             {"src": "lif", "dst": "probe"}, {"src": "lif", "dst": "y", "src_port": "spikes"}]  # no port 'spikes'
    return {"format": "snnir-model", "schema_version": snnir.SCHEMA_VERSION,
            "graph": {"nodes": nodes, "edges": edges, "metadata": {"name": "broken"},
                      "schema_version": snnir.SCHEMA_VERSION}}


def main(out: pathlib.Path = HERE) -> list[pathlib.Path]:
    out = pathlib.Path(out)
    out.mkdir(parents=True, exist_ok=True)
    written = [snnir.save(recurrent(), out / "recurrent.snnir"), snnir.save(recurrent(), out / "recurrent.json")]
    nir_model = snnir.compile(recurrent(reset="zero")).to_graph()       # with the feedback mark compile chose
    written += [snnir.save(nir_model, out / "recurrent_nir.snnir"),
                snnir.io.write_nir(nir_model, out / "recurrent_nir.nir", dt=DT)]
    spikes = (np.random.default_rng(0).random((50, 2, 20)) < 0.2).astype(np.float32)
    np.save(out / "spikes.npy", spikes)
    written += [out / "spikes.npy", snnir.save(custom(), out / "custom.snnir")]
    (out / "broken.json").write_text(json.dumps(broken(), indent=1) + "\n")
    written.append(out / "broken.json")
    return written


if __name__ == "__main__":
    for path in main(pathlib.Path(sys.argv[1]) if len(sys.argv) > 1 else HERE):
        print("wrote", path)
