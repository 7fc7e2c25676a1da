"""Data-parallel fit over a jax.sharding.Mesh: the same training as on one device, batches split over the
mesh's batch axis, parameters replicated; a batch that does not split is refused with a hint.

The mesh needs several devices: the main test runs in a fresh Python whose JAX is told to make 8 CPU
devices (XLA_FLAGS must be set before JAX starts, so it cannot run in this process)."""

from __future__ import annotations

import os
import pathlib
import subprocess
import sys
import textwrap

import jax
import numpy as np
import optax
import pytest

import snnir
import snnir.train as st

from test_train_fit import _program, _task, loss

pytestmark = pytest.mark.standard_promotion  # optax's optimisers promote their step counts implicitly

TESTS = pathlib.Path(__file__).resolve().parent

SCRIPT = textwrap.dedent('''
    import equinox as eqx, jax, numpy as np, optax, pytest
    import snnir, snnir.train as st
    from test_train_fit import _program, _task, accuracy, loss

    assert jax.device_count() == 8, jax.devices()
    mesh = jax.make_mesh((8,), ("batch",))          # Explicit axes, in recent JAX
    data, val = _task(64), _task(32, seed=1)
    kw = dict(epochs=2, batch_size=16, validation=val, metrics={"accuracy": accuracy}, progress=False, key=1)
    plain, h1 = st.fit(_program(), data, loss, optax.adam(2e-2), **kw)
    sharded, h2 = st.fit(_program(), data, loss, optax.adam(2e-2), mesh=mesh, **kw)
    # each device sums its share of the batch and an all-reduce adds the shares: float32 sums in
    # another order, so parameters and losses agree to rounding (1e-6), not bit for bit
    for a, b in zip(jax.tree_util.tree_leaves(eqx.partition(plain, plain.trainable())[0]),
                    jax.tree_util.tree_leaves(eqx.partition(sharded, sharded.trainable())[0])):
        np.testing.assert_allclose(np.asarray(a), np.asarray(b), rtol=1e-6, atol=1e-6)
        assert b.sharding.is_fully_replicated
    for name in ("step_loss", "loss", "val_loss"):
        np.testing.assert_allclose(getattr(h1, name), getattr(h2, name), rtol=1e-6, atol=1e-6)
    assert h1.val_metrics == h2.val_metrics
    # a mesh with Auto axes (every placement left to XLA) trains the same
    auto = (jax.make_mesh((8,), ("batch",), axis_types=(jax.sharding.AxisType.Auto,))
            if hasattr(jax.sharding, "AxisType") else mesh)
    h3 = st.fit(_program(), data, loss, optax.adam(2e-2), epochs=1, batch_size=16, progress=False, key=1,
                mesh=auto)[1]
    np.testing.assert_allclose(h3.step_loss, h1.step_loss[:len(h3.step_loss)], rtol=1e-6, atol=1e-6)
    # evaluate splits its batches the same way; a last batch that does not split runs replicated
    e1 = st.evaluate(plain, val, loss, batch_size=24)
    e2 = st.evaluate(plain, val, loss, batch_size=24, mesh=mesh)
    np.testing.assert_allclose(e1["loss"], e2["loss"], rtol=1e-6)
    # the batch axis by name, on a mesh with another axis: split over 4 devices, replicated over 2
    grid = jax.make_mesh((2, 4), ("model", "data"))
    xs = st.shard_batch(jax.numpy.zeros((3, 8, 2)), grid, "data", axis=1)
    assert xs.sharding.shard_shape(xs.shape) == (3, 2, 2)
    with pytest.raises(snnir.ShapeError, match=r"batch_size=12 does not split over the 8 devices(.|\\n)*8 or 16"):
        st.fit(_program(), data, loss, optax.adam(1e-2), batch_size=12, mesh=mesh, progress=False)
    with pytest.raises(snnir.ShapeError, match="over the 4 devices of the mesh axis 'data'"):
        st.fit(_program(), data, loss, optax.adam(1e-2), batch_size=6, mesh=grid, batch_axis="data", progress=False)
    with pytest.raises(snnir.InvalidArgumentsError, match=r"batch_axis='batch' is not an axis of the mesh"):
        st.fit(_program(), data, loss, optax.adam(1e-2), batch_size=16, mesh=grid, batch_axis="batch", progress=False)
    print("sharded fit ok")
''')


def test_sharded_fit_matches_one_device():
    env = {**os.environ, "XLA_FLAGS": "--xla_force_host_platform_device_count=8", "JAX_PLATFORMS": "cpu",
           "PYTHONPATH": os.pathsep.join([str(TESTS), os.environ.get("PYTHONPATH", "")])}
    out = subprocess.run([sys.executable, "-c", SCRIPT], env=env, cwd=TESTS.parent, capture_output=True, text=True,
                         timeout=300)
    assert out.returncode == 0, out.stdout + out.stderr
    assert "sharded fit ok" in out.stdout


def test_a_one_device_mesh_trains_as_without_one():
    mesh = jax.make_mesh((1,), ("batch",))
    data = _task(32)
    a = st.fit(_program(), data, loss, optax.adam(1e-2), batch_size=16, progress=False)[1]
    b = st.fit(_program(), data, loss, optax.adam(1e-2), batch_size=16, progress=False, mesh=mesh)[1]
    np.testing.assert_allclose(a.step_loss, b.step_loss, rtol=1e-6)


def test_placement_helpers_refuse_what_is_not_a_mesh():
    with pytest.raises(snnir.InvalidArgumentsError, match="mesh must be a jax.sharding.Mesh"):
        st.fit(_program(), _task(32), loss, optax.adam(1e-2), batch_size=16, mesh=jax.devices(), progress=False)
    with pytest.raises(snnir.InvalidArgumentsError, match="hint: build one with jax.make_mesh"):
        st.replicate(np.zeros(3), "mesh")
    mesh = jax.make_mesh((1,), ("batch",))
    placed = st.replicate({"w": np.zeros(2, np.float32), "n": None, "lr": 0.5}, mesh)
    assert placed["n"] is None and placed["lr"] == 0.5 and placed["w"].sharding.is_fully_replicated
