"""integral_crossentropy and integral_accuracy on fixed traces: smoothing values and time axes."""
import jax
import jax.numpy as jnp
import spyx

import corpus_data as cd

traces_btc = jnp.asarray(cd.dyadic((4, 6, 5), seed=40))
targets = jnp.asarray(cd.labels(4, 5, seed=401))
traces_tbc = jnp.transpose(traces_btc, (1, 0, 2))

RESULTS = {}
for s in (0.0, 0.3, 0.5):
    Loss = spyx.fn.integral_crossentropy(smoothing=s)
    RESULTS[f"ce_{s}"] = Loss(traces_btc, targets)
    RESULTS[f"grad_ce_{s}"] = jax.grad(Loss)(traces_btc, targets)
RESULTS["ce_time_major"] = spyx.fn.integral_crossentropy(time_axis=0)(traces_tbc, targets)
acc, preds = spyx.fn.integral_accuracy()(traces_btc, targets)
acc0, preds0 = spyx.fn.integral_accuracy(time_axis=0)(traces_tbc, targets)
RESULTS.update(acc=acc, spikes_preds=preds, acc_time_major=acc0, spikes_preds_time_major=preds0)
