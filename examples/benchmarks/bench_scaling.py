"""Throughput against the number of devices: data parallelism with JAX's own sharding.

The net is input(64) -> 2 x (Linear 256 + LIF) -> Linear(10) + LIF -> output, T = 100 steps, a global
batch of 64 samples split over the devices of a one-axis mesh ("data"), parameters replicated. For each
device count (1, 2, 4, 8) a fresh process starts with ``--xla_force_host_platform_device_count=N`` (the
flag must be set before JAX starts) and times, for both strategies:

- **forward**: ``jax.jit`` of ``prog(state, xs)``;
- **train step**: ``eqx.filter_jit`` of the loss's gradient with respect to the trainable parameters and
  a plain SGD update (the program is an argument, so one trace serves every step).

Compilation is excluded; a time is the median of ``--repeats`` runs, each blocked until ready, and the
table gives the median over ``--rounds`` rounds, which visit every device count in turn (so a load
that comes and goes touches all of them alike); throughput is samples per second. On a CPU the
simulated devices share the same cores, so the table shows that sharding is correct and what it
costs, not a speedup (docs/scaling.md).

    .venv/bin/python examples/benchmarks/bench_scaling.py                 # 1, 2, 4, 8 devices
    .venv/bin/python examples/benchmarks/bench_scaling.py --devices 1 8 --steps 200 --batch 128

``--long 1000 3000 10000`` measures instead what ``strategy="auto"``'s memory rule weighs, on one device:
2 x (Linear 256 + LIF) at batch 32 (the hoisted activations, both Linear outputs and the first
layer's spikes, are 3 x T x 32 x 256 x 4 bytes) for each T,
forward and fwd+bwd times of both strategies, XLA's memory account of the compiled forward pass
(temporaries + outputs), and the strategy ``auto`` picks.

    .venv/bin/python examples/benchmarks/bench_scaling.py --long 1000 2000 3000 5000 10000
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys

STRATEGIES = ("fused-scan", "layered")


def graph(width: int):
    import snnir

    b = snnir.GraphBuilder(key=0)
    h = b.input("x", 64)
    for i in range(2):
        h = b.lif(b.linear(h, width, id=f"fc{i}"), decay=0.9, id=f"lif{i}")
    h = b.lif(b.linear(h, 10, id="readout"), decay=0.9, id="out_lif")
    b.output(h, id="y")
    return b.build()


def child(devices: int, steps: int, batch: int, width: int, repeats: int) -> dict:
    """One device count, in this process (XLA_FLAGS already set by the parent)."""
    import time

    import equinox as eqx
    import jax
    import jax.numpy as jnp
    import numpy as np
    from jax.sharding import NamedSharding, PartitionSpec as P

    import snnir

    assert jax.device_count() == devices, (jax.device_count(), devices)
    mesh = jax.make_mesh((devices,), ("data",))
    rng = np.random.default_rng(0)
    xs = jax.device_put((rng.random((steps, batch, 64)) < 0.2).astype(np.float32),
                        NamedSharding(mesh, P(None, "data")))
    target = jax.device_put(rng.integers(0, 10, batch), NamedSharding(mesh, P("data")))

    def timed(fn, *args):
        jax.block_until_ready(fn(*args))  # the first run, after compilation
        times = []
        for _ in range(repeats):
            start = time.perf_counter()
            jax.block_until_ready(fn(*args))
            times.append(time.perf_counter() - start)
        return float(np.median(times))

    rows = {}
    for strategy in STRATEGIES:
        # the parameters replicated on the mesh: every device holds them, and the gradient's sum over
        # the batch (split over "data") becomes an all-reduce
        prog = jax.device_put(snnir.compile(graph(width), strategy=strategy), NamedSharding(mesh, P()))
        # the state's batch axis over the mesh like the data's; the parameters stay replicated
        state = jax.tree.map(lambda a: jax.device_put(a, NamedSharding(mesh, P(*(["data"] + [None] * (a.ndim - 1))
                                                                                 if a.ndim else P()))),
                             prog.init_state((batch,)))

        forward = jax.jit(lambda p, s, x: p(s, x)[1]["y"])

        def loss(params, static, s, x, y):
            p = eqx.combine(params, static)
            counts = p(s, x)[1]["y"].sum(0)  # spikes per class over time
            logits = counts - jax.scipy.special.logsumexp(counts, axis=-1, keepdims=True)
            return -jnp.mean(jnp.take_along_axis(logits, y[:, None], axis=-1))

        @eqx.filter_jit
        def train_step(p, s, x, y):
            params, static = eqx.partition(p, p.trainable())
            grads = jax.grad(loss)(params, static, s, x, y)
            params = jax.tree.map(lambda w, g: w - 1e-3 * g, params, grads)
            return eqx.combine(params, static)

        rows[strategy] = {"forward": batch / timed(forward, prog, state, xs),
                          "train step": batch / timed(train_step, prog, state, xs, target)}
    return rows


def long_sequences(lengths: list[int], repeats: int) -> None:
    """The table of ``--long`` (see the module docstring), printed as Markdown."""
    import time

    import equinox as eqx
    import jax
    import jax.numpy as jnp
    import numpy as np

    import snnir

    batch, width = 32, 256
    b = snnir.GraphBuilder(key=0)
    h = b.input("x", width)
    for i in range(2):
        h = b.lif(b.linear(h, width, id=f"fc{i}"), decay=0.9, id=f"lif{i}")
    b.output(h, id="y")
    g = b.build()
    rng = np.random.default_rng(0)

    def timed(compiled, *args):
        jax.block_until_ready(compiled(*args))
        times = []
        for _ in range(repeats):
            start = time.perf_counter()
            jax.block_until_ready(compiled(*args))
            times.append(time.perf_counter() - start)
        return float(np.median(times))

    print(f"{cpu_name()}, {os.cpu_count()} cores, jax {jax.__version__}; load average {os.getloadavg()[0]:.1f}; "
          f"2 x (Linear {width} + LIF), batch {batch}; seconds, median of {repeats} runs\n")
    print("| T | hoisted | fused-scan fwd | layered fwd | fused-scan fwd+bwd | layered fwd+bwd "
          "| memory fwd fused / layered | auto picks |")
    print("|---:|---:|---:|---:|---:|---:|---:|---|")
    auto = snnir.compile(g)
    for steps in lengths:
        xs = jnp.asarray(rng.random((steps, batch, width)) < 0.2, jnp.float32)
        cells, memory = [], []
        for what in ("forward", "fwd+bwd"):
            for strategy in STRATEGIES:
                prog = snnir.compile(g, strategy=strategy)
                state = prog.init_state((batch,))
                params, static = eqx.partition(prog, prog.trainable())
                if what == "forward":
                    fn = jax.jit(lambda p, s, x, static=static: eqx.combine(p, static)(s, x)[1]["y"])
                else:
                    fn = jax.jit(jax.grad(lambda p, s, x, static=static: eqx.combine(p, static)(s, x)[1]["y"].sum()))
                compiled = fn.lower(params, state, xs).compile()
                if what == "forward":
                    m = compiled.memory_analysis()
                    memory.append((m.temp_size_in_bytes + m.output_size_in_bytes) / 2**20)
                cells.append(timed(compiled, params, state, xs))
        hoisted = auto.layered_bytes(steps, (batch,)) / 2**20
        print(f"| {steps:,} | {hoisted:,.0f} MiB | " + " | ".join(f"{c:.3f}" for c in cells)
              + f" | {memory[0]:,.0f} / {memory[1]:,.0f} MiB | {auto.strategy_for(steps, (batch,))} |", flush=True)


def cpu_name() -> str:
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as f:
            return next(line.split(":", 1)[1].strip() for line in f if line.startswith("model name"))
    except (OSError, StopIteration):
        return platform.processor() or platform.machine()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--devices", type=int, nargs="+", default=[1, 2, 4, 8])
    parser.add_argument("--steps", type=int, default=100)
    parser.add_argument("--batch", type=int, default=64, help="global batch, split over the devices")
    parser.add_argument("--width", type=int, default=256)
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--long", type=int, nargs="+", metavar="T",
                        help="measure the auto rule's memory trade-off at these sequence lengths instead")
    parser.add_argument("--child", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.long:
        long_sequences(args.long, args.repeats)
        return
    if args.child:
        print("RESULT " + json.dumps(child(args.child, args.steps, args.batch, args.width, args.repeats)))
        return

    runs: dict[int, list[dict]] = {n: [] for n in args.devices}
    load_before = os.getloadavg()[0]
    for n in args.devices:
        if args.batch % n:
            sys.exit(f"the batch {args.batch} does not split over {n} devices: choose a multiple")
    for round_ in range(args.rounds):
        for n in args.devices:
            env = {**os.environ, "XLA_FLAGS": f"--xla_force_host_platform_device_count={n}", "JAX_PLATFORMS": "cpu"}
            cmd = [sys.executable, __file__, "--child", str(n), "--steps", str(args.steps), "--batch",
                   str(args.batch), "--width", str(args.width), "--repeats", str(args.repeats)]
            done = subprocess.run(cmd, env=env, capture_output=True, text=True, check=False)
            if done.returncode:
                sys.exit(f"{n} devices failed:\n{done.stderr[-3000:]}")
            runs[n].append(json.loads(next(x for x in done.stdout.splitlines() if x.startswith("RESULT "))[7:]))
            print(f"round {round_ + 1}: {n} device(s) done", file=sys.stderr, flush=True)
    results = {n: {s: {what: statistics.median(r[s][what] for r in rs) for what in ("forward", "train step")}
                   for s in STRATEGIES} for n, rs in runs.items()}

    import jax

    print(f"{cpu_name()}, {os.cpu_count()} cores, jax {jax.__version__}, Python {platform.python_version()}; "
          f"load average {load_before:.1f} before, {os.getloadavg()[0]:.1f} after; T = {args.steps}, "
          f"global batch {args.batch}, "
          f"width {args.width}; samples/s, median of {args.repeats} runs, median over {args.rounds} rounds\n")
    print("| devices | fused-scan forward | layered forward | fused-scan train step | layered train step |")
    print("|---:|---:|---:|---:|---:|")
    for n, r in results.items():
        cells = [r[s]["forward"] for s in STRATEGIES] + [r[s]["train step"] for s in STRATEGIES]
        print(f"| {n} | " + " | ".join(f"{c:,.0f}" for c in cells) + " |")


if __name__ == "__main__":
    main()
