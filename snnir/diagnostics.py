"""Diagnostics: one problem found in a graph, with a code, the ids it names, a hint and a severity.

Also the close-match helpers every error message uses to say "did you mean ...?".
"""

from __future__ import annotations

import dataclasses
import difflib
from typing import Iterable, Literal

Severity = Literal["error", "warning"]


@dataclasses.dataclass(frozen=True)
class Diagnostic:
    """One problem in a graph.

    ``code`` is stable; ``snnir explain CODE`` (or ``snnir.codes.explain(code)``) describes it and its fix.
    ``nodes`` and ``edges`` name what is wrong (edges as ``(src, dst)`` id pairs); ``hint`` says how to fix it.
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


def close_matches(word: str, choices: Iterable[str], n: int = 3) -> list[str]:
    """The choices that look like a misspelling of ``word``, best first (case-insensitive)."""
    choices = list(dict.fromkeys(choices))
    by_lower = {c.lower(): c for c in reversed(choices)}  # first spelling wins on a case clash
    low = word.lower()
    if low in by_lower:  # only the case differs
        return [by_lower[low]]
    found = difflib.get_close_matches(low, list(by_lower), n=n, cutoff=0.6)
    # a transposition ("LFI") is the likeliest slip: rank same-letter candidates first, then by similarity
    ratio = {c: difflib.SequenceMatcher(None, low, c).ratio() for c in found}
    found.sort(key=lambda c: (sorted(c) != sorted(low), -ratio[c]))
    # offer the runners-up only when they are about as likely as the best guess
    return [by_lower[c] for c in found if ratio[c] >= ratio[found[0]] - 0.1] if found else []


def did_you_mean(word: str, choices: Iterable[str]) -> str:
    """``"did you mean 'LIF'?"`` (or two or three candidates), or ``""`` when nothing is close."""
    return suggest(close_matches(word, choices))


def suggest(found: list[str]) -> str:
    """``"did you mean 'a' or 'b'?"`` for candidates already chosen, or ``""`` for none."""
    if not found:
        return ""
    names = [repr(f) for f in found]
    listed = names[0] if len(names) == 1 else ", ".join(names[:-1]) + " or " + names[-1]
    return f"did you mean {listed}?"
