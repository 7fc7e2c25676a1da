"""``compile``: verify, run the passes for the chosen mode, lower."""

from __future__ import annotations

from snnir.analysis import Analysis
from snnir.analysis import analyze as analyze_graph
from snnir.errors import SnnirError
from snnir.ir import Graph
from snnir.kernels.precision import PRECISIONS
from snnir.runtime import Program
from snnir.runtime.memory import LAYERED_ENV_VAR, StateMemoryError, parse_bytes
from snnir.verification import verify

from .base import Pipeline
from .delay_all import DELAY_ALL
from .expand import EXPAND
from .lower import lower
from .lower_integer import IntegerProgram, lower_integer
from .mark_feedback import MARK_FEEDBACK

MODES = ("straight", "delayed")
STRATEGIES = ("auto", "fused-scan", "layered")
ARITHMETICS = ("float", "integer")


class CompileOptionError(SnnirError, ValueError):
    """An unknown compile mode or strategy."""


def pipeline_for(mode: str) -> Pipeline:
    """The passes ``compile`` runs for ``mode``: delay-all (delayed mode only; it sees the composites,
    so a same-step composite stays one layer), expand, mark-feedback."""
    _check_choice("mode", mode, MODES)
    return Pipeline(([DELAY_ALL] if mode == "delayed" else []) + [EXPAND, MARK_FEEDBACK])


def compile(graph: Graph, mode: str = "straight", strategy: str = "auto", *,  # noqa: A001
            precision: str | None = None, checkpoint_every: int | None = None, check: bool = False,
            memory_budget: int | str | None = None, arithmetic: str = "float",
            input_bits: int | None = None) -> Program | IntegerProgram:
    """Compile ``graph`` into a :class:`~snnir.runtime.Program`.

    ``mode="straight"``: same-step propagation along every zero-delay edge; feedback edges (marked by
    the mark-feedback pass where a cycle needs one) read the previous step.
    ``mode="delayed"``: every edge between layers reads the previous step (SNNAX's timing).
    ``strategy="fused-scan"``: one ``lax.scan`` over all nodes; ``"layered"``: stateless nodes outside
    cycles run once over all steps, stateful nodes and cycles in scans (same results); ``"auto"``
    picks "layered" when that moves a Linear or Conv out of the time loop (and the program has at most
    ``MAX_LAYERED_LOOPS`` time loops), else "fused-scan"; such a program still runs a call as the fused
    scan when the layered run's hoisted [T, batch, n] activations would exceed ``memory_budget`` (bytes
    per device, or a string such as ``"2GiB"``; default: the environment variable
    ``SNNIR_LAYERED_MAX_BYTES``, else an eighth of an accelerator's memory, else 256 MiB on CPU; see
    ``Program.strategy_for``).
    ``precision="bfloat16"|"float16"``: Linear and Conv products in that dtype, state in the parameters'
    dtype (mixed precision; see ``Program.with_precision``). ``checkpoint_every=k``: the backward pass
    recomputes segments of k steps instead of storing every step (see ``Program.checkpointed``).
    ``check=True``: checked mode, a call raises ``snnir.NonFiniteError`` naming the first node, variable,
    step and sample where a NaN or inf appears (see ``Program.checked``).
    ``arithmetic="integer"``: an :class:`~snnir.kernels.integer.IntegerProgram` that runs a fully
    quantized graph in int32 (inputs saturated to ``input_bits``, default 16; see docs/semantics.md,
    "Quantization and integer arithmetic"); the default ``"float"`` runs quantized parameters as q(w).
    """
    _check_choice("mode", mode, MODES)
    _check_choice("arithmetic", arithmetic, ARITHMETICS)
    if arithmetic == "integer":
        return _integer_program(graph, mode, strategy, input_bits, precision=precision,
                                checkpoint_every=checkpoint_every, check=check, memory_budget=memory_budget)
    if input_bits is not None:
        raise CompileOptionError(f"input_bits={input_bits!r} only applies to arithmetic='integer'"
                                 "\n  hint: drop input_bits, or compile with arithmetic='integer'")
    _check_choice("strategy", strategy, STRATEGIES)
    if precision is not None:
        _check_choice("precision", precision, PRECISIONS)
    if checkpoint_every is not None and (isinstance(checkpoint_every, bool) or not isinstance(checkpoint_every, int)
                                         or checkpoint_every < 1):
        raise CompileOptionError(f"checkpoint_every must be a positive int or None, got {checkpoint_every!r}"
                                 "\n  hint: about sqrt(T) steps per segment is a good choice for long sequences")
    if not isinstance(check, bool):
        raise CompileOptionError(f"check must be True or False, got {check!r}")
    memory_budget = _budget(memory_budget, strategy)
    if not isinstance(graph, Graph):
        raise CompileOptionError(f"compile expects a snnir.Graph, got {type(graph).__name__}")
    verify(graph, mode=mode)  # judged as this mode lowers it
    # The template (what prog.to_graph() returns) is the expanded graph with straight mode's marks; its
    # node ids and parameters are those of the program in either mode.
    marked = pipeline_for("straight").run(graph)
    if mode == "straight":
        timed, feedback = marked, marked.feedback_edges
    else:
        unmarked = Pipeline([DELAY_ALL, EXPAND]).run(graph)
        timed = Pipeline([MARK_FEEDBACK]).run(unmarked)
        # only a cycle inside a same-step composite can still need a mark after delay-all
        feedback = tuple(e.key for e, before in zip(timed.edges, unmarked.edges) if e.feedback and not before.feedback)
    prog = lower(timed, mode=mode, template=marked, feedback_edges=feedback, strategy=strategy,
                 memory_budget=memory_budget)
    return prog.with_precision(precision).checkpointed(checkpoint_every).checked(check)


def _integer_program(graph, mode: str, strategy: str, input_bits: int | None, **float_options) -> IntegerProgram:
    """``compile(..., arithmetic="integer")``: the same passes, then the integer lowering."""
    given = [f"{k}={v!r}" for k, v in float_options.items() if v not in (None, False)]
    if strategy != "auto":
        given.insert(0, f"strategy={strategy!r}")
    if given:
        raise CompileOptionError(f"{', '.join(given)} only apply to float programs; arithmetic='integer' runs "
                                 "one integer scan\n  hint: drop them, or compile with arithmetic='float'")
    if not isinstance(graph, Graph):
        raise CompileOptionError(f"compile expects a snnir.Graph, got {type(graph).__name__}")
    verify(graph, mode=mode)
    timed = pipeline_for(mode).run(graph)
    return lower_integer(timed, mode=mode, feedback_edges=timed.feedback_edges,
                         input_bits=16 if input_bits is None else input_bits)


def analyze(graph: Graph, mode: str = "straight") -> Analysis:
    """The analyses of ``graph`` as ``compile`` would see it in ``mode`` (feedback marks included)."""
    _check_choice("mode", mode, MODES)
    verify(graph, mode=mode)
    return analyze_graph(pipeline_for(mode).run(graph))


def _budget(value: int | str | None, strategy: str) -> int | None:
    """``memory_budget`` as bytes (None stays None)."""
    if value is None:
        return None
    if strategy != "auto":
        raise CompileOptionError(
            f"memory_budget={value!r} only applies to strategy='auto', which weighs the layered strategy's "
            f"activations against it; strategy={strategy!r} always runs as asked"
            "\n  hint: drop memory_budget, or compile with strategy='auto'")
    if isinstance(value, str):
        try:
            return parse_bytes(value, "memory_budget")
        except StateMemoryError as error:
            raise CompileOptionError(str(error)) from None
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise CompileOptionError(f"memory_budget must be a number of bytes (an int >= 0) or a string such as "
                                 f"'2GiB', got {value!r}\n  hint: it bounds the layered strategy's activations "
                                 f"per device; None takes {LAYERED_ENV_VAR} or the device's default")
    return value


def _check_choice(what: str, value: str, allowed: tuple[str, ...]) -> None:
    if value not in allowed:
        raise CompileOptionError(f"unknown {what} {value!r}; choose one of {list(allowed)}")
