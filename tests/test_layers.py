"""The stateless layer kinds (Conv, pooling, LayerNorm, Concat, Linear's mask) against plain-numpy references.

Each kind runs as Input -> kind -> Output and as Input -> kind -> LIF -> Output, in both modes. The
references below are written from the equations in docs/layers.md with explicit loops (no JAX). Data
are dyadic (k/8), so sums, maxima and spikes are exact in float32; divisions and square roots use
tolerances.
"""

from __future__ import annotations

import math

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
import pytest

import snnir

MODES = ("straight", "delayed")
T = 4
BATCH = (2, 2)  # two leading batch axes: kernels must flatten and restore them
LIF_DECAY, LIF_THRESHOLD = 0.5, 1.0


def dyadic(rng, shape, lo=-8, hi=8):
    return (rng.integers(lo, hi, size=shape) / 8).astype(np.float32)


# ---------------------------------------------------------------------- numpy references
def same_pads(spatial, kernel, stride, dilation=None):
    """'same' as documented: n_out = ceil(n / s), total padding split floor/ceil."""
    dilation = dilation or (1,) * len(spatial)
    pads = []
    for n, k, s, d in zip(spatial, kernel, stride, dilation):
        n_out = math.ceil(n / s)
        total = max((n_out - 1) * s + d * (k - 1) + 1 - n, 0)
        pads.append((total // 2, total - total // 2))
    return tuple(pads)


def explicit_pads(padding, spatial, kernel, stride, dilation=None):
    n = len(spatial)
    if padding == "valid":
        return ((0, 0),) * n
    if padding == "same":
        return same_pads(spatial, kernel, stride, dilation)
    if isinstance(padding, int):
        return ((padding, padding),) * n
    return tuple(p if isinstance(p, tuple) else (p, p) for p in padding)


def pad_spatial(x, pads, value):
    width = [(0, 0)] * (x.ndim - len(pads)) + [tuple(p) for p in pads]
    return np.pad(x, width, constant_values=value)


def ref_conv(x, w, b, stride, pads, dilation, groups):
    """x [..., C_in, *spatial], w [C_out, C_in/groups, *kernel]: cross-correlation by explicit loops."""
    n = w.ndim - 2
    x = x.astype(np.float64)
    xp = pad_spatial(x, pads, 0.0)
    c_out, c_in_g = w.shape[:2]
    kernel = w.shape[2:]
    sp = xp.shape[-n:]
    out = tuple((sp[i] - dilation[i] * (kernel[i] - 1) - 1) // stride[i] + 1 for i in range(n))
    y = np.zeros(x.shape[: x.ndim - n - 1] + (c_out,) + out)
    per_group = c_out // groups
    for o in range(c_out):
        g = o // per_group
        for pos in np.ndindex(*out):
            acc = np.zeros(x.shape[: x.ndim - n - 1])
            for kk in np.ndindex(*kernel):
                idx = tuple(pos[i] * stride[i] + kk[i] * dilation[i] for i in range(n))
                patch = xp[(Ellipsis, slice(g * c_in_g, (g + 1) * c_in_g)) + idx]  # [..., C_in/groups]
                acc = acc + patch @ w[(o, slice(None)) + kk].astype(np.float64)
            y[(Ellipsis, o) + pos] = acc + (0.0 if b is None else float(b[o]))
    return y


def ref_pool(x, op, kernel, stride, pads):
    n = len(kernel)
    xp = pad_spatial(x.astype(np.float64), pads, -np.inf if op == "max" else 0.0)
    sp = xp.shape[-n:]
    out = tuple((sp[i] - kernel[i]) // stride[i] + 1 for i in range(n))
    y = np.zeros(x.shape[: x.ndim - n] + out)
    axes = tuple(range(-n, 0))
    for pos in np.ndindex(*out):
        window = xp[(Ellipsis,) + tuple(slice(pos[i] * stride[i], pos[i] * stride[i] + kernel[i]) for i in range(n))]
        if op == "max":
            y[(Ellipsis,) + pos] = window.max(axis=axes)
        else:
            y[(Ellipsis,) + pos] = window.sum(axis=axes) / (math.prod(kernel) if op == "avg" else 1)
    return y


def ref_layer_norm(x, n_axes, eps, weight=None, bias=None):
    axes = tuple(range(-n_axes, 0))
    x = x.astype(np.float64)
    mu = x.mean(axis=axes, keepdims=True)
    var = ((x - mu) ** 2).mean(axis=axes, keepdims=True)
    y = (x - mu) / np.sqrt(var + eps)
    if weight is not None:
        y = y * weight
    if bias is not None:
        y = y + bias
    return y


def ref_lif(drive):
    """Default LIF (post, same-step subtractive reset, H(0) = 0) over drive [T, ...]."""
    v = np.zeros(drive.shape[1:])
    out = []
    for x in drive:
        u = LIF_DECAY * v + x
        s = (u > LIF_THRESHOLD).astype(np.float64)
        v = u - LIF_THRESHOLD * s
        out.append(s)
    return np.stack(out)


def delayed(values, rest=None):
    """The value one step earlier (an edge delayed by the delayed mode); before step 0 the source's rest
    value ``rest`` [1, ...], its response to the Input's rest value 0 (zeros when not given)."""
    first = np.zeros_like(values[:1]) if rest is None else np.broadcast_to(rest, values[:1].shape)
    return np.concatenate([first, values[:-1]])


# ---------------------------------------------------------------------- graphs
def single(node, in_shape):
    return snnir.Graph(nodes=[snnir.Input(id="x", shape=in_shape), node, snnir.Output(id="y")],
                       edges=[("x", node.id), (node.id, "y")])


def chain(node, in_shape, out_shape):
    lif = snnir.LIF(id="lif", shape=out_shape, decay=LIF_DECAY, threshold=LIF_THRESHOLD)
    return snnir.Graph(nodes=[snnir.Input(id="x", shape=in_shape), node, lif, snnir.Output(id="y")],
                       edges=[("x", node.id), (node.id, "lif"), ("lif", "y")])


def run(graph, xs, mode, batch=BATCH):
    prog = snnir.compile(graph, mode=mode)
    _, ys = prog(prog.init_state(batch), xs)
    return np.asarray(ys["y"], dtype=np.float64)


def check_single_and_chain(node, in_shape, reference, mode, *, exact=True, seed=0, run_chain=True, data_scale=1):
    """Run ``node`` alone and before a LIF in ``mode``; compare with ``reference`` (per-step numpy)."""
    rng = np.random.default_rng(seed)
    xs = dyadic(rng, (T,) + BATCH + tuple(in_shape)) * np.float32(data_scale)
    want = reference(xs)
    got = run(single(node, in_shape), xs, mode)
    assert got.shape == want.shape
    if exact:
        np.testing.assert_array_equal(got, want)
    else:
        np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-5)
    if not run_chain:
        return
    drive = delayed(want, reference(np.zeros_like(xs[:1]))) if mode == "delayed" else want
    spikes = ref_lif(drive)
    if not exact:  # spikes are only comparable where no membrane lies within rounding of the threshold
        v, margin = np.zeros(drive.shape[1:]), np.inf
        for x in drive:
            u = LIF_DECAY * v + x
            margin = min(margin, float(np.abs(u - LIF_THRESHOLD).min()))
            v = u - LIF_THRESHOLD * (u > LIF_THRESHOLD)
        assert margin > 1e-4, "test data too close to the threshold; change the seed"
    assert spikes.any(), "test data should make the LIF spike"
    got = run(chain(node, in_shape, want.shape[1 + len(BATCH):]), xs, mode)
    np.testing.assert_array_equal(got, spikes)


def scaled(rng, shape, scale=2):
    """Dyadic weights with a larger range so convolutions and the following LIF spike."""
    return dyadic(rng, shape) * scale


# ---------------------------------------------------------------------- convolutions
W_RNG = np.random.default_rng(123)
CONV_CASES = {
    "conv1d-stride2-pad1-bias": dict(kind=snnir.Conv1d, in_shape=(2, 9), w=(3, 2, 3), bias=True, stride=2, padding=1),
    "conv1d-groups-dilation-same": dict(kind=snnir.Conv1d, in_shape=(2, 8), w=(4, 1, 3), groups=2, dilation=2,
                                        padding="same"),
    "conv1d-asymmetric-pads": dict(kind=snnir.Conv1d, in_shape=(2, 6), w=(2, 2, 2), padding=((2, 1),), bias=True),
    "conv2d-stride-pads-bias": dict(kind=snnir.Conv2d, in_shape=(2, 6, 5), w=(4, 2, 3, 3), bias=True, stride=(2, 1),
                                    padding=(1, 0)),
    "conv2d-groups-dilation-same-stride2": dict(kind=snnir.Conv2d, in_shape=(2, 5, 6), w=(4, 1, 2, 3), groups=2,
                                                dilation=(1, 2), padding="same", stride=2),
    "conv2d-depthwise-valid": dict(kind=snnir.Conv2d, in_shape=(2, 4, 4), w=(2, 1, 3, 3), groups=2, padding="valid"),
}


def _conv_node(case, rng):
    w = scaled(rng, case["w"])
    b = scaled(rng, (case["w"][0],)) if case.get("bias") else None
    opts = {k: case[k] for k in ("stride", "padding", "dilation", "groups") if k in case}
    return case["kind"](id="conv", weight=w, bias=b, **opts), w, b


def _conv_reference(case, w, b):
    n = w.ndim - 2
    stride = case.get("stride", 1)
    stride = (stride,) * n if isinstance(stride, int) else stride
    dilation = case.get("dilation", 1)
    dilation = (dilation,) * n if isinstance(dilation, int) else dilation
    pads = explicit_pads(case.get("padding", 0), case["in_shape"][1:], w.shape[2:], stride, dilation)
    return lambda xs: ref_conv(xs, w, b, stride, pads, dilation, case.get("groups", 1))


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("name", list(CONV_CASES))
def test_conv_matches_reference(name, mode):
    case = CONV_CASES[name]
    node, w, b = _conv_node(case, np.random.default_rng(sorted(CONV_CASES).index(name)))
    check_single_and_chain(node, case["in_shape"], _conv_reference(case, w, b), mode,
                           run_chain=name.startswith("conv2d-stride") or name.startswith("conv1d-stride"))


def test_conv_same_padding_keeps_the_size_at_stride_1_and_ceil_divides_otherwise():
    w = np.ones((1, 1, 4, 3), np.float32)
    for stride, want in [((1, 1), (7, 6)), ((2, 3), (4, 2))]:
        node = snnir.Conv2d(id="c", weight=w, padding="same", stride=stride, dilation=(2, 1))
        assert node.infer_shapes({"in": (1, 7, 6)}) == {"out": (1,) + want}
    # at stride 1 the split is PyTorch's: total = d(k-1), the smaller half first
    assert snnir.Conv1d(id="c", weight=np.ones((1, 1, 4), np.float32), padding="same").pads((5,)) == ((1, 2),)


def test_conv_runs_without_batch_axes_and_step_by_step():
    rng = np.random.default_rng(7)
    case = CONV_CASES["conv2d-stride-pads-bias"]
    node, w, b = _conv_node(case, rng)
    prog = snnir.compile(single(node, case["in_shape"]))
    x = dyadic(rng, case["in_shape"])
    _, y = prog.step(prog.init_state(()), x)
    np.testing.assert_array_equal(np.asarray(y["y"]), _conv_reference(case, w, b)(x))


def test_gradients_flow_through_conv_weight_and_bias():
    rng = np.random.default_rng(3)
    case = CONV_CASES["conv1d-groups-dilation-same"] | {"bias": True}
    node, w, b = _conv_node(case, rng)
    prog = snnir.compile(single(node, case["in_shape"]))
    xs = dyadic(rng, (T, 2) + case["in_shape"])
    ref = _conv_reference(case, w, b)
    r = dyadic(rng, ref(xs).shape)

    @eqx.filter_grad
    def grad(p):
        _, ys = p(p.init_state((2,)), xs)
        return jnp.sum(ys["y"] * r)

    g = grad(prog).kernels["conv"]
    # the loss is linear in (W, b): its gradient is the reference applied to unit weights
    want_w = np.zeros_like(w, dtype=np.float64)
    for idx in np.ndindex(*w.shape):
        unit = np.zeros_like(w)
        unit[idx] = 1.0
        want_w[idx] = np.sum(_conv_reference(case, unit, None)(xs) * r)
    want_b = r.sum(axis=(0, 1, 3))
    np.testing.assert_allclose(np.asarray(g.weight), want_w, rtol=1e-6)
    np.testing.assert_allclose(np.asarray(g.bias), want_b, rtol=1e-6)
    assert prog.trainable().kernels["conv"].weight is True


# ---------------------------------------------------------------------- pooling
POOL_CASES = {
    "max1d-ties": dict(kind=snnir.MaxPool1d, op="max", in_shape=(2, 6), kernel_size=2, threshold=0.25),
    "max1d-stride-pad-H0": dict(kind=snnir.MaxPool1d, op="max", in_shape=(2, 7), kernel_size=3, stride=2, padding=1,
                                threshold=0.5, fire_at_threshold=True),
    "max2d-channel-thresholds": dict(kind=snnir.MaxPool2d, op="max", in_shape=(2, 4, 4), kernel_size=2,
                                     threshold=np.array([[[0.25]], [[-0.5]]], np.float32)),
    "max2d-plain-same": dict(kind=snnir.MaxPool2d, op="max", in_shape=(2, 5, 4), kernel_size=(3, 2), stride=(1, 2),
                             padding="same", spiking=False),
    "avg1d-overlap-pad": dict(kind=snnir.AvgPool1d, op="avg", in_shape=(2, 5), kernel_size=2, stride=1, padding=1),
    "avg2d": dict(kind=snnir.AvgPool2d, op="avg", in_shape=(2, 4, 6), kernel_size=2),
    "avg2d-3x3-stride2-pad1": dict(kind=snnir.AvgPool2d, op="avg", in_shape=(1, 5, 5), kernel_size=3, stride=2,
                                   padding=1),
    "sum1d-valid": dict(kind=snnir.SumPool1d, op="sum", in_shape=(2, 7), kernel_size=3, stride=2, padding="valid"),
    "sum2d-same": dict(kind=snnir.SumPool2d, op="sum", in_shape=(2, 5, 5), kernel_size=2, stride=1, padding="SAME"),
    "sum2d-default-stride": dict(kind=snnir.SumPool2d, op="sum", in_shape=(3, 4, 6), kernel_size=(2, 3)),
}
POOL_FIELDS = ("kernel_size", "stride", "padding", "threshold", "spiking", "fire_at_threshold")
# one chain (pool -> LIF) per kind
POOL_CHAINS = {"max1d-ties", "max2d-channel-thresholds", "avg2d", "avg1d-overlap-pad", "sum1d-valid", "sum2d-same"}


def _pool_reference(case):
    n = len(case["in_shape"]) - 1
    k = case["kernel_size"]
    k = (k,) * n if isinstance(k, int) else k
    s = case.get("stride") or k
    s = (s,) * n if isinstance(s, int) else s
    pads = explicit_pads(str(case.get("padding", 0)).lower() if isinstance(case.get("padding"), str)
                         else case.get("padding", 0), case["in_shape"][1:], k, s)
    op = case["op"]

    def reference(xs):
        y = ref_pool(xs, op, k, s, pads)
        if op == "max" and case.get("spiking", True):
            z = y - case.get("threshold", 1.0)
            y = (z >= 0 if case.get("fire_at_threshold") else z > 0).astype(np.float64)
        return y

    return reference


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("name", list(POOL_CASES))
def test_pool_matches_reference(name, mode):
    case = POOL_CASES[name]
    node = case["kind"](id="pool", **{k: case[k] for k in POOL_FIELDS if k in case})
    check_single_and_chain(node, case["in_shape"], _pool_reference(case), mode, exact=name != "avg2d-3x3-stride2-pad1",
                           run_chain=name in POOL_CHAINS,
                           data_scale=1 if case["op"] == "max" else 4)  # larger sums make the LIF spike


def test_max_pool_spike_at_threshold_follows_fire_at_threshold():
    x = np.array([[[[1.0, 0.5, 0.25, 1.0, 0.75, 0.5]]]], np.float32)  # [T=1, B=1, C=1, L=6]
    for fire, want in [(False, [0.0, 0.0, 0.0]), (True, [1.0, 1.0, 0.0])]:  # window maxima 1, 1, 0.75; θ = 1
        node = snnir.MaxPool1d(id="pool", kernel_size=2, threshold=1.0, fire_at_threshold=fire)
        out = run(single(node, (1, 6)), x, "straight", batch=(1,))
        np.testing.assert_array_equal(out[0, 0, 0], want)


def test_spiking_max_pool_gradient_is_the_surrogate_at_the_window_maximum():
    rng = np.random.default_rng(5)
    x = rng.normal(size=(1, 3, 2, 6)).astype(np.float32)  # [T, B, C, L], distinct values: no ties
    theta, beta = 0.25, 4.0
    node = snnir.MaxPool1d(id="pool", kernel_size=3, threshold=theta,
                           surrogate=snnir.Surrogate(name="superspike", params={"beta": beta}))
    prog = snnir.compile(single(node, (2, 6)))
    state = prog.init_state((3,))
    grad = jax.grad(lambda xs: jnp.sum(prog(state, xs)[1]["y"]))(jnp.asarray(x))
    want = np.zeros_like(x, dtype=np.float64)
    for idx in np.ndindex(*x.shape[:-1]):
        for w0 in range(0, 6, 3):
            window = x[idx][w0: w0 + 3].astype(np.float64)
            j = int(np.argmax(window))
            want[idx + (w0 + j,)] = 1.0 / (1.0 + beta * abs(window[j] - theta)) ** 2
    np.testing.assert_allclose(np.asarray(grad), want, rtol=1e-5, atol=1e-7)


# ---------------------------------------------------------------------- layer norm
LN_CASES = {
    "whole-sample": dict(in_shape=(2, 5), opts={}, n_axes=2),
    "last-axis-affine": dict(in_shape=(3, 5), opts=dict(normalized_shape=(5,), weight=True, bias=True), n_axes=1),
    "two-axes-scalar-weight": dict(in_shape=(4, 2, 3), opts=dict(normalized_shape=(2, 3), weight=1.5, eps=0.25),
                                   n_axes=2),
}


def _ln_node(case, rng):
    opts = dict(case["opts"])
    norm = opts.get("normalized_shape") or case["in_shape"]
    if opts.get("weight") is True:
        opts["weight"] = dyadic(rng, norm) + 1.0
    if opts.get("bias") is True:
        opts["bias"] = dyadic(rng, norm)
    ref = lambda xs: ref_layer_norm(xs, case["n_axes"], opts.get("eps", 1e-5),  # noqa: E731
                                    None if opts.get("weight") is None else np.asarray(opts["weight"], np.float64),
                                    None if opts.get("bias") is None else np.asarray(opts["bias"], np.float64))
    return snnir.LayerNorm(id="ln", **opts), ref


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("name", list(LN_CASES))
def test_layer_norm_matches_reference(name, mode):
    case = LN_CASES[name]
    node, ref = _ln_node(case, np.random.default_rng(11))
    check_single_and_chain(node, case["in_shape"], ref, mode, exact=False, seed=2, run_chain=name == "last-axis-affine")


def test_gradients_flow_through_layer_norm_affine_parameters():
    rng = np.random.default_rng(4)
    case = LN_CASES["last-axis-affine"]
    node, _ = _ln_node(case, rng)
    prog = snnir.compile(single(node, case["in_shape"]))
    xs = dyadic(rng, (T, 2) + case["in_shape"])
    r = dyadic(rng, xs.shape)

    @eqx.filter_grad
    def grad(p):
        _, ys = p(p.init_state((2,)), xs)
        return jnp.sum(ys["y"] * r)

    g = grad(prog).kernels["ln"]
    xhat = ref_layer_norm(xs, 1, 1e-5)
    np.testing.assert_allclose(np.asarray(g.weight), (r * xhat).sum(axis=(0, 1, 2)), rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(np.asarray(g.bias), r.sum(axis=(0, 1, 2)), rtol=1e-6)
    spec = prog.trainable().kernels["ln"]
    assert spec.weight is True and spec.bias is True


# ---------------------------------------------------------------------- concat
def concat_graph(extra=None):
    """a (2, 3) and b (2, 1) into Concat(inputs=3, axis=-1) as in0=a, in1=b, in2=a; then ``extra``."""
    nodes = [snnir.Input(id="a", shape=(2, 3)), snnir.Input(id="b", shape=(2, 1)),
             snnir.Concat(id="cat", inputs=3, axis=-1)]
    edges = [snnir.Edge("a", "cat", dst_port="in0"), snnir.Edge("b", "cat", dst_port="in1"),
             snnir.Edge("a", "cat", dst_port="in2")]
    last = "cat"
    if extra is not None:
        nodes.append(extra)
        edges.append(snnir.Edge("cat", extra.id))
        last = extra.id
    nodes.append(snnir.Output(id="y"))
    edges.append(snnir.Edge(last, "y"))
    return snnir.Graph(nodes=nodes, edges=edges)


@pytest.mark.parametrize("mode", MODES)
def test_concat_matches_reference(mode):
    rng = np.random.default_rng(9)
    xs = {"a": dyadic(rng, (T,) + BATCH + (2, 3)) * 4, "b": dyadic(rng, (T,) + BATCH + (2, 1)) * 4}
    want = np.concatenate([xs["a"], xs["b"], xs["a"]], axis=-1).astype(np.float64)
    assert concat_graph().node("cat").INPUT_PORTS == ("in0", "in1", "in2")
    prog = snnir.compile(concat_graph(), mode=mode)
    _, ys = prog(prog.init_state(BATCH), xs)
    np.testing.assert_array_equal(np.asarray(ys["y"]), want)
    lif = snnir.LIF(id="lif", shape=(2, 7), decay=LIF_DECAY, threshold=LIF_THRESHOLD)
    prog = snnir.compile(concat_graph(lif), mode=mode)
    _, ys = prog(prog.init_state(BATCH), xs)
    spikes = ref_lif(delayed(want) if mode == "delayed" else want)
    assert spikes.any()
    np.testing.assert_array_equal(np.asarray(ys["y"]), spikes)


def test_concat_along_the_first_axis_sums_edges_into_one_port():
    g = snnir.Graph(
        nodes=[snnir.Input(id="x", shape=(1, 2)), snnir.Scale(id="s", scale=2.0), snnir.Concat(id="cat"),
               snnir.Output(id="y")],
        edges=[snnir.Edge("x", "cat", dst_port="in0"), snnir.Edge("x", "s"), snnir.Edge("s", "cat", dst_port="in0"),
               snnir.Edge("s", "cat", dst_port="in1"), ("cat", "y")])
    xs = np.arange(4, dtype=np.float32).reshape(1, 2, 1, 2)
    out = run(g, xs, "straight", batch=(2,))
    np.testing.assert_array_equal(out, np.concatenate([3 * xs, 2 * xs], axis=2))


# ---------------------------------------------------------------------- Linear mask
def _masked_linear(rng, bias=True):
    w = dyadic(rng, (3, 4)) * 2
    mask = rng.integers(0, 2, size=(3, 4)).astype(bool)
    b = dyadic(rng, (3,)) if bias else None
    return snnir.Linear(id="fc", weight=w, bias=b, mask=mask), w, mask, b


@pytest.mark.parametrize("mode", MODES)
def test_linear_mask_matches_reference(mode):
    node, w, mask, b = _masked_linear(np.random.default_rng(0))
    assert node.mask.dtype == np.int32 and node.trainable == ("weight", "bias")
    ref = lambda xs: xs.astype(np.float64) @ (w * mask).T.astype(np.float64) + b  # noqa: E731
    check_single_and_chain(node, (4,), ref, mode)


def test_masked_weights_get_no_gradient_and_the_mask_never_trains():
    node, w, mask, b = _masked_linear(np.random.default_rng(1))
    prog = snnir.compile(single(node, (4,)))
    xs = np.ones((2, 1, 4), np.float32)

    @eqx.filter_grad
    def grad(p):
        return jnp.sum(p(p.init_state((1,)), xs)[1]["y"])

    g = grad(prog).kernels["fc"]
    np.testing.assert_array_equal(np.asarray(g.weight), 2.0 * mask)
    assert g.mask is None  # an integer leaf: not differentiable
    assert prog.trainable().kernels["fc"].mask is False
    assert prog.to_graph() == single(node, (4,))


def test_linear_mask_validation():
    w = np.ones((2, 3), np.float32)
    with pytest.raises(snnir.InvalidIRError, match="0 or 1"):
        snnir.Linear(id="fc", weight=w, mask=[[0, 2, 1], [1, 1, 1]])
    assert snnir.Linear(id="fc", weight=w, mask=[[True, False, True], [1, 1, 0]]).mask.tolist() == [[1, 0, 1], [1, 1, 0]]
    with pytest.raises(snnir.InvalidIRError):
        snnir.Linear(id="fc", weight=w, mask=w, trainable=("mask",))
    g = single(snnir.Linear(id="fc", weight=w, mask=np.ones((3, 2), np.int32)), (3,))
    diag = _one_error(g, "bad-parameter")
    assert diag.nodes == ("fc",) and "mask has shape (3, 2)" in diag.message


# ---------------------------------------------------------------------- verification errors
def _one_error(graph, code):
    with pytest.raises(snnir.VerifyError) as info:
        snnir.verify(graph)
    errors = [d for d in info.value.diagnostics if d.severity == "error"]
    assert [d.code for d in errors] == [code], info.value
    return errors[0]


@pytest.mark.parametrize("node, in_shape, words", [
    (snnir.Conv2d(id="bad", weight=np.ones((4, 3, 3, 3), np.float32)), (2, 8, 8), "expects 3 input channels"),
    (snnir.Conv2d(id="bad", weight=np.ones((4, 1, 3, 3), np.float32), groups=2), (3, 8, 8), "not a multiple of groups"),
    (snnir.Conv1d(id="bad", weight=np.ones((4, 2, 3), np.float32)), (2, 8, 8), "channels-first inputs (C, L)"),
    (snnir.Conv2d(id="bad", weight=np.ones((1, 1, 3, 3), np.float32), dilation=2), (1, 4, 9), "effective kernel (5, 5)"),
    (snnir.Conv1d(id="bad", weight=np.ones((1, 1, 5), np.float32), padding=1), (1, 2), "larger than its padded input"),
    (snnir.MaxPool2d(id="bad", kernel_size=2), (8, 8), "pools channels-first inputs (C, H, W)"),
    (snnir.SumPool1d(id="bad", kernel_size=4), (1, 3), "kernel_size (4,) larger than its padded input"),
    (snnir.LayerNorm(id="bad", normalized_shape=(4,)), (4, 3), "normalises trailing axes (4,)"),
])
def test_shape_errors_name_the_node(node, in_shape, words):
    diag = _one_error(single(node, in_shape), "shape-mismatch")
    assert diag.nodes == ("bad",)
    assert "'bad'" in diag.message and words in diag.message, diag.message


@pytest.mark.parametrize("node, in_shape, words", [
    (snnir.Conv1d(id="bad", weight=np.ones((3, 1, 2), np.float32), groups=2), (2, 5), "groups=2 does not divide the 3"),
    (snnir.Conv1d(id="bad", weight=np.ones((3, 1, 2), np.float32), bias=np.ones(2, np.float32)), (1, 5), "bias has shape"),
    (snnir.AvgPool1d(id="bad", kernel_size=2, padding=2), (1, 8), "not smaller than kernel_size"),
    (snnir.MaxPool1d(id="bad", kernel_size=2, threshold=np.ones(3, np.float32)), (2, 4), "threshold has shape (3,)"),
    (snnir.LayerNorm(id="bad", weight=np.ones(3, np.float32)), (2, 4), "weight has shape (3,)"),
    (snnir.LayerNorm(id="bad", normalized_shape=(4,), bias=np.ones((2, 4), np.float32)), (2, 4), "bias has shape (2, 4)"),
])
def test_parameter_errors_name_the_node(node, in_shape, words):
    diag = _one_error(single(node, in_shape), "bad-parameter")
    assert diag.nodes == ("bad",) and words in diag.message, diag.message


@pytest.mark.parametrize("cat, shapes, words", [
    (snnir.Concat(id="cat", axis=1), [(2, 3), (3, 3)], "differ on other axes"),
    (snnir.Concat(id="cat"), [(2, 3), (3,)], "different ranks"),
    (snnir.Concat(id="cat", axis=2), [(2, 3), (2, 3)], "joins along axis 2"),
])
def test_concat_shape_errors(cat, shapes, words):
    inputs = [snnir.Input(id=f"x{i}", shape=s) for i, s in enumerate(shapes)]
    g = snnir.Graph(nodes=inputs + [cat, snnir.Output(id="y")],
                    edges=[snnir.Edge(f"x{i}", "cat", dst_port=f"in{i}") for i in range(len(shapes))] + [("cat", "y")])
    diag = _one_error(g, "shape-mismatch")
    assert diag.nodes == ("cat",) and words in diag.message, diag.message


def test_concat_ports_are_checked():
    x = snnir.Input(id="x", shape=(2,))
    g = snnir.Graph(nodes=[x, snnir.Concat(id="cat", inputs=2), snnir.Output(id="y")],
                    edges=[snnir.Edge("x", "cat", dst_port="in0"), ("cat", "y")])
    with pytest.raises(snnir.VerifyError) as info:
        snnir.verify(g)
    missing = [d for d in info.value.diagnostics if d.code == "missing-input"]
    assert len(missing) == 1 and "'in1'" in missing[0].message and missing[0].nodes == ("cat",)
    g = snnir.Graph(nodes=[x, snnir.Concat(id="cat", inputs=1), snnir.Output(id="y")],
                    edges=[("x", "cat"), snnir.Edge("x", "cat", dst_port="in0"), ("cat", "y")])
    diag = _one_error(g, "unknown-port")
    assert "['in0']" in diag.message
    assert snnir.Concat.model_fields["inputs"].default == 2 and snnir.Linear(id="l", weight=[[1.0]]).INPUT_PORTS == ("in",)


@pytest.mark.parametrize("make", [
    lambda: snnir.Conv2d(id="c", weight=np.ones((1, 1, 3), np.float32)),
    lambda: snnir.Conv2d(id="c", weight=np.ones((1, 1, 3, 3), np.float32), stride=0),
    lambda: snnir.Conv2d(id="c", weight=np.ones((1, 1, 3, 3), np.float32), stride=(1, 1, 1)),
    lambda: snnir.Conv1d(id="c", weight=np.ones((1, 1, 3), np.float32), padding="full"),
    lambda: snnir.Conv1d(id="c", weight=np.ones((1, 1, 3), np.float32), padding=-1),
    lambda: snnir.Conv1d(id="c", weight=np.ones((1, 1, 3), np.float32), groups=0),
    lambda: snnir.MaxPool2d(id="p", kernel_size=(2, 0)),
    lambda: snnir.SumPool1d(id="p", kernel_size=True),
    lambda: snnir.LayerNorm(id="n", eps=0.0),
    lambda: snnir.LayerNorm(id="n", normalized_shape=()),
    lambda: snnir.Concat(id="c", inputs=0),
])
def test_invalid_fields_are_refused_on_construction(make):
    with pytest.raises(snnir.InvalidIRError):
        make()


# ---------------------------------------------------------------------- files, printing, to_graph
def zoo():
    rng = np.random.default_rng(0)
    b = [snnir.Input(id="img", shape=(2, 8, 8)), snnir.Input(id="seq", shape=(2, 8))]
    b += [
        snnir.Conv2d(id="c2", weight=dyadic(rng, (4, 1, 3, 3)), bias=dyadic(rng, (4,)), groups=2, padding="same"),
        snnir.MaxPool2d(id="mp2", kernel_size=2, threshold=0.5, surrogate="arctan", fire_at_threshold=True),
        snnir.AvgPool2d(id="ap2", kernel_size=2, padding=((0, 1), 1), stride=(2, 1)),
        snnir.SumPool2d(id="sp2", kernel_size=2, stride=1),
        snnir.Flatten(id="f2"),
        snnir.Conv1d(id="c1", weight=dyadic(rng, (2, 2, 3)), stride=2, padding=1, dilation=1),
        snnir.MaxPool1d(id="mp1", kernel_size=2, spiking=False),
        snnir.AvgPool1d(id="ap1", kernel_size=2, stride=1),
        snnir.SumPool1d(id="sp1", kernel_size=1, padding="valid"),
        snnir.Flatten(id="f1"),
        snnir.Concat(id="cat", inputs=2, axis=0),
        snnir.LayerNorm(id="ln", weight=np.ones(18, np.float32), bias=np.zeros(18, np.float32), eps=1e-3),
        snnir.Linear(id="fc", weight=dyadic(rng, (3, 18)), mask=rng.integers(0, 2, (3, 18))),
        snnir.Output(id="y"),
    ]
    chain2 = ["img", "c2", "mp2", "ap2", "sp2", "f2"]
    chain1 = ["seq", "c1", "mp1", "ap1", "sp1", "f1"]
    edges = list(zip(chain2, chain2[1:])) + list(zip(chain1, chain1[1:]))
    edges += [snnir.Edge("f2", "cat", dst_port="in0"), snnir.Edge("f1", "cat", dst_port="in1"), ("cat", "ln"),
              ("ln", "fc"), ("fc", "y")]
    return snnir.Graph(nodes=b, edges=edges)


def test_zoo_round_trips_through_files_and_programs(tmp_path):
    g = zoo()
    snnir.verify(g)
    for name in ("zoo.json", "zoo.snnir"):
        assert snnir.load(snnir.save(g, tmp_path / name)) == g
    for mode in MODES:
        assert snnir.compile(g, mode=mode).to_graph() == g


def test_zoo_shapes_and_printing():
    g = zoo()
    prog = snnir.compile(g)
    assert prog.output_shapes == {"y": (3,)}
    text = str(g)
    assert "c2: Conv2d(img) padding=same groups=2 weight=f32[4,1,3,3] bias=f32[4]" in text
    assert "mp2: MaxPool2d(c2) kernel_size=(2,2) fire_at_threshold=True surrogate=arctan(beta=2) threshold=0.5" in text
    assert "cat: Concat(in0=f2, in1=f1)" in text
    assert "fc: Linear(ln) weight=f32[3,18] mask=i32[3,18]" in text
    assert str(g) == str(snnir.Graph.model_validate_json(g.model_dump_json()))


# ---------------------------------------------------------------------- BatchNorm
def batch_norm_reference(xs, over, weight, bias, eps, momentum, inference=False, mean0=None, var0=None):
    """xs [T, B, C, *spatial]; explicit statistics per channel (or per element) at every step."""
    stat_axes = (0,) + tuple(range(2, xs.ndim - 1)) if over == "channel" else (0,)
    stat_shape = xs.shape[2:3] if over == "channel" else xs.shape[2:]
    m = np.zeros(stat_shape) if mean0 is None else mean0
    s = np.ones(stat_shape) if var0 is None else var0

    def spread(a):
        a = np.asarray(a, np.float64)
        return a.reshape(a.shape + (1,) * (xs.ndim - 3)) if over == "channel" and a.ndim else a

    ys = []
    for x in xs.astype(np.float64):
        if inference:
            mu, var = spread(m), spread(s)
        else:
            mu = x.mean(axis=stat_axes, keepdims=True)
            var = ((x - mu) ** 2).mean(axis=stat_axes, keepdims=True)
            n = np.prod([x.shape[a] for a in stat_axes])
            m = (1 - momentum) * m + momentum * mu.reshape(stat_shape)
            s = (1 - momentum) * s + momentum * var.reshape(stat_shape) * n / (n - 1)
        ys.append((x - mu) / np.sqrt(var + eps) * spread(weight) + spread(bias))
    return np.stack(ys), m, s


@pytest.mark.parametrize("over, shape", [("channel", (3, 4)), ("element", (3,)), ("channel", (2,))])
@pytest.mark.parametrize("mode", MODES)
def test_batch_norm_trains_on_batch_statistics_and_keeps_running_ones(over, shape, mode):
    rng = np.random.default_rng(5)
    stat = shape[:1] if over == "channel" else shape
    weight = rng.uniform(0.5, 2, stat).astype(np.float32)
    bias = rng.uniform(-1, 1, stat).astype(np.float32)
    node = snnir.BatchNorm(id="bn", over=over, weight=weight, bias=bias, momentum=0.25, eps=1e-3)
    graph = snnir.Graph(nodes=[snnir.Input(id="x", shape=shape), node, snnir.Output(id="y")],
                        edges=[snnir.Edge("x", "bn"), snnir.Edge("bn", "y")])
    xs = rng.normal(1.0, 2.0, (5, 4) + shape).astype(np.float32)
    prog = snnir.compile(graph, mode=mode)
    state, ys = prog(prog.init_state((4,)), jnp.asarray(xs))
    expected, m, s = batch_norm_reference(xs, over, weight, bias, 1e-3, 0.25)
    np.testing.assert_allclose(np.asarray(ys["y"]), expected, rtol=1e-4, atol=1e-4)
    for b in range(4):  # every sample holds the same copy of the running statistics
        np.testing.assert_allclose(np.asarray(state["bn"]["mean"][b]), m, rtol=1e-5, atol=1e-5)
        np.testing.assert_allclose(np.asarray(state["bn"]["var"][b]), s, rtol=1e-5, atol=1e-5)
    # inference uses the running statistics and leaves them alone
    frozen = eqx.nn.inference_mode(prog)
    state2, ys2 = frozen(state, jnp.asarray(xs))
    expected2, _, _ = batch_norm_reference(xs, over, weight, bias, 1e-3, 0.25, inference=True, mean0=m, var0=s)
    np.testing.assert_allclose(np.asarray(ys2["y"]), expected2, rtol=1e-4, atol=1e-4)
    np.testing.assert_array_equal(np.asarray(state2["bn"]["mean"]), np.asarray(state["bn"]["mean"]))


def test_batch_norm_parameter_shapes_are_checked():
    graph = snnir.Graph(nodes=[snnir.Input(id="x", shape=(3, 4)),
                               snnir.BatchNorm(id="bn", weight=np.ones(4, np.float32)), snnir.Output(id="y")],
                        edges=[snnir.Edge("x", "bn"), snnir.Edge("bn", "y")])
    with pytest.raises(snnir.VerifyError, match="bn.*statistic shape"):
        snnir.verify(graph)
