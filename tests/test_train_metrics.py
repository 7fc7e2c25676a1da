"""snnir.train's metrics, readouts and activity regularisers against plain-numpy references."""

import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest

import snnir
from snnir import train as st


@pytest.fixture
def spikes():
    return (np.random.default_rng(0).random((8, 5, 4)) < 0.3).astype(np.float32)


def test_integral_accuracy_and_predictions():
    traces = np.random.default_rng(1).normal(size=(7, 6, 3)).astype(np.float32)
    labels = np.array([0, 1, 2, 0, 1, 2])
    preds = traces.sum(0).argmax(-1)
    np.testing.assert_array_equal(st.integral_predictions(traces), preds)
    np.testing.assert_allclose(st.integral_accuracy(traces, labels), np.mean(preds == labels))
    np.testing.assert_allclose(st.integral_accuracy(np.swapaxes(traces, 0, 1), labels, time_axis=1),
                               np.mean(preds == labels))


def test_accuracy_rate_hand_case():
    # sample 0 spikes most on class 1, sample 1 on class 0; labels (1, 1): accuracy 1/2
    spikes = jnp.array([[[0, 1, 0], [1, 0, 0]], [[0, 1, 1], [1, 0, 1]]], jnp.float32)
    assert float(st.accuracy_rate(spikes, jnp.array([1, 1]))) == 0.5


def test_accuracy_rate_ties_go_to_the_lowest_class_as_in_torch():
    spikes = jnp.ones((3, 1, 4))
    assert float(st.accuracy_rate(spikes, jnp.array([0]))) == 1.0


def test_accuracy_rate_with_a_population_code(spikes):
    labels = np.array([0, 1, 0, 1, 1])
    pop = np.stack([spikes[:, :, 0:2].sum(-1).sum(0), spikes[:, :, 2:4].sum(-1).sum(0)], -1)
    got = st.accuracy_rate(spikes, labels, population_code=True, num_classes=2)
    np.testing.assert_allclose(got, np.mean(pop.argmax(-1) == labels))


def test_accuracy_temporal_follows_snntorch_first_spike_times(spikes):
    labels = np.array([0, 1, 2, 3, 0])
    # snnTorch's loop: spike times t + 1, the first kept, 0 (never) -> T, then minus 1
    spk_time = spikes * (np.arange(8) + 1)[:, None, None]
    first = np.zeros_like(spk_time[0])
    for t in range(8):
        first += spk_time[t] * (first == 0)
    first += (first == 0) * 8
    first -= 1
    np.testing.assert_array_equal(st.first_spike_times(spikes), first)
    np.testing.assert_allclose(st.accuracy_temporal(spikes, labels), np.mean(first.argmin(-1) == labels))


def test_readouts(spikes):
    np.testing.assert_allclose(st.spike_counts(spikes), spikes.sum(0))
    np.testing.assert_allclose(st.integral(spikes, time_axis=1), spikes.sum(1))
    np.testing.assert_allclose(st.population_counts(spikes, 2), spikes.sum(0).reshape(5, 2, 2).sum(-1))


def test_metric_errors(spikes):
    with pytest.raises(snnir.ShapeError, match="targets"):
        st.accuracy_rate(spikes, np.zeros(4, np.int32))
    with pytest.raises(snnir.InvalidArgumentsError, match="num_classes"):
        st.accuracy_rate(spikes, np.zeros(5, np.int32), population_code=True)
    with pytest.raises(snnir.InvalidArgumentsError, match="num_classes"):
        st.population_counts(spikes, 0)


# ------------------------------------------------------------------------------------- regularisers
def spyx_silence(counts, m):
    total = 0.0
    for c in counts:
        c = c.reshape(c.shape[0], -1)
        total += np.sum(np.maximum(0, m - c.mean(0)) ** 2)
    return total


def huber(x):
    return np.where(np.abs(x) <= 1, 0.5 * x ** 2, np.abs(x) - 0.5)


def spyx_sparsity(counts, m):
    total = 0.0
    for c in counts:
        c = c.reshape(c.shape[0], -1)
        total += np.sum(huber(np.maximum(0, c.mean(-1) - m)))
    return total


@pytest.fixture
def layer_counts():
    rng = np.random.default_rng(4)
    return {"conv": rng.integers(0, 6, size=(3, 2, 4, 4)).astype(np.float32),
            "lif": rng.integers(0, 6, size=(3, 10)).astype(np.float32)}


def test_silence_regularizer_matches_spyx_formula(layer_counts):
    for m in (0.5, 2.0, 4.0):
        np.testing.assert_allclose(st.silence_regularizer(layer_counts, m),
                                   spyx_silence(list(layer_counts.values()), m), rtol=1e-5)


def test_sparsity_regularizer_matches_spyx_formula(layer_counts):
    for m in (0.5, 2.0, 4.0):
        np.testing.assert_allclose(st.sparsity_regularizer(layer_counts, m),
                                   spyx_sparsity(list(layer_counts.values()), m), rtol=1e-5)
    # another norm, here the squared error
    got = st.sparsity_regularizer([layer_counts["lif"]], 1.0, norm=optax.squared_error)
    np.testing.assert_allclose(got, np.sum(np.maximum(0, layer_counts["lif"].mean(-1) - 1.0) ** 2), rtol=1e-5)


def test_regularizers_hand_cases():
    # two samples, two neurons: mean counts (1, 3); below m = 2 only the first, by 1
    counts = jnp.array([[0.0, 2.0], [2.0, 4.0]])
    assert float(st.silence_regularizer(counts, 2.0)) == 1.0
    # per-sample means (1, 3); above M = 1.5 only the second, by 1.5: huber = 1.5 - 0.5
    assert float(st.sparsity_regularizer(counts, 1.5)) == 1.0


def test_regularizers_are_differentiable_and_jit(layer_counts):
    grad = jax.jit(jax.grad(lambda c: st.silence_regularizer(c, 3.0)))(layer_counts)
    assert set(grad) == {"conv", "lif"} and grad["lif"].shape == (3, 10)


def test_regularizer_errors(layer_counts):
    with pytest.raises(snnir.ShapeError, match="batch size"):
        st.silence_regularizer([np.zeros((3, 2)), np.zeros((4, 2))], 1.0)
    with pytest.raises(snnir.ShapeError, match="scalar"):
        st.sparsity_regularizer([np.float32(1.0)], 1.0)
    with pytest.raises(snnir.ShapeError, match="no arrays"):
        st.silence_regularizer({}, 1.0)
