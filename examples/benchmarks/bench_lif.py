"""The Open Neuromorphic SNN benchmark on snnir, beside a hand-written JAX version and the GEMM floor.

Protocol: one Linear(n -> n, no bias) + LIF layer, batch 16, T = 500, float32. "forward" returns the
spikes; "forward+backward" the gradient of the summed spikes with respect to the Linear weight. In the
same run it times snnir (fused-scan, layered, and layered with bfloat16 products), a hand-written JAX
version (the Linear hoisted out of the scan: x @ W.T over all T*B rows, then a lax.scan of the LIF
update), the GEMM-only floor (that matmul alone; forward+backward: the matmul and its weight gradient),
and Spyx, snnTorch and Norse, each in the peers' own environment (peers/setup.sh; their LIF matched as
peers/README.md says). Then a 3-layer feed-forward net and a recurrent net at n = 512 (fused-scan vs
layered), the compile time of a 200-node graph, and gradient memory and time vs T up to 10,000 with and
without checkpointing.

Each measurement runs in its own process; compilation (jax.jit(...).lower(...).compile()) is timed
apart from the runs, which are blocked until ready; the time reported is the median of --repeats runs
(and the median over --rounds, which interleave all measurements).

    bash examples/benchmarks/peers/setup.sh                                 # once: .venv-peers
    .venv/bin/python examples/benchmarks/bench_lif.py --write-docs          # n = 512, 1024, 2048
    .venv/bin/python examples/benchmarks/bench_lif.py --sizes 4096 --rounds 1 --no-peers --no-memory
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import time
from pathlib import Path

import equinox as eqx
import jax
import jax.numpy as jnp

import snnir
from snnir.bench import memory_vs_steps, protocol_graph, time_compiled

BATCH, STEPS, DECAY, THRESHOLD, BETA = 16, 500, 0.9, 1.0, 10.0
IMPLS = ("floor", "jax", "fused-scan", "layered", "layered-bf16")
STRATEGIES = ("fused-scan", "layered")
PEERS = ("spyx", "snntorch", "norse")
PEER_DIR = Path(__file__).resolve().parent / "peers"
PEER_PYTHON = Path(__file__).resolve().parents[2] / ".venv-peers" / "bin" / "python"
MEMORY_N, MEMORY_STEPS = 512, (500, 1000, 2000, 5000, 10000)
DOCS = Path(__file__).resolve().parents[2] / "docs" / "performance.md"
BEGIN, END = "<!-- bench:begin (written by examples/benchmarks/bench_lif.py) -->", "<!-- bench:end -->"


# ---------------------------------------------------------------------- graphs
def single_layer(n: int) -> snnir.Graph:
    return protocol_graph(n)


def feed_forward(n: int, layers: int = 3, width: int | None = None) -> snnir.Graph:
    b = snnir.GraphBuilder(key=0)
    h = b.input("x", n)
    for i in range(layers):
        h = b.lif(b.linear(h, width or n, bias=False, id=f"fc{i}"), decay=DECAY, id=f"lif{i}")
    b.output(h, id="y")
    return b.build()


def recurrent(n: int) -> snnir.Graph:
    b = snnir.GraphBuilder(key=0)
    s = b.lif(b.linear(b.input("x", n), n, bias=False, id="fc"), decay=DECAY, id="lif")
    b.connect(b.linear(s, n, bias=False, id="rec"), s)
    b.output(s, id="y")
    return b.build()


GRAPHS = {"lif": single_layer, "ff3": feed_forward, "rec": recurrent,
          "chain200": lambda n: feed_forward(n, layers=100, width=16)}


def inputs(n: int) -> jax.Array:
    return jax.random.uniform(jax.random.key(1), (STEPS, BATCH, n), jnp.float32)


# ---------------------------------------------------------------------- implementations
# Each returns (forward, forward_backward, args): pure functions of the arrays in args.
def snnir_impl(graph: snnir.Graph, prog: snnir.Program):
    ids = [node.id for node in graph.nodes if isinstance(node, snnir.Linear)]
    params, static = eqx.partition(prog, eqx.is_array)
    weights = {i: prog.kernels[i].weight for i in ids}
    state = prog.init_state(batch_shape=(BATCH,))
    n_in = graph.nodes[0].shape[-1]

    def forward(weights, params, state, xs):
        p = eqx.tree_at(lambda p: [p.kernels[i].weight for i in ids], eqx.combine(params, static),
                        [weights[i] for i in ids])
        return p(state, xs)[1]["y"]

    def forward_backward(weights, params, state, xs):
        return jax.grad(lambda w: jnp.sum(forward(w, params, state, xs)))(weights)

    return forward, forward_backward, (weights, params, state, inputs(n_in))


@jax.custom_jvp
def spike(x):
    return (x > 0).astype(x.dtype)


@spike.defjvp
def _spike_jvp(primals, tangents):  # superspike, snnir's default surrogate
    (x,), (dx,) = primals, tangents
    return spike(x), dx / (1.0 + BETA * jnp.abs(x)) ** 2


def lif_scan(currents: jax.Array) -> jax.Array:
    def step(v, x):
        u = DECAY * v + x
        s = spike(u - THRESHOLD)
        return u - jax.lax.stop_gradient(THRESHOLD * s), s

    return jax.lax.scan(step, jnp.zeros(currents.shape[1:], currents.dtype), currents)[1]


def jax_impl(n: int):
    w = single_layer(n).nodes[1].weight

    def forward(w, xs):
        return lif_scan((xs.reshape(-1, n) @ w.T).reshape(xs.shape))

    def forward_backward(w, xs):
        return jax.grad(lambda w: jnp.sum(forward(w, xs)))(w)

    return forward, forward_backward, (jnp.asarray(w), inputs(n))


def floor_impl(n: int):
    w = single_layer(n).nodes[1].weight

    def forward(w, xs):
        return xs.reshape(-1, n) @ w.T

    def forward_backward(w, xs):  # the value keeps the forward GEMM; the cotangent (xs) makes dW a GEMM
        return jax.value_and_grad(lambda w: jnp.sum(forward(w, xs) * xs.reshape(-1, n)))(w)

    return forward, forward_backward, (jnp.asarray(w), inputs(n))


# ---------------------------------------------------------------------- timing
def timed(fn, args, repeats: int) -> tuple[float, float]:
    """(compile seconds, median run seconds) of jit(fn)(*args); the first run is a warm-up."""
    return time_compiled(fn, args, repeats)[:2]


def measure(bench: str, impl: str, n: int, repeats: int) -> dict:
    build_s = 0.0  # snnir.compile: graph to Program (the passes, not the JAX compilation)
    if bench == "memory":
        return {"bench": bench, "impl": impl, "n": n,
                "rows": memory_vs_steps(single_layer(n), MEMORY_STEPS, BATCH, (impl,), run=True)}
    if impl in STRATEGIES or impl == "layered-bf16":
        graph = GRAPHS[bench](n)
        t0 = time.perf_counter()
        options = {"strategy": "layered", "precision": "bfloat16"} if impl == "layered-bf16" else {"strategy": impl}
        prog = snnir.compile(graph, mode="straight", **options)
        build_s = time.perf_counter() - t0
        fwd, fwd_bwd, args = snnir_impl(graph, prog)
    else:
        fwd, fwd_bwd, args = {"jax": jax_impl, "floor": floor_impl}[impl](n)
    fc, f = timed(fwd, args, repeats)
    bc, b = timed(fwd_bwd, args, repeats)
    return {"bench": bench, "impl": impl, "n": n, "build_s": build_s,
            "fwd_compile_s": fc, "fwd_s": f, "bwd_compile_s": bc, "bwd_s": b}


def jobs(sizes: list[int], peers: tuple[str, ...]) -> list[tuple[str, str, int]]:
    out = [("lif", impl, n) for n in sizes for impl in IMPLS + peers]
    out += [(bench, s, 512) for bench in ("ff3", "rec") for s in STRATEGIES]
    return out + [("chain200", s, 16) for s in STRATEGIES]


def command(bench: str, impl: str, n: int, repeats: int, peer_python: Path) -> list[str]:
    """Each measurement in a fresh process: snnir's in this Python, a peer's in the peers' environment."""
    if impl in PEERS:
        return [str(peer_python), str(PEER_DIR / f"{impl}_lif.py"), "--n", str(n), "--batch", str(BATCH),
                "--steps", str(STEPS), "--repeats", str(repeats)]
    return [sys.executable, __file__, "--worker", bench, impl, str(n), "--repeats", str(repeats)]


def run_all(args) -> list[dict]:
    todo = jobs(args.sizes, args.peer_names)
    results: dict[tuple, list[dict]] = {job: [] for job in todo}
    for r in range(args.rounds):
        for bench, impl, n in todo:
            repeats = 1 if bench == "chain200" else args.repeats
            cmd = command(bench, impl, n, repeats, args.peers)
            out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
            res = json.loads(out.strip().splitlines()[-1])
            results[(bench, impl, n)].append(res)
            print(f"  round {r + 1}: {bench:8s} {impl:12s} n={n:<5d} fwd {res['fwd_s']:.4f} s  "
                  f"fwd+bwd {res['bwd_s']:.4f} s  (compile {res['fwd_compile_s']:.1f} + {res['bwd_compile_s']:.1f} s)",
                  flush=True)
    return [{k: (statistics.median(r[k] for r in rs) if isinstance(rs[0][k], float) else rs[0][k])
             for k in rs[0]} for rs in results.values()]


def run_memory(args) -> list[dict]:
    """Gradient memory and time vs T at n = MEMORY_N (one process per strategy, run once)."""
    rows = []
    for strategy in STRATEGIES:
        cmd = command("memory", strategy, MEMORY_N, 1, args.peers)
        out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
        rows += json.loads(out.strip().splitlines()[-1])["rows"]
        print(f"  memory: {strategy} done", flush=True)
    return rows


# ---------------------------------------------------------------------- report
def machine() -> str:
    cpu = platform.processor() or "unknown CPU"
    try:
        cpu = next(line.split(":", 1)[1].strip() for line in open("/proc/cpuinfo") if line.startswith("model name"))
    except (OSError, StopIteration):
        pass
    return (f"{cpu}, {os.cpu_count()} cores, jax {jax.__version__} ({jax.default_backend()}), "
            f"equinox {eqx.__version__}, Python {platform.python_version()}")


def memory_table(rows: list[dict]) -> list[str]:
    lines = ["", f"Memory for long sequences: the single layer at n = {MEMORY_N}, batch {BATCH}, fwd+bwd. Memory is"
             " XLA's account of the compiled gradient (temporaries + outputs); checkpointed: segments of about"
             " sqrt(T) steps (`checkpoint_every`); times from one run:", "",
             "| strategy | T | segment | plain memory | checkpointed memory | plain fwd+bwd | checkpointed fwd+bwd |",
             "|---|---:|---:|---:|---:|---:|---:|"]
    for r in rows:
        lines.append(f"| {r['strategy']} | {r['steps']} | {r['every']} | {r['plain_bytes'] / 2**20:.1f} MiB | "
                     f"{r['checkpointed_bytes'] / 2**20:.1f} MiB | {r['plain_s']:.3f} | {r['checkpointed_s']:.3f} |")
    return lines


def tables(results: list[dict], args, memory: list[dict] | None = None) -> str:
    by = {(r["bench"], r["impl"], r["n"]): r for r in results}
    versions = sorted({f"{r['impl']} {r['version']}" for r in results if "version" in r})
    lines = [f"Machine: {machine()}. Batch {BATCH}, T = {STEPS}, float32; median of {args.repeats} runs"
             f" per process, median over {args.rounds} round(s); times in seconds.", "",
             "Single Linear(n -> n) + LIF layer (the Open Neuromorphic protocol):", "",
             "| n | implementation | forward | x floor | x JAX | fwd+bwd | x floor | x JAX | compile fwd / fwd+bwd |",
             "|---:|---|---:|---:|---:|---:|---:|---:|---:|"]
    for n in args.sizes:
        floor, ref = by[("lif", "floor", n)], by[("lif", "jax", n)]
        for impl in IMPLS + args.peer_names:
            r = by[("lif", impl, n)]
            lines.append(f"| {n} | {impl} | {r['fwd_s']:.4f} | {r['fwd_s'] / floor['fwd_s']:.2f} | "
                         f"{r['fwd_s'] / ref['fwd_s']:.2f} | {r['bwd_s']:.4f} | {r['bwd_s'] / floor['bwd_s']:.2f} | "
                         f"{r['bwd_s'] / ref['bwd_s']:.2f} | {r['fwd_compile_s']:.2f} / {r['bwd_compile_s']:.2f} |")
    if ("ff3", "fused-scan", 512) not in by:  # a partial run (--sizes only): the single layer alone
        return "\n".join(lines + (memory_table(memory) if memory else []))
    lines += ["", "Deeper nets at n = 512 (3-layer feed-forward: 3 x (Linear + LIF); recurrent: Linear + LIF with a"
              " recurrent Linear edge):", "",
              "| net | strategy | forward | fwd+bwd | layered / fused (fwd, fwd+bwd) | compile fwd / fwd+bwd |",
              "|---|---|---:|---:|---:|---:|"]
    for bench, name in (("ff3", "3-layer feed-forward"), ("rec", "recurrent")):
        fused = by[(bench, "fused-scan", 512)]
        for s in STRATEGIES:
            r = by[(bench, s, 512)]
            lines.append(f"| {name} | {s} | {r['fwd_s']:.4f} | {r['bwd_s']:.4f} | {r['fwd_s'] / fused['fwd_s']:.2f}, "
                         f"{r['bwd_s'] / fused['bwd_s']:.2f} | {r['fwd_compile_s']:.2f} / {r['bwd_compile_s']:.2f} |")
    lines += ["", "Compile time of a 202-node graph (input, 100 x (Linear 16 -> 16 + LIF), output; run times"
              " from one run per round):", "",
              "| strategy | snnir.compile | jit compile forward | jit compile fwd+bwd | forward run | fwd+bwd run |",
              "|---|---:|---:|---:|---:|---:|"]
    for s in STRATEGIES:
        r = by[("chain200", s, 16)]
        lines.append(f"| {s} | {r['build_s']:.2f} | {r['fwd_compile_s']:.2f} | {r['bwd_compile_s']:.2f} | "
                     f"{r['fwd_s']:.4f} | {r['bwd_s']:.4f} |")
    if memory:
        lines += memory_table(memory)
    return "\n".join(lines)


HEADER = "# Performance\n\nWritten by examples/benchmarks/bench_lif.py; see its docstring for the protocol.\n\n## Results\n\n"


def write_docs(text: str) -> None:
    block = f"{BEGIN}\n{text}\n{END}"
    old = DOCS.read_text() if DOCS.exists() else HEADER + f"{BEGIN}\n{END}\n\n## Reading\n\n(to be written)\n"
    head, _, rest = old.partition(BEGIN)
    DOCS.write_text(head + block + rest.partition(END)[2])
    print(f"wrote {DOCS}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[512, 1024, 2048])
    parser.add_argument("--repeats", type=int, default=5, help="timed runs per measurement (default 5)")
    parser.add_argument("--rounds", type=int, default=3, help="passes over all measurements (default 3)")
    parser.add_argument("--write-docs", action="store_true", help=f"write the tables into {DOCS}")
    parser.add_argument("--peers", type=Path, default=PEER_PYTHON,
                        help="Python of the peers' environment (examples/benchmarks/peers/setup.sh makes it)")
    parser.add_argument("--no-peers", action="store_true", help="time snnir, JAX and the floor only")
    parser.add_argument("--no-memory", action="store_true", help=f"skip memory vs T (T up to {MEMORY_STEPS[-1]})")
    parser.add_argument("--worker", nargs=3, metavar=("BENCH", "IMPL", "N"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        bench, impl, n = args.worker
        print(json.dumps(measure(bench, impl, int(n), args.repeats)))
        return
    args.peer_names = () if args.no_peers else PEERS
    if args.peer_names and not args.peers.exists():
        parser.error(f"no peers' environment at {args.peers}: run examples/benchmarks/peers/setup.sh, "
                     "or pass --no-peers")
    print(machine(), flush=True)
    memory = [] if args.no_memory else run_memory(args)
    text = tables(run_all(args), args, memory)
    print(text)
    if args.write_docs:
        write_docs(text)


if __name__ == "__main__":
    main()
