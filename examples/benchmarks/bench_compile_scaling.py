"""How compile time grows with the graph: nodes against the time of each stage, and fitted exponents.

The graph is a chain, input -> k x (Linear 16 -> 16 + LIF) -> output (n = 2k + 2 nodes), as the 202-node
graph of docs/performance.md. For each size, in one process and in this order:

- **verify**: ``snnir.verify(graph)``;
- **analyze**: ``snnir.analyze(graph)`` (verify, the passes, the analyses);
- **compile**: ``snnir.compile(graph)`` (verify, the passes, the lowering: graph to Program);
- **trace+lower**: ``jax.jit(prog).lower(state, xs)`` (JAX traces the program and lowers it to HLO);
- **XLA**: ``.compile()`` of that;
- **first output**: from the graph to the first output ready: compile + ``init_state`` + trace+lower +
  XLA + the first run (T = 10, batch 2).

Times are seconds of wall clock (``time.perf_counter``); ``--cpu`` reports this process's CPU time
instead, which a busy machine disturbs less. The exponent of a stage is the slope of log(time) against
log(nodes), least squares over the sizes measured: 1 is linear.

    .venv/bin/python examples/benchmarks/bench_compile_scaling.py                 # 202 .. 3002 nodes
    .venv/bin/python examples/benchmarks/bench_compile_scaling.py --layers 100 500 --strategy fused-scan
"""

from __future__ import annotations

import argparse
import math
import platform
import time

import jax
import jax.numpy as jnp

import snnir

STAGES = ("verify", "analyze", "compile", "init_state", "trace+lower", "XLA", "run", "first output")
STEPS, BATCH, WIDTH = 10, 2, 16


def chain(layers: int) -> snnir.Graph:
    """input -> layers x (Linear(16 -> 16) + LIF) -> output: 2 * layers + 2 nodes."""
    b = snnir.GraphBuilder(key=0)
    h = b.input("x", WIDTH)
    for i in range(layers):
        h = b.lif(b.linear(h, WIDTH, id=f"fc{i}"), decay=0.9, id=f"lif{i}")
    b.output(h, id="y")
    return b.build()


def measure(layers: int, strategy: str, clock) -> dict[str, float]:
    """Every stage's time for one size (see the module docstring)."""
    graph = chain(layers)
    times: dict[str, float] = {}

    def timed(name, fn, *args):
        start = clock()
        out = fn(*args)
        times[name] = clock() - start
        return out

    timed("verify", snnir.verify, graph)
    timed("analyze", snnir.analyze, graph)
    prog = timed("compile", lambda: snnir.compile(graph, strategy=strategy))
    start = clock()
    state = prog.init_state((BATCH,))
    xs = jnp.ones((STEPS, BATCH, WIDTH), jnp.float32)
    times["init_state"] = clock() - start
    lowered = timed("trace+lower", lambda: jax.jit(prog).lower(state, xs))
    compiled = timed("XLA", lowered.compile)
    timed("run", lambda: jax.block_until_ready(compiled(state, xs)))
    times["first output"] = sum(times[k] for k in ("compile", "init_state", "trace+lower", "XLA", "run"))
    return times


def exponent(nodes: list[int], values: list[float]) -> float:
    """The least-squares slope of log(value) against log(nodes)."""
    xs, ys = [math.log(n) for n in nodes], [math.log(max(v, 1e-9)) for v in values]
    mx, my = sum(xs) / len(xs), sum(ys) / len(ys)
    return sum((x - mx) * (y - my) for x, y in zip(xs, ys)) / sum((x - mx) ** 2 for x in xs)


def table(nodes: list[int], rows: list[dict[str, float]]) -> str:
    lines = ["| nodes | " + " | ".join(STAGES) + " |", "|---:|" + "---:|" * len(STAGES)]
    for n, row in zip(nodes, rows):
        lines.append(f"| {n} | " + " | ".join(f"{row[s]:.2f}" for s in STAGES) + " |")
    if len(nodes) > 1:
        lines.append("| exponent | " + " | ".join(f"{exponent(nodes, [r[s] for r in rows]):.2f}" for s in STAGES)
                     + " |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--layers", type=int, nargs="+", default=[100, 250, 500, 1000, 1500],
                        help="Linear + LIF pairs per graph (nodes = 2 * layers + 2)")
    parser.add_argument("--strategy", default="auto", choices=("auto", "fused-scan", "layered"))
    parser.add_argument("--cpu", action="store_true", help="report process CPU time instead of wall time")
    args = parser.parse_args()
    clock = time.process_time if args.cpu else time.perf_counter
    measure(2, args.strategy, clock)  # warm up imports and JAX's own caches
    nodes, rows = [], []
    for layers in args.layers:
        rows.append(measure(layers, args.strategy, clock))
        nodes.append(2 * layers + 2)
        print(f"{nodes[-1]} nodes: " + ", ".join(f"{s} {rows[-1][s]:.2f}" for s in STAGES), flush=True)
    print()
    print(f"Machine: {platform.processor() or platform.machine()}, jax {jax.__version__} "
          f"({jax.default_backend()}), Python {platform.python_version()}; strategy {args.strategy}; "
          f"{'CPU' if args.cpu else 'wall'} seconds, T = {STEPS}, batch {BATCH}.")
    print()
    print(table(nodes, rows))


if __name__ == "__main__":
    main()
