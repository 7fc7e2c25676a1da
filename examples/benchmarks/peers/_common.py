"""Shared command line, inputs, timing and output of the peer benchmark scripts.

Imports neither torch nor JAX at module level: the JAX peer (Spyx) and the torch peers (snnTorch, Norse)
import only what they use. Every script prints one JSON line (the last line of stdout):

    {"bench": "lif", "impl": ..., "n": ..., "build_s": 0.0, "fwd_compile_s": ..., "fwd_s": ...,
     "bwd_compile_s": ..., "bwd_s": ..., "version": ..., "match": ...}

or, with ``--check IN.npz OUT.npz``, reads x [T, B, n] and W [n, n] (float32, W stored [out, in] so the
Linear computes x @ W.T) and writes ``spikes`` [T, B, n] and ``grad`` [n, n] (d sum(spikes) / dW).
"""

from __future__ import annotations

import argparse
import json
import statistics
import time

import numpy as np

# The protocol's LIF: u_t = DECAY * v_{t-1} + I_t;  s_t = H(u_t - THRESHOLD);  v_t = u_t - THRESHOLD * s_t
# (reset detached), surrogate d s / d u = 1 / (1 + SLOPE * |u - THRESHOLD|)^2.
DECAY, THRESHOLD, SLOPE = 0.9, 1.0, 10.0


def parse_args(description: str, extra=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--n", type=int, default=1024, help="neurons (Linear n -> n)")
    parser.add_argument("--batch", type=int, default=16)
    parser.add_argument("--steps", type=int, default=500, help="time steps T")
    parser.add_argument("--repeats", type=int, default=5, help="timed runs after one warm-up (median)")
    parser.add_argument("--check", nargs=2, metavar=("IN_NPZ", "OUT_NPZ"),
                        help="read x [T,B,n] and W [n,n] from IN, write spikes and grad to OUT")
    if extra is not None:
        extra(parser)
    return parser.parse_args()


def bench_inputs(n: int, batch: int, steps: int) -> tuple[np.ndarray, np.ndarray]:
    """x uniform in [0, 1) of shape [T, B, n]; W uniform in [-1/sqrt(n), 1/sqrt(n)) of shape [out, in].

    The same seeded arrays for every peer (the spike density, not only the shapes, is alike).
    """
    rng = np.random.default_rng(0)
    w = rng.uniform(-1.0, 1.0, (n, n)).astype(np.float32) / np.float32(np.sqrt(n))
    x = rng.random((steps, batch, n), dtype=np.float32)
    return x, w


def load_check(path: str) -> tuple[np.ndarray, np.ndarray]:
    with np.load(path) as data:
        x, w = np.asarray(data["x"], np.float32), np.asarray(data["W"], np.float32)
    if x.ndim != 3 or w.shape != (x.shape[2], x.shape[2]):
        raise SystemExit(f"{path}: need x [T,B,n] and W [n,n], got {x.shape} and {w.shape}")
    return x, w


def save_check(path: str, spikes, grad) -> None:
    np.savez(path, spikes=np.asarray(spikes, np.float32), grad=np.asarray(grad, np.float32))


def time_jax(fn, args, repeats: int) -> tuple[float, float, object]:
    """(compile seconds, median run seconds, one result) of jax.jit(fn)(*args); one untimed warm-up run."""
    import jax

    t0 = time.perf_counter()
    compiled = jax.jit(fn).lower(*args).compile()
    compile_s = time.perf_counter() - t0
    out = jax.block_until_ready(compiled(*args))
    runs = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        jax.block_until_ready(compiled(*args))
        runs.append(time.perf_counter() - t0)
    return compile_s, statistics.median(runs), out


def time_torch(fn, repeats: int) -> tuple[float, float, object]:
    """(first-call seconds, median run seconds, one result) of fn(); torch on CPU returns synchronously.

    The first call is the warm-up and is reported as the "compile" time (eager torch compiles nothing;
    it is allocator and dispatcher warm-up).
    """
    t0 = time.perf_counter()
    out = fn()
    first_s = time.perf_counter() - t0
    runs = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        runs.append(time.perf_counter() - t0)
    return first_s, statistics.median(runs), out


def bench_torch(impl: str, args, forward, forward_backward, xs, version: str, match: str) -> None:
    """Time a torch peer's forward (without autograd) and forward+backward on ``xs`` and report them."""
    import torch

    def run_forward():
        with torch.no_grad():
            return forward(xs)

    fwd = time_torch(run_forward, args.repeats)
    bwd = time_torch(lambda: forward_backward(xs), args.repeats)
    report(impl, args.n, fwd, bwd, version, match)


def setup_torch():
    """Import torch, use every core, float32 (CPU matmuls are full float32: no TF32 on a CPU)."""
    import os

    import torch

    torch.set_num_threads(os.cpu_count() or 1)
    torch.set_default_dtype(torch.float32)
    return torch


def report(impl: str, n: int, fwd: tuple, bwd: tuple, version: str, match: str) -> None:
    print(json.dumps({"bench": "lif", "impl": impl, "n": n, "build_s": 0.0,
                      "fwd_compile_s": fwd[0], "fwd_s": fwd[1], "bwd_compile_s": bwd[0], "bwd_s": bwd[1],
                      "version": version, "match": match}), flush=True)
