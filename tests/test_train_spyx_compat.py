"""snnir.compat.spyx's ``fn`` and ``data``: Spyx's names, defaults and numbers, quirks included.

The references restate Spyx 1.0's (and 0.1.20's) code in plain numpy, and its random functions with the
same ``jax.random`` calls in the same order, so the same key must give the same numbers.
"""

import importlib

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import snnir

fn = importlib.import_module("snnir.compat.spyx.fn")
data = importlib.import_module("snnir.compat.spyx.data")

B, T, C = 4, 10, 3


def log_softmax(z):
    z = z - z.max(-1, keepdims=True)
    return z - np.log(np.exp(z).sum(-1, keepdims=True))


@pytest.fixture
def traces():
    return np.random.default_rng(0).normal(size=(B, T, C)).astype(np.float32)    # Spyx's [B, T, C]


LABELS = np.array([0, 2, 1, 1])


def smooth(labels, n, s):
    return (1 - s) * np.eye(n)[labels] + s / n


# ------------------------------------------------------------------------------------------------- fn
def test_integral_crossentropy_defaults_to_smoothing_0_3_on_axis_1(traces):
    expected = np.mean(-(smooth(LABELS, C, 0.3) * log_softmax(traces.sum(1))).sum(-1))
    np.testing.assert_allclose(fn.integral_crossentropy()(traces, LABELS), expected, rtol=1e-5)
    expected0 = np.mean(-(np.eye(C)[LABELS] * log_softmax(traces.sum(1))).sum(-1))
    np.testing.assert_allclose(fn.integral_crossentropy(0.0)(traces, LABELS), expected0, rtol=1e-5)
    tm = np.swapaxes(traces, 0, 1)
    np.testing.assert_allclose(fn.integral_crossentropy(time_axis=0)(tm, LABELS), expected, rtol=1e-5)


def test_integral_accuracy_returns_the_score_and_the_predictions(traces):
    acc, preds = fn.integral_accuracy()(traces, LABELS)
    np.testing.assert_array_equal(preds, traces.sum(1).argmax(-1))
    np.testing.assert_allclose(acc, np.mean(traces.sum(1).argmax(-1) == LABELS))


def test_mse_spikerate_keeps_spyx_rate_against_count_comparison(traces):
    expected = np.mean((traces.mean(1) - smooth(LABELS, C, 0.1) * 0.25 * T) ** 2)
    np.testing.assert_allclose(fn.mse_spikerate(0.25, 0.1)(traces, LABELS), expected, rtol=1e-5)
    # the documented symptom: a perfect readout (T = 10, C = 3) still scores 0.75
    perfect = np.zeros((1, T, C), np.float32)
    perfect[0, :, 1] = 1.0
    np.testing.assert_allclose(fn.mse_spikerate()(perfect, np.array([1])), 0.75, rtol=1e-6)
    # and snnir.train's rate-against-rate version scores it 0 with correct_rate=1
    assert float(snnir.train.mse_rate_loss(perfect, np.array([1]), time_axis=1)) == 0.0


def test_silence_and_sparsity_reg_match_spyx():
    rng = np.random.default_rng(1)
    counts = [rng.integers(0, 5, size=(B, 6)).astype(np.float32), rng.integers(0, 5, size=(B, 2, 3)).astype(np.float32)]
    flat = [c.reshape(B, -1) for c in counts]
    silence = sum(np.sum(np.maximum(0, 2.0 - c.mean(0)) ** 2) for c in flat)
    np.testing.assert_allclose(fn.silence_reg(2.0)(counts), silence, rtol=1e-5)

    def huber(x):
        return np.where(np.abs(x) <= 1, 0.5 * x ** 2, np.abs(x) - 0.5)

    sparsity = sum(np.sum(huber(np.maximum(0, c.mean(-1) - 1.0))) for c in flat)
    np.testing.assert_allclose(fn.sparsity_reg(1.0)(counts), sparsity, rtol=1e-5)


def test_fn_shape_checks_raise_value_errors_at_trace_time(traces):
    for factory in (fn.integral_crossentropy, fn.integral_accuracy, fn.mse_spikerate):
        with pytest.raises(ValueError, match="targets"):
            factory()(traces, np.zeros(T, np.int32))
        with pytest.raises(snnir.ShapeError, match="time_axis"):
            factory(time_axis=2)(traces, LABELS)


# ---------------------------------------------------------------------------------------------- data
def test_rate_code_gives_spyx_numbers_for_the_same_key():
    key = jax.random.key(3)
    x = np.random.default_rng(2).random((2, 1, 4, 4)).astype(np.float32)
    # Spyx: float16 data, repeated along axis 1, Bernoulli(x * max_r), uint8
    expected = jax.random.bernoulli(key, jnp.repeat(jnp.asarray(x, jnp.float16), 5, axis=1) * 0.6).astype(jnp.uint8)
    got = data.rate_code(5, max_r=0.6)(x, key)
    assert got.dtype == jnp.uint8 and got.shape == (2, 5, 4, 4)
    np.testing.assert_array_equal(got, expected)


def test_shift_augment_and_shuffler_give_spyx_numbers():
    key = jax.random.key(4)
    x = np.arange(2 * 3 * 8, dtype=np.float32).reshape(2, 3, 8)
    shift = jax.random.randint(key, (1,), -2, 2)
    np.testing.assert_array_equal(data.shift_augment(2)(x, key), jnp.roll(x, shift, (-1,)))
    xs, ys = np.arange(7 * 2, dtype=np.float32).reshape(7, 2), np.arange(7)
    order = np.asarray(jax.random.permutation(key, 7))[:6]
    obs, labels = data.shuffler((xs, ys), 3)((xs, ys), key)
    np.testing.assert_array_equal(obs, xs[order].reshape(2, 3, 2))
    np.testing.assert_array_equal(labels, ys[order].reshape(2, 3))


def test_angle_code_follows_spyx_1_0():
    x = np.array([-0.5, 0.0, 0.3, 0.7, 1.0, 2.0], np.float32)
    neurons = np.linspace(0.0, 1.0, 4)
    expected = np.eye(4)[np.clip(np.digitize(x, neurons) - 1, 0, 3)]
    np.testing.assert_array_equal(data.angle_code(4, 0.0, 1.0)(x), expected)
    np.testing.assert_array_equal(data.AngleCode(4, 0.0, 1.0)(x), expected.astype(np.uint8))


def test_latency_code_and_its_record_transform():
    x = np.array([[0.0, 0.005, 0.01, 0.5, 1.0, 1.4]], np.float32)
    step = np.round((1.0 - np.clip(x, 0, 1)) * 7).astype(int)
    expected = (np.arange(8)[:, None, None] == step) & (x > 0.01)
    got = data.latency_code(8)(x)
    assert got.dtype == jnp.uint8 and got.shape == (8, 1, 6)
    np.testing.assert_array_equal(got, expected)
    record = data.LatencyCode(8)({"obs": x[0]})
    np.testing.assert_array_equal(record["obs"], np.packbits(expected[:, 0].astype(np.uint8), axis=0))


def test_record_transforms_use_numpy_global_random_state_as_spyx():
    x = np.random.default_rng(5).random((3, 4)).astype(np.float32)
    np.random.seed(0)
    expected = np.packbits((np.random.rand(12, 3, 4) < x * 0.5).astype(np.uint8), axis=0)
    np.random.seed(0)
    record = data.RateCode(12, 0.5, output_key="spikes").map({"obs": x})
    np.testing.assert_array_equal(record["spikes"], expected)
    np.testing.assert_array_equal(snnir.train.unpack_spikes(record["spikes"], 12),
                                  np.unpackbits(expected, axis=0)[:12])
    np.random.seed(1)
    shift = np.random.randint(-3, 3, size=2)
    np.random.seed(1)
    np.testing.assert_array_equal(data.ShiftAugment(3, axes=(0, 1))(x), np.roll(x, shift, axis=(0, 1)))


def test_sources_and_the_loader_yield_state_batches():
    samples = [(np.ones((1, 9, 2), np.uint8) * (i % 2), i) for i in range(5)]
    source = data.SpyxMapDataset(data.TonicSource(samples))
    assert len(source) == 5 and source[1]["obs"].shape == (2, 2)              # squeezed, packed along time
    batches = list(data.GrainLoader(source, 2, shuffle=False))
    assert len(batches) == 2 and isinstance(batches[0], data.State)
    assert batches[0].obs.shape == (2, 2, 2) and list(batches[1].labels) == [2, 3]
    shuffled = list(data.GrainLoader(source, 2, shuffle=True, seed=3))
    seen = np.concatenate([b.labels for b in shuffled])
    assert len(shuffled) == 2 and len(set(seen.tolist())) == 4 and set(seen.tolist()) <= set(range(5))


def test_loaders_need_tonic():
    try:
        import tonic  # noqa: F401
    except ImportError:
        with pytest.raises(ImportError, match="spyx\\[loaders\\]"):
            data.SHD_loader()
    else:  # pragma: no cover - tonic is not a test dependency
        pytest.skip("tonic is installed")


def test_shd_raster_clips_counts_and_pads():
    events = np.array([(0, 1), (0, 1), (3, 2)], dtype=[("t", int), ("x", int)])
    frame = data._SHD2Raster(encoding_dim=3, sample_T=6)(events)
    expected = np.zeros((6, 3), np.uint8)
    expected[0, 1] = expected[3, 2] = 1
    np.testing.assert_array_equal(frame, expected)
