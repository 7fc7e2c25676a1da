"""Conv1d -> SimpleLIF -> eqx.nn.AvgPool1d -> Flatten -> Linear -> LayerNorm without weight/bias -> LIF, forward and states."""
import equinox as eqx
import jax
import jax.numpy as jnp
from snnax import snn

import corpus_data as cd

k1, k2, k3 = jax.random.split(jax.random.PRNGKey(0), 3)
model = snn.Sequential(
    cd.set_conv(eqx.nn.Conv1d(1, 2, 3, padding=1, key=k1), seed=511, scale=4),
    snn.SimpleLIF([0.5], threshold=0.5),
    eqx.nn.AvgPool1d(2, 2),
    snn.Flatten(),
    cd.set_linear(eqx.nn.Linear(2 * 4, 4, key=k2), seed=512),
    eqx.nn.LayerNorm(4, use_weight=False, use_bias=False),
    snn.LIF([0.75, 0.75], threshold=0.25),
)
xs = jnp.asarray(cd.spikes((12, 1, 8), p=0.5, seed=513))
states, outs = model(model.init_state((1, 8), k3), xs, k3)
RESULTS = {"spikes_out": outs[0], "avgpool_final": states[2][0], "layernorm_final": states[5][0],
           **cd.flat_states(states, "final")}
