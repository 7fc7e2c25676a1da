"""Several hosts: two processes joined by ``jax.distributed.initialize`` (2 CPU devices each, gloo
collectives) train with ``fit(mesh=)`` over the 4 devices of both, and end with the parameters and losses
of a one-device run (to float rounding: the batch's gradient is summed in another order), the same on
both hosts. Each process passes the whole dataset, as every host of a data-parallel job does."""

from __future__ import annotations

import os
import pathlib
import socket
import subprocess
import sys
import textwrap

import numpy as np
import pytest

pytestmark = pytest.mark.standard_promotion  # optax's optimisers promote their step counts implicitly

TESTS = pathlib.Path(__file__).resolve().parent

WORKER = textwrap.dedent('''
    import sys
    process, port, out = int(sys.argv[1]), sys.argv[2], sys.argv[3]
    import jax
    if process >= 0:
        jax.config.update("jax_cpu_collectives_implementation", "gloo")
        jax.distributed.initialize(coordinator_address=f"localhost:{port}", num_processes=2, process_id=process,
                                   initialization_timeout=60)
        assert jax.process_count() == 2 and jax.device_count() == 4, (jax.process_count(), jax.device_count())
    import equinox as eqx, numpy as np, optax
    import snnir.train as st
    from test_train_fit import _program, _task, accuracy, loss

    mesh = jax.make_mesh((jax.device_count(),), ("batch",)) if process >= 0 else None
    prog, history = st.fit(_program(), _task(64), loss, optax.adam(2e-2), epochs=2, batch_size=16,
                           validation=_task(32, seed=1), metrics={"accuracy": accuracy}, progress=False, key=1,
                           mesh=mesh)
    params = jax.tree_util.tree_leaves(eqx.partition(prog, prog.trainable())[0])
    # a replicated array: this host's copy
    local = [np.asarray(p.addressable_data(0)) if hasattr(p, "addressable_data") else np.asarray(p) for p in params]
    np.savez(out, *local, step_loss=np.asarray(history.step_loss), val_loss=np.asarray(history.val_loss))
''')


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("localhost", 0))
        return s.getsockname()[1]


def test_fit_over_two_processes_matches_one_device(tmp_path):
    import jax

    if not hasattr(jax.config, "jax_cpu_collectives_implementation"):
        pytest.skip("this JAX has no CPU collectives across processes")
    script = tmp_path / "worker.py"
    script.write_text(WORKER)
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(TESTS), os.environ.get("PYTHONPATH", "")]),
           "XLA_FLAGS": "--xla_force_host_platform_device_count=2", "JAX_PLATFORMS": "cpu",
           "GLOO_SOCKET_IFNAME": "lo"}   # the two "hosts" meet on the loopback interface
    port = str(_free_port())
    hosts = [subprocess.Popen([sys.executable, str(script), str(i), port, str(tmp_path / f"host{i}.npz")], env=env,
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True) for i in range(2)]
    single_env = {k: v for k, v in env.items() if k != "XLA_FLAGS"}
    single = subprocess.run([sys.executable, str(script), "-1", "0", str(tmp_path / "single.npz")], env=single_env,
                            capture_output=True, text=True, timeout=300)
    try:
        outputs = [h.communicate(timeout=300)[0] for h in hosts]
    finally:
        for h in hosts:  # never leave a host waiting for its peer
            if h.poll() is None:
                h.kill()
    for h, out in zip(hosts, outputs):
        assert h.returncode == 0, out[-4000:]
    assert single.returncode == 0, single.stdout[-2000:] + single.stderr[-4000:]
    host0, host1, one = (np.load(tmp_path / f"{name}.npz") for name in ("host0", "host1", "single"))
    assert host0.files == one.files
    for name in one.files:
        np.testing.assert_array_equal(host0[name], host1[name])   # every host holds the same model
        np.testing.assert_allclose(host0[name], one[name], rtol=1e-6, atol=1e-6, err_msg=name)
