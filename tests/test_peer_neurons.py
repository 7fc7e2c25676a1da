"""The snnir neurons docs/coming-from.md names for snnTorch's and Norse's give those libraries' numbers.

The fixtures were recorded with snnTorch 1.0.0 and Norse 1.1.0 themselves (tests/corpus/neurons/
generate.py, not part of ``make test``), one step at a time on a dyadic input: spikes must match
exactly, membranes to float32 rounding.
"""

from __future__ import annotations

import pathlib

import jax.numpy as jnp
import numpy as np
import pytest

import snnir

FIXTURES = np.load(pathlib.Path(__file__).resolve().parent / "corpus" / "neurons" / "fixtures.npz")

# the rows of the tables in docs/coming-from.md, as builder calls on the input x
NEURONS = {
    "snntorch_leaky": lambda b, x: b.lif(x, decay=0.75, threshold=1.0, reset_at="next", id="n"),
    "snntorch_leaky_zero": lambda b, x: b.lif(x, decay=0.75, threshold=1.0, reset="zero", reset_at="next",
                                              reset_before_leak=True, id="n"),
    "snntorch_synaptic": lambda b, x: b.cuba_lif(x, syn_decay=0.5, mem_decay=0.75, reset_at="next", id="n"),
    "norse_lifbox": lambda b, x: b.lif(b.scale(x, 10.0), decay=0.9, reset="zero", input_scale="one_minus_decay",
                                       id="n"),
}


@pytest.mark.parametrize("name", sorted(NEURONS))
def test_the_documented_neuron_gives_the_peers_numbers(name):
    xs = FIXTURES["x"]
    b = snnir.GraphBuilder(key=0)
    b.output(NEURONS[name](b, b.input("x", shape=xs.shape[2:])), id="spikes")
    prog = snnir.compile(b.build())
    _, traces = prog.trace(prog.init_state(xs.shape[1:2]), jnp.asarray(xs), state_vars=True)
    spikes = FIXTURES[f"{name}_spikes"]
    assert spikes.any() and not spikes.all()          # the input drives the neurons across their threshold
    np.testing.assert_array_equal(np.asarray(traces["spikes"]), spikes)
    np.testing.assert_allclose(np.asarray(traces["n:v"]), FIXTURES[f"{name}_v"], rtol=0, atol=1e-6)


def test_norse_libox_is_the_documented_leaky_integrator():
    xs = FIXTURES["x"]
    b = snnir.GraphBuilder(key=0)
    b.output(b.li(b.input("x", shape=xs.shape[2:]), decay=0.9, input_scale="one_minus_decay", id="n"), id="v")
    prog = snnir.compile(b.build())
    _, ys = prog(prog.init_state(xs.shape[1:2]), jnp.asarray(xs))
    assert np.abs(FIXTURES["norse_libox_v"]).max() > 0.1
    np.testing.assert_allclose(np.asarray(ys["v"]), FIXTURES["norse_libox_v"], rtol=0, atol=1e-6)
