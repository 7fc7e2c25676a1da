"""Fake quantization with a straight-through gradient, for quantization-aware training.

A spec is a plain hashable tuple (kernels know no IR): ``(bits, scale, axis, signed, rounding, form,
shape)`` with ``scale`` a float or a tuple of floats (one per channel along ``axis`` of ``shape``, the
shape the value is broadcast to first), ``rounding`` "nearest" (half to even) or "floor", ``form``
"linear" or "shift". The forward value is q(w) (docs/targets.md, "Quantization"):

    linear:  q(w) = clip(round(w / s), qmin, qmax) · s
    shift:   q(β) = 1 − 2^(−d),  d = clip(round(−log₂(1 − β)), 0, 2^bits − 1)

and the gradient is the identity (straight-through estimator): the value used is
w + stop_gradient(q(w) − w), so d q / d w = 1 and a training step moves the float parameter, whose
rounding the next forward pass sees.
"""

from __future__ import annotations

from typing import Any

import equinox as eqx
import jax
import jax.numpy as jnp

#: (bits, scale, axis, signed, rounding, form, shape)
QuantSpec = tuple


def qrange(bits: int, signed: bool, form: str) -> tuple[int, int]:
    if form == "shift" or not signed:
        return 0, 2**bits - 1
    return -(2 ** (bits - 1)), 2 ** (bits - 1) - 1


def quantized_value(w: jax.Array, spec: QuantSpec) -> jax.Array:
    """q(w), without the straight-through gradient (the forward value only)."""
    bits, scale, axis, signed, rounding, form, shape = spec
    if shape is not None:
        w = jnp.broadcast_to(w, shape)
    lo, hi = qrange(bits, signed, form)
    rnd = jnp.round if rounding == "nearest" else jnp.floor
    if form == "shift":
        tiny = jnp.finfo(w.dtype).tiny
        d = jnp.clip(rnd(jnp.minimum(-jnp.log2(jnp.maximum(1 - w, tiny)), hi)), lo, hi)
        return (1 - jnp.exp2(-d)).astype(w.dtype)
    s = jnp.asarray(scale, w.dtype)
    if isinstance(scale, tuple):
        view = [1] * w.ndim
        view[(0 if axis is None else axis) % max(w.ndim, 1)] = len(scale)
        s = s.reshape(view)
    return (jnp.clip(rnd(w / s), lo, hi) * s).astype(w.dtype)


def fake_quant(w: jax.Array, spec: QuantSpec) -> jax.Array:
    """sg(q(w)) + (w − sg(w)): q(w) forward, exactly (w − w is 0; the usual w + sg(q(w) − w) rounds twice
    and can miss q(w) by an ulp), and the identity gradient."""
    shape = spec[6]
    wide = w if shape is None else jnp.broadcast_to(w, shape)
    return jax.lax.stop_gradient(quantized_value(w, spec)) + (wide - jax.lax.stop_gradient(wide))


def fake_quantized(kernels: dict[str, Any], specs: tuple[tuple[str, str, QuantSpec], ...]) -> dict[str, Any]:
    """``kernels`` with every ``(node id, kernel field, spec)`` leaf replaced by its fake-quantized value
    (unset fields are skipped). The original leaves stay the parameters: gradients reach them."""
    if not specs:
        return kernels
    out = dict(kernels)
    for nid, field, spec in specs:
        kernel = out.get(nid)
        if kernel is None or getattr(kernel, field, None) is None:
            continue
        value = fake_quant(jnp.asarray(getattr(kernel, field)), spec)
        out[nid] = eqx.tree_at(lambda k, f=field: getattr(k, f), kernel, value)
    return out


__all__ = ["QuantSpec", "fake_quant", "fake_quantized", "quantized_value", "qrange"]
