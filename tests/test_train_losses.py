"""snnir.train's losses against plain-numpy references of their equations, hand-computed cases, and errors.

The references below follow snnTorch's and Spyx's code step by step (loops over time, explicit one-hot
tables), independently of snnir.train's helpers.
"""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import snnir
from snnir import train as st

T, B, C = 6, 4, 3


def log_softmax(z):
    z = z - z.max(-1, keepdims=True)
    return z - np.log(np.exp(z).sum(-1, keepdims=True))


def ce(z, y):
    """-log softmax(z)[y] per row of z [B, C]."""
    return -log_softmax(z)[np.arange(len(y)), y]


@pytest.fixture
def data():
    rng = np.random.default_rng(0)
    traces = rng.normal(size=(T, B, C)).astype(np.float32)
    spikes = (rng.random((T, B, C)) < 0.4).astype(np.float32)
    labels = np.array([0, 2, 1, 2])
    return traces, spikes, labels


# -------------------------------------------------------------------------------- integral cross-entropy
@pytest.mark.parametrize("smoothing", [0.0, 0.3])
def test_integral_cross_entropy_is_the_cross_entropy_of_the_time_sum_with_smoothed_labels(data, smoothing):
    traces, _, labels = data
    logits = traces.sum(0)
    q = np.full((B, C), smoothing / C)
    q[np.arange(B), labels] += 1 - smoothing
    expected = np.mean(-(q * log_softmax(logits)).sum(-1))
    got = st.integral_cross_entropy(jnp.asarray(traces), labels, smoothing=smoothing)
    np.testing.assert_allclose(got, expected, rtol=1e-5)
    # batch-major data with time_axis=1 gives the same number
    got_bm = st.integral_cross_entropy(jnp.swapaxes(traces, 0, 1), labels, smoothing=smoothing, time_axis=1)
    np.testing.assert_allclose(got_bm, expected, rtol=1e-5)


def test_integral_cross_entropy_hand_case():
    # one sample, two classes, integrals (2, 0): CE = log(1 + e^-2)
    traces = jnp.array([[[1.0, 0.0]], [[1.0, 0.0]]])
    np.testing.assert_allclose(st.integral_cross_entropy(traces, jnp.array([0])), np.log1p(np.exp(-2.0)),
                               rtol=1e-6)


def test_losses_have_gradients_and_jit(data):
    traces, _, labels = data
    loss = jax.jit(lambda x: st.integral_cross_entropy(x, labels, smoothing=0.1))
    grad = jax.grad(loss)(jnp.asarray(traces))
    # d/dx_t of CE(sum_t x_t) is softmax - q, the same at every step
    np.testing.assert_allclose(grad[0], grad[-1], rtol=1e-6)
    np.testing.assert_allclose(grad[0].sum(-1), 0.0, atol=1e-6)


# --------------------------------------------------------------------------------- snnTorch's CE losses
def test_ce_rate_loss_is_the_per_step_cross_entropy_averaged_over_time(data):
    _, spikes, labels = data
    expected = sum(ce(spikes[t], labels).mean() for t in range(T)) / T
    np.testing.assert_allclose(st.ce_rate_loss(spikes, labels), expected, rtol=1e-5)
    per_sample = sum(ce(spikes[t], labels) for t in range(T)) / T
    np.testing.assert_allclose(st.ce_rate_loss(spikes, labels, reduction="none"), per_sample, rtol=1e-5)
    np.testing.assert_allclose(st.ce_rate_loss(spikes, labels, reduction="sum"), per_sample.sum(), rtol=1e-5)


def test_ce_count_loss_and_class_weights(data):
    _, spikes, labels = data
    np.testing.assert_allclose(st.ce_count_loss(spikes, labels), ce(spikes.sum(0), labels).mean(), rtol=1e-5)
    w = np.array([1.0, 2.0, 0.5], np.float32)
    # snnTorch: NLLLoss(weight, reduction='none'), then a plain mean over the batch
    expected = np.mean(w[labels] * ce(spikes.sum(0), labels))
    np.testing.assert_allclose(st.ce_count_loss(spikes, labels, weight=w), expected, rtol=1e-5)


def test_ce_count_loss_hand_case():
    spikes = jnp.array([[[1.0, 0.0]], [[1.0, 0.0]]])     # counts (2, 0) for label 0
    np.testing.assert_allclose(st.ce_count_loss(spikes, jnp.array([0])), np.log1p(np.exp(-2.0)), rtol=1e-6)


def test_ce_count_loss_with_a_population_code():
    rng = np.random.default_rng(1)
    spikes = (rng.random((T, B, 6)) < 0.5).astype(np.float32)
    labels = np.array([0, 1, 2, 1])
    # snnTorch's _population_code: class k sums neurons int(N k / K) .. int(N (k + 1) / K) - 1
    pop = np.stack([spikes[:, :, int(6 * k / 3):int(6 * (k + 1) / 3)].sum(-1).sum(0) for k in range(3)], -1)
    got = st.ce_count_loss(spikes, labels, population_code=True, num_classes=3)
    np.testing.assert_allclose(got, ce(pop, labels).mean(), rtol=1e-5)


def test_ce_max_membrane_loss(data):
    traces, _, labels = data
    np.testing.assert_allclose(st.ce_max_membrane_loss(traces, labels), ce(traces.max(0), labels).mean(),
                               rtol=1e-5)


# --------------------------------------------------------------------------------- snnTorch's MSE losses
def snntorch_rate_targets(labels, n, on, off):
    one_hot = np.eye(n)[labels]
    if on > off:
        return np.maximum(one_hot * on, off)
    return one_hot * on + (1 - one_hot) * off


@pytest.mark.parametrize("rates", [(1.0, 0.0), (0.75, 0.25), (0.7, 0.3)])
def test_mse_count_loss_uses_truncated_target_counts_and_divides_by_T(data, rates):
    _, spikes, labels = data
    correct, incorrect = rates
    on, off = int(T * correct), int(T * incorrect)          # snnTorch truncates: int(6 * 0.7) = 4
    target = snntorch_rate_targets(labels, C, on, off)
    expected = np.mean((spikes.sum(0) - target) ** 2) / T
    got = st.mse_count_loss(spikes, labels, correct_rate=correct, incorrect_rate=incorrect)
    np.testing.assert_allclose(got, expected, rtol=1e-5)
    np.testing.assert_allclose(st.mse_count_loss(spikes, labels, correct_rate=correct, incorrect_rate=incorrect,
                                                 reduction="none"), (spikes.sum(0) - target) ** 2 / T, rtol=1e-5)


def test_mse_count_loss_hand_case():
    # T = 4, rates 0.75/0.25: targets 3 and 1 spikes; counts (4, 0) miss each by one: (1 + 1) / 2 / 4
    spikes = jnp.array([[[1.0, 0.0]]] * 4)
    got = st.mse_count_loss(spikes, jnp.array([0]), correct_rate=0.75, incorrect_rate=0.25)
    np.testing.assert_allclose(got, 0.25)


def test_mse_count_loss_population_code_scales_the_targets_by_the_group_size():
    rng = np.random.default_rng(2)
    spikes = (rng.random((T, B, 6)) < 0.5).astype(np.float32)
    labels = np.array([0, 1, 2, 1])
    pop = spikes.reshape(T, B, 3, 2).sum(-1).sum(0)
    on, off = int(T * 0.8 * 2), int(T * 0.2 * 2)
    expected = np.mean((pop - snntorch_rate_targets(labels, 3, on, off)) ** 2) / T
    got = st.mse_count_loss(spikes, labels, correct_rate=0.8, incorrect_rate=0.2, population_code=True,
                            num_classes=3)
    np.testing.assert_allclose(got, expected, rtol=1e-5)


@pytest.mark.parametrize("on,off", [(1.0, 0.0), (2.0, 0.5), (1.0, -1.0), (0.0, 1.0)])
def test_mse_membrane_loss_averages_the_per_step_mse(data, on, off):
    traces, _, labels = data
    target = snntorch_rate_targets(labels, C, on, off)      # (1, -1) reads as (1, 0), as in snnTorch
    expected = sum(np.mean((traces[t] - target) ** 2) for t in range(T)) / T
    got = st.mse_membrane_loss(traces, labels, on_target=on, off_target=off)
    np.testing.assert_allclose(got, expected, rtol=1e-5)


def test_mse_membrane_loss_with_time_varying_targets(data):
    traces, _, _ = data
    labels = np.random.default_rng(3).integers(0, C, size=(T, B))
    expected = sum(np.mean((traces[t] - np.eye(C)[labels[t]]) ** 2) for t in range(T)) / T
    np.testing.assert_allclose(st.mse_membrane_loss(traces, labels, time_var_targets=True), expected, rtol=1e-5)


# ----------------------------------------------------------------------------------------- rate MSE
def test_mse_rate_loss_compares_rates_with_rates(data):
    _, spikes, labels = data
    q = np.full((B, C), 0.1 / C)
    q[np.arange(B), labels] += 0.9
    target = 0.2 + (0.8 - 0.2) * q
    expected = np.mean((spikes.mean(0) - target) ** 2)
    got = st.mse_rate_loss(spikes, labels, correct_rate=0.8, incorrect_rate=0.2, smoothing=0.1)
    np.testing.assert_allclose(got, expected, rtol=1e-5)


def test_a_perfect_spike_train_scores_zero_on_the_rate_mse():
    spikes = jnp.zeros((10, 2, 3)).at[:, 0, 1].set(1.0).at[:, 1, 2].set(1.0)
    assert float(st.mse_rate_loss(spikes, jnp.array([1, 2]))) == 0.0
    # half the steps, target rate 0.5
    half = spikes.at[::2].set(0.0)
    assert float(st.mse_rate_loss(half, jnp.array([1, 2]), correct_rate=0.5)) == 0.0


def test_integer_spikes_are_accepted(data):
    _, spikes, labels = data
    np.testing.assert_allclose(st.ce_count_loss(spikes.astype(np.uint8), labels), st.ce_count_loss(spikes, labels))


# -------------------------------------------------------------------------------------------- errors
@pytest.mark.parametrize("loss", [st.integral_cross_entropy, st.ce_rate_loss, st.ce_count_loss,
                                  st.ce_max_membrane_loss, st.mse_count_loss, st.mse_membrane_loss,
                                  st.mse_rate_loss])
def test_a_batch_size_mismatch_is_a_shape_error_with_a_hint(data, loss):
    traces, _, _ = data
    with pytest.raises(snnir.ShapeError, match=r"targets has shape \(5,\)[\s\S]*hint: "):
        loss(traces, np.zeros(5, np.int32))
    # batch-major data read as time-major: the targets give it away
    with pytest.raises(ValueError, match="time_axis"):
        loss(np.swapaxes(traces, 0, 1), np.zeros(B, np.int32))


def test_bad_time_axis_and_missing_axes_are_shape_errors(data):
    traces, _, labels = data
    with pytest.raises(snnir.ShapeError, match="time_axis=2"):
        st.ce_count_loss(traces, labels, time_axis=2)
    with pytest.raises(snnir.ShapeError, match="time axis and a class axis"):
        st.ce_count_loss(np.zeros(3), np.zeros(()))


def test_bad_options_are_typed_errors(data):
    traces, spikes, labels = data
    with pytest.raises(snnir.InvalidArgumentsError, match="reduction='avg'"):
        st.ce_count_loss(spikes, labels, reduction="avg")
    with pytest.raises(snnir.InvalidArgumentsError, match="num_classes"):
        st.ce_count_loss(spikes, labels, population_code=True)
    with pytest.raises(snnir.ShapeError, match="4 output neurons cannot be split into 3"):
        st.ce_count_loss(np.zeros((T, B, 4)), labels, population_code=True, num_classes=3)
    with pytest.raises(snnir.ShapeError, match="weight"):
        st.ce_count_loss(spikes, labels, weight=np.ones(4))
    with pytest.raises(snnir.InvalidArgumentsError, match="smoothing=1.5"):
        st.integral_cross_entropy(traces, labels, smoothing=1.5)
    with pytest.raises(snnir.InvalidArgumentsError, match="correct_rate"):
        st.mse_count_loss(spikes, labels, correct_rate=2.0)
    with pytest.raises(snnir.ShapeError, match="time_var_targets"):
        st.mse_membrane_loss(traces, labels, time_var_targets=True)
    # the errors derive from SnnirError and the builtins callers already catch
    assert issubclass(snnir.ShapeError, ValueError) and issubclass(snnir.InvalidArgumentsError, TypeError)


def test_shape_errors_are_raised_at_trace_time_under_jit(data):
    traces, _, _ = data
    with pytest.raises(snnir.ShapeError):
        jax.jit(st.integral_cross_entropy)(traces, jnp.zeros(5, jnp.int32))
