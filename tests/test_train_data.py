"""snnir.train's data helpers: shift augmentation, shuffled batches, bit-packed spikes."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import snnir
from snnir import train as st


def test_shift_augment_rolls_by_a_drawn_shift_per_axis():
    x = np.arange(4 * 5 * 6, dtype=np.float32).reshape(4, 5, 6)
    key = jax.random.key(7)
    shifts = np.asarray(jax.random.randint(key, (2,), -3, 3))      # the documented draw
    expected = np.roll(np.roll(x, shifts[0], axis=1), shifts[1], axis=2)
    np.testing.assert_array_equal(st.shift_augment(key, x, 3, axes=(1, 2)), expected)


def test_shift_augment_shifts_lie_in_minus_m_to_m_minus_1():
    x = np.eye(1, 9, 4, dtype=np.float32)[0]                       # a one at index 4
    seen = {int(np.argmax(st.shift_augment(jax.random.key(k), x, 2))) - 4 for k in range(60)}
    assert seen == {-2, -1, 0, 1}


def test_shift_augment_rejects_missing_axes():
    with pytest.raises(snnir.ShapeError, match="axis 3"):
        st.shift_augment(jax.random.key(0), np.zeros((2, 3)), 1, axes=(3,))


@pytest.fixture
def dataset():
    xs = np.arange(11 * 3 * 2, dtype=np.float32).reshape(11, 3, 2)      # N = 11 samples, T = 3, C = 2
    ys = np.arange(11) * 10
    return xs, ys


def test_shuffle_batches_gathers_a_permutation_and_drops_the_rest(dataset):
    xs, ys = dataset
    key = jax.random.key(1)
    order = np.asarray(jax.random.permutation(key, 11))[:8]
    x_b, y_b = st.shuffle_batches(key, xs, ys, 4)
    assert x_b.shape == (2, 3, 4, 2) and y_b.shape == (2, 4)                # [n_batches, T, B, C]
    np.testing.assert_array_equal(y_b, ys[order].reshape(2, 4))
    np.testing.assert_array_equal(x_b, np.swapaxes(xs[order].reshape(2, 4, 3, 2), 1, 2))
    x_s, _ = st.shuffle_batches(key, xs, ys, 4, time_major=False)
    np.testing.assert_array_equal(x_s, xs[order].reshape(2, 4, 3, 2))      # [n_batches, B, T, C]
    x_n, y_n = st.shuffle_batches(None, xs, ys, 4, time_major=False)
    np.testing.assert_array_equal(y_n, ys[:8].reshape(2, 4))


def test_shuffle_batches_jits_with_the_key_as_an_argument(dataset):
    xs, ys = dataset
    f = jax.jit(lambda k: st.shuffle_batches(k, xs, ys, 5))
    a, b = f(jax.random.key(0)), f(jax.random.key(1))
    assert a[1].shape == (2, 5) and not np.array_equal(a[1], b[1])


def test_iterate_batches(dataset):
    xs, ys = dataset
    key = jax.random.key(2)
    order = np.asarray(jax.random.permutation(key, 11))
    batches = list(st.iterate_batches(key, xs, ys, 4, drop_remainder=False))
    assert [b[0].shape for b in batches] == [(3, 4, 2), (3, 4, 2), (3, 3, 2)]
    np.testing.assert_array_equal(np.concatenate([b[1] for b in batches]), ys[order])
    np.testing.assert_array_equal(batches[0][0], np.swapaxes(xs[order[:4]], 0, 1))
    assert len(list(st.iterate_batches(key, xs, ys, 4))) == 2
    assert list(st.iterate_batches(None, xs, ys, 11, time_major=False))[0][0].shape == (11, 3, 2)


def test_batcher_errors(dataset):
    xs, ys = dataset
    with pytest.raises(snnir.ShapeError, match="11 samples"):
        st.shuffle_batches(None, xs, ys[:5], 2)
    with pytest.raises(snnir.ShapeError, match="larger than the dataset"):
        st.shuffle_batches(None, xs, ys, 12)
    with pytest.raises(snnir.InvalidArgumentsError, match="batch_size"):
        next(st.iterate_batches(None, xs, ys, 0))
    with pytest.raises(snnir.ShapeError, match="time_major=False"):
        st.shuffle_batches(None, np.zeros(11), ys, 2)


@pytest.mark.parametrize("steps", [8, 13, 1])
def test_pack_and_unpack_round_trip_along_time(steps):
    spikes = (np.random.default_rng(0).random((3, steps, 5)) < 0.5).astype(np.float32)
    packed = st.pack_spikes(spikes, axis=1)
    assert packed.dtype == np.uint8 and packed.shape == (3, -(-steps // 8), 5)
    np.testing.assert_array_equal(packed, np.packbits(spikes.astype(np.uint8), axis=1))
    restored = st.unpack_spikes(packed, steps, axis=1)
    assert restored.dtype == jnp.float32
    np.testing.assert_array_equal(restored, spikes)
    # inside jit, as in a training step
    np.testing.assert_array_equal(jax.jit(lambda p: st.unpack_spikes(p, steps, axis=1))(packed), spikes)


def test_pack_hand_case_and_unpack_errors():
    packed = st.pack_spikes(np.array([1, 0, 1, 1, 0, 0, 0, 0, 1]))         # big-endian bits: 0b10110000, 0b1...
    np.testing.assert_array_equal(packed, [176, 128])
    np.testing.assert_array_equal(st.unpack_spikes(packed, 9), [1, 0, 1, 1, 0, 0, 0, 0, 1])
    assert st.unpack_spikes(packed).shape == (16,)
    with pytest.raises(snnir.ShapeError, match="num_steps=17"):
        st.unpack_spikes(packed, 17)
    with pytest.raises(snnir.InvalidArgumentsError, match="uint8"):
        st.unpack_spikes(np.zeros(2, np.int32))
