"""spyx.data.angle_code and latency_code on fixed values."""
import jax.numpy as jnp
import spyx

import corpus_data as cd

angles = jnp.asarray([-0.5, 0.0, 0.3, 1.0, 1.6, 3.1, 3.3])
intensity = jnp.asarray(cd.unit((2, 6), steps=10, seed=45))

angle = spyx.data.angle_code(8, 0.0, 3.2)
latency = spyx.data.latency_code(10)
latency_thresh = spyx.data.latency_code(6, threshold=0.25)
RESULTS = {"spikes_angle": angle(angles), "spikes_latency": latency(intensity),
           "spikes_latency_thresh": latency_thresh(intensity)}
