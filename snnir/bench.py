"""Timing compiled models: the JAX compilation apart from the runs, forward and forward+backward.

``snnir bench`` and the benchmark harness (examples/benchmarks/) measure with these functions, so both
report the same quantities:

- ``build_s``: ``snnir.compile`` (the passes, graph to Program);
- ``forward_compile_s`` / ``backward_compile_s``: ``jax.jit(f).lower(...).compile()`` of the forward
  pass and of the gradient of the summed outputs with respect to the trainable parameters;
- ``forward_s`` / ``backward_s``: the median of ``repeats`` runs of the compiled function after one
  warm-up run, each blocked until its result is ready;
- ``backward_bytes``: XLA's own account of the gradient's working memory (temporaries plus outputs,
  ``compiled.memory_analysis()``), what grows with T unless the loop is checkpointed.
"""

from __future__ import annotations

import dataclasses
import math
import statistics
import time
from typing import Any, Callable, Sequence

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np

from . import compile as compile_graph
from .ir import Graph
from .ir.builder import GraphBuilder
from .runtime import Program

STRATEGIES = ("fused-scan", "layered")


@dataclasses.dataclass(frozen=True)
class Measurement:
    """One implementation's times (seconds) and gradient memory (bytes) on one workload."""

    name: str
    build_s: float
    forward_compile_s: float
    forward_s: float
    backward_compile_s: float
    backward_s: float
    backward_bytes: int | None

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


def time_compiled(fn: Callable, args: Sequence[Any], repeats: int) -> tuple[float, float, Any]:
    """(compile seconds, median run seconds, the compiled function) of ``jax.jit(fn)(*args)``."""
    start = time.perf_counter()
    compiled = jax.jit(fn).lower(*args).compile()
    compile_s = time.perf_counter() - start
    jax.block_until_ready(compiled(*args))  # warm-up: first-touch allocations, thread pools
    runs = []
    for _ in range(max(1, repeats)):
        start = time.perf_counter()
        jax.block_until_ready(compiled(*args))
        runs.append(time.perf_counter() - start)
    return compile_s, statistics.median(runs), compiled


def gradient_bytes(compiled: Any) -> int | None:
    """Working memory of a compiled function as XLA reports it (None where the backend does not)."""
    analysis = compiled.memory_analysis()
    if analysis is None:
        return None
    return int(analysis.temp_size_in_bytes + analysis.output_size_in_bytes)


def random_inputs(prog: Program, steps: int, batch: int, rate: float = 0.2, seed: int = 0,
                  spikes: bool = True) -> dict[str, jax.Array]:
    """Inputs for every Input node, [steps, batch, *shape]: Bernoulli(rate) spikes, or uniform [0, 1)."""
    rng = np.random.default_rng(seed)
    out = {}
    for iid, shape in prog.input_shapes.items():
        draw = rng.random((steps, batch) + shape)
        out[iid] = jnp.asarray((draw < rate) if spikes else draw, prog.dtype)
    return out


def program_functions(prog: Program) -> tuple[Callable, Callable, Any]:
    """(forward, backward, params): pure functions of (params, state, xs) for jit. ``forward`` returns
    the outputs; ``backward`` the gradient of their sum with respect to the trainable parameters."""
    params, static = eqx.partition(prog, prog.trainable())

    def forward(params, state, xs):
        return eqx.combine(params, static)(state, xs)[1]

    def loss(params, state, xs):
        return sum(jnp.sum(y) for y in forward(params, state, xs).values())

    return forward, jax.grad(loss), params


def measure_program(prog: Program, xs: dict[str, jax.Array], repeats: int, name: str = "",
                    build_s: float = 0.0) -> Measurement:
    """Time ``prog`` forward and forward+backward on ``xs`` ([T, batch, ...] per input)."""
    forward, backward, params = program_functions(prog)
    batch = next(iter(xs.values())).shape[1:2]
    args = (params, prog.init_state(batch), xs)
    fc, f, _ = time_compiled(forward, args, repeats)
    bc, b, compiled = time_compiled(backward, args, repeats)
    return Measurement(name or prog.strategy, build_s, fc, f, bc, b, gradient_bytes(compiled))


def measure_graph(graph: Graph, strategy: str, xs: dict[str, jax.Array], repeats: int = 5,
                  **options: Any) -> Measurement:
    """``snnir.compile(graph, strategy=strategy, **options)`` timed, then the program timed on ``xs``."""
    start = time.perf_counter()
    prog = compile_graph(graph, strategy=strategy, **options)
    build_s = time.perf_counter() - start
    return measure_program(prog, xs, repeats, name=strategy, build_s=build_s)


# ---------------------------------------------------------------------- the Open Neuromorphic protocol
PROTOCOL_DECAY = 0.9


def protocol_graph(n: int, key: int = 0) -> Graph:
    """One Linear(n -> n, no bias) + LIF layer (decay 0.9, threshold 1, subtractive detached reset,
    superspike surrogate): the Open Neuromorphic SNN benchmark's network."""
    b = GraphBuilder(key=key)
    b.output(b.lif(b.linear(b.input("x", n), n, bias=False, id="fc"), decay=PROTOCOL_DECAY, id="lif"), id="y")
    return b.build()


def protocol_inputs(n: int, steps: int, batch: int) -> jax.Array:
    """The protocol's input: uniform in [0, 1), [steps, batch, n], float32."""
    return jax.random.uniform(jax.random.key(1), (steps, batch, n), jnp.float32)


def gemm_floor(weight: jax.Array, xs: jax.Array, repeats: int) -> Measurement:
    """The GEMM-only floor of a Linear over all T·batch rows: forward the matmul, forward+backward the
    matmul and its weight gradient (two GEMMs; the cotangent is xs, so dW is a real GEMM)."""
    n_in = xs.shape[-1]

    def forward(w, xs):
        return xs.reshape(-1, n_in) @ w.T

    def backward(w, xs):
        return jax.value_and_grad(lambda w: jnp.sum(forward(w, xs) * xs.reshape(-1, n_in)))(w)

    fc, f, _ = time_compiled(forward, (weight, xs), repeats)
    bc, b, compiled = time_compiled(backward, (weight, xs), repeats)
    return Measurement("floor", 0.0, fc, f, bc, b, gradient_bytes(compiled))


def memory_vs_steps(graph: Graph, steps: Sequence[int], batch: int, strategies: Sequence[str] = STRATEGIES,
                    run: bool = False, repeats: int = 1, **options: Any) -> list[dict[str, Any]]:
    """For each strategy and T: the gradient's working memory without and with checkpointing (segments of
    about sqrt(T) steps), from the compiled functions (nothing runs unless ``run``; then their times too)."""
    rows = []
    for strategy, t in ((s, t) for s in strategies for t in steps):
        every = max(1, math.isqrt(t))
        row: dict[str, Any] = {"strategy": strategy, "steps": t, "every": every}
        for label, every_option in (("plain", None), ("checkpointed", every)):
            prog = compile_graph(graph, strategy=strategy, checkpoint_every=every_option, **options)
            _, backward, params = program_functions(prog)
            xs = {iid: jax.ShapeDtypeStruct((t, batch) + shape, jnp.dtype(prog.dtype))
                  for iid, shape in prog.input_shapes.items()}
            state = prog.init_state((batch,))
            start = time.perf_counter()
            compiled = jax.jit(backward).lower(params, state, xs).compile()
            row[f"{label}_compile_s"] = time.perf_counter() - start
            row[f"{label}_bytes"] = gradient_bytes(compiled)
            if run:
                real = random_inputs(prog, t, batch, spikes=False)
                _, row[f"{label}_s"], _ = time_compiled(backward, (params, state, real), repeats)
        rows.append(row)
    return rows
