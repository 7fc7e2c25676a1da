"""Spyx 0.1's mse_spikerate, with a readout spiking exactly at the requested rate."""
import jax
import jax.numpy as jnp
import spyx

import corpus_data as cd

targets = jnp.asarray([1, 0, 2])
perfect = jnp.zeros((3, 12, 3)).at[jnp.arange(3), :3, targets].set(1.0)  # 3 of 12 steps = sparsity 0.25
noisy = jnp.asarray(cd.spikes((3, 12, 3), p=0.4, seed=103))
Loss = spyx.fn.mse_spikerate()
RESULTS = {"perfect": Loss(perfect, targets), "noisy": Loss(noisy, targets),
           "smoothed": spyx.fn.mse_spikerate(sparsity=0.1, smoothing=0.3)(noisy, targets),
           "grad_noisy": jax.grad(Loss)(noisy, targets)}
