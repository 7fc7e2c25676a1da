"""mse_spikerate on spike trains, including a readout that fires exactly at the target rate."""
import jax
import jax.numpy as jnp
import spyx

import corpus_data as cd

T, C = 8, 3
targets = jnp.asarray([0, 2, 1, 2])
# fires 2 of 8 steps on the target class (a rate of 0.25, the default sparsity) and never elsewhere
perfect = jnp.zeros((4, T, C)).at[jnp.arange(4), :2, targets].set(1.0)
noisy = jnp.asarray(cd.spikes((4, T, C), p=0.3, seed=41))

RESULTS = {
    "perfect_default": spyx.fn.mse_spikerate()(perfect, targets),
    "noisy_default": spyx.fn.mse_spikerate()(noisy, targets),
    "noisy_smoothed": spyx.fn.mse_spikerate(sparsity=0.5, smoothing=0.2)(noisy, targets),
    "noisy_time_major": spyx.fn.mse_spikerate(time_axis=0)(jnp.transpose(noisy, (1, 0, 2)), targets),
    "grad_noisy": jax.grad(spyx.fn.mse_spikerate())(noisy, targets),
}
