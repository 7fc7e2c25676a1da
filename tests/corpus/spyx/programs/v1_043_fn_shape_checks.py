"""The spyx.fn losses reject targets that do not line up with the traces (a time-major mix-up)."""
import jax.numpy as jnp
import spyx

traces_tbc = jnp.zeros((6, 4, 3))  # time-major run output
targets = jnp.zeros((4,), dtype=jnp.int32)

refused = []
for make in (spyx.fn.integral_crossentropy, spyx.fn.integral_accuracy, spyx.fn.mse_spikerate):
    try:
        make()(traces_tbc, targets)  # default time_axis=1 expects (B, T, C)
        refused.append(0)
    except ValueError:
        refused.append(1)
ok = spyx.fn.integral_crossentropy(time_axis=0)(traces_tbc, targets)
RESULTS = {"spikes_refused": jnp.asarray(refused), "loss_time_major": ok}
