"""The composed-model examples of SNNAX's docs, run through snnir.compat.snnax.

Only the import changes (``from snnir.compat.snnax import snn`` instead of ``from snnax import snn``),
except where the docs themselves are wrong: they write ``eqx.Linear`` (it is ``eqx.nn.Linear``, which
needs a key), ``snn.LIF()`` without its decay constants, and a feedback edge from LayerNorm(20) into
Linear(10, 20), which cannot fit; that last one is kept to show the error snnir gives.
"""

from __future__ import annotations

import equinox as eqx
import jax
import jax.numpy as jnp

import snnir
from snnir.compat.snnax import snn

T = 25


def main() -> dict:
    keys = jax.random.split(jax.random.key(0), 8)
    xs = (jax.random.uniform(keys[7], (T, 10)) < 0.3).astype(jnp.float32)
    results = {}

    # Sequential, and the same model as a GraphStructure
    layers = [eqx.nn.Linear(10, 20, key=keys[0]), eqx.nn.LayerNorm(20), snn.LIF([0.9, 0.8])]
    feed_forward = snn.Sequential(*layers)
    structure = snn.GraphStructure(num_layers=3, input_layer_ids=[[0], [], []], final_layer_ids=[2],
                                   input_connectivity=[[], [0], [1]])
    feed_forward2 = snn.StatefulModel(graph_structure=structure, layers=layers)
    for name, model in (("sequential", feed_forward), ("graph_structure", feed_forward2)):
        states = model.init_state((10,), keys[6])
        states, outs = model(states, xs, keys[6])
        results[name] = outs[0]

    # Parallel of two compound layers: each branch gets its own input, the outputs are summed
    compound1 = snn.CompoundLayer([eqx.nn.Linear(10, 20, key=keys[1]), snn.LIF([0.9, 0.8])])
    compound2 = snn.CompoundLayer([eqx.nn.Linear(10, 20, key=keys[2]), snn.LIF([0.9, 0.8])])
    parallel = snn.StatefulModel(snn.GraphStructure(1, [[0, 1]], [[]]),
                                 [snn.Parallel(compound1, compound2)])
    states = parallel.init_state([(10,), (10,)], keys[6])
    _, outs = parallel(states, [xs, 1.0 - xs], keys[6])
    results["parallel"] = outs[0]

    # SequentialLocalFeedback: a compound layer fed back into itself (the default). The docs' compound
    # (Linear(10, 20), LayerNorm(20), LIF) cannot take its own 20 outputs plus the 10 inputs; a Parallel
    # first can: its branch 0 gets the layer's own output (source layers come first), branch 1 the input
    compound = snn.CompoundLayer([snn.Parallel([eqx.nn.Linear(20, 20, key=keys[4]),
                                                eqx.nn.Linear(10, 20, key=keys[3])]),
                                  eqx.nn.LayerNorm(20), snn.LIF([0.9, 0.8])])
    recurrent = snn.SequentialLocalFeedback(compound, snn.SimpleLIF([0.95]), feedback_layers=None,
                                            apply_feedback=True)
    states = recurrent.init_state((10,), keys[6])
    _, outs = recurrent(states, xs, keys[6])
    results["local_feedback"] = outs[0]

    # the docs' feedback_layers={1: 0}: LayerNorm(20) cannot feed Linear(10, 20)
    broken = snn.SequentialLocalFeedback(layers, feedback_layers={1: 0}, apply_feedback=True)
    try:
        broken.init_state((10,), keys[6])
    except snnir.VerifyError as err:
        results["feedback_error"] = str(err)
    return results


if __name__ == "__main__":
    for name, value in main().items():
        print(f"{name}: {value if isinstance(value, str) else value.shape}")
