"""Spyx 0.1's silence_reg and sparsity_reg on per-sample spike counts of two layers."""
import jax
import spyx
import jax.numpy as jnp

import corpus_data as cd

counts = {"LIF": jnp.asarray(cd.dyadic((3, 8), scale=1, low=0, high=7, seed=104)),
          "LIF_1": jnp.asarray(cd.dyadic((3, 4), scale=1, low=0, high=5, seed=105))}
Sil = spyx.fn.silence_reg(min_spikes=2)
Spa = spyx.fn.sparsity_reg(max_spikes=1.5)
RESULTS = {"silence": Sil(counts), "sparsity": Spa(counts), "grad_silence": jax.grad(Sil)(counts)["LIF"],
           "grad_sparsity": jax.grad(Spa)(counts)["LIF_1"]}
