"""Faults at run time are snnir errors that name what is wrong, never silent or raw.

A state larger than the machine is refused before it is allocated; lengths that do not fit the int32
clock, a clock about to wrap, and a state of the wrong structure, shape or dtype are refused with the
node and variable named.
"""

from __future__ import annotations

import jax.numpy as jnp
import numpy as np
import pytest

import snnir
from snnir.cli import main
from snnir.errors import ProgramInputError, ShapeError, SnnirError
from snnir.ir import Graph
from snnir.runtime.memory import ENV_VAR, StateMemoryError, parse_bytes


def _delay_graph(width: int = 65536, steps: int = 1_000_000) -> Graph:
    """The fuzzer's file: a valid 288-byte model whose Delay buffer needs width * steps * 4 bytes."""
    return Graph.model_validate({
        "nodes": [{"kind": "Input", "id": "x", "shape": [width]}, {"kind": "Delay", "id": "d", "steps": steps},
                  {"kind": "Output", "id": "y"}],
        "edges": [{"src": "x", "dst": "d"}, {"src": "d", "dst": "y"}]})


def _net() -> Graph:
    b = snnir.GraphBuilder(key=0)
    s = b.lif(b.linear(b.input("x", 3), 4, id="fc"), decay=0.5, id="lif")
    b.connect(b.linear(s, 4, id="rec"), s, delay=2)
    b.output(s, id="y")
    return b.build()


# ---------------------------------------------------------------------- state memory
def test_init_state_refuses_a_state_over_the_limit_before_allocating():
    prog = snnir.compile(_delay_graph())
    assert prog.state_bytes((1,)) == 65536 * 1_000_000 * 4
    with pytest.raises(StateMemoryError) as info:
        prog.init_state((1,))  # asked numpy/XLA for 262 GB before
    message = str(info.value)
    assert isinstance(info.value, SnnirError) and isinstance(info.value, ValueError)
    assert "d:buffer" in message and "244.1 GiB" in message and "\n  hint:" in message


def test_the_limit_is_a_keyword_and_an_environment_variable(monkeypatch):
    prog = snnir.compile(_delay_graph(width=16, steps=64))  # 4 KiB per sample
    assert prog.state_bytes((8,)) == 8 * 16 * 64 * 4
    with pytest.raises(StateMemoryError, match="max_bytes"):
        prog.init_state((8,), max_bytes=1000)
    assert prog.init_state((8,), max_bytes=1 << 20)["d"]["buffer"].shape == (8, 64, 16)
    monkeypatch.setenv(ENV_VAR, "4KiB")
    prog.init_state((1,))
    with pytest.raises(StateMemoryError, match=ENV_VAR):
        prog.init_state((2,))
    assert parse_bytes("1.5 GB") == 1_500_000_000 and parse_bytes("12") == 12
    with pytest.raises(ProgramInputError):
        prog.init_state((1,), max_bytes=-1)


def test_state_bytes_counts_histories_and_kernel_state():
    prog = snnir.compile(_net())
    state = prog.init_state((5,))
    leaves = [v for nid, entry in state.items() if nid != "@clock" for v in entry.values()]
    assert prog.state_bytes((5,)) == sum(v.size * v.dtype.itemsize for v in leaves)


def test_info_warns_and_run_refuses_cleanly(tmp_path, capsys):
    path = tmp_path / "big.json"
    snnir.save(_delay_graph(), path)
    assert main(["info", str(path)]) == 0
    out = capsys.readouterr().out
    assert "244.1 GiB per sample" in out and "warning:" in out and "d:buffer" in out
    assert main(["run", str(path), "--steps", "2", "--batch", "1"]) != 0
    err = capsys.readouterr().err
    assert "would allocate 244.1 GiB" in err and "Traceback" not in err


# ---------------------------------------------------------------------- lengths and the clock
@pytest.mark.parametrize("bad", [2**40, -1, 2**31])
def test_lengths_that_do_not_fit_the_int32_clock_are_refused(bad):
    # 2^40 wrapped to 0 in int32: that sample was silently all zeros
    prog = snnir.compile(_net())
    xs = jnp.ones((4, 2, 3))
    with pytest.raises(ShapeError, match="lengths must lie in 0 ... 2147483647"):
        prog(prog.init_state((2,)), xs, lengths=np.array([4, bad], np.int64))


def test_lengths_in_range_still_run():
    prog = snnir.compile(_net())
    _, ys = prog(prog.init_state((2,)), jnp.ones((4, 2, 3)), lengths=[4, 2])
    assert bool((ys["y"][2:, 1] == 0).all())


def test_a_run_past_the_last_int32_step_is_refused():
    prog = snnir.compile(_net())
    state = prog.init_state((2,))
    state["@clock"]["t"] = jnp.asarray(2**31 - 3, jnp.int32)
    prog.step(state, jnp.ones((2, 3)))  # steps ... 2^31 - 2 are fine
    with pytest.raises(ProgramInputError, match="step clock"):
        prog(state, jnp.ones((5, 2, 3)))


# ---------------------------------------------------------------------- a state that does not fit
@pytest.fixture(params=["fused-scan", "layered"])
def prog(request):
    return snnir.compile(_net(), strategy=request.param)


def test_wrong_dtype_names_the_node_and_variable(prog):
    state = prog.init_state((2,))
    state["lif"]["v"] = state["lif"]["v"].astype(jnp.float16)  # a raw lax.scan TypeError before
    with pytest.raises(ProgramInputError, match=r"state lif:v has dtype float16, but the program keeps it in float32"):
        prog(state, jnp.ones((3, 2, 3)))


def test_wrong_per_sample_shape_names_the_node_and_variable(prog):
    state = prog.init_state((2,))
    state["rec"]["out_history"] = jnp.zeros((2, 3, 4))  # depth 3 instead of 2
    with pytest.raises(ShapeError, match=r"state rec:out_history has shape \(2, 3, 4\), but the program needs \(2, 2, 4\)"):
        prog(state, jnp.ones((3, 2, 3)))


def test_missing_and_extra_variables_are_named(prog):
    state = prog.init_state((2,))
    state["lif"] = {"v": state["lif"]["v"], "w": state["lif"]["v"]}
    with pytest.raises(ProgramInputError, match=r"state\['lif'\] has variables \['v', 'w'\].*unknown \['w'\]"):
        prog(state, jnp.ones((3, 2, 3)))
    state = prog.init_state((2,))
    del state["rec"]["out_history"]
    with pytest.raises(ProgramInputError, match=r"missing \['out_history'\]"):
        prog.step(state, jnp.ones((2, 3)))


def test_an_entry_for_a_node_without_state_is_named(prog):
    state = prog.init_state((2,))
    state["fc"] = {"v": jnp.zeros((2, 4))}
    with pytest.raises(ProgramInputError, match=r"state has entries for \['fc'\]"):
        prog(state, jnp.ones((3, 2, 3)))


def test_a_correct_state_passes_every_check(prog):
    state, _ = prog(prog.init_state((2,)), jnp.ones((3, 2, 3)))
    state, _ = prog(state, jnp.ones((3, 2, 3)))
    prog.trace(state, jnp.ones((3, 2, 3)))
