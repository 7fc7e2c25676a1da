"""Spyx 0.1's data.angle_code on fixed values (the deterministic encoder)."""
import jax.numpy as jnp
import spyx

encode = spyx.data.angle_code(6, -1.0, 1.0)
values = jnp.asarray([-1.5, -1.0, -0.25, 0.0, 0.375, 0.99, 1.0, 2.0])
RESULTS = {"spikes_angle": encode(values), "spikes_angle_2d": encode(values.reshape(2, 4))}
