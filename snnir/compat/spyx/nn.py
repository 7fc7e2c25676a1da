"""Spyx's ``spyx.nn`` (Spyx 1.0, Flax NNX) over snnir.

A Spyx 1.0 program runs with only its import changed (``import snnir.compat.spyx as spyx``,
``import snnir.compat.spyx.nn as snn``) and keeps Flax: the layers are ``nnx.Module`` objects whose
attributes are Spyx's (``beta``, ``alpha``, ``gamma``, ``recurrent_w`` as ``nnx.Param``; ``threshold``
a plain number; ``spike`` the activation), drawn from the caller's ``rngs`` in Spyx's order, so the
same seed gives the same parameters. ``nnx.Optimizer(model, tx, wrt=nnx.Param)``, ``nnx.grad`` and
``nnx.jit`` work as with Spyx. States are Spyx's arrays (two-variable neurons concatenate them on the
last axis, e.g. ``[V, I]``).

What changes is underneath: :class:`Sequential` and :func:`run` compile the whole chain into one snnir
program (a single ``lax.scan``, Linear and Conv layers hoisted out of the time loop where snnir's
scheduler can), and ``model.graph`` is that chain as a snnir graph, to verify, draw, save or export.

Spyx's equations (docs/neurons.md; θ = threshold, x the input, H the strict Heaviside, decays used as
``jnp.clip(p, 0, 1)``, whose gradient is 1/2 at exactly 0 or 1):

* IF:       s = H(V − θ);  V' = V + x − s·θ
* LIF:      s = H(V − θ);  V' = β·V + x − s·θ
* LI:       V' = β·V + x;  the output is V'
* ALIF:     Θ = θ + T;  s = H(V − Θ);  V' = β·V + x − s·Θ;  T' = γ·T + (1 − γ)·s   (state [V, T])
* CuBaLIF:  s = H(V − θ);  I' = α·I + x;  V' = β·(V − s·θ) + I'              (state [V, I])
            ``double_reset=True``: V' = β·(V − s·θ) + I' − s·θ  (Spyx ≤ 0.1.20's bug, for old models)
* RIF, RLIF, RCuBaLIF: as IF, LIF, CuBaLIF with the feedback s·W added to the input (RCuBaLIF: to
  the current); W = ``recurrent_w`` [N, N], rows presynaptic.
* PSU_LIF:  V' = β·V + x;  s = H(V' − θ)   (no reset)

Spikes come from the membrane before the update, so a spiking layer's output lags its input by one step;
the reset is not detached. Decays follow Spyx: ``None`` draws a per-neuron parameter from
truncated_normal(0.25) + 0.5 with ``rngs.params()`` (LI starts at 0.8), a number gives a trainable
scalar. Spyx 0.1.x's calling convention (no ``rngs``, a ``name=``) is accepted too wherever no random
draw is needed; Haiku itself is not emulated.
"""

from __future__ import annotations

from typing import Any, Sequence

import jax
import jax.numpy as jnp

from . import _graph
from ._base import nnx
from ._chain import filled_program, plan_chain
from ._graph import SpyxCompatError, Unplaceable
from ._layers import ActivityRegularization, Flatten, PopulationCode, SumPool, sum_pool
from ._neurons import ALIF, IF, LI, LIF, PSU_LIF, RIF, RLIF, AssociativeLIF, CuBaLIF, RCuBaLIF, _Neuron

__all__ = ["ALIF", "IF", "LI", "LIF", "CuBaLIF", "RIF", "RLIF", "RCuBaLIF", "PSU_LIF", "AssociativeLIF",
           "ActivityRegularization", "PopulationCode", "SumPool", "sum_pool", "Flatten", "Sequential", "run",
           "StatefulLayer", "SpyxCompatError"]


class StatefulLayer:
    """The contract of a Spyx neuron: ``initial_state(batch_size)`` and ``layer(x, state) -> (out, state)``
    (documentation, as in Spyx; layers do not inherit from it)."""

    def initial_state(self, batch_size: int) -> Any: ...

    def __call__(self, x: Any, state: Any) -> tuple[Any, Any]: ...


# ---------------------------------------------------------------------------------------- models
class Sequential(nnx.Sequential):
    """Spyx's Sequential: layers applied in order, each stateful one with its own state.

        model = snn.Sequential(nnx.Linear(16, 64, rngs=rngs), snn.LIF((64,), rngs=rngs),
                               nnx.Linear(64, 10, rngs=rngs), snn.LI((10,), rngs=rngs))
        state = model.initial_state(batch_size)      # one entry per layer, None for stateless ones
        out, state = model(x_t, state)               # one step
        outs, state = snn.run(model, xs)             # all steps, time-major xs [T, B, ...]

    The chain is one snnir program; ``model.graph`` is it as a snnir graph with the current parameters
    (node ids: neuron class names and ``linear``/``conv``, numbered from the second on: ``LIF``, ``LIF_1``).
    """

    def initial_state(self, batch_size: int) -> list:
        if any(isinstance(layer, ActivityRegularization) and layer.hidden_shape is None for layer in self.layers):
            # Spyx 0.1.x's ActivityRegularization() takes its shape from the chain: read it off the plan
            _, plan = plan_chain(self.layers, _first_shape(self.layers))
            return [None if slot.state_node is None else
                    jnp.zeros((int(batch_size),) + _graph.packed_shape(slot)) for slot in plan.slots]
        return _graph.initial_states(self.layers, batch_size)

    def __call__(self, x: jax.Array, state: Sequence[Any]):
        x = jnp.asarray(x)
        try:
            entries, plan = plan_chain(self.layers, tuple(x.shape[1:]))
        except Unplaceable:  # a layer no snnir node computes: Spyx's own step, layer after layer
            return _layer_by_layer(self.layers, x, state)
        prog = filled_program(entries, plan)
        ir_state = _graph.to_ir_state(plan, state, x.shape[0])
        ir_state, ys = prog.step(ir_state, plan.input_layout.to_ir(x, x.ndim - 1))
        return _graph.from_ir_output(plan, ys["out"], 1), _graph.from_ir_state(plan, ir_state)

    def graph_for(self, input_shape: Sequence[int]):
        """The chain as a snnir graph for per-sample inputs of ``input_shape`` (Spyx's layout), holding the
        current parameters (channels-last images become channels-first inside)."""
        entries, plan = plan_chain(self.layers, tuple(int(d) for d in input_shape))
        return filled_program(entries, plan).to_graph()

    @property
    def graph(self):
        """The chain as a snnir graph (the input shape read from the first layer)."""
        return self.graph_for(_first_shape(self.layers))


def _layer_by_layer(layers: Sequence[Any], x: jax.Array, state: Sequence[Any]):
    """Spyx's ``Sequential.__call__``: a stateful layer (its state not None) steps, any other is applied."""
    if len(state) != len(layers):
        raise SpyxCompatError(f"the state has {len(state)} entries but the model has {len(layers)} layers"
                              "\n  hint: start from model.initial_state(batch_size)")
    new_state = []
    for layer, s in zip(layers, state):
        if s is not None:
            x, s = layer(x, s)
        else:
            x = layer(x)
        new_state.append(s)
    return x, new_state


def _first_shape(layers: Sequence[Any]) -> tuple[int, ...]:
    first = layers[0]
    if isinstance(first, nnx.Linear):
        return (first.in_features,)
    if getattr(first, "hidden_shape", None) is not None:
        return tuple(first.hidden_shape)
    raise SpyxCompatError(f"cannot tell the input shape from the first layer ({type(first).__name__})"
                          "\n  hint: use model.graph_for(input_shape)")


def run(model: Any, x: jax.Array, state: Any = None, *, batch_major: bool = False):
    """Spyx 1.0's ``nn.run``: the model over all steps of ``x`` (time-major [T, B, ...], or [B, T, ...]
    with ``batch_major=True``); returns ``(outputs, final_state)`` with outputs in the input's layout.

    A :class:`Sequential` of layers snnir places in a graph, or one such layer, runs as one compiled
    snnir program. Any other model with Spyx's contract (a chain holding the user's own module, say) runs
    Spyx's own ``lax.scan`` loop, each step layer by layer, with the same numbers.
    """
    x = jnp.asarray(x)
    if batch_major:
        x = jnp.swapaxes(x, 0, 1)
    if isinstance(model, Sequential):
        layers, single = list(model.layers), False
    elif isinstance(model, _Neuron) or (isinstance(model, ActivityRegularization) and model.hidden_shape):
        layers, single = [model], True
    else:
        layers = None
    if state is None:
        if not hasattr(model, "initial_state"):
            raise SpyxCompatError("run: the model has no initial_state and no state= was given"
                                  "\n  hint: wrap stateless layers in snn.Sequential, or pass state=")
        state = model.initial_state(x.shape[1])
    try:
        entries, plan = (None, None) if layers is None else plan_chain(layers, tuple(x.shape[2:]))
    except Unplaceable:  # the chain runs the Spyx way (each step layer by layer)
        layers = None
    if layers is None:
        final, outputs = _graph.scan_run(model, state, x)
    else:
        prog = filled_program(entries, plan)
        ir_state = _graph.to_ir_state(plan, [state] if single else state, x.shape[1])
        ir_state, ys = prog(ir_state, plan.input_layout.to_ir(x, x.ndim - 2))
        outputs = _graph.from_ir_output(plan, ys["out"], 2)
        final = _graph.from_ir_state(plan, ir_state)
        final = final[0] if single else final
    if batch_major:
        outputs = jnp.swapaxes(outputs, 0, 1)
    return outputs, final
