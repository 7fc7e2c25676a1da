"""Checkpointed time loops: same results, and memory for the backward pass that grows sub-linearly in T
(measured on XLA's own memory analysis of the compiled gradient, never on timings)."""

from __future__ import annotations

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
import pytest

import snnir


def _program(strategy: str) -> snnir.Program:
    b = snnir.GraphBuilder(key=0)
    x = b.input("x", shape=(8,))
    s = b.lif(b.linear(x, 128), decay=0.9, id="lif")  # wide hidden state, narrow output: the stored
    b.output(b.li(b.linear(s, 1), decay=0.8), id="y")  # per-step state dominates without checkpointing
    return snnir.compile(b.build(), strategy=strategy)


def _loss(prog, xs):
    _, ys = prog(prog.init_state((2,)), xs)
    return jnp.sum(ys["y"] ** 2)


def _backward_bytes(prog, steps: int) -> int:
    xs = jnp.zeros((steps, 2, 8), jnp.float32)
    params, static = eqx.partition(prog, eqx.is_inexact_array)

    def gradient(params, xs):
        return jax.grad(lambda p: _loss(eqx.combine(p, static), xs))(params)

    analysis = jax.jit(gradient).lower(params, xs).compile().memory_analysis()
    return analysis.temp_size_in_bytes + analysis.output_size_in_bytes


@pytest.mark.parametrize("strategy", ["fused-scan", "layered"])
def test_checkpointed_program_gives_the_same_values_and_gradients(strategy):
    prog = _program(strategy)
    xs = jnp.asarray(np.random.default_rng(0).uniform(0, 2, (23, 2, 8)), jnp.float32)  # 23 = 4 segments of 5 + 3
    plain = eqx.filter_value_and_grad(_loss)(prog, xs)
    ckpt = eqx.filter_value_and_grad(_loss)(prog.checkpointed(5), xs)
    np.testing.assert_allclose(float(ckpt[0]), float(plain[0]), rtol=1e-6)
    for a, b in zip(jax.tree_util.tree_leaves(plain[1]), jax.tree_util.tree_leaves(ckpt[1])):
        np.testing.assert_allclose(np.asarray(b), np.asarray(a), rtol=1e-5, atol=1e-7)


@pytest.mark.parametrize("strategy", ["fused-scan", "layered"])
def test_checkpointed_runs_keep_lengths_traces_and_final_state(strategy):
    prog = _program(strategy)
    xs = jnp.asarray(np.random.default_rng(1).uniform(0, 2, (23, 2, 8)), jnp.float32)
    lengths = jnp.asarray([23, 9])  # the second sample stops inside the second segment
    plain = prog.trace(prog.init_state((2,)), xs, state_vars=True, lengths=lengths)
    ckpt = prog.checkpointed(5).trace(prog.init_state((2,)), xs, state_vars=True, lengths=lengths)
    for a, b in zip(jax.tree_util.tree_leaves(plain), jax.tree_util.tree_leaves(ckpt)):
        np.testing.assert_allclose(np.asarray(b), np.asarray(a), rtol=1e-6, atol=1e-7)


@pytest.mark.parametrize("strategy", ["fused-scan", "layered"])
def test_backward_memory_grows_sublinearly_with_checkpointing(strategy):
    # layered checkpoints whole segments (its hoisted Linear's [T, ...] output included)
    prog = _program(strategy)
    short, long = 400, 3600  # 9x the steps
    plain_growth = _backward_bytes(prog, long) / _backward_bytes(prog, short)
    ckpt_growth = (_backward_bytes(prog.checkpointed(int(long ** 0.5)), long)
                   / _backward_bytes(prog.checkpointed(int(short ** 0.5)), short))
    assert plain_growth > 6  # storing every step: about linear in T
    assert ckpt_growth < 0.5 * plain_growth  # sqrt(T) segments: about sqrt(9) = 3


@pytest.mark.parametrize("strategy", ["fused-scan", "layered"])
def test_a_partial_last_segment_does_not_copy_the_inputs(strategy):
    """T = 60·60 + 1: the 60 full segments read their steps from the input in place. Splitting off the
    first 3600 steps as one [60, 60, ...] array would copy all of a wide input (7 MiB here)."""
    b = snnir.GraphBuilder(key=0)
    x = b.input("x", shape=(256,))
    b.output(b.li(b.linear(b.lif(b.linear(x, 16), decay=0.9), 1), decay=0.8), id="y")
    prog = snnir.compile(b.build(), strategy=strategy).checkpointed(60)

    def backward_bytes(steps):
        xs = jnp.zeros((steps, 2, 256), jnp.float32)
        params, static = eqx.partition(prog, eqx.is_inexact_array)
        gradient = jax.grad(lambda p, xs: _loss(eqx.combine(p, static), xs))
        return jax.jit(gradient).lower(params, xs).compile().memory_analysis().temp_size_in_bytes

    input_bytes = 3600 * 2 * 256 * 4
    assert backward_bytes(3601) < backward_bytes(3600) + input_bytes / 4


def test_checkpoint_segment_must_be_a_positive_int():
    with pytest.raises(snnir.ProgramInputError, match="positive int"):
        _program("fused-scan").checkpointed(0)
