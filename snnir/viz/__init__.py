"""Drawings of graphs and plots of what their neurons did.

Graphs: :func:`to_dot` and :func:`to_mermaid` give text; :func:`draw` writes SVG, PNG or PDF through
Graphviz when its program is installed, else through matplotlib (no binary needed);
:func:`graph_svg` gives SVG text for notebooks. Activity: :func:`plot_raster`, :func:`plot_traces`,
:func:`plot_rates` and :func:`plot_activity` plot the dict ``Program.trace`` returns.
See docs/visualization.md.
"""

from .activity import plot_activity, plot_raster, plot_rates, plot_traces
from .cli import cli_draw, cli_plot
from .dot import to_dot
from .errors import DrawError, GraphvizNotFoundError
from .mermaid import to_mermaid
from .render import draw, find_graphviz, graph_svg, has_graphviz, render_bytes

__all__ = [
    "to_dot", "to_mermaid", "draw", "graph_svg", "render_bytes", "find_graphviz", "has_graphviz",
    "plot_raster", "plot_traces", "plot_rates", "plot_activity", "cli_draw", "cli_plot",
    "DrawError", "GraphvizNotFoundError",
]
