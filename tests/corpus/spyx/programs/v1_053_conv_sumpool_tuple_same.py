"""Two conv blocks pooled with tuple windows and strides, SAME then VALID padding, into an LI readout."""
import jax.numpy as jnp
from flax import nnx
import spyx
import spyx.nn as snn

import corpus_data as cd

rngs = nnx.Rngs(0)
model = snn.Sequential(
    nnx.Conv(1, 2, kernel_size=(3, 3), strides=1, padding="SAME", use_bias=False, rngs=rngs),
    snn.IF((7, 7, 2), threshold=0.5, activation=spyx.axn.boxcar()),
    snn.SumPool((3, 3), (2, 2), "SAME"),                  # 7x7 -> 4x4
    nnx.Conv(2, 3, kernel_size=(2, 2), padding="VALID", rngs=rngs),
    snn.LIF((3, 3, 3), beta=0.5, activation=spyx.axn.boxcar(), rngs=rngs),
    snn.SumPool((1, 2, 2, 1), 1, "VALID"),                # 3x3 -> 2x2
    snn.Flatten(),
    nnx.Linear(12, 2, use_bias=False, rngs=rngs),
    snn.LI((2,), rngs=rngs),
)
cd.set_conv(model.layers[0], seed=53)
cd.set_conv(model.layers[3], seed=531)
cd.set_linear(model.layers[7], seed=532)
frames = jnp.asarray(cd.spikes((5, 2, 7, 7, 1), p=0.5, seed=533))
traces, state = snn.run(model, frames)
RESULTS = {"traces": traces, "if_state": state[1], "lif_state": state[4]}
