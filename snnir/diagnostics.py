"""Diagnostics: one problem found in a graph, with a code, the ids it names, a hint and a severity."""

from __future__ import annotations

import dataclasses
from typing import Literal

Severity = Literal["error", "warning"]


@dataclasses.dataclass(frozen=True)
class Diagnostic:
    """One problem in a graph.

    ``code`` is stable and listed in docs/errors.md; ``nodes`` and ``edges`` name what is wrong (edges as
    ``(src, dst)`` id pairs); ``hint`` says how to fix it.
    """

    code: str
    message: str
    hint: str
    severity: Severity = "error"
    nodes: tuple[str, ...] = ()
    edges: tuple[tuple[str, str], ...] = ()
    context: str = ""

    def __str__(self) -> str:
        text = f"{self.severity} {self.code}: {self.message}"
        if self.context:
            text += "\n" + self.context
        return text + f"\n  hint: {self.hint}"

    def to_dict(self) -> dict:
        return {
            "code": self.code,
            "severity": self.severity,
            "message": self.message,
            "hint": self.hint,
            "nodes": list(self.nodes),
            "edges": [list(e) for e in self.edges],
        }
