"""silence_reg and sparsity_reg on pytrees of per-sample spike counts (list, dict, conv-shaped), other norms."""
import jax
import jax.numpy as jnp
import optax
import spyx

import corpus_data as cd

h1 = jnp.asarray(cd.dyadic((4, 6), scale=1, low=0, high=6, seed=42))
h2 = jnp.asarray(cd.dyadic((4, 2, 3, 2), scale=1, low=0, high=9, seed=421))

Sil = spyx.fn.silence_reg(2.5)
Spa = spyx.fn.sparsity_reg(3.0)
Spa_l2 = spyx.fn.sparsity_reg(1.5, norm=optax.l2_loss)
RESULTS = {
    "silence_list": Sil([h1, h2]),
    "silence_dict": Sil({"hidden": h1, "conv": h2}),
    "silence_single": Sil(h1),
    "sparsity_list": Spa([h1, h2]),
    "sparsity_l2": Spa_l2((h1, h2)),
    "grad_silence": jax.grad(Sil)([h1, h2])[1],
    "grad_sparsity": jax.grad(Spa)([h1, h2])[0],
}
