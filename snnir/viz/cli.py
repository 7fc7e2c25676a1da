"""What ``snnir draw`` and ``snnir run --plot`` do, as plain functions the command line calls."""

from __future__ import annotations

import os
import sys
from typing import Any, Mapping, Sequence, TextIO

from ..ir import Graph
from ..verification import check
from .activity import Sample, plot_activity
from .render import Engine, choose_engine, draw, find_graphviz, resolve_format


def cli_draw(graph: Graph, out: str | os.PathLike, fmt: str | None = None, show_errors: bool = False,
             expand: bool = False, engine: Engine = "auto", direction: str = "LR",
             stream: TextIO | None = None) -> int:
    """``snnir draw FILE -o OUT [--format F] [--expand] [--show-errors] [--engine E] [--direction D]``.

    Draws ``graph`` (load it with ``verify=False`` so invalid files draw too), prints one line saying
    what was written and by which renderer (plus the problem count with ``show_errors``), returns 0.
    Bad arguments raise :class:`snnir.viz.DrawError` (a ``SnnirError``).
    """
    stream = sys.stdout if stream is None else stream
    kind = resolve_format(out, fmt)
    if kind in ("dot", "mmd"):
        how = "text"
    else:
        how = choose_engine(engine, kind)
        if how == "graphviz":
            how = f"graphviz: {find_graphviz()[0]}"  # type: ignore[index]
    path = draw(graph, out, format=kind, expand=expand, show_errors=show_errors, engine=engine, direction=direction)
    line = f"wrote {path} ({kind}, {how})"
    if show_errors:
        found = check(graph)
        errors = sum(d.severity == "error" for d in found)
        line += f"; highlighted {errors} error(s) and {len(found) - errors} warning(s)"
    print(line, file=stream)
    return 0


def cli_plot(traces: Mapping[str, Any], out: str | os.PathLike, graph: Graph | None = None,
             nodes: Sequence[str] | None = None, sample: Sample = 0, stream: TextIO | None = None) -> int:
    """``snnir run ... --plot OUT``: one overview figure of ``prog.trace``'s traces, saved to OUT (.png,
    .svg or .pdf): rasters for spiking nodes, value lines for the others. With ``graph``, the default
    ``nodes`` are its inputs, neurons and outputs in declaration order. Prints one line, returns 0."""
    stream = sys.stdout if stream is None else stream
    fig = plot_activity(traces, nodes=nodes, sample=sample, path=out, graph=graph)
    print(f"wrote {out} ({len(fig.axes)} panel(s))", file=stream)
    return 0
