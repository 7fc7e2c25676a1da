"""Spyx 0.1's integral_crossentropy and integral_accuracy on fixed batch-major traces."""
import jax
import jax.numpy as jnp
import spyx

import corpus_data as cd

traces = jnp.asarray(cd.dyadic((5, 8, 4), seed=101))
targets = jnp.asarray(cd.labels(5, 4, seed=102))

Loss = spyx.fn.integral_crossentropy()
Loss_sharp = spyx.fn.integral_crossentropy(smoothing=0.0)
Acc = spyx.fn.integral_accuracy()
acc, preds = Acc(traces, targets)
RESULTS = {"ce": Loss(traces, targets), "ce_sharp": Loss_sharp(traces, targets),
           "ce_time_major": spyx.fn.integral_crossentropy(time_axis=0)(jnp.swapaxes(traces, 0, 1), targets),
           "grad_ce": jax.grad(Loss)(traces, targets), "acc": acc, "spikes_preds": preds}
