"""spyx.data.rate_code: Bernoulli rate coding of pixel intensities along a new time axis."""
import jax
import jax.numpy as jnp
import spyx

import corpus_data as cd

images = jnp.asarray(cd.unit((3, 1, 10), steps=8, seed=44))  # (B, 1, pixels): repeated along axis 1
encode = spyx.data.rate_code(12)
encode_slow = spyx.data.rate_code(6, max_r=0.5)
key = jax.random.PRNGKey(44)
spikes = encode(images, key)
RESULTS = {"spikes_default": spikes, "spikes_slow": encode_slow(images, jax.random.fold_in(key, 1)),
           "spikes_dtype_is_uint8": jnp.asarray(spikes.dtype == jnp.uint8)}
