"""Parameter conversion shared by the table's entries: checked arrays, decays, gains, resets, defaults.

With β = the per-step decay of a time constant τ:

    euler:  β = 1 − dt/τ       (forward Euler; τ < dt would give β < 0 and is refused)
    exact:  β = exp(−dt/τ)     (the exact solution with the input held constant over the step)

In both, one step of τ·dv/dt = (v_leak − v) + R·x is v' = β·v + (1 − β)·R·x + (1 − β)·v_leak.
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np

from ...ir import Node
from ...ir.node import kind_class
from .errors import node_error

DISCRETIZATIONS = ("euler", "exact")
RTOL = 1e-5  # tolerance when snapping gains to 1 and comparing round-tripped parameters


class NIRDefaultWarning(UserWarning):
    """A NIR node left out a parameter and snnir took NIR's documented default (named in the message)."""


class Context:
    """What converting one node needs: the step ``dt``, the discretization and the parameter dtype."""

    def __init__(self, dt: float, discretization: str = "euler", dtype: str = "float32"):
        self.dt = dt
        self.disc = discretization
        self.dtype = np.dtype(dtype) if dtype != "bfloat16" else dtype
        self.notes: dict[str, dict] = {}  # what the nodes cannot hold, for the graph note notes.NIR_NOTE

    # -- checked values
    def arr(self, nid: str, params: dict, key: str, default: Any = None, allow_inf: bool = False) -> np.ndarray:
        if key not in params or params[key] is None:
            if default is not None:
                return np.asarray(default, np.float64)
            raise node_error(nid, f"parameter {key!r} is missing", "the NIR spec requires it for this node type")
        try:
            arr = np.asarray(params[key], dtype=np.float64)
        except (TypeError, ValueError):
            raise node_error(nid, f"parameter {key!r} is not numeric", f"store {key} as a numeric array") from None
        bad = ~np.isfinite(arr) if not allow_inf else np.isnan(arr) | (arr == -np.inf)
        if bad.any():
            raise node_error(nid, f"parameter {key!r} holds non-finite values", f"give finite values for {key}")
        return arr

    def ints(self, nid: str, params: dict, key: str, n: int, default: Any, allow: tuple[str, ...] = ()):
        """An int option given as one value or n values, or one of the strings in ``allow``; a missing
        option takes NIR's documented ``default`` and says so (a NIRDefaultWarning naming the node)."""
        raw = params.get(key)
        if raw is None:
            warnings.warn(f"node {nid!r}: {key} is not given; taking the documented default {key}={default!r} "
                          "(NIR's default for an unset option)", NIRDefaultWarning, stacklevel=2)
            raw = default
        if isinstance(raw, str):
            if raw in allow:
                return raw
            raise node_error(nid, f"{key}={raw!r} is not understood",
                             f"give {key} as {n} integer(s)" + (f" or one of {allow}" if allow else ""))
        try:
            arr = np.asarray(raw, dtype=np.float64).reshape(-1)
        except (TypeError, ValueError):
            raise node_error(nid, f"{key} {raw!r} is not a number", f"give {key} as {n} integer(s)") from None
        if arr.size not in (1, n) or not np.all(arr == np.round(arr)) or (arr < 0).any():
            raise node_error(nid, f"{key} must hold 1 or {n} non-negative integers, got {arr.tolist()}",
                             f"give {key} as {n} integer(s)")
        return tuple(int(v) for v in np.broadcast_to(arr, (n,)))

    def cast(self, arr: np.ndarray) -> np.ndarray:
        import ml_dtypes

        return np.asarray(arr).astype(ml_dtypes.bfloat16 if self.dtype == "bfloat16" else self.dtype)

    def shape(self, nid: str, params: dict, key: str) -> tuple[int, ...]:
        raw = self.arr(nid, params, key)
        if raw.ndim > 1 or (raw.size and (raw.min() < 1 or not np.all(raw == np.round(raw)))):
            raise node_error(nid, f"{key} {raw.tolist()} is not a list of positive sizes",
                             "give the shape as a 1-d array of positive integers")
        return tuple(int(v) for v in raw.reshape(-1))

    def population(self, nid: str, typ: str, arrays: dict[str, np.ndarray], hint: Any = None) -> dict:
        """Every neuron parameter broadcast to the population shape, in place; returns ``arrays``.

        The shape is that of the parameters with more than one element (NIR asks for one shape); 0-d and
        [1] parameters are broadcast to it. When every parameter is 0-d or [1], the layer's shape comes
        from ``hint`` (the shape of what feeds the node), else it is (1,)."""
        shapes = {k: v.shape for k, v in arrays.items()}
        full = {s for s in shapes.values() if int(np.prod(s)) != 1}
        if len(full) > 1:
            raise node_error(nid, f"{typ} parameters have different shapes {shapes}",
                             "NIR requires one shape (the population's) for every neuron parameter; "
                             "0-d and [1] parameters are broadcast")
        shape = next(iter(full)) if full else (tuple(hint) if hint is not None else
                                               max(shapes.values(), key=len, default=(1,)) or (1,))
        for k, v in arrays.items():
            arrays[k] = np.array(np.broadcast_to(v.reshape(()) if v.size == 1 else v, shape))
        return arrays

    # -- dynamics
    def decay(self, nid: str, tau: np.ndarray, what: str = "tau") -> np.ndarray:
        if (tau <= 0).any():
            raise node_error(nid, f"{what} must be positive, got a minimum of {tau.min():g}",
                             f"time constants are in seconds and positive; check {what}")
        if self.disc == "exact":
            return np.exp(-self.dt / tau)
        if (tau < self.dt).any():
            raise node_error(nid, f"{what} = {tau.min():g} s is shorter than dt = {self.dt:g} s: forward Euler gives "
                             f"a decay 1 − dt/{what} < 0", "use discretization='exact' or a smaller dt")
        return 1.0 - self.dt / tau

    def gain_node(self, nid: str, gain: np.ndarray, suffix: str = "gain") -> list[Node]:
        """A frozen Scale ``nid.gain`` in front of a neuron when its input gain fits none of its forms."""
        if np.allclose(gain, 1.0, rtol=RTOL, atol=0):
            return []
        value = gain.flat[0] if np.all(gain == gain.flat[0]) else gain
        return [kind_class("Scale")(id=f"{nid}.{suffix}", scale=self.cast(np.asarray(value)), trainable=())]

    def drive_node(self, nid: str, drive: np.ndarray, suffix: str = "leak") -> list[Node]:
        """A frozen identity Linear ``nid.leak`` whose bias b adds a constant drive to the input:
        LI has no leak field, and v' = β·v + g·(x + b) is v' = β·v + g·x + (1 − β)·v_leak for
        b = (1 − β)·v_leak / g. Its rest value is b, the drive at zero input, as the leak's."""
        if not np.any(drive):
            return []
        if drive.ndim != 1:
            if not np.all(drive == drive.reshape(-1)[0]) and not np.all(drive == drive[(0,) * (drive.ndim - 1)]):
                raise node_error(nid, f"a v_leak varying over more than the last axis of shape {drive.shape}",
                                 "use a 1-d population, or a v_leak that varies only along the last axis")
        n = drive.shape[-1] if drive.ndim else 1
        bias = drive.reshape(-1, n)[0] if drive.ndim else drive.reshape(1)
        return [kind_class("Linear")(id=f"{nid}.{suffix}", weight=self.cast(np.eye(n)), bias=self.cast(bias),
                                     trainable=())]

    def leak(self, beta: np.ndarray, v_leak: np.ndarray) -> dict:
        """λ = −(1 − β)·v_leak: snnir subtracts λ every step."""
        if not np.any(v_leak):
            return {}
        return {"leak": self.cast(-(1.0 - beta) * v_leak)}

    def scale_form(self, gain: np.ndarray, beta: np.ndarray) -> tuple[str, np.ndarray]:
        """snnir's input_scale for an input gain, and what is left for a Scale node in front."""
        if np.allclose(gain, 1.0, rtol=RTOL, atol=0):
            return "one", np.ones_like(gain)
        if np.all(beta < 1) and np.allclose(gain, 1.0 - beta, rtol=RTOL, atol=1e-12):
            return "one_minus_decay", np.ones_like(gain)
        return "one", gain

    def reset(self, v_reset: np.ndarray) -> dict:
        if not np.any(v_reset):
            return {"reset": "zero"}
        return {"reset": "to_value", "reset_value": self.cast(v_reset)}


def full(value: Any, shape, dtype) -> np.ndarray:
    """``value`` broadcast to ``shape`` as a fresh array: NIR wants every neuron parameter full-size."""
    return np.array(np.broadcast_to(np.asarray(value, np.float64), tuple(shape)), dtype=dtype)
