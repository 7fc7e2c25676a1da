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
        body = rendered if rendered is not None else "\n\n".join(str(d) for d in self.diagnostics)
        super().__init__(f"{head}:\n\n{body}")

    @property
    def codes(self) -> tuple[str, ...]:
        return tuple(d.code for d in self.diagnostics)


class PassError(SnnirError, ValueError):
    """A compiler pass failed; the message says which pass, after which passes."""


class ShapeError(SnnirError, ValueError):
    """An array given to a compiled program has the wrong shape or structure."""


class ProgramInputError(SnnirError, TypeError):
    """A compiled program was called with inputs of the wrong kind (missing or unknown ids)."""


class MissingKeyError(SnnirError, ValueError):
    """A stochastic node (e.g. Dropout) ran in training without a random key."""
