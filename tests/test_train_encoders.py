"""snnir.train's spike encoders against plain-numpy versions of snnTorch's and Spyx's algorithms."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import snnir
from snnir import train as st


# ------------------------------------------------------------------------------------------- rate code
def test_rate_code_shape_dtype_and_determinism():
    key = jax.random.key(0)
    x = jnp.array([[0.0, 0.5, 1.0]])
    s = st.rate_code(key, x, 20)
    assert s.shape == (20, 1, 3) and s.dtype == jnp.float32
    assert set(np.unique(np.asarray(s))) <= {0.0, 1.0}
    np.testing.assert_array_equal(s, st.rate_code(key, x, 20))
    assert float(s[:, 0, 0].sum()) == 0.0 and float(s[:, 0, 2].sum()) == 20.0     # p = 0 and p = 1
    assert st.rate_code(key, x, 20, time_axis=1).shape == (1, 20, 3)


def test_rate_code_fires_at_the_clipped_rate():
    x = jnp.array([0.1, 0.3, 0.6, 1.5, -1.0])
    s = np.asarray(st.rate_code(jax.random.key(1), x, 20000, gain=1.0))
    np.testing.assert_allclose(s.mean(0), [0.1, 0.3, 0.6, 1.0, 0.0], atol=0.015)
    s = np.asarray(st.rate_code(jax.random.key(2), x, 20000, gain=0.5, offset=0.1))
    np.testing.assert_allclose(s.mean(0), np.clip(np.asarray(x) * 0.5 + 0.1, 0, 1), atol=0.015)


def test_rate_code_first_spike_time_and_time_varying_input():
    key = jax.random.key(3)
    s = st.rate_code(key, jnp.ones((2,)), 6, first_spike_time=2)
    np.testing.assert_array_equal(s, [[0, 0]] * 2 + [[1, 1]] * 4)
    tv = st.rate_code(key, jnp.ones((4, 2)), None, first_spike_time=3)     # zeros prepended, as snnTorch
    np.testing.assert_array_equal(tv, [[0, 0]] * 3 + [[1, 1]] * 4)
    bm = st.rate_code(key, jnp.ones((2, 4)), None, first_spike_time=1, time_axis=1)   # [B, T] stays [B, T]
    np.testing.assert_array_equal(bm, [[0, 1, 1, 1, 1]] * 2)


def test_rate_code_errors():
    key = jax.random.key(0)
    with pytest.raises(snnir.InvalidArgumentsError, match="num_steps"):
        st.rate_code(key, jnp.ones(2), 0)
    with pytest.raises(snnir.InvalidArgumentsError, match="first_spike_time"):
        st.rate_code(key, jnp.ones(2), 4, first_spike_time=4)


# ---------------------------------------------------------------------------------------- latency code
def snntorch_latency(data, num_steps, threshold=0.01, tau=1.0, first_spike_time=0, on_target=1.0, off_target=0.0,
                     clip=False, normalize=False, linear=False, epsilon=1e-7):
    """snnTorch's spikegen.latency, step by step in numpy (float32, as torch's default)."""
    data = np.asarray(data, np.float32)
    below = data < threshold
    if linear:
        if normalize:
            tau = num_steps - 1 - first_spike_time
        spike_time = np.minimum(-tau * (data - 1), -tau * (threshold - 1)) + first_spike_time
    else:
        d = np.maximum(data, np.float32(threshold + epsilon))
        spike_time = (tau * np.log(d / (d - np.float32(threshold)))).astype(np.float32)
        if first_spike_time > 0:
            spike_time += first_spike_time
        if normalize:
            spike_time = (spike_time - first_spike_time) * (num_steps - first_spike_time - 1) / np.max(
                spike_time - first_spike_time) + first_spike_time
    spike_data = np.zeros((num_steps,) + data.shape, np.float32)
    index = np.round(np.minimum(spike_time, num_steps - 1)).astype(int)
    np.put_along_axis(spike_data, index[None], 1.0, axis=0)
    spike_data *= ~(np.round(spike_time) > num_steps - 1)
    if clip:
        spike_data *= ~below
    return np.maximum(spike_data * on_target, off_target)


@pytest.mark.parametrize("options", [
    dict(), dict(tau=5.0), dict(tau=5.0, clip=True), dict(normalize=True), dict(linear=True),
    dict(linear=True, normalize=True), dict(linear=True, normalize=True, first_spike_time=3, clip=True),
    dict(tau=2.0, first_spike_time=2, on_target=2.0, off_target=0.5), dict(normalize=True, threshold=0.2),
])
def test_latency_code_matches_snntorch(options):
    x = np.random.default_rng(0).random((6, 5)).astype(np.float32)
    x[0, 0], x[0, 1] = 0.0, 1.0
    got = st.latency_code(jnp.asarray(x), 25, **options)
    np.testing.assert_array_equal(got, snntorch_latency(x, 25, **options))


def test_latency_code_hand_case():
    # tau = 5, threshold 0.01: x = 1 fires at 5 ln(1/0.99) = 0.05 -> step 0; x = 0.1 at 5 ln(0.1/0.09) = 0.53
    # -> step 1; x = 0 saturates at 0.01 + 1e-7 and fires at 5 ln(1e5) = 57.6, past T = 10: no spike
    s = st.latency_code(jnp.array([1.0, 0.1, 0.0]), 10, tau=5.0)
    np.testing.assert_array_equal(np.argwhere(np.asarray(s)), [[0, 0], [1, 1]])
    # the linear, normalised code spreads [0, 1] over the steps: 1 -> 0, 0.5 -> 2, 0 -> 4 (T = 5)
    s = st.latency_code(jnp.array([1.0, 0.5, 0.0]), 5, linear=True, normalize=True)
    np.testing.assert_array_equal(np.argmax(np.asarray(s), 0), [0, 2, 4])
    assert st.latency_code(jnp.ones((2, 3)), 4, time_axis=-1).shape == (2, 3, 4)


def test_latency_errors():
    with pytest.raises(snnir.InvalidArgumentsError, match="threshold"):
        st.latency_code(jnp.ones(2), 5, threshold=1.0)
    with pytest.raises(snnir.InvalidArgumentsError, match="tau"):
        st.latency_code(jnp.ones(2), 5, tau=0.0)
    with pytest.raises(snnir.InvalidArgumentsError, match="first_spike_time"):
        st.latency_code(jnp.ones(2), 5, first_spike_time=5)


# ------------------------------------------------------------------------------------------ delta code
def snntorch_delta(data, threshold=0.1, padding=False, off_spike=False):
    offset = np.concatenate([data[:1] if padding else np.zeros_like(data[:1]), data])[:-1]
    on = (data - offset >= threshold).astype(np.float32)
    return on - (data - offset <= -threshold) if off_spike else on


@pytest.mark.parametrize("padding", [False, True])
@pytest.mark.parametrize("off_spike", [False, True])
def test_delta_code_matches_snntorch(padding, off_spike):
    x = np.random.default_rng(1).random((9, 2, 3)).astype(np.float32)
    got = st.delta_code(jnp.asarray(x), threshold=0.2, padding=padding, off_spike=off_spike)
    np.testing.assert_array_equal(got, snntorch_delta(x, 0.2, padding, off_spike))
    bm = st.delta_code(jnp.swapaxes(x, 0, 1), threshold=0.2, padding=padding, off_spike=off_spike, time_axis=1)
    np.testing.assert_array_equal(jnp.swapaxes(bm, 0, 1), got)


def test_delta_code_hand_case():
    x = jnp.array([0.0, 0.5, 0.4, 1.0, 0.2])
    np.testing.assert_array_equal(st.delta_code(x, off_spike=True), [0, 1, 0, 1, -1])
    np.testing.assert_array_equal(st.delta_code(x + 1.0, padding=True), [0, 1, 0, 1, 0])


# ------------------------------------------------------------------------------------------ angle code
def test_angle_code_matches_spyx_and_clips_to_the_outer_neurons():
    x = np.array([-1.0, 0.0, 0.2, 0.26, 0.5, 0.99, 1.0, 3.0], np.float32)
    centres = np.linspace(0.0, 1.0, 5)
    expected = np.eye(5)[np.clip(np.digitize(x, centres) - 1, 0, 4)]
    np.testing.assert_array_equal(st.angle_code(jnp.asarray(x), 5, 0.0, 1.0), expected)
    np.testing.assert_array_equal(np.argmax(st.angle_code(jnp.array([0.3]), 5, 0.0, 1.0), -1), [1])
