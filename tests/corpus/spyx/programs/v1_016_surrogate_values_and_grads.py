"""Every spyx.axn surrogate (defaults and other slopes): forward values and gradients on a grid."""
import jax
import jax.numpy as jnp
import spyx

x = jnp.linspace(-1.5, 1.5, 25)  # includes 0 and +-1 (the boxcar's edges)

activations = {
    "superspike": spyx.axn.superspike(),
    "superspike_k10": spyx.axn.superspike(k=10),
    "arctan": spyx.axn.arctan(),
    "arctan_k1": spyx.axn.arctan(1),
    "tanh": spyx.axn.tanh(),
    "tanh_k3": spyx.axn.tanh(k=3),
    "boxcar": spyx.axn.boxcar(),
    "boxcar_narrow": spyx.axn.boxcar(width=1, height=1.0),
    "triangular": spyx.axn.triangular(),
    "triangular_k05": spyx.axn.triangular(0.5),
}
RESULTS = {"heaviside": spyx.axn.heaviside(x)}
for name, f in activations.items():
    RESULTS[f"spikes_{name}"] = f(x)
    RESULTS[f"grad_{name}"] = jax.grad(lambda v: jnp.sum(f(v)))(x)
