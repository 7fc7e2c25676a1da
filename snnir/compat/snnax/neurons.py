"""SNNAX's layers (``snnax.snn.layers``) over snnir's node kinds.

Each class keeps SNNAX's constructor and fields (its arrays are the trainable leaves) and knows the snnir
node and options that reproduce it (docs/neurons.md has the table and the equations):

- every SNNAX neuron spikes with H(0) = 1, detaches the reset (``stop_reset_grad=True``) and clamps each
  decay to [0.5, 1] in the forward pass (gradient 0 outside);
- ``decay_constants`` is a sequence (``[0.9]``) or an array (k, *shape) for per-neuron values; index 0 is
  the membrane's decay, index 1 the synaptic current's (LIF, IAF use their own order: see each class);
- ``reset_val`` means what it means in SNNAX for each class (reset *to* it in LIF, subtract it in IAF,
  SimpleIAF, LIFSoftReset, AdaptiveLIF, subtract softplus(reset_val) in SimpleLIF).
"""

from __future__ import annotations

from typing import Any, ClassVar, Optional, Sequence

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np

from . import standalone
from .functional.surrogate import SpikeFn, superspike_surrogate, surrogate_of
from .layout import OUT, SIGMA_DELTA_ERROR, Layout
from .pieces import Piece, SnnaxCompatError, concrete, kind, single

SNNAX_CLAMP = (0.5, 1.0)  # SNNAX clamps every decay to [0.5, 1]
SRM_CLAMP = (0.0, 2.0)  # and SRM's refractory scale r to [0, 2]


def _array(value: Any, shape: Optional[Sequence[int]] = None) -> jax.Array:
    """SNNAX's ``init_parameters``: the value as an array (a jnp array is kept as given; anything else
    becomes float32). ``shape`` is ignored, as SNNAX ignores it: per-neuron values are (k, *shape) arrays."""
    if isinstance(value, jax.Array):
        return value
    return jnp.asarray(value, jnp.float32)


def _scalar_or_array(value: Any) -> Any:
    return value if isinstance(value, (jax.Array, np.ndarray)) else float(value)


def _check_init_fn(init_fn: Any, name: str) -> Any:
    if init_fn is not None and not callable(init_fn):
        raise SnnaxCompatError(f"{name}: init_fn must be callable as init_fn(shape, key), got {init_fn!r}")
    return init_fn


class SnnaxLayer(eqx.Module):
    """Base of the built-in SNNAX layers: ``to_piece(name, in_shape)`` gives their IR (output shapes are
    inferred from it)."""

    STATE: ClassVar[tuple[str, ...]] = (OUT,)  # the SNNAX state list: kernel variables, OUT last
    STATEFUL: ClassVar[bool] = False

    def to_piece(self, name: str, in_shape: tuple[int, ...]) -> Piece:
        raise NotImplementedError

    def snnax_layout(self, name: str) -> Layout:
        return Layout(name, self.STATE, (name,))


class _Stateful(SnnaxLayer):
    """SNNAX's stateful-layer protocol for the built-in layers: ``init_state(shape, key)`` gives the
    state list (``init_fn(shape, key)`` first, zeros after), ``init_out(shape)`` zeros, and
    ``layer(state, x, key=key)`` one step of one sample through snnir's kernel."""

    STATEFUL: ClassVar[bool] = True
    init_fn: Any = eqx.field(static=True)

    def init_state(self, shape, key=None, *args, **kwargs) -> list:
        first = jnp.zeros(shape) if self.init_fn is None else self.init_fn(shape, key, *args, **kwargs)
        return [first] + [jnp.zeros(shape) for _ in self.STATE[1:]]

    def init_out(self, shape, *, key=None) -> jax.Array:
        return jnp.zeros(shape)

    def __call__(self, state, synaptic_input, *, key=None):
        return standalone.step(self, self.snnax_layout(standalone.NAME), state, synaptic_input, key)


class _Stateless(SnnaxLayer):
    """A built-in stateless layer: ``layer(x, key=None)`` for one sample."""

    def __call__(self, x, key=None):
        return standalone.stateless(self, x, key)


class _Neuron(_Stateful):
    """Shared SNNAX spiking options."""

    spike_fn: SpikeFn = eqx.field(static=True)
    threshold: Any
    stop_reset_grad: bool = eqx.field(static=True)
    reset_val: Any

    def _spiking(self) -> dict:
        return dict(threshold=concrete(self.threshold), fire_at_threshold=True,
                    detach_reset=self.stop_reset_grad, surrogate=surrogate_of(self.spike_fn))

    def _live(self, **extra) -> dict:
        return {"threshold": self.threshold, **extra}


def _neuron_init(self, spike_fn, threshold, stop_reset_grad, reset_val, init_fn, name):
    self.init_fn = _check_init_fn(init_fn, name)
    self.spike_fn = spike_fn if spike_fn is not None else superspike_surrogate(10.0)
    if not callable(self.spike_fn):
        raise SnnaxCompatError(f"{name}: spike_fn must be callable (a surrogate from "
                               "snnir.compat.snnax.functional, or a function of v − θ), got {self.spike_fn!r}")
    self.threshold = _scalar_or_array(threshold)
    self.stop_reset_grad = bool(stop_reset_grad)
    self.reset_val = None if reset_val is None else _scalar_or_array(reset_val)


def _subtracting(reset_val: Any) -> dict:
    """SNNAX's reset_val in SimpleIAF, IAF, AdaptiveLIF: None resets to zero, else subtract reset_val·S."""
    if reset_val is None:
        return dict(reset="zero")
    return dict(reset="subtract_value", reset_value=concrete(reset_val))


class SimpleIAF(_Neuron):
    """SNNAX SimpleIAF: U' = U − leak + x_t; S = H(U' − θ); U = U' − sg(R), R = U'·S (reset_val None)
    or reset_val·S. snnir: IF with leak, reset "zero"/"subtract_value"."""

    leak: jax.Array
    STATE = ("v", OUT)

    def __init__(self, leak=0.0, threshold=1.0, spike_fn=None, stop_reset_grad=True, reset_val=None,
                 shape=None, init_fn=None):
        _neuron_init(self, spike_fn, threshold, stop_reset_grad, reset_val, init_fn, "SimpleIAF")
        self.leak = _array(leak)

    def to_piece(self, name, in_shape):
        node = kind("IF")(id=name, shape=in_shape, leak=concrete(self.leak), trainable=("leak",),
                          **self._spiking(), **_subtracting(self.reset_val))
        return single(node, self._live(leak=self.leak, reset_value=self.reset_val))


class IAF(_Neuron):
    """SNNAX IAF: U' = U − leak + I_{t−1}; I_t = β·I + (1 − β)·x_t (β = clamp(dc[0], .5, 1));
    S = H(U' − θ); U = U' − sg(R) as SimpleIAF. snnir: CubaLIF without membrane decay, with
    current_lag, input_scale "one_minus_decay" (on the current), leak."""

    decay_constants: jax.Array
    leak: jax.Array
    STATE = ("v", "i", OUT)

    def __init__(self, decay_constants, leak=0.0, threshold=1.0, spike_fn=None, stop_reset_grad=True,
                 reset_val=None, init_fn=None, shape=None):
        _neuron_init(self, spike_fn, threshold, stop_reset_grad, reset_val, init_fn, "IAF")
        self.decay_constants = _array(decay_constants, shape)
        self.leak = _array(leak)

    def to_piece(self, name, in_shape):
        node = kind("CubaLIF")(id=name, shape=in_shape, syn_decay=concrete(self.decay_constants[0]),
                               mem_decay=None, current_lag=True, input_scale="one_minus_decay",
                               decay_clamp=SNNAX_CLAMP, leak=concrete(self.leak), trainable=("syn_decay", "leak"),
                               **self._spiking(), **_subtracting(self.reset_val))
        return single(node, self._live(syn_decay=self.decay_constants[0], leak=self.leak,
                                       reset_value=self.reset_val))


class SimpleLI(_Stateful):
    """SNNAX SimpleLI: U_t = α·U + (1 − α)·x_t, α = clamp(dc[0], .5, 1); output U_t. snnir: LI."""

    decay_constants: jax.Array

    STATE = ("v",)

    def __init__(self, decay_constants, init_fn=None, shape=None, key=None):
        self.init_fn = _check_init_fn(init_fn, "SimpleLI")
        self.decay_constants = _array(decay_constants, shape)

    def to_piece(self, name, in_shape):
        node = kind("LI")(id=name, shape=in_shape, decay=concrete(self.decay_constants[0]),
                          input_scale="one_minus_decay", decay_clamp=SNNAX_CLAMP)
        return single(node, {"decay": self.decay_constants[0]})


LI = SimpleLI  # the older SNNAX name


class SimpleLIF(_Neuron):
    """SNNAX SimpleLIF: U' = α·U + (1 − α)·x_t; S = H(U' − θ); U = U' − sg(R), R = U'·S (reset_val
    None) or softplus(reset_val)·S. snnir: LIF, input_scale "one_minus_decay"."""

    decay_constants: jax.Array
    STATE = ("v", OUT)

    def __init__(self, decay_constants, spike_fn=None, threshold=1.0, stop_reset_grad=True, reset_val=None,
                 init_fn=None, shape=None, key=None, **kwargs):
        _neuron_init(self, spike_fn, threshold, stop_reset_grad, reset_val, init_fn, "SimpleLIF")
        self.decay_constants = _array(decay_constants, shape)

    def _reset_amount(self):
        return None if self.reset_val is None else jax.nn.softplus(jnp.asarray(self.reset_val, jnp.float32))

    def to_piece(self, name, in_shape):
        node = kind("LIF")(id=name, shape=in_shape, decay=concrete(self.decay_constants[0]),
                           input_scale="one_minus_decay", decay_clamp=SNNAX_CLAMP, **self._spiking(),
                           **_subtracting(self._reset_amount()))
        return single(node, self._live(decay=self.decay_constants[0], reset_value=self._reset_amount()))


class LIF(_Neuron):
    """SNNAX LIF (reset first, with the previous spike): U'' = U − sg(R), R = U·S_{t−1} (reset_val None)
    or (U − reset_val)·S_{t−1}; U_t = α·U'' + (1 − α)·I_{t−1}; I_t = β·I + (1 − β)·x_t;
    S_t = H(U_t − θ), with α = clamp(dc[0]), β = clamp(dc[1]). snnir: CubaLIF with current_lag,
    reset_at "next", reset_before_leak, input_scale "one_minus_decay"."""

    decay_constants: jax.Array
    STATE = ("v", "i", "s")  # S is the kernel's carried spike (and, in delayed mode, the layer's carry)

    def __init__(self, decay_constants, spike_fn=None, threshold=1.0, stop_reset_grad=True, reset_val=None,
                 init_fn=None, shape=None, key=None):
        _neuron_init(self, spike_fn, threshold, stop_reset_grad, reset_val, init_fn, type(self).__name__)
        self.decay_constants = _array(decay_constants, shape)
        if self.decay_constants.shape[:1] != (2,):
            raise SnnaxCompatError(f"{type(self).__name__} needs two decay constants [α (membrane), β (current)], "
                                   f"got shape {self.decay_constants.shape}")

    def _reset(self) -> tuple[dict, Any]:
        if self.reset_val is None:
            return dict(reset="zero"), None
        return dict(reset="to_value", reset_value=concrete(self.reset_val)), self.reset_val

    def to_piece(self, name, in_shape):
        reset, live_reset = self._reset()
        node = kind("CubaLIF")(id=name, shape=in_shape, mem_decay=concrete(self.decay_constants[0]),
                               syn_decay=concrete(self.decay_constants[1]), current_lag=True, reset_at="next",
                               reset_before_leak=True, input_scale="one_minus_decay", decay_clamp=SNNAX_CLAMP,
                               **self._spiking(), **reset)
        return single(node, self._live(mem_decay=self.decay_constants[0], syn_decay=self.decay_constants[1],
                                       reset_value=live_reset))


class LIFSoftReset(LIF):
    """SNNAX LIFSoftReset: as LIF, but subtractive: R = S_{t−1} (reset_val None) or reset_val·S_{t−1}."""

    def _reset(self):
        amount = 1.0 if self.reset_val is None else self.reset_val
        return dict(reset="subtract_value", reset_value=concrete(amount)), (
            None if self.reset_val is None else self.reset_val)


class AdaptiveLIF(_Neuron):
    """SNNAX AdaptiveLIF: U' = α·U + (1 − α)·(x_t + A); S = H(U' − θ);
    A_t = (1 − β_a)·a·U' + β_a·A − b·sg(S); U = U' − sg(R) (R = U'·S, or reset_val·S), with
    α, β_a clamped to [.5, 1], a = ada_coupling_var clamped to [−1, 1], b = ada_step_val to [0, 2]."""

    decay_constants: jax.Array
    ada_decay_constant: jax.Array
    ada_step_val: jax.Array
    ada_coupling_var: jax.Array
    STATE = ("v", "a", OUT)

    def __init__(self, decay_constants, ada_decay_constant=(0.8,), ada_step_val=(1.0,), ada_coupling_var=(0.5,),
                 spike_fn=None, threshold=1.0, stop_reset_grad=True, reset_val=None, init_fn=None, shape=None,
                 key=None):
        _neuron_init(self, spike_fn, threshold, stop_reset_grad, reset_val, init_fn, "AdaptiveLIF")
        self.decay_constants = _array(decay_constants, shape)
        self.ada_decay_constant = _array(ada_decay_constant, shape)
        self.ada_step_val = _array(ada_step_val, shape)
        self.ada_coupling_var = _array(ada_coupling_var, shape)

    def to_piece(self, name, in_shape):
        live = dict(decay=self.decay_constants[0], ada_decay=self.ada_decay_constant[0],
                    ada_step=self.ada_step_val[0], ada_coupling=self.ada_coupling_var[0])
        node = kind("AdaptiveLIF")(id=name, shape=in_shape, **{k: concrete(v) for k, v in live.items()},
                                   input_scale="one_minus_decay", decay_clamp=SNNAX_CLAMP,
                                   coupling_clamp=(-1.0, 1.0), step_clamp=(0.0, 2.0),
                                   **self._spiking(), **_subtracting(self.reset_val))
        return single(node, self._live(reset_value=self.reset_val, **live))


class SigmaDelta(_Stateful):
    """SNNAX SigmaDelta: σ_t = d_in·σ + x_t; e_t = σ_t − f_{t−1}; m_t = d_mem·m + e_t; S_t = H(m_t − θ);
    f_t = d_fb·f + S_t (no clamp, no reset). ``decay_constants`` = [d_in, d_mem, d_fb]."""

    decay_constants: jax.Array
    threshold: Any
    spike_fn: SpikeFn = eqx.field(static=True)
    STATE = ("sigma", SIGMA_DELTA_ERROR, "v", "f", OUT)

    def __init__(self, decay_constants=(1.0, 0.0, 1.0), threshold=1.0, spike_fn=None, init_fn=None, shape=None,
                 key=None):
        self.init_fn = _check_init_fn(init_fn, "SigmaDelta")
        self.decay_constants = _array(decay_constants, shape)
        self.threshold = _scalar_or_array(threshold)
        self.spike_fn = spike_fn if spike_fn is not None else superspike_surrogate(10.0)

    def init_state(self, shape, key=None, *args, **kwargs) -> list:
        return [jnp.zeros(shape, jnp.float32) for _ in self.STATE]  # SNNAX ignores init_fn here

    def to_piece(self, name, in_shape):
        live = dict(in_decay=self.decay_constants[0], mem_decay=self.decay_constants[1],
                    fb_decay=self.decay_constants[2])
        node = kind("SigmaDelta")(id=name, shape=in_shape, **{k: concrete(v) for k, v in live.items()},
                                  threshold=concrete(self.threshold), fire_at_threshold=True,
                                  surrogate=surrogate_of(self.spike_fn))
        return single(node, {"threshold": self.threshold, **live})


class SpikeCounter(_Stateful):
    """SNNAX SpikeCounter: passes its input on and counts it (port "count")."""

    STATE = ("count", OUT)

    def __init__(self, shape=None, **kwargs):
        self.init_fn = None

    def to_piece(self, name, in_shape):
        return single(kind("SpikeCounter")(id=name, shape=in_shape))


class Flatten(_Stateless):
    """SNNAX Flatten: the whole sample to one axis."""

    def to_piece(self, name, in_shape):
        return single(kind("Flatten")(id=name, start_dim=0, end_dim=-1))


class _SpikingMaxPool(_Stateless):
    kernel_size: Any = eqx.field(static=True)
    stride: Any = eqx.field(static=True)
    padding: Any = eqx.field(static=True)
    threshold: Any
    spike_fn: SpikeFn = eqx.field(static=True)
    NDIM = 0

    def __init__(self, kernel_size, stride=1, padding=0, use_ceil=False, threshold=1.0, spike_fn=None):
        if use_ceil:
            raise SnnaxCompatError("MaxPool(use_ceil=True) has no snnir equivalent\n  hint: pad explicitly")
        self.kernel_size = _tuple(kernel_size, self.NDIM)
        self.stride = _tuple(stride, self.NDIM)
        self.padding = padding
        self.threshold = _scalar_or_array(threshold)
        self.spike_fn = spike_fn if spike_fn is not None else superspike_surrogate(10.0)

    def _node(self, name):
        return kind(f"MaxPool{self.NDIM}d")(id=name, kernel_size=self.kernel_size, stride=self.stride,
                                            padding=_eqx_padding(self.padding, self.NDIM), spiking=True,
                                            threshold=concrete(self.threshold), fire_at_threshold=True,
                                            surrogate=surrogate_of(self.spike_fn))

    def to_piece(self, name, in_shape):
        return single(self._node(name), {"threshold": self.threshold})


class SpikingMaxPool1d(_SpikingMaxPool):
    """SNNAX SpikingMaxPool1d: y = H(maxpool(x) − θ) (H(0) = 1, surrogate gradient)."""

    NDIM = 1


class SpikingMaxPool2d(_SpikingMaxPool):
    """SNNAX SpikingMaxPool2d: y = H(maxpool(x) − θ) (H(0) = 1, surrogate gradient)."""

    NDIM = 2


MaxPool1d, MaxPool2d = SpikingMaxPool1d, SpikingMaxPool2d  # the older SNNAX names


class BatchNormLayer(SnnaxLayer):
    """SNNAX BatchNormLayer: y = γ·(x − μ)/sqrt(var + eps), μ and var per element over the samples of the
    ``vmap`` axis ``axis_name`` (SNNAX's "batch_axis": vmap the model call with that axis name), no shift.
    snnir: BatchNorm(over="element", weight=γ, axis_name); its running statistics (momentum
    1 − forget_weight) serve inference, which SNNAX's never did."""

    eps: float = eqx.field(static=True)
    forget_weight: float = eqx.field(static=True)
    gamma: Any
    axis_name: str | None = eqx.field(static=True)

    def __init__(self, eps=1e-5, forget_weight=0.9, gamma=0.8, axis_name="batch_axis"):
        self.eps, self.forget_weight, self.gamma = float(eps), float(forget_weight), _scalar_or_array(gamma)
        self.axis_name = axis_name

    def __call__(self, x, key=None):
        """One sample on its own is a batch of one: x − μ = 0, so the output is zero (inside a model,
        vmapped with ``axis_name``, the statistics are the batch's)."""
        return jnp.zeros_like(jnp.asarray(x, jnp.float32))

    def to_piece(self, name, in_shape):
        node = kind("BatchNorm")(id=name, over="element", eps=self.eps, momentum=1.0 - self.forget_weight,
                                 weight=concrete(self.gamma), axis_name=self.axis_name)
        return single(node, {"weight": self.gamma})


def _tuple(value: Any, n: int) -> tuple[int, ...]:
    return (int(value),) * n if isinstance(value, (int, np.integer)) else tuple(int(v) for v in value)


def _eqx_padding(padding: Any, n: int) -> Any:
    if isinstance(padding, str):
        return padding.lower()
    if isinstance(padding, (int, np.integer)):
        return ((int(padding), int(padding)),) * n
    return tuple(tuple(int(p) for p in pair) if isinstance(pair, (tuple, list)) else (int(pair), int(pair))
                 for pair in padding)

