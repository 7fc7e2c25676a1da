"""Spyx 0.1's surrogates: values and surrogate gradients on a grid around the threshold."""
import jax
import jax.numpy as jnp
import spyx

x = jnp.linspace(-1.25, 1.25, 21)
RESULTS = {"heaviside": spyx.axn.heaviside(x)}
for name, f in {"superspike": spyx.axn.superspike(), "arctan": spyx.axn.arctan(), "tanh": spyx.axn.tanh(),
                "boxcar": spyx.axn.boxcar(), "triangular": spyx.axn.triangular(),
                "arctan_k4": spyx.axn.arctan(k=4), "boxcar_wide": spyx.axn.boxcar(width=3, height=0.25)}.items():
    RESULTS[f"spikes_{name}"] = f(x)
    RESULTS[f"grad_{name}"] = jax.vmap(jax.grad(f))(x)
