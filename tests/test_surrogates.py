"""Surrogate gradients: the forward is the Heaviside step, the gradient is the documented formula.

The reference formulas below are written independently with numpy (float64), from the table in
snnir/ir/surrogate.py and the peers' notes; the kernels must match them in float32 and, tightly, in
float64.
"""

from __future__ import annotations

import inspect

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import snnir
from snnir.ir.surrogate import SURROGATE_DEFAULTS
from snnir.kernels import SURROGATE_GRADIENTS, spike_function

NAMES = sorted(SURROGATE_DEFAULTS)


# ---------------------------------------------------------------------- independent reference formulas
def _ref_superspike(x, beta):
    return 1.0 / (1.0 + beta * np.abs(x)) ** 2


def _ref_superspike_unsquared(x, beta):
    return 1.0 / (1.0 + beta * np.abs(x))


def _ref_boxcar(x, width, height):
    return np.where(np.abs(x) < width / 2.0, height, 0.0)


def _ref_sigmoid(x, beta):
    s = 1.0 / (1.0 + np.exp(-beta * x))
    return beta * s * (1.0 - s)


def _ref_arctan(x, beta):
    return 1.0 / (np.pi * (1.0 + (beta * np.pi * x) ** 2))


def _ref_tanh(x, beta):
    return 1.0 / np.cosh(beta * x) ** 2


def _ref_triangular(x, beta):
    return np.maximum(0.0, 1.0 - np.abs(beta * x))


def _ref_ste(x):
    return np.ones_like(x)


REFERENCE = {
    "superspike": _ref_superspike,
    "superspike_unsquared": _ref_superspike_unsquared,
    "boxcar": _ref_boxcar,
    "sigmoid": _ref_sigmoid,
    "arctan": _ref_arctan,
    "tanh": _ref_tanh,
    "triangular": _ref_triangular,
    "ste": _ref_ste,
}

# non-default parameters (several are the peers' own defaults)
NON_DEFAULT = {
    "superspike": {"beta": 25.0},                 # Spyx superspike(k=25)
    "superspike_unsquared": {"beta": 1.5},
    "boxcar": {"width": 2.0, "height": 0.5},      # Spyx boxcar(2, .5): edges at +-1
    "sigmoid": {"beta": 4.0},
    "arctan": {"beta": 1.0},
    "tanh": {"beta": 2.5},
    "triangular": {"beta": 0.5},
    "ste": {},
}

# float32-exact points: negative, zero, positive, both edges of both boxcars (+-0.5 and +-1)
POINTS = np.array([-3.0, -1.0, -0.75, -0.5, -0.4, -0.25, -0.0625, 0.0, 0.0625, 0.25, 0.3, 0.5,
                   0.625, 1.0, 1.5, 3.0])


def _static(params: dict) -> tuple:
    return tuple(sorted((k, float(v)) for k, v in params.items()))


def _grad_at(fn, points, dtype):
    """The elementwise derivative of ``fn`` at ``points`` (via reverse mode, scalar by scalar)."""
    xs = jnp.asarray(points, dtype)
    return jax.vmap(jax.grad(fn))(xs)


# ---------------------------------------------------------------------- registries
def test_kernel_and_ir_registries_have_the_same_names():
    assert set(SURROGATE_GRADIENTS) == set(SURROGATE_DEFAULTS)
    assert set(REFERENCE) == set(SURROGATE_DEFAULTS), "a new surrogate needs a reference formula here"


@pytest.mark.parametrize("name", NAMES)
def test_kernel_takes_exactly_the_ir_parameters(name):
    signature = inspect.signature(SURROGATE_GRADIENTS[name])
    names = [p for p in signature.parameters if p != "x"]
    assert set(names) == set(SURROGATE_DEFAULTS[name])
    # and the IR's static form builds a working spike function
    fn = spike_function(*snnir.Surrogate(name=name).as_static())
    assert float(jax.grad(fn)(jnp.float32(0.0))) >= 0.0


# ---------------------------------------------------------------------- forward: Heaviside
@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("fire_at_threshold", [False, True])
@pytest.mark.parametrize("dtype", ["float32", "bfloat16", "float16"])
def test_forward_is_heaviside(name, fire_at_threshold, dtype):
    fn = spike_function(name, _static(SURROGATE_DEFAULTS[name]), fire_at_threshold)
    x = jnp.asarray(np.concatenate([POINTS, [-np.inf, np.inf, -1e-3, 1e-3]]), dtype)
    y = fn(x)
    assert y.dtype == x.dtype
    expected = (np.asarray(x, np.float64) >= 0) if fire_at_threshold else (np.asarray(x, np.float64) > 0)
    np.testing.assert_array_equal(np.asarray(y, np.float64), expected.astype(np.float64))
    assert float(fn(jnp.asarray(0.0, dtype))) == (1.0 if fire_at_threshold else 0.0)


def test_forward_keeps_float64():
    with jax.enable_x64(True):
        fn = spike_function("superspike", (("beta", 10.0),), False)
        x = jnp.asarray(POINTS, jnp.float64)
        y = fn(x)
        assert y.dtype == jnp.float64
        assert jax.grad(lambda v: fn(v).sum())(x).dtype == jnp.float64
        np.testing.assert_array_equal(np.asarray(y), (POINTS > 0).astype(np.float64))


# ---------------------------------------------------------------------- backward: the formulas
@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("which", ["default", "non_default"])
@pytest.mark.parametrize("fire_at_threshold", [False, True])
def test_gradient_matches_formula_float32(name, which, fire_at_threshold):
    params = SURROGATE_DEFAULTS[name] if which == "default" else NON_DEFAULT[name]
    fn = spike_function(name, _static(params), fire_at_threshold)
    got = _grad_at(fn, POINTS, jnp.float32)
    assert got.dtype == jnp.float32
    want = REFERENCE[name](POINTS.astype(np.float32).astype(np.float64), **params)
    np.testing.assert_allclose(np.asarray(got, np.float64), want, rtol=1e-5, atol=1e-7)


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("which", ["default", "non_default"])
def test_gradient_matches_formula_float64(name, which):
    params = SURROGATE_DEFAULTS[name] if which == "default" else NON_DEFAULT[name]
    points = np.concatenate([POINTS, np.linspace(-2.0, 2.0, 17) + 1 / 3])
    with jax.enable_x64(True):
        fn = spike_function(name, _static(params), False)
        got = _grad_at(fn, points, jnp.float64)
        assert got.dtype == jnp.float64
    np.testing.assert_allclose(np.asarray(got), REFERENCE[name](points, **params), rtol=1e-12, atol=1e-15)


@pytest.mark.parametrize("name", NAMES)
def test_forward_mode_and_batched_gradient_agree(name):
    params = NON_DEFAULT[name]
    fn = spike_function(name, _static(params), False)
    x = jnp.asarray(POINTS.reshape(4, 4), jnp.float32)
    want = REFERENCE[name](POINTS.reshape(4, 4), **params)
    tol = dict(rtol=1e-5, atol=1e-7)
    # reverse mode on an array (elementwise, so grad of the sum is the derivative)
    np.testing.assert_allclose(np.asarray(jax.grad(lambda v: fn(v).sum())(x)), want, **tol)
    # forward mode
    y, dy = jax.jvp(fn, (x,), (jnp.ones_like(x),))
    np.testing.assert_array_equal(np.asarray(y), (POINTS.reshape(4, 4) > 0).astype(np.float32))
    np.testing.assert_allclose(np.asarray(dy), want, **tol)
    # under jit
    np.testing.assert_allclose(np.asarray(jax.jit(jax.grad(lambda v: fn(v).sum()))(x)), want, **tol)


@pytest.mark.parametrize("dtype", ["bfloat16", "float16"])
@pytest.mark.parametrize("name", NAMES)
def test_gradient_keeps_low_precision_dtype(name, dtype):
    fn = spike_function(name, _static(SURROGATE_DEFAULTS[name]), False)
    x = jnp.asarray(POINTS, dtype)
    got = jax.grad(lambda v: fn(v).sum())(x)
    assert got.dtype == x.dtype
    want = REFERENCE[name](np.asarray(x, np.float64), **SURROGATE_DEFAULTS[name])
    # one unit in the last place of bfloat16 is 2**-8 relative
    np.testing.assert_allclose(np.asarray(got, np.float64), want, rtol=2e-2, atol=1e-3)


@pytest.mark.parametrize("name", NAMES)
def test_gradients_are_even(name):
    """Every surrogate's derivative is an even function of x, so the float32 kernel must be symmetric
    (a sigmoid written as s(1 - s) fails this: 1 - s cancels for large positive x)."""
    fn = spike_function(name, _static(NON_DEFAULT[name]), False)
    x = np.abs(POINTS)
    np.testing.assert_allclose(np.asarray(_grad_at(fn, x, jnp.float32)), np.asarray(_grad_at(fn, -x, jnp.float32)),
                               rtol=1e-6, atol=0)


def test_superspike_unsquared_matches_snnax_values():
    """SNNAX's superspike_surrogate(beta=10), values checked against SNNAX itself."""
    fn = spike_function("superspike_unsquared", (("beta", 10.0),), False)
    got = _grad_at(fn, [-1.0, -0.4, 0.0, 0.3], jnp.float32)
    np.testing.assert_allclose(np.asarray(got), [1 / 11, 0.2, 1.0, 0.25], rtol=1e-6)
    np.testing.assert_allclose(float(got[0]), 0.0909090909, rtol=1e-6)


def test_superspike_is_squared():
    fn = spike_function("superspike", (("beta", 10.0),), False)
    got = _grad_at(fn, [-1.0, -0.4, 0.0, 0.3], jnp.float32)
    np.testing.assert_allclose(np.asarray(got), [1 / 121, 0.04, 1.0, 0.0625], rtol=1e-6)


def test_boxcar_is_strict_at_the_edges():
    fn = spike_function("boxcar", _static(SURROGATE_DEFAULTS["boxcar"]), False)  # width 1, height 1
    got = _grad_at(fn, [-0.5, -0.49, 0.0, 0.49, 0.5, 0.51], jnp.float32)
    np.testing.assert_array_equal(np.asarray(got), [0.0, 1.0, 1.0, 1.0, 0.0, 0.0])
    fn = spike_function("boxcar", (("height", 0.5), ("width", 2.0)), True)
    got = _grad_at(fn, [-1.0, -0.99, 0.0, 0.99, 1.0], jnp.float32)
    np.testing.assert_array_equal(np.asarray(got), [0.0, 0.5, 0.5, 0.5, 0.0])


def test_triangular_vanishes_outside_its_support():
    fn = spike_function("triangular", (("beta", 2.0),), False)
    got = _grad_at(fn, [-1.0, -0.5, -0.25, 0.0, 0.25, 0.5, 1.0], jnp.float32)
    np.testing.assert_allclose(np.asarray(got), [0.0, 0.0, 0.5, 1.0, 0.5, 0.0, 0.0], atol=0)


def test_spike_function_is_cached_per_configuration():
    a = spike_function("arctan", (("beta", 2.0),), False)
    assert spike_function("arctan", (("beta", 2.0),), False) is a
    assert spike_function("arctan", (("beta", 2.0),), True) is not a


# ---------------------------------------------------------------------- the IR model
def _lif(**fields):
    return snnir.LIF(id="a", shape=(2,), decay=0.5, **fields)


@pytest.mark.parametrize("name", NAMES)
def test_ir_defaults_are_filled_in(name):
    assert snnir.Surrogate(name=name).params == SURROGATE_DEFAULTS[name]
    node = _lif(surrogate=name)  # a plain string is accepted
    assert node.surrogate.name == name
    assert node.surrogate.params == SURROGATE_DEFAULTS[name]
    assert node.surrogate == snnir.Surrogate(name=name)
    assert node.surrogate.as_static() == (name, _static(SURROGATE_DEFAULTS[name]))


def test_ir_default_surrogate_is_superspike():
    assert _lif().surrogate == snnir.Surrogate(name="superspike", params={"beta": 10.0})


def test_ir_partial_parameters_keep_the_other_defaults():
    node = _lif(surrogate={"name": "boxcar", "params": {"width": 2}})
    assert node.surrogate.params == {"width": 2.0, "height": 1.0}
    assert all(isinstance(v, float) for v in node.surrogate.params.values())
    node = _lif(surrogate=snnir.Surrogate(name="superspike", params={"beta": 25}))
    assert node.surrogate.params == {"beta": 25.0}
    assert node.surrogate.as_static() == ("superspike", (("beta", 25.0),))


def test_ir_unknown_name_is_invalid_ir():
    with pytest.raises(snnir.InvalidIRError) as err:
        _lif(surrogate={"name": "nope"})
    assert "nope" in str(err.value) and "'a'" in str(err.value)
    assert "superspike" in str(err.value)  # names the choices
    with pytest.raises(snnir.InvalidIRError):
        _lif(surrogate="nope")


def test_ir_unknown_parameter_is_invalid_ir():
    with pytest.raises(snnir.InvalidIRError) as err:
        _lif(surrogate={"name": "superspike", "params": {"k": 25.0}})
    assert "k" in str(err.value) and "beta" in str(err.value)
    with pytest.raises(snnir.InvalidIRError):
        _lif(surrogate={"name": "ste", "params": {"beta": 1.0}})
    with pytest.raises(snnir.InvalidIRError):
        _lif(surrogate={"name": "tanh", "params": {"beta": 1.0}, "extra": 1})


@pytest.mark.parametrize("bad", [float("nan"), float("inf"), -float("inf")])
def test_ir_non_finite_parameter_is_invalid_ir(bad):
    with pytest.raises(snnir.InvalidIRError):
        _lif(surrogate={"name": "sigmoid", "params": {"beta": bad}})


def test_ir_surrogate_in_every_spiking_kind():
    for node in (snnir.IF(id="a", shape=(2,), surrogate="tanh"),
                 snnir.CubaLIF(id="a", shape=(2,), syn_decay=0.5, mem_decay=0.5, surrogate="tanh")):
        assert node.surrogate == snnir.Surrogate(name="tanh")
    with pytest.raises(snnir.InvalidIRError):
        snnir.IF(id="a", shape=(2,), surrogate="nope")


def test_direct_surrogate_construction_raises_invalid_ir():
    with pytest.raises(snnir.InvalidIRError, match="nope"):
        snnir.Surrogate(name="nope")
    with pytest.raises(snnir.InvalidIRError, match="beta"):
        snnir.Surrogate(name="superspike", params={"k": 1.0})
    with pytest.raises(snnir.InvalidIRError, match="finite"):
        snnir.Surrogate(name="tanh", params={"beta": float("nan")})
    with pytest.raises(ValueError):  # the builtin base class works too
        snnir.Surrogate(name="nope")
    assert snnir.Surrogate("tanh") == snnir.Surrogate(name="tanh")  # the name may be positional


def test_ir_surrogate_is_frozen_and_hashable():
    s = snnir.Surrogate(name="arctan", params={"beta": 3})
    assert hash(s) == hash(snnir.Surrogate(name="arctan", params={"beta": 3.0}))
    with pytest.raises(Exception):
        s.name = "tanh"  # type: ignore[misc]


def test_ir_surrogate_survives_json_round_trip():
    node = _lif(surrogate={"name": "boxcar", "params": {"width": 2, "height": 0.5}})
    again = type(node).model_validate(node.model_dump(mode="json"))
    assert again.surrogate == node.surrogate
    g = snnir.Graph(nodes=[snnir.Input(id="x", shape=(2,)), node, snnir.Output(id="y")],
                    edges=[snnir.Edge("x", "a"), snnir.Edge("a", "y")])
    assert snnir.Graph.model_validate_json(g.model_dump_json()) == g


def test_lowering_passes_the_surrogate_to_the_kernel():
    g = snnir.Graph(
        nodes=[snnir.Input(id="x", shape=(2,)),
               _lif(surrogate={"name": "superspike", "params": {"beta": 25}}, fire_at_threshold=True),
               snnir.Output(id="y")],
        edges=[snnir.Edge("x", "a"), snnir.Edge("a", "y")])
    kernel = snnir.compile(g).kernels["a"]
    assert kernel.surrogate == ("superspike", (("beta", 25.0),))
    assert kernel.fire_at_threshold is True


# ---------------------------------------------------------------------- a Python spike function
def _user_spike():
    @jax.custom_jvp
    def spike(x):
        return jnp.heaviside(x, 1.0)

    spike.defjvp(lambda primals, tangents: (spike(primals[0]), 0.5 * tangents[0]))
    return spike


def test_a_python_spike_function_is_the_surrogate_forward_and_backward():
    from snnir.ir.surrogate import Surrogate

    fn = _user_spike()
    surrogate = Surrogate.from_function(fn)
    assert surrogate == Surrogate.from_function(fn) and hash(surrogate) == hash(Surrogate.from_function(fn))
    assert surrogate != Surrogate.from_function(_user_spike())
    spike = spike_function(*surrogate.as_static())
    assert float(spike(jnp.float32(0.0))) == 1.0
    assert float(jax.grad(spike)(jnp.float32(0.3))) == 0.5
    assert spike(jnp.zeros((), jnp.bfloat16)).dtype == jnp.bfloat16


def test_an_unregistered_spike_function_is_not_storable_and_a_registered_one_round_trips():
    from snnir.ir.surrogate import Surrogate, register_spike_function

    fn = _user_spike()
    assert not Surrogate.from_function(fn).storable
    register_spike_function(fn, "tests.half_gradient_spike")
    stored = Surrogate.from_function(fn)
    assert stored.storable and stored.model_dump(mode="json") == {
        "name": "function", "params": {}, "function": "tests.half_gradient_spike"}
    again = Surrogate.model_validate_json(stored.model_dump_json())
    assert again == stored and again.as_static() == stored.as_static()
    assert Surrogate(name="boxcar").model_dump(mode="json") == {"name": "boxcar", "params": {"width": 1.0, "height": 1.0}}
    with pytest.raises(ValueError, match="not registered"):
        Surrogate.model_validate({"name": "function", "function": "tests.nobody"})
    with pytest.raises(ValueError, match="taken"):
        register_spike_function(_user_spike(), "tests.half_gradient_spike")
