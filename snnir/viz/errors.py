"""The errors of snnir.viz (each a SnnirError and a ValueError, as every snnir error on bad input)."""

from __future__ import annotations

from ..errors import SnnirError


class DrawError(SnnirError, ValueError):
    """A drawing or plot could not be made: an unknown format, engine, trace or neuron, or the renderer failed."""


class GraphvizNotFoundError(DrawError):
    """``engine="graphviz"`` was asked for but no Graphviz program is installed."""
