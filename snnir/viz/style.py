"""Colours and strokes shared by the renderers, so a DOT drawing and a matplotlib drawing look alike."""

from __future__ import annotations

FILL = {
    "input": "#d8f0d8",
    "output": "#e6ddf4",
    "neuron": "#fde3c4",
    "synapse": "#dae8f5",
    "delay": "#ececec",
    "composite": "#f4f4f4",
    "unknown": "#ffffff",
}
BORDER = "#555555"
TEXT = "#222222"
MUTED = "#666666"
EDGE = "#555555"
FEEDBACK = "#c62828"  # dashed feedback edges (marked, or marked by the compiler: "auto")
DELAYED = "#1f5fa8"  # edges with delay >= 1
ERROR = "#d32f2f"
ERROR_FILL = "#fbd3d3"
WARNING = "#e08e00"
WARNING_FILL = "#fff1cc"
CYCLE_BORDER = "#d88c8c"
CYCLE_FILL = "#fff6f6"
COMPOSITE_BORDER = "#8a8a8a"
COMPOSITE_FILL = "#fafafa"
FONT = "Helvetica"


def severity_colours(severity: str | None) -> tuple[str, str] | None:
    """(border, fill) for a node with problems of this severity; None when it has none."""
    if severity == "error":
        return ERROR, ERROR_FILL
    if severity == "warning":
        return WARNING, WARNING_FILL
    return None
