"""The typed errors snnir raises.

Every error snnir raises on bad input derives from :class:`SnnirError` and from ``ValueError`` or
``TypeError``, so callers can catch either the snnir family or the builtin they already handle.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Sequence

if TYPE_CHECKING:  # pragma: no cover
    from .diagnostics import Diagnostic


class SnnirError(Exception):
    """Base class of every error snnir raises on bad input."""


class InvalidIRError(SnnirError, ValueError):
    """A node, edge or graph field is invalid on its own (wrong type, non-finite value, bad id)."""


class InvalidArgumentsError(SnnirError, TypeError):
    """An IR class was called with arguments it does not take (e.g. too many positional ones)."""


class UnknownKindError(SnnirError, ValueError):
    """A node names a kind that is not registered."""


class VerifyError(SnnirError, ValueError):
    """A graph failed verification. ``.diagnostics`` holds every problem found, not only the first."""

    def __init__(self, diagnostics: Sequence["Diagnostic"], rendered: str | None = None):
        self.diagnostics = tuple(diagnostics)
        errors = [d for d in self.diagnostics if d.severity == "error"]
        head = f"graph failed verification with {len(errors)} error(s)"
        warnings = len(self.diagnostics) - len(errors)
        if warnings:
            head += f" and {warnings} warning(s)"
        body = rendered if rendered is not None else "\n\n".join(str(d) for d in self.diagnostics) + _explain_line(
            self.diagnostics)
        super().__init__(f"{head}:\n\n{body}")

    @property
    def codes(self) -> tuple[str, ...]:
        return tuple(d.code for d in self.diagnostics)


def _explain_line(diagnostics: Sequence["Diagnostic"]) -> str:
    """Where a pip user reads more: the catalogue behind ``snnir explain``, which ships with the package."""
    codes = list(dict.fromkeys(d.code for d in diagnostics))
    if not codes:
        return ""
    return f"\n\nfor more on a code, run 'snnir explain {codes[0]}'" + (
        f" (codes above: {', '.join(codes)})" if len(codes) > 1 else "")


class PassError(SnnirError, ValueError):
    """A compiler pass failed; the message says which pass, after which passes."""


class ShapeError(SnnirError, ValueError):
    """An array given to a compiled program has the wrong shape or structure."""


class ProgramInputError(SnnirError, TypeError):
    """A compiled program was called with inputs of the wrong kind (missing or unknown ids)."""


class MissingKeyError(SnnirError, ValueError):
    """A stochastic node (e.g. Dropout) ran in training without a random key."""


class StateMemoryError(SnnirError, ValueError):
    """``Program.init_state`` would allocate more state than the limit allows (``max_bytes=``, the
    environment variable ``SNNIR_MAX_STATE_BYTES``, or half the device's or machine's memory)."""


class NonFiniteError(SnnirError, ValueError):
    """A checked program (``prog.checked()``, ``compile(..., check=True)``) met a NaN or an infinity.

    ``node`` and ``var`` name the first value that was not finite (an output port or a state variable of
    that node), ``step`` the absolute time step (the state's clock) and ``sample`` the batch index of the
    first sample affected (``()`` without batch axes; ``None`` where it is not known).
    """

    def __init__(self, node: str, var: str, step: int, sample: tuple[int, ...] | None, kind: str = "port"):
        self.node, self.var, self.step, self.sample, self.kind = node, var, step, sample, kind
        what = f"output port {var!r}" if kind == "port" else f"state variable {var!r}"
        where = "" if sample is None else f", sample {sample}"
        super().__init__(
            f"non-finite value (NaN or inf) first appears in node {node!r}, {what}, at step {step}{where}"
            f"\n  hint: if {node!r} is an Input, the data holds a NaN or inf there (clean it, e.g. with "
            "jnp.nan_to_num); otherwise look at its sources and parameters at that step: "
            "prog.trace(state, xs, state_vars=True) shows every value")
