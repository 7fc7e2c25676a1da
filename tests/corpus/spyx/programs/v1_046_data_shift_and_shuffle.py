"""spyx.data.shift_augment and spyx.data.shuffler with fixed keys."""
import jax
import jax.numpy as jnp
import spyx

import corpus_data as cd

x = jnp.asarray(cd.spikes((10, 4, 12), p=0.3, seed=46))  # (samples, T, channels)
y = jnp.arange(10)

shift = spyx.data.shift_augment(3)
shift_tc = spyx.data.shift_augment(max_shift=2, axes=(-2, -1))
shuffle = spyx.data.shuffler((x, y), batch_size=3)  # 10 samples -> 3 batches of 3
obs, labels = shuffle((x, y), jax.random.PRNGKey(2))

RESULTS = {
    "spikes_shift": shift(x, jax.random.PRNGKey(0)),
    "spikes_shift_tc": shift_tc(x, jax.random.PRNGKey(1)),
    "spikes_obs": obs,
    "spikes_labels": labels,
}
