"""Rendering drawings to files: Graphviz when its program is installed, matplotlib otherwise.

The Graphviz program is looked up in this order: the ``SNNIR_DOT`` environment variable (a path or a
command name), ``dot`` (a system Graphviz: ``apt-get install graphviz``), then ``graphviz-pure`` (the
self-contained Graphviz port on PyPI: ``pip install graphviz-pure``; it writes SVG and PNG, not PDF),
on ``PATH`` or beside the running Python interpreter (an unactivated virtual environment).
"""

from __future__ import annotations

import functools
import os
import pathlib
import shutil
import subprocess
import sys
import warnings
from typing import Literal

from .._atomic import write_atomic
from ..ir import Graph
from .dot import check_direction, scene_to_dot
from .errors import DrawError, GraphvizNotFoundError
from .scene import Scene, build_scene

FORMATS = ("svg", "png", "pdf", "dot", "mmd")
SUFFIXES = {".svg": "svg", ".png": "png", ".pdf": "pdf", ".dot": "dot", ".gv": "dot", ".mmd": "mmd",
            ".mermaid": "mmd"}
ENGINES = ("auto", "graphviz", "matplotlib")
Engine = Literal["auto", "graphviz", "matplotlib"]


GRAPHVIZ_HINT = ("install Graphviz (`apt-get install graphviz`, or `pip install graphviz-pure` for a "
                 "self-contained one), set SNNIR_DOT to its program, or draw with engine=\"matplotlib\"")


@functools.lru_cache(maxsize=8)
def _probe(program: str) -> tuple[str, frozenset[str]] | None:
    """(path, output formats it writes) of a Graphviz program, or None if it does not run."""
    path = shutil.which(program)
    if path is None:
        return None
    try:
        done = subprocess.run([path, "-V"], capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.SubprocessError):
        return None
    version = (done.stdout + done.stderr).lower()
    if "graphviz" not in version:
        return None
    formats = {"svg", "png", "dot"} if "graphviz-pure" in version else {"svg", "png", "pdf", "dot"}
    return path, frozenset(formats)


def find_graphviz() -> tuple[str, frozenset[str]] | None:
    """The Graphviz program snnir would use, as (path, formats it writes), or None if none is installed."""
    override = os.environ.get("SNNIR_DOT")
    if override:
        return _probe(override)
    for candidate in ("dot", "graphviz-pure", str(pathlib.Path(sys.executable).parent / "graphviz-pure")):
        found = _probe(candidate)
        if found is not None:
            return found
    return None


def has_graphviz(format: str = "svg") -> bool:
    """Whether an installed Graphviz program can write ``format``."""
    found = find_graphviz()
    return found is not None and format in found[1]


def resolve_format(path: str | os.PathLike | None, format: str | None) -> str:
    if format is not None:
        fmt = format.lower().lstrip(".")
        fmt = {"gv": "dot", "mermaid": "mmd"}.get(fmt, fmt)
        if fmt not in FORMATS:
            raise DrawError(f"unknown drawing format {format!r}; use one of {list(FORMATS)}")
        return fmt
    suffix = pathlib.Path(path).suffix.lower() if path is not None else ""
    if suffix not in SUFFIXES:
        raise DrawError(f"cannot tell the drawing format from {str(path)!r}; name the file .svg, .png, .pdf, "
                        ".dot or .mmd, or pass format=")
    return SUFFIXES[suffix]


def choose_engine(engine: str, fmt: str) -> str:
    """The engine that will draw ``fmt``: "graphviz" or "matplotlib"."""
    if engine not in ENGINES:
        raise DrawError(f"unknown drawing engine {engine!r}; use one of {list(ENGINES)}")
    if engine == "matplotlib":
        return engine
    found = find_graphviz()
    if engine == "graphviz":
        if found is None:
            raise GraphvizNotFoundError(f"no Graphviz program found (looked for $SNNIR_DOT, dot, graphviz-pure)."
                                        f"\n  hint: {GRAPHVIZ_HINT}")
        if fmt not in found[1]:
            raise DrawError(f"the Graphviz program {found[0]} cannot write {fmt}\n"
                            "  hint: install the system Graphviz (`apt-get install graphviz`) for PDF, or draw "
                            "with engine=\"matplotlib\"")
        return engine
    return "graphviz" if found is not None and fmt in found[1] else "matplotlib"


def draw(graph: Graph, path: str | os.PathLike, format: str | None = None, expand: bool = False,
         show_errors: bool = False, engine: Engine = "auto", direction: str = "LR",
         dpi: float | None = None) -> pathlib.Path:
    """Draw ``graph`` into ``path`` (SVG, PNG or PDF; or DOT / Mermaid text with .dot / .mmd).

    ``format`` defaults to the file's suffix. ``engine="auto"`` uses Graphviz when its program is
    installed (see :func:`find_graphviz`) and matplotlib otherwise; ``"graphviz"`` or ``"matplotlib"``
    force one. ``expand`` opens composites (ids ``block/inner``) into boxes; ``show_errors`` highlights
    the problems ``snnir.check`` finds (the graph may be invalid); ``direction="TB"`` puts inputs on top
    instead of on the left; ``dpi`` sets a PNG's resolution. The file is written atomically; returns
    its path.
    """
    out = pathlib.Path(path)
    fmt = resolve_format(out, format)
    data = render_bytes(graph, fmt, expand=expand, show_errors=show_errors, engine=engine, direction=direction,
                        dpi=dpi)
    _write_atomic(out, data)
    return out


def render_bytes(graph: Graph, format: str = "svg", expand: bool = False, show_errors: bool = False,
                 engine: Engine = "auto", direction: str = "LR", dpi: float | None = None) -> bytes:
    """The drawing as bytes (``format``: svg, png, pdf, dot or mmd), without writing a file."""
    fmt = resolve_format(None, format)
    check_direction(direction)
    chosen = choose_engine(engine, fmt) if fmt not in ("dot", "mmd") else "text"
    if engine not in ENGINES:
        raise DrawError(f"unknown drawing engine {engine!r}; use one of {list(ENGINES)}")
    scene = build_scene(graph, expand=expand, show_errors=show_errors)
    if fmt == "dot":
        return scene_to_dot(scene, direction).encode()
    if fmt == "mmd":
        from .mermaid import scene_to_mermaid

        return scene_to_mermaid(scene, direction).encode()
    if chosen == "graphviz":
        try:
            return _run_graphviz(scene_to_dot(scene, direction), fmt, dpi)
        except DrawError as err:
            if engine != "auto":
                raise
            warnings.warn(f"Graphviz could not draw this graph, so matplotlib drew it instead: {err}", stacklevel=2)
    return _render_matplotlib(scene, fmt, dpi, direction)


def graph_svg(graph: Graph, expand: bool = False, show_errors: bool = True, engine: Engine = "auto",
              direction: str = "LR") -> str:
    """The drawing as SVG text (for ``Graph._repr_svg_`` in notebooks). Problems are shown by default."""
    return render_bytes(graph, "svg", expand=expand, show_errors=show_errors, engine=engine,
                        direction=direction).decode()


def _run_graphviz(dot_text: str, fmt: str, dpi: float | None) -> bytes:
    found = find_graphviz()
    if found is None:  # pragma: no cover - choose_engine checked
        raise GraphvizNotFoundError(f"no Graphviz program found\n  hint: {GRAPHVIZ_HINT}")
    args = [found[0], f"-T{fmt}"] + ([f"-Gdpi={dpi:g}"] if dpi else [])
    try:
        done = subprocess.run(args, input=dot_text.encode(), capture_output=True, timeout=120)
    except (OSError, subprocess.SubprocessError) as err:
        raise DrawError(f"running {found[0]} failed: {err}\n  hint: {GRAPHVIZ_HINT}") from None
    if done.returncode != 0 or not done.stdout:
        message = done.stderr.decode(errors="replace").strip()
        raise DrawError(f"{found[0]} -T{fmt} failed (exit {done.returncode}): {message}\n"
                        "  hint: draw with engine=\"matplotlib\", or inspect the DOT text from snnir.viz.to_dot")
    return done.stdout


def _render_matplotlib(scene: Scene, fmt: str, dpi: float | None, direction: str) -> bytes:
    import io

    import matplotlib

    from .mpl_graph import render_figure

    buffer = io.BytesIO()
    with matplotlib.rc_context({"svg.fonttype": "none", "svg.hashsalt": "snnir", "font.family": "DejaVu Sans"}):
        fig = render_figure(scene, direction)
        save_figure(fig, buffer, fmt, dpi=dpi or 110)
    return buffer.getvalue()


def save_figure(fig, target, fmt: str, dpi: float | None = None) -> None:
    """Save a matplotlib figure without timestamps (so the same drawing gives the same bytes)."""
    metadata = {"svg": {"Date": None}, "pdf": {"CreationDate": None}, "png": {"Software": None}}.get(fmt)
    fig.savefig(target, format=fmt, dpi=dpi, metadata=metadata, facecolor="white")


def _write_atomic(path: pathlib.Path, data: bytes) -> None:
    """Write a drawing atomically, creating its folder; permissions as for an ordinary write."""
    path.parent.mkdir(parents=True, exist_ok=True)
    write_atomic(path, data, durable=False)  # a drawing is cheap to redo: no fsync
