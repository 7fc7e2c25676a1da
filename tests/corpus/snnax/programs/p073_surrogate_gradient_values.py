"""The surrogates' forward values and gradients point by point (superspike beta 10/2, piecewise beta 0.5/1)."""
# The surrogates' gradients point by point (the docs' formulas): superspike 1/(1+beta|x|); piecewise is 1 strictly
# inside (-beta, beta) and 0 at +-beta (the docs say <=).
import jax
import jax.numpy as jnp
from snnax.functional.surrogate import piecewise_surrogate, superspike_surrogate

x = jnp.asarray([-1.5, -1.0, -0.5, -0.25, 0.0, 0.25, 0.5, 1.0, 1.5])
RESULTS = {}
for name, fn in (("superspike10", superspike_surrogate()), ("superspike2", superspike_surrogate(2.)),
                 ("piecewise_default", piecewise_surrogate()), ("piecewise1", piecewise_surrogate(1.0))):
    RESULTS[f"spikes_{name}"] = fn(x)
    RESULTS[f"grad_{name}"] = jax.vmap(jax.grad(fn))(x)
