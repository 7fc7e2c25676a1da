"""Programs under JAX's sharding: batch-sharded data parallelism and a weight sharded over its output axis
give the unsharded numbers, the layered strategy keeps its hoisted products sharded (no all-gather of
activations in the compiled forward pass), and ``strategy="auto"`` weighs the layered activations.

The sharded checks run in one subprocess with 8 simulated CPU devices
(``--xla_force_host_platform_device_count=8`` must be set before JAX starts), with exact dyadic data so
that spikes compare exactly.
"""

import json
import os
import subprocess
import sys

import jax
import numpy as np
import pytest

import snnir
from snnir.runtime import memory

SCRIPT = r'''
import json, sys
import jax, jax.numpy as jnp, numpy as np
import equinox as eqx
import snnir
from jax.sharding import AxisType, Mesh, NamedSharding, PartitionSpec as P
from snnir.runtime import layered as L

assert jax.device_count() == 8, jax.devices()
jax.config.update("jax_numpy_dtype_promotion", "strict")  # as conftest.py sets it for the library's code
out = {}
rng = np.random.default_rng(0)
T, B = 12, 16

def dyadic(shape):
    return (rng.integers(-6, 7, shape) / 8).astype(np.float32)

def feed_forward():
    return snnir.Graph(
        nodes=[snnir.Input(id="x", shape=(16,)), snnir.Linear(id="fc1", weight=dyadic((32, 16)), bias=dyadic((32,))),
               snnir.LIF(id="l1", shape=(32,), decay=0.75), snnir.Linear(id="fc2", weight=dyadic((8, 32))),
               snnir.LIF(id="l2", shape=(8,), decay=0.5), snnir.Output(id="y")],
        edges=[("x", "fc1"), ("fc1", "l1"), ("l1", "fc2"), ("fc2", "l2"), ("l2", "y")])

def conv():
    return snnir.Graph(
        nodes=[snnir.Input(id="x", shape=(2, 6, 6)), snnir.Conv2d(id="c", weight=dyadic((4, 2, 3, 3))),
               snnir.LIF(id="l", shape=(4, 4, 4), decay=0.5), snnir.Output(id="y")],
        edges=[("x", "c"), ("c", "l"), ("l", "y")])

def recurrent():
    """A delayed edge (history buffers shifted in time between stages) and a cycle."""
    return snnir.Graph(
        nodes=[snnir.Input(id="x", shape=(16,)), snnir.Linear(id="fc1", weight=dyadic((32, 16))),
               snnir.LIF(id="l1", shape=(32,), decay=0.75), snnir.Linear(id="fc2", weight=dyadic((8, 32))),
               snnir.LIF(id="l2", shape=(8,), decay=0.5), snnir.Linear(id="rec", weight=dyadic((8, 8))),
               snnir.Output(id="y")],
        edges=[("x", "fc1"), ("fc1", "l1"), snnir.Edge(src="l1", dst="fc2", delay=2), ("fc2", "l2"),
               ("l2", "rec"), ("rec", "l2"), ("l2", "y")])

def place(tree, mesh, batch_axis=0):
    """Every array of a state (batch leading) split over the mesh's "data" axis."""
    def put(a):
        spec = [None] * a.ndim
        if a.ndim > batch_axis:
            spec[batch_axis] = "data"
        return jax.device_put(a, NamedSharding(mesh, P(*spec)))
    return jax.tree.map(put, tree)

LENGTHS = np.arange(B) % 5 + 8  # some samples end before the last step

def traced(prog, state, xs, lengths=None):
    """Every node's trace, state variables included, and the final state (flattened)."""
    f = jax.jit(lambda p, s, x, n: p.trace(s, x, state_vars=True, lengths=n))
    final, tr = f(prog, state, xs, lengths)
    out = {k: np.asarray(v) for k, v in tr.items()}
    for path, leaf in jax.tree_util.tree_flatten_with_path(final)[0]:
        # float state compares to a tolerance (keys with ":"), the clock exactly
        out[("final:" if leaf.dtype.kind == "f" else "final") + jax.tree_util.keystr(path)] = np.asarray(leaf)
    return out

def collectives(text):
    return sorted({op for op in ("all-gather", "all-to-all", "all-reduce", "collective-permute")
                   if f" {op}(" in text or f"{op}-start(" in text})

meshes = {"auto": Mesh(np.array(jax.devices()), ("data",), axis_types=(AxisType.Auto,)),
          "explicit": jax.make_mesh((8,), ("data",), axis_types=(AxisType.Explicit,))}
checks = {}
cases = (("feed-forward", feed_forward(), (16,), None), ("conv", conv(), (2, 6, 6), None),
         ("recurrent", recurrent(), (16,), LENGTHS))
for gname, graph, shape, lengths in cases:
    xs = (rng.random((T, B) + shape) < 0.4).astype(np.float32)
    for strategy in ("fused-scan", "layered"):
        prog = snnir.compile(graph, strategy=strategy)
        state = prog.init_state((B,))
        plain = traced(prog, state, xs, lengths)
        for mname, mesh in meshes.items():
            xs_s = jax.device_put(xs, NamedSharding(mesh, P(None, "data")))
            state_s = place(state, mesh)
            n_s = None if lengths is None else jax.device_put(lengths, NamedSharding(mesh, P("data")))
            got = traced(prog, state_s, xs_s, n_s)
            spikes = all(np.array_equal(got[k], plain[k]) for k in plain if ":" not in k)
            membrane = max(float(np.max(np.abs(got[k] - plain[k]))) for k in plain if ":" in k)
            f = jax.jit(lambda p, s, x: p(s, x))
            hlo = f.lower(prog, state_s, xs_s).compile().as_text()
            _, eager = prog(state_s, xs_s, lengths=n_s)  # an eager call with sharded arrays
            checks[f"{gname}/{strategy}/{mname}"] = {
                "spikes_equal": spikes and np.array_equal(np.asarray(eager["y"]), plain["y"]),
                "membrane_err": membrane, "collectives": collectives(hlo),
                "output_sharded": not eager["y"].sharding.is_fully_replicated}
out["batch"] = checks

# a data-parallel gradient: the only collective is the all-reduce of the weight gradients
grad_collectives = {}
for strategy in ("fused-scan", "layered"):
    prog = snnir.compile(feed_forward(), strategy=strategy)
    mesh = meshes["auto"]
    xs = (rng.random((T, B, 16)) < 0.4).astype(np.float32)
    params, static = eqx.partition(prog, prog.trainable())
    loss = lambda p, s, x: eqx.combine(p, static)(s, x)[1]["y"].sum()
    hlo = jax.jit(jax.grad(loss)).lower(params, place(prog.init_state((B,)), mesh),
                                        jax.device_put(xs, NamedSharding(mesh, P(None, "data")))).compile().as_text()
    grad_collectives[strategy] = collectives(hlo)
out["grad_collectives"] = grad_collectives

# the merged [T·B] row layout (the unsharded path) does gather the activations on a mesh: the check
# above would see it
prog = snnir.compile(feed_forward(), strategy="layered")
mesh = meshes["auto"]
xs = (rng.random((T, B, 16)) < 0.4).astype(np.float32)
xs_s = jax.device_put(xs, NamedSharding(mesh, P(None, "data")))
state_s = place(prog.init_state((B,)), mesh)
merged = jax.jit(lambda p, s, x: L.run_layered(p, s, {"x": x}, None, None, None, False, False)[1])
out["merged_collectives"] = collectives(merged.lower(prog, state_s, xs_s).compile().as_text())

# model parallel: the Linear weights [out, in] split over their output axis, the batch over "data"
mesh2 = Mesh(np.array(jax.devices()).reshape(4, 2), ("data", "model"), axis_types=(AxisType.Auto,) * 2)
model = {}
for strategy in ("fused-scan", "layered"):
    prog = snnir.compile(feed_forward(), strategy=strategy)
    state = prog.init_state((B,))
    plain = traced(prog, state, xs)
    w = lambda p: (p.kernels["fc1"].weight, p.kernels["fc2"].weight)
    split = eqx.tree_at(w, prog, replace=tuple(jax.device_put(a, NamedSharding(mesh2, P("model", None)))
                                              for a in w(prog)))
    xs_s = jax.device_put(xs, NamedSharding(mesh2, P(None, "data")))
    got = traced(split, place(state, mesh2), xs_s)
    model[strategy] = {
        "spikes_equal": all(np.array_equal(got[k], plain[k]) for k in plain if ":" not in k),
        "membrane_err": max(float(np.max(np.abs(got[k] - plain[k]))) for k in plain if ":" in k),
        "weight_split": split.kernels["fc1"].weight.sharding.spec == P("model", None)}
out["model"] = model

# auto: the budget is per device, so a batch split over 8 devices may run layered where one device would not
prog = snnir.compile(feed_forward(), memory_budget=prog.layered_bytes(T, (B,)) // 4)
mesh = meshes["explicit"]
xs_s = jax.device_put(xs, NamedSharding(mesh, P(None, "data")))
state_s = place(prog.init_state((B,)), mesh)
scans = lambda s, x: sum(e.primitive.name == "scan" for e in jax.make_jaxpr(lambda s, x: prog(s, x))(s, x).eqns)
out["auto"] = {"one_device": prog.strategy_for(T, (B,)), "eight": prog.strategy_for(T, (B,), shards=8),
               "sharded_shards": L.batch_sharding({"x": xs_s}, 1)[1],
               "scans_sharded": scans(state_s, xs_s), "scans_plain": scans(prog.init_state((B,)), xs)}
print("RESULT " + json.dumps(out))
'''


@pytest.fixture(scope="module")
def sharded():
    env = {**os.environ, "XLA_FLAGS": "--xla_force_host_platform_device_count=8", "JAX_PLATFORMS": "cpu"}
    done = subprocess.run([sys.executable, "-c", SCRIPT], env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-4000:]
    line = next(x for x in done.stdout.splitlines() if x.startswith("RESULT "))
    return json.loads(line[len("RESULT "):])


def test_batch_sharded_runs_match_unsharded(sharded):
    assert len(sharded["batch"]) == 12  # 3 graphs x 2 strategies x 2 kinds of mesh
    for name, r in sharded["batch"].items():
        assert r["spikes_equal"], name
        assert r["membrane_err"] <= 1e-6, name
        assert r["output_sharded"], name  # the outputs come back split over the batch, not gathered


def test_layered_forward_keeps_the_batch_sharded(sharded):
    # no collective at all in the forward pass of either strategy: every device runs its own samples
    for name, r in sharded["batch"].items():
        assert r["collectives"] == [], (name, r["collectives"])
    # and the check does see one: with T and B merged into one row axis XLA gathers the activations
    assert "all-gather" in sharded["merged_collectives"]
    # training: the gradient's sum over the batch, nothing else
    assert sharded["grad_collectives"] == {"fused-scan": ["all-reduce"], "layered": ["all-reduce"]}


def test_weights_split_over_their_output_axis_match_unsharded(sharded):
    for strategy, r in sharded["model"].items():
        assert r["weight_split"] and r["spikes_equal"], strategy
        assert r["membrane_err"] <= 1e-6, strategy


def test_auto_budget_is_per_device(sharded):
    r = sharded["auto"]
    assert (r["one_device"], r["eight"], r["sharded_shards"]) == ("fused-scan", "layered", 8)
    assert r["scans_plain"] == 1 and r["scans_sharded"] == 2  # one fused scan; two LIF stages layered


# ---------------------------------------------------------------------- the memory rule (one device)
def _two_layers(n: int = 256) -> snnir.Graph:
    nodes, edges, prev = [snnir.Input(id="x", shape=(n,))], [], "x"
    for i in range(2):
        nodes += [snnir.Linear(id=f"fc{i}", weight=np.zeros((n, n), np.float32)),
                  snnir.LIF(id=f"l{i}", shape=(n,), decay=0.5)]
        edges += [(prev, f"fc{i}"), (f"fc{i}", f"l{i}")]
        prev = f"l{i}"
    return snnir.Graph(nodes=nodes + [snnir.Output(id="y")], edges=edges + [(prev, "y")])


def test_auto_runs_long_sequences_as_the_fused_scan(monkeypatch):
    monkeypatch.delenv(memory.LAYERED_ENV_VAR, raising=False)
    monkeypatch.setattr(memory, "_device_memory", lambda: None)  # the CPU default, whatever runs the test
    prog = snnir.compile(_two_layers())
    assert prog.strategy == "layered" and prog.auto
    # per step and sample: the two Linear outputs and the first layer's spikes (fc1's input)
    assert prog.hoisted_bytes() == 3 * 256 * 4
    assert prog.layered_bytes(10_000, (32,)) == 3 * 256 * 4 * 10_000 * 32  # 938 MiB
    assert prog.strategy_for(10_000, (32,)) == "fused-scan"
    assert prog.strategy_for(1_000, (32,)) == "layered"  # 94 MiB
    assert prog.strategy_for(10_000, (32,), shards=8) == "layered"  # 117 MiB per device
    # checkpointed: a layered run holds one segment's activations
    assert prog.checkpointed(100).strategy_for(10_000, (32,)) == "layered"
    # the budget: compile's argument, else the environment variable
    assert snnir.compile(_two_layers(), memory_budget="1GiB").strategy_for(10_000, (32,)) == "layered"
    monkeypatch.setenv(memory.LAYERED_ENV_VAR, "10MiB")
    assert prog.strategy_for(1_000, (32,)) == "fused-scan"
    # an explicit strategy is never switched
    assert snnir.compile(_two_layers(), strategy="layered").strategy_for(10_000, (32,)) == "layered"


def test_auto_call_runs_the_strategy_it_names():
    prog = snnir.compile(_two_layers(8), memory_budget=3 * 8 * 4 * 10 * 2)  # 10 steps of batch 2 fit
    state = prog.init_state((2,))
    xs = np.ones((11, 2, 8), np.float32)

    def scans(steps):
        jaxpr = jax.make_jaxpr(lambda s, x: prog(s, x))(state, xs[:steps])
        return sum(e.primitive.name == "scan" for e in jaxpr.eqns)

    assert (prog.strategy_for(10, (2,)), scans(10)) == ("layered", 2)
    assert (prog.strategy_for(11, (2,)), scans(11)) == ("fused-scan", 1)
    a = snnir.compile(_two_layers(8), strategy="fused-scan")(state, xs)[1]["y"]
    np.testing.assert_array_equal(prog(state, xs)[1]["y"], a)


def test_memory_budget_is_checked():
    with pytest.raises(snnir.SnnirError, match="only applies to strategy='auto'"):
        snnir.compile(_two_layers(8), strategy="fused-scan", memory_budget="1GiB")
    with pytest.raises(snnir.SnnirError, match="memory_budget='lots' is not an amount of memory"):
        snnir.compile(_two_layers(8), memory_budget="lots")
    with pytest.raises(snnir.SnnirError, match="memory_budget must be"):
        snnir.compile(_two_layers(8), memory_budget=-1)
    with pytest.raises(snnir.SnnirError, match="steps must be an int"):
        snnir.compile(_two_layers(8)).strategy_for(-3, (2,))


def test_unsharded_inputs_keep_the_merged_layout():
    from snnir.runtime.layered import batch_sharding

    x = jax.numpy.ones((3, 2, 4))
    assert batch_sharding({"x": x}, 1) == (False, 1)
    seen = []
    jax.jit(lambda v: seen.append(batch_sharding({"x": v}, 1)) or v)(x)  # traced: its type names no mesh
    assert seen == [(False, 1)]
