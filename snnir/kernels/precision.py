"""Mixed precision for synaptic work: the matmuls of Linear and Conv nodes in a narrower dtype.

The policy a program carries (``Program.with_precision``): the operands of each synaptic product (the
input and the weight) are rounded to ``compute_dtype`` and multiplied with accumulation in the input's
dtype (``preferred_element_type``), and the result comes back in that dtype. Biases, neuron updates,
membranes, traces and every other state variable stay in the program's dtype (float32 by default): a
membrane integrates many small currents over many steps, and rounding it to 8 mantissa bits would lose
them. Spikes are 0 or 1, so they are exact in any of these dtypes; only the weights (and real-valued
inputs) are rounded, each with a relative error of at most the unit roundoff u (2^-8 for bfloat16, which
keeps 8 significant bits, and 2^-11 for float16, which keeps 11), so each product term is off by at most
(2u + u^2) of its size.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp

PRECISIONS = ("float32", "bfloat16", "float16")


def synaptic_matmul(x: jax.Array, w_t: jax.Array, compute_dtype: str | None) -> jax.Array:
    """x @ w_t, with both operands rounded to ``compute_dtype`` (None: as they are).

    Leading axes (time, batch) are merged into one row axis first. Then the weight gradient is one
    plain [rows, out]ᵀ·[rows, in] product; contracting two row axes instead makes XLA:CPU copy the
    cotangent into a transposed layout first (a full pass over [T·B, out])."""
    rows = x.reshape((-1, x.shape[-1]))  # free: a reshape of contiguous leading axes
    if compute_dtype is None:
        y = rows @ w_t
    else:
        dtype = jnp.dtype(compute_dtype)
        y = jnp.matmul(rows.astype(dtype), w_t.astype(dtype), preferred_element_type=x.dtype)
    return y.reshape(x.shape[:-1] + y.shape[-1:])


def synaptic_operands(x: jax.Array, w: jax.Array, compute_dtype: str | None) -> tuple[jax.Array, jax.Array, dict]:
    """The operands of a convolution rounded to ``compute_dtype``, and the keyword arguments that keep
    its accumulation and result in the input's dtype."""
    if compute_dtype is None:
        return x, w, {}
    dtype = jnp.dtype(compute_dtype)
    return x.astype(dtype), w.astype(dtype), {"preferred_element_type": x.dtype}
