"""Stateless layer kinds: convolutions, pooling, layer normalisation and concatenation.

Shapes are per sample and channels-first: a 1-d layer takes (C, L), a 2-d layer (C, H, W). Every kind
here has direct feedthrough and no state: y_t depends on x_t only.

Notation (per spatial axis): n input size, k kernel size, s stride, d dilation, p_lo / p_hi the padding
before / after, k_eff = d·(k − 1) + 1 the effective kernel size. The output size is

    n_out = floor((n + p_lo + p_hi − k_eff) / s) + 1

``padding`` is an int (the same on both sides of every spatial axis), one int per spatial axis, one
(p_lo, p_hi) pair per spatial axis, ``"valid"`` (no padding) or ``"same"``: n_out = ceil(n / s) with the
total padding P = max((n_out − 1)·s + k_eff − n, 0) split as p_lo = floor(P / 2), p_hi = P − p_lo (with
s = 1 this is PyTorch's 'same'; for s > 1 it is the rule of TensorFlow, Flax and ``lax``).
"""

from __future__ import annotations

from typing import Any, ClassVar, Literal, Mapping, Union

import numpy as np
from pydantic import Field, field_validator

from ..arrays import FloatArray
from ..node import Node, ShapeProblem, register_kind
from ..surrogate import Surrogate

Ints = tuple[int, ...]
Pairs = tuple[tuple[int, int], ...]
Padding = Union[Literal["same", "valid"], Ints, Pairs]


# ---------------------------------------------------------------------- normalisation helpers
def _per_axis(value: Any, n: int, what: str, minimum: int) -> Any:
    """An int or a sequence of n ints, as a tuple of n ints >= minimum (other values pass to pydantic)."""
    if isinstance(value, bool):
        raise ValueError(f"{what} must be an int or a tuple of {n} ints, not a boolean")
    if isinstance(value, (int, np.integer)):
        value = (int(value),) * n
    if isinstance(value, (list, tuple)):
        if len(value) != n or not all(isinstance(v, (int, np.integer)) and not isinstance(v, bool) for v in value):
            raise ValueError(f"{what} must be an int or a tuple of {n} ints, got {tuple(value)!r}")
        value = tuple(int(v) for v in value)
        if any(v < minimum for v in value):
            raise ValueError(f"{what} entries must be >= {minimum}, got {value}")
    return value


def _padding(value: Any, n: int) -> Any:
    """Canonical padding: 'same', 'valid', n ints, or n (lo, hi) pairs; all entries >= 0."""
    if isinstance(value, str):
        low = value.lower()
        if low not in ("same", "valid"):
            raise ValueError(f"padding {value!r} is not 'same' or 'valid' (or give ints)")
        return low
    if isinstance(value, (list, tuple)) and any(isinstance(v, (list, tuple)) for v in value):
        if len(value) != n:
            raise ValueError(f"padding must give one entry per spatial axis ({n}), got {len(value)}")
        pairs = []
        for v in value:
            pair = _per_axis(v, 2, "a padding pair", 0) if isinstance(v, (list, tuple)) else _per_axis(v, 2, "padding", 0)
            pairs.append(tuple(pair))
        return tuple(pairs)
    return _per_axis(value, n, "padding", 0)


def resolve_padding(padding: Padding, spatial: Ints, kernel: Ints, stride: Ints,
                    dilation: Ints | None = None) -> Pairs:
    """The explicit (p_lo, p_hi) pair of every spatial axis for inputs of spatial size ``spatial``."""
    n = len(spatial)
    dilation = dilation or (1,) * n
    if padding == "valid":
        return ((0, 0),) * n
    if padding == "same":
        pairs = []
        for size, k, s, d in zip(spatial, kernel, stride, dilation):
            out = -(-size // s)
            total = max((out - 1) * s + d * (k - 1) + 1 - size, 0)
            pairs.append((total // 2, total - total // 2))
        return tuple(pairs)
    if padding and isinstance(padding[0], tuple):
        return tuple(padding)  # type: ignore[arg-type]
    return tuple((p, p) for p in padding)  # type: ignore[union-attr]


def window_output(spatial: Ints, kernel: Ints, stride: Ints, pads: Pairs, dilation: Ints | None = None) -> Ints | None:
    """Output spatial sizes of a sliding window, or None if the effective kernel exceeds a padded axis."""
    dilation = dilation or (1,) * len(spatial)
    out = []
    for size, k, s, d, (lo, hi) in zip(spatial, kernel, stride, dilation, pads):
        span = size + lo + hi - (d * (k - 1) + 1)
        if span < 0:
            return None
        out.append(span // s + 1)
    return tuple(out)


def _input(inputs: Mapping[str, tuple[int, ...] | None], port: str = "in") -> tuple[int, ...] | None:
    return None if inputs.get(port) is None else tuple(inputs[port])


def _broadcasts_to(small: tuple[int, ...], shape: tuple[int, ...]) -> bool:
    try:
        return np.broadcast_shapes(tuple(small), tuple(shape)) == tuple(shape)
    except ValueError:
        return False


def _axes_name(n: int) -> str:
    return "(C, L)" if n == 1 else "(C, H, W)" if n == 2 else f"(C, {n} spatial axes)"


# ---------------------------------------------------------------------- convolutions
class _Spatial(Node):
    """A node over NDIM spatial axes (channels-first), with a per-axis ``padding`` field."""

    NDIM: ClassVar[int] = 0

    @field_validator("padding", mode="before", check_fields=False)
    @classmethod
    def _pad(cls, value: Any) -> Any:
        return _padding(value, cls.NDIM)

    def _channels_first_input(self, inputs, verb: str, hint_extra: str = ""):
        """The input shape (None while unknown), refused unless it has one channel and NDIM spatial axes."""
        shape = _input(inputs)
        if shape is not None and len(shape) != self.NDIM + 1:
            raise ShapeProblem(
                f"{self.kind} {self.id!r} {verb} channels-first inputs {_axes_name(self.NDIM)} but receives shape {shape}",
                f"feed it a per-sample shape with one channel axis and {self.NDIM} spatial axis(es)" + hint_extra,
            )
        return shape


class _ConvNd(_Spatial):
    """Shared fields and shape rule of Conv1d and Conv2d (see their docstrings)."""

    NDIM: ClassVar[int] = 0

    weight: FloatArray = Field(description="[C_out, C_in / groups, *kernel] (PyTorch and NIR layout)")
    bias: FloatArray | None = Field(default=None, description="[C_out], optional")
    stride: Ints
    padding: Padding
    dilation: Ints
    groups: int = Field(default=1, ge=1)

    PARAMS: ClassVar[tuple[str, ...]] = ("weight", "bias")
    TRAINABLE_BY_DEFAULT: ClassVar[tuple[str, ...]] = ("weight", "bias")

    @field_validator("weight")
    @classmethod
    def _weight_dims(cls, w: np.ndarray) -> np.ndarray:
        if w.ndim != cls.NDIM + 2 or 0 in w.shape:
            raise ValueError(f"weight must be a non-empty [C_out, C_in/groups, {', '.join(['k'] * cls.NDIM)}] array "
                             f"({cls.NDIM + 2} axes), got shape {w.shape}")
        return w

    @field_validator("stride", "dilation", mode="before")
    @classmethod
    def _steps(cls, value: Any, info) -> Any:
        return _per_axis(value, cls.NDIM, info.field_name, 1)

    @property
    def out_channels(self) -> int:
        return int(self.weight.shape[0])

    @property
    def in_channels(self) -> int:
        return int(self.weight.shape[1]) * self.groups

    @property
    def kernel_size(self) -> Ints:
        return tuple(int(k) for k in self.weight.shape[2:])

    def pads(self, spatial: Ints) -> Pairs:
        """Explicit (p_lo, p_hi) per spatial axis for inputs of spatial size ``spatial``."""
        return resolve_padding(self.padding, spatial, self.kernel_size, self.stride, self.dilation)

    def infer_shapes(self, inputs):
        shape = self._channels_first_input(
            inputs, "takes", " (add a Linear/Flatten, or use Conv1d for (C, L))" if self.NDIM == 2 else "")
        if shape is None:
            return {}
        if shape[0] != self.in_channels:
            detail = (f" (weight [C_out={self.out_channels}, C_in/groups={self.weight.shape[1]}, ...] "
                      f"with groups={self.groups})") if self.groups > 1 else (
                f" (weight [C_out={self.out_channels}, C_in={self.weight.shape[1]}, ...])")
            indivisible = shape[0] % self.groups != 0
            raise ShapeProblem(
                f"{self.kind} {self.id!r} expects {self.in_channels} input channels{detail} but receives shape {shape}"
                + (f"; its {shape[0]} channels are not a multiple of groups={self.groups}" if indivisible else ""),
                f"feed it {self.in_channels} channels, or "
                + (f"choose groups dividing {shape[0]}" if indivisible else
                   f"give it a weight of shape [{self.out_channels}, {shape[0] // self.groups}, "
                   f"{', '.join(map(str, self.kernel_size))}]"),
            )
        spatial = shape[1:]
        pads = self.pads(spatial)
        out = window_output(spatial, self.kernel_size, self.stride, pads, self.dilation)
        if out is None:
            eff = tuple(d * (k - 1) + 1 for k, d in zip(self.kernel_size, self.dilation))
            padded = tuple(n + lo + hi for n, (lo, hi) in zip(spatial, pads))
            raise ShapeProblem(
                f"{self.kind} {self.id!r} has an effective kernel {eff} (kernel {self.kernel_size}, dilation "
                f"{self.dilation}) larger than its padded input {padded} (input {shape}, padding {pads})",
                "use a smaller kernel or dilation, more padding (e.g. padding='same'), or a larger input",
            )
        return {"out": (self.out_channels,) + out}

    def check(self, inputs):
        problems = []
        if self.out_channels % self.groups:
            problems.append((f"groups={self.groups} does not divide the {self.out_channels} output channels",
                             "choose groups dividing both channel counts, or a weight with a multiple of "
                             f"{self.groups} output channels"))
        if self.bias is not None and self.bias.shape not in ((self.out_channels,), ()):
            problems.append((f"bias has shape {self.bias.shape}, expected ({self.out_channels},)",
                             f"give a bias of length {self.out_channels} (one per output channel) or none"))
        return problems


@register_kind
class Conv1d(_ConvNd):
    """1-d convolution (cross-correlation, as PyTorch and NIR), per sample and channels-first:

        y_t[o, l] = b[o] + Σ_{c ∈ group(o)} Σ_j W[o, c − c₀(o), j] · x̃_t[c, l·s + j·d]

    x̃ is x zero-padded by (p_lo, p_hi); groups split the C_in input and C_out output channels into
    ``groups`` blocks, block g of the output reading only block g of the input (c₀(o) = its first
    channel). Input (C_in, L) gives (C_out, L_out) (module docstring). ``weight`` [C_out, C_in/groups, K]
    and ``bias`` [C_out] (optional) train by default; ``stride``, ``padding``, ``dilation`` and
    ``groups`` as in PyTorch.
    """

    kind: Literal["Conv1d"] = "Conv1d"
    NDIM: ClassVar[int] = 1
    stride: Ints = (1,)
    padding: Padding = (0,)
    dilation: Ints = (1,)


@register_kind
class Conv2d(_ConvNd):
    """2-d convolution (cross-correlation, as PyTorch and NIR), per sample and channels-first:

        y_t[o, i, j] = b[o] + Σ_{c ∈ group(o)} Σ_{u,v} W[o, c − c₀(o), u, v] · x̃_t[c, i·s_h + u·d_h, j·s_w + v·d_w]

    x̃ is x zero-padded; groups as in Conv1d. Input (C_in, H, W) gives (C_out, H_out, W_out). ``weight``
    [C_out, C_in/groups, KH, KW] and ``bias`` [C_out] (optional) train by default.
    """

    kind: Literal["Conv2d"] = "Conv2d"
    NDIM: ClassVar[int] = 2
    stride: Ints = (1, 1)
    padding: Padding = (0, 0)
    dilation: Ints = (1, 1)


# ---------------------------------------------------------------------- pooling
class _PoolNd(_Spatial):
    """Shared fields and shape rule of the pooling kinds. ``stride`` None means stride = kernel_size."""

    NDIM: ClassVar[int] = 0

    kernel_size: Ints
    stride: Ints | None = Field(default=None, description="None: the kernel size (non-overlapping windows)")
    padding: Padding

    @field_validator("kernel_size", "stride", mode="before")
    @classmethod
    def _sizes(cls, value: Any, info) -> Any:
        return None if value is None else _per_axis(value, cls.NDIM, info.field_name, 1)

    @property
    def strides(self) -> Ints:
        return self.kernel_size if self.stride is None else self.stride

    def pads(self, spatial: Ints) -> Pairs:
        return resolve_padding(self.padding, spatial, self.kernel_size, self.strides)

    def infer_shapes(self, inputs):
        shape = self._channels_first_input(inputs, "pools")
        if shape is None:
            return {}
        pads = self.pads(shape[1:])
        out = window_output(shape[1:], self.kernel_size, self.strides, pads)
        if out is None:
            padded = tuple(n + lo + hi for n, (lo, hi) in zip(shape[1:], pads))
            raise ShapeProblem(
                f"{self.kind} {self.id!r} has kernel_size {self.kernel_size} larger than its padded input "
                f"{padded} (input {shape}, padding {pads})",
                "use a smaller kernel_size, padding='same', or a larger input",
            )
        return {"out": (shape[0],) + out}

    def check(self, inputs):
        if isinstance(self.padding, str):
            return []
        pads = self.pads((1,) * self.NDIM)
        if any(lo >= k or hi >= k for (lo, hi), k in zip(pads, self.kernel_size)):
            return [(f"padding {self.padding} is not smaller than kernel_size {self.kernel_size}: some windows "
                     "would cover only padding",
                     "use padding below the kernel size on every side (PyTorch requires at most half of it)")]
        return []


class _MaxPoolNd(_PoolNd):
    threshold: FloatArray = Field(default=1.0, description="θ: a spike where the window maximum exceeds it")
    spiking: bool = Field(default=True, description="False: plain max pooling, y = maxpool(x)")
    fire_at_threshold: bool = Field(default=False, description="H(0) = 1 (spike when the maximum equals θ) if True")
    surrogate: Surrogate = Field(default_factory=lambda: Surrogate(name="superspike"))

    PARAMS: ClassVar[tuple[str, ...]] = ("threshold",)

    def check(self, inputs):
        problems = super().check(inputs)
        shape = _input(inputs)
        if shape is not None and self.spiking:
            try:
                out = self.infer_shapes(inputs)["out"]
            except ShapeProblem:
                return problems
            if not _broadcasts_to(self.threshold.shape, out):
                problems.append((f"threshold has shape {self.threshold.shape}, which does not broadcast to the "
                                 f"output shape {out}", f"give threshold as a scalar or as an array of shape {out}"))
        return problems


_MAX_DOC = """Spiking max pooling {n}-d (SNNAX's MaxPool{n}d), per sample and channels-first:

        m_t[c, {idx}] = max over the window of x̃_t[c, ...]     (x̃ padded with −∞)
        y_t = H(m_t − θ)                                        (spiking=True, the default)
        y_t = m_t                                               (spiking=False: Equinox's MaxPool{n}d)

    H(z) = 1 if z > 0 else 0 (z ≥ 0 with ``fire_at_threshold=True``, as SNNAX); its gradient is the
    ``surrogate`` (default superspike; SNNAX uses superspike_unsquared). θ = ``threshold`` (default 1,
    scalar or broadcasting to the output; frozen by default). Input (C, {spatial}) gives (C, {spatial_out}).
    ``stride`` defaults to ``kernel_size`` (PyTorch; Equinox's default is 1).
    """


@register_kind
class MaxPool1d(_MaxPoolNd):
    __doc__ = _MAX_DOC.format(n=1, idx="l", spatial="L", spatial_out="L_out")
    kind: Literal["MaxPool1d"] = "MaxPool1d"
    NDIM: ClassVar[int] = 1
    padding: Padding = (0,)


@register_kind
class MaxPool2d(_MaxPoolNd):
    __doc__ = _MAX_DOC.format(n=2, idx="i, j", spatial="H, W", spatial_out="H_out, W_out")
    kind: Literal["MaxPool2d"] = "MaxPool2d"
    NDIM: ClassVar[int] = 2
    padding: Padding = (0, 0)


@register_kind
class AvgPool1d(_PoolNd):
    """Average pooling 1-d, per sample and channels-first:

        y_t[c, l] = (1 / K) Σ_{j<K} x̃_t[c, l·s + j]      (x̃ zero-padded)

    The divisor is always the kernel size K, padding included (PyTorch's count_include_pad=True, NIR's
    AvgPool, Equinox). Input (C, L) gives (C, L_out). ``stride`` defaults to ``kernel_size``.
    """

    kind: Literal["AvgPool1d"] = "AvgPool1d"
    NDIM: ClassVar[int] = 1
    padding: Padding = (0,)


@register_kind
class AvgPool2d(_PoolNd):
    """Average pooling 2-d, per sample and channels-first:

        y_t[c, i, j] = (1 / (KH·KW)) Σ_{u<KH, v<KW} x̃_t[c, i·s_h + u, j·s_w + v]      (x̃ zero-padded)

    The divisor is always KH·KW, padding included (count_include_pad=True, as NIR and Equinox).
    Input (C, H, W) gives (C, H_out, W_out). ``stride`` defaults to ``kernel_size``.
    """

    kind: Literal["AvgPool2d"] = "AvgPool2d"
    NDIM: ClassVar[int] = 2
    padding: Padding = (0, 0)


@register_kind
class SumPool1d(_PoolNd):
    """Sum pooling 1-d (spike counts per receptive field), per sample and channels-first:

        y_t[c, l] = Σ_{j<K} x̃_t[c, l·s + j]      (x̃ zero-padded)

    Spyx's sum_pool/SumPool with the channel axis first and the batch kept. Input (C, L) gives (C, L_out).
    ``stride`` defaults to ``kernel_size``; ``padding`` may be 'same'/'valid' as in Spyx.
    """

    kind: Literal["SumPool1d"] = "SumPool1d"
    NDIM: ClassVar[int] = 1
    padding: Padding = (0,)


@register_kind
class SumPool2d(_PoolNd):
    """Sum pooling 2-d (spike counts per receptive field), per sample and channels-first:

        y_t[c, i, j] = Σ_{u<KH, v<KW} x̃_t[c, i·s_h + u, j·s_w + v]      (x̃ zero-padded)

    NIR's SumPool2d; Spyx's sum_pool/SumPool with the channel axis first and the batch kept. Input
    (C, H, W) gives (C, H_out, W_out). ``stride`` defaults to ``kernel_size``.
    """

    kind: Literal["SumPool2d"] = "SumPool2d"
    NDIM: ClassVar[int] = 2
    padding: Padding = (0, 0)


# ---------------------------------------------------------------------- normalisation
@register_kind
class LayerNorm(Node):
    """Layer normalisation over the trailing axes of each sample, at every step:

        μ = mean(x_t),  σ² = mean((x_t − μ)²)       over the normalised axes (biased variance)
        y_t = (x_t − μ) / sqrt(σ² + ε) · γ + β

    The normalised axes are the trailing ``len(normalized_shape)`` axes, which must equal
    ``normalized_shape`` (PyTorch's LayerNorm); with ``normalized_shape=None`` (default) the whole
    per-sample shape (Equinox's LayerNorm). γ = ``weight`` and β = ``bias`` are optional (None: no
    affine); each is a scalar or an array broadcasting to the normalised shape, and they train by
    default. ε = ``eps`` (default 1e-5). Output shape = input shape.
    """

    kind: Literal["LayerNorm"] = "LayerNorm"
    normalized_shape: tuple[int, ...] | None = None
    eps: float = Field(default=1e-5, gt=0, allow_inf_nan=False)
    weight: FloatArray | None = None
    bias: FloatArray | None = None

    PARAMS: ClassVar[tuple[str, ...]] = ("weight", "bias")
    TRAINABLE_BY_DEFAULT: ClassVar[tuple[str, ...]] = ("weight", "bias")

    @field_validator("normalized_shape", mode="before")
    @classmethod
    def _shape(cls, value: Any) -> Any:
        if isinstance(value, (int, np.integer)) and not isinstance(value, bool):
            value = (int(value),)
        if isinstance(value, (list, tuple)) and (len(value) == 0 or any(
                not isinstance(v, (int, np.integer)) or isinstance(v, bool) or v < 1 for v in value)):
            raise ValueError(f"normalized_shape must be a non-empty tuple of positive ints, got {tuple(value)!r}")
        return None if value is None else tuple(int(v) for v in value)

    def normalized(self, shape: tuple[int, ...]) -> tuple[int, ...]:
        """The normalised (trailing) part of a per-sample ``shape``."""
        return tuple(shape) if self.normalized_shape is None else tuple(self.normalized_shape)

    def infer_shapes(self, inputs):
        shape = _input(inputs)
        if shape is None:
            return {}
        if not shape:
            raise ShapeProblem(f"LayerNorm {self.id!r} receives a scalar per sample; there is nothing to normalise",
                               "feed it at least one axis per sample")
        norm = self.normalized_shape
        if norm is not None and (len(norm) > len(shape) or shape[len(shape) - len(norm):] != tuple(norm)):
            raise ShapeProblem(
                f"LayerNorm {self.id!r} normalises trailing axes {tuple(norm)} but receives shape {shape}",
                f"set normalized_shape to trailing axes of {shape} (e.g. {shape[-1:]}) or None for the whole sample",
            )
        return {"out": shape}

    def check(self, inputs):
        shape = _input(inputs)
        if self.normalized_shape is None and shape is None:
            return []
        norm = self.normalized(shape or ())
        problems = []
        for name in ("weight", "bias"):
            value = getattr(self, name)
            if value is not None and not _broadcasts_to(value.shape, norm):
                problems.append((f"{name} has shape {value.shape}, which does not broadcast to the normalised "
                                 f"shape {norm}", f"give {name} as a scalar or as an array of shape {norm}"))
        return problems


# ---------------------------------------------------------------------- concatenation
@register_kind
class Concat(Node):
    """Concatenation of its input ports along a per-sample axis, in port order:

        y_t = concat(x_t[in0], x_t[in1], …, x_t[in{n−1}], axis=axis)

    ``inputs`` = n sets the ports in0 … in{n−1} (edges choose theirs with ``dst_port``; several edges
    into one port are summed first). ``axis`` counts per-sample axes (no batch or time; negative counts
    from the end). All inputs have the same rank and agree on every other axis.
    """

    kind: Literal["Concat"] = "Concat"
    inputs: int = Field(default=2, ge=1, le=4096)
    axis: int = 0

    @property
    def INPUT_PORTS(self) -> tuple[str, ...]:  # noqa: N802  (the per-instance form of the class variable)
        return tuple(f"in{i}" for i in range(self.inputs))

    def infer_shapes(self, inputs):
        shapes = [_input(inputs, port) for port in self.INPUT_PORTS]
        if any(s is None for s in shapes):
            return {}
        first = shapes[0]
        rank = len(first)
        listing = ", ".join(f"{p}: {s}" for p, s in zip(self.INPUT_PORTS, shapes))
        if any(len(s) != rank for s in shapes):
            raise ShapeProblem(f"Concat {self.id!r} receives inputs of different ranks ({listing})",
                               "give every input the same number of per-sample axes (add a Flatten)")
        if not -rank <= self.axis < rank:
            raise ShapeProblem(f"Concat {self.id!r} joins along axis {self.axis}, but its inputs have {rank} "
                               f"per-sample axes ({listing})",
                               f"choose an axis in [{-rank}, {rank}) (axes exclude batch and time)")
        axis = self.axis % rank
        rest = {s[:axis] + s[axis + 1:] for s in shapes}
        if len(rest) > 1:
            raise ShapeProblem(f"Concat {self.id!r} joins along axis {self.axis}, but its inputs differ on other "
                               f"axes ({listing})",
                               "inputs must agree on every axis except the concatenation axis")
        size = sum(s[axis] for s in shapes)
        return {"out": first[:axis] + (size,) + first[axis + 1:]}


__all__ = ["Conv1d", "Conv2d", "MaxPool1d", "MaxPool2d", "AvgPool1d", "AvgPool2d", "SumPool1d", "SumPool2d",
           "LayerNorm", "Concat", "resolve_padding", "window_output"]


@register_kind
class BatchNorm(Node):
    """Batch normalisation at every step, with running statistics kept in the state.

    ``over="channel"`` (default, PyTorch's BatchNorm1d/2d): one statistic per channel (the first
    per-sample axis), taken over the batch axes and every spatial axis. ``over="element"`` (SNNAX's
    BatchNormLayer): one statistic per element of the sample, taken over the batch axes only.
    With n values per statistic, in training (the default), at every step t:

        μ_t = mean(x_t),  σ²_t = mean((x_t − μ_t)²)                       (biased, as used for y)
        y_t = (x_t − μ_t) / sqrt(σ²_t + ε) · γ + β
        m ← (1 − momentum)·m + momentum·μ_t;   s ← (1 − momentum)·s + momentum·σ²_t·n / (n − 1)

    In inference (``eqx.nn.inference_mode(prog)``): y_t = (x_t − m) / sqrt(s + ε) · γ + β, state unchanged.
    m starts at 0 and s at 1. γ = ``weight`` and β = ``bias`` (optional; scalars or one value per
    statistic) train by default. The state variables "mean" and "var" carry the batch axes like every
    state (each sample holds the same copy, so ``lengths`` can freeze a finished sample's copy); the
    statistics are taken over the program's batch axes, and also over the named ``vmap`` axis
    ``axis_name`` when set (SNNAX vmaps its models over samples with ``axis_name="batch_axis"``).
    """

    kind: Literal["BatchNorm"] = "BatchNorm"
    over: Literal["channel", "element"] = "channel"
    eps: float = Field(default=1e-5, gt=0, allow_inf_nan=False)
    momentum: float = Field(default=0.1, ge=0, le=1, allow_inf_nan=False)
    axis_name: str | None = Field(default=None, description="also average the statistics over this named "
                                  "vmap axis (SNNAX's 'batch_axis'), for programs vmapped over samples")
    weight: FloatArray | None = None
    bias: FloatArray | None = None

    PARAMS: ClassVar[tuple[str, ...]] = ("weight", "bias")
    TRAINABLE_BY_DEFAULT: ClassVar[tuple[str, ...]] = ("weight", "bias")
    STATEFUL: ClassVar[bool] = True

    def statistic_shape(self, shape: tuple[int, ...]) -> tuple[int, ...]:
        return tuple(shape[:1]) if self.over == "channel" else tuple(shape)

    def infer_shapes(self, inputs):
        shape = _input(inputs)
        if shape is None:
            return {}
        if not shape:
            raise ShapeProblem(f"BatchNorm {self.id!r} receives a scalar per sample; it needs a channel axis",
                               "feed it at least one axis per sample (channels first)")
        return {"out": shape}

    def check(self, inputs):
        shape = _input(inputs)
        if shape is None or not shape:
            return []
        stat = self.statistic_shape(shape)
        return [(f"{name} has shape {value.shape}; it must be a scalar or have the statistic shape {stat}",
                 f"give one {name} per {'channel' if self.over == 'channel' else 'element'}: shape {stat}")
                for name in ("weight", "bias")
                for value in [getattr(self, name)] if value is not None and value.shape not in ((), stat)]


@register_kind
class Dropout(Node):
    """Inverted dropout: y_t = m_t ⊙ x_t / (1 − p), m_t ~ Bernoulli(1 − p) drawn afresh every step.

    The key passed to the program call is folded with the absolute step and the node id, so masks differ
    from step to step, are reproducible, and agree between chunked and whole runs. In inference
    (``eqx.nn.inference_mode(prog)``) and with p = 0 it is the identity. Training without a key is an error.
    """

    kind: Literal["Dropout"] = "Dropout"
    p: float = Field(default=0.5, ge=0.0, lt=1.0, description="probability of dropping an element")

    STOCHASTIC: ClassVar[bool] = True

    def infer_shapes(self, inputs):
        shape = inputs.get("in")
        return {} if shape is None else {"out": tuple(shape)}
