"""The pure-Python renderer: a scene drawn with matplotlib (Agg, never a display) on a layered layout.

It shows what the Graphviz drawing shows (ids, kinds, shapes, parameter counts, delays, dashed red
feedback edges, cycle and composite boxes, problems), laid out by :mod:`snnir.viz.layout`.
In SVG output text stays text and every node and edge is a group with an id (``node:<id>``,
``edge:<k>``), as in Graphviz's SVG.
"""

from __future__ import annotations

import dataclasses
import functools
from typing import Any

from . import style as S
from .layout import layered_layout
from .scene import Box, Scene

ID_SIZE = 9.0
LINE_SIZE = 7.5
PAD_X, PAD_Y = 8.0, 5.0
LAYER_GAP = 46.0  # between layers, left to right
LAYER_GAP_TB = 30.0  # between layers, top to bottom
ROW_GAP = 34.0  # between nodes of one layer, left to right
COLUMN_GAP = 40.0  # between nodes of one layer, top to bottom
MARGIN = 16.0
BOX_PAD = 9.0


@dataclasses.dataclass
class _Rect:
    x0: float
    y0: float
    x1: float
    y1: float

    @property
    def cx(self) -> float:
        return (self.x0 + self.x1) / 2

    @property
    def cy(self) -> float:
        return (self.y0 + self.y1) / 2


@functools.lru_cache(maxsize=4096)
def _text_width(text: str, size: float, bold: bool = False) -> float:
    from matplotlib.font_manager import FontProperties
    from matplotlib.textpath import TextToPath

    props = FontProperties(size=size, weight="bold" if bold else "normal")
    width, _, _ = TextToPath().get_text_width_height_descent(text, props, ismath=False)
    return float(width)


def _node_text(scene: Scene, nid: str) -> list[tuple[str, float, bool, str]]:
    """(text, size, bold, colour) lines of a node's label."""
    n = scene.nodes[nid]
    lines = [(n.id, ID_SIZE, True, S.TEXT)]
    if n.role == "unknown":
        lines.append(("no such node", LINE_SIZE, False, S.MUTED))
    else:
        lines.append((n.lines[0], LINE_SIZE, False, S.TEXT))
        lines.extend((x, LINE_SIZE - 0.5, False, S.MUTED) for x in n.lines[1:])
    if scene.show_errors and n.problems:
        colour = S.ERROR if n.severity == "error" else S.WARNING
        for code in dict.fromkeys(f"{p.severity}: {p.code}" for p in n.problems):
            lines.append((code, LINE_SIZE - 0.5, False, colour))
    return lines


def render_figure(scene: Scene, direction: str = "LR") -> Any:
    """A matplotlib Figure of the scene (sized so that one data unit is one point).

    ``direction`` "LR" puts inputs left and outputs right; "TB" puts inputs on top (for deep chains)."""
    from matplotlib.figure import Figure
    from matplotlib.patches import FancyArrowPatch, FancyBboxPatch
    from matplotlib.path import Path

    horizontal = direction == "LR"
    layout = layered_layout(scene)
    texts = {nid: _node_text(scene, nid) for nid in scene.nodes}
    size = {}
    for nid, lines in texts.items():
        w = max(_text_width(t, s, b) for t, s, b, _ in lines) + 2 * PAD_X
        h = sum(s * 1.25 for _, s, _, _ in lines) + 2 * PAD_Y
        size[nid] = (w, h)

    def major(nid: str) -> float:  # extent along the layers
        return size[nid][0] if horizontal else size[nid][1]

    def minor(nid: str) -> float:  # extent across the layers
        return size[nid][1] if horizontal else size[nid][0]

    pitch = max((minor(n) for n in size), default=20.0) + (ROW_GAP if horizontal else COLUMN_GAP)
    spans = [0.0] * layout.n_layers
    for nid in size:
        spans[layout.layer[nid]] = max(spans[layout.layer[nid]], major(nid))
    centres, at = [], 0.0
    for span in spans:
        centres.append(at + span / 2)
        at += span + (LAYER_GAP if horizontal else LAYER_GAP_TB)

    def point(lay: int, yy: float) -> tuple[float, float]:
        a, b = centres[lay], yy * pitch + pitch / 2
        return (a, b) if horizontal else (b, a)

    rects: dict[str, _Rect] = {}
    for nid, (w, h) in size.items():
        cx, cy = point(layout.layer[nid], layout.y[nid])
        rects[nid] = _Rect(cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2)

    box_rects: list[tuple[Box, _Rect, int]] = []
    looped = {e.src for e in scene.edges if e.src == e.dst}

    def box_rect(box: Box, depth: int) -> _Rect | None:
        inner = []
        for item in box.items:
            if isinstance(item, Box):
                r = box_rect(item, depth + 1)
                if r is not None:
                    inner.append(r)
            else:
                r = rects[item]
                if item in looped:  # leave room for the self-loop drawn outside the node
                    r = _Rect(r.x0, r.y0 - 26, r.x1, r.y1) if horizontal else _Rect(r.x0, r.y0, r.x1 + 26, r.y1)
                inner.append(r)
        if not inner:
            return None
        r = _Rect(min(i.x0 for i in inner) - BOX_PAD, min(i.y0 for i in inner) - BOX_PAD - 11.0,
                  max(i.x1 for i in inner) + BOX_PAD, max(i.y1 for i in inner) + BOX_PAD)
        box_rects.append((box, r, depth))
        return r

    for item in scene.items:
        if isinstance(item, Box):
            box_rect(item, 0)
    paths = [_edge_path(e, rects[e.src], rects[e.dst], layout, k, point, horizontal)
             for k, e in enumerate(scene.edges)]

    # the canvas: everything drawn, plus a margin and the header (title and graph-level problems)
    xs = [v for r in list(rects.values()) + [r for _, r, _ in box_rects] for v in (r.x0, r.x1)]
    ys = [v for r in list(rects.values()) + [r for _, r, _ in box_rects] for v in (r.y0, r.y1)]
    for (verts, _, at), e in zip(paths, scene.edges):
        xs += [v[0] for v in verts]
        ys += [v[1] for v in verts]
        if e.label:
            half = _text_width(e.label, 6.5) / 2 + 2
            xs += [at[0] - half, at[0] + half]
            ys += [at[1] - 12]
    header = 24.0 + 13.0 * len(scene.notes)
    x0, y0 = min(xs, default=0.0) - MARGIN, min(ys, default=0.0) - MARGIN - header
    title_w = max([_text_width(scene.title, 10.0)] +
                  [_text_width(f"{p.severity} {p.code}: {p.message}", 8.0) for p in scene.notes])
    x1 = max(max(xs, default=0.0) + MARGIN, x0 + title_w + 2 * MARGIN)
    y1 = max(ys, default=0.0) + MARGIN

    fig = Figure(figsize=((x1 - x0) / 72.0, (y1 - y0) / 72.0))
    ax = fig.add_axes((0, 0, 1, 1))
    ax.set_xlim(x0, x1)
    ax.set_ylim(y1, y0)
    ax.set_axis_off()

    ax.text(x0 + MARGIN, y0 + MARGIN, scene.title, fontsize=10, va="top", ha="left", color=S.TEXT)
    for i, p in enumerate(scene.notes):
        colour = S.ERROR if p.severity == "error" else S.WARNING
        ax.text(x0 + MARGIN, y0 + MARGIN + 16 + 13 * i, f"{p.severity} {p.code}: {p.message}", fontsize=8,
                va="top", ha="left", color=colour)

    for box, r, depth in sorted(box_rects, key=lambda t: t[2]):
        cycle = box.kind == "cycle"
        patch = FancyBboxPatch((r.x0, r.y0), r.x1 - r.x0, r.y1 - r.y0, boxstyle="round,pad=0,rounding_size=8",
                               facecolor=S.CYCLE_FILL if cycle else S.COMPOSITE_FILL,
                               edgecolor=S.CYCLE_BORDER if cycle else S.COMPOSITE_BORDER,
                               linestyle="--" if cycle else "-", linewidth=1.0, zorder=1 + depth * 0.01)
        patch.set_gid(f"cluster:{box.name}")
        ax.add_patch(patch)
        ax.text(r.x0 + 7, r.y0 + 4, box.label, fontsize=7.5, va="top", ha="left",
                color=S.FEEDBACK if cycle else S.MUTED, zorder=1.5)

    for k, e in enumerate(scene.edges):
        colour, width, style = S.EDGE, 1.0, "-"
        if e.feedback:
            colour, width, style = S.FEEDBACK, 1.4, (0, (5, 2.5))
        elif e.delay:
            colour = S.DELAYED
        if e.severity:
            colour, width = (S.ERROR if e.severity == "error" else S.WARNING), 2.2
        verts, codes, label_at = paths[k]
        arrow = FancyArrowPatch(path=Path(verts, codes), arrowstyle="-|>", mutation_scale=9, color=colour,
                                linewidth=width, linestyle=style, zorder=2, shrinkA=0, shrinkB=0)
        arrow.set_gid(f"edge:{k}")
        ax.add_patch(arrow)
        if e.label:
            ax.text(label_at[0], label_at[1] - 2, e.label, fontsize=6.5, ha="center", va="bottom",
                    color=colour if (e.feedback or e.delay or e.severity) else S.MUTED, zorder=4,
                    bbox=dict(boxstyle="round,pad=0.1", facecolor="white", edgecolor="none", alpha=0.8))

    for nid, r in rects.items():
        n = scene.nodes[nid]
        border, fill, lw, ls = S.BORDER, S.FILL[n.role], 1.0, "-"
        if n.role == "unknown":
            ls = "--"
        if n.role == "composite":
            lw = 1.8
        if scene.show_errors and n.problems:
            border, fill = S.severity_colours(n.severity)  # type: ignore[misc]
            lw = 2.2
        patch = FancyBboxPatch((r.x0, r.y0), r.x1 - r.x0, r.y1 - r.y0, boxstyle="round,pad=0,rounding_size=6",
                               facecolor=fill, edgecolor=border, linewidth=lw, linestyle=ls, zorder=3)
        patch.set_gid(f"node:{nid}")
        ax.add_patch(patch)
        yy = r.y0 + PAD_Y
        for text, size_, bold, colour in texts[nid]:
            ax.text(r.cx, yy, text, fontsize=size_, fontweight="bold" if bold else "normal", ha="center",
                    va="top", color=colour, zorder=5)
            yy += size_ * 1.25
    return fig


def _depth(items) -> int:
    best = 0
    for item in items:
        if isinstance(item, Box):
            best = max(best, 1 + _depth(item.items))
    return best


def _edge_path(e, a: _Rect, b: _Rect, layout, k: int, point, horizontal: bool):
    """Vertices and codes of an edge's path, and where its label goes."""
    from matplotlib.path import Path

    la, lb = layout.layer[e.src], layout.layer[e.dst]
    curve = [Path.MOVETO, Path.CURVE4, Path.CURVE4, Path.CURVE4]
    if e.src == e.dst:  # self-loop: over the node's top (LR) or beside its right side (TB)
        if horizontal:
            p0, p1, c0, c1 = (a.cx + 10, a.y0), (a.cx - 10, a.y0), (a.cx + 28, a.y0 - 30), (a.cx - 28, a.y0 - 30)
            return [p0, c0, c1, p1], curve, (a.cx, a.y0 - 24)
        p0, p1, c0, c1 = (a.x1, a.cy - 6), (a.x1, a.cy + 6), (a.x1 + 30, a.cy - 26), (a.x1 + 30, a.cy + 26)
        return [p0, c0, c1, p1], curve, (a.x1 + 26, a.cy + 4)
    if e.constraint and lb > la:
        start, end = ((a.x1, a.cy), (b.x0, b.cy)) if horizontal else ((a.cx, a.y1), (b.cx, b.y0))
        pts = [start] + [point(lay, yy) for lay, yy in layout.bends.get(k, ())] + [end]
        verts, codes = _smooth(pts, horizontal)
        mid = ((pts[0][0] + pts[1][0]) / 2, (pts[0][1] + pts[1][1]) / 2) if len(pts) == 2 else pts[len(pts) // 2]
        return verts, codes, mid
    # backward (feedback) edges, or edges within one layer: an arc over the top (LR) or on the right (TB)
    if horizontal:
        p0, p1 = (a.cx, a.y0), (b.cx, b.y0)
        lift = min(26.0 + 0.12 * abs(p0[0] - p1[0]), 50.0)
        c = ((p0[0] + p1[0]) / 2, min(p0[1], p1[1]) - 2 * lift)
    else:
        p0, p1 = (a.x1, a.cy), (b.x1, b.cy)
        lift = min(26.0 + 0.12 * abs(p0[1] - p1[1]), 50.0)
        c = (max(p0[0], p1[0]) + 2 * lift, (p0[1] + p1[1]) / 2)
    apex = (0.25 * p0[0] + 0.5 * c[0] + 0.25 * p1[0], 0.25 * p0[1] + 0.5 * c[1] + 0.25 * p1[1])
    return [p0, c, p1], [Path.MOVETO, Path.CURVE3, Path.CURVE3], apex


def _smooth(pts, horizontal: bool):
    """A smooth path through ``pts`` with tangents along the layout direction (cubic Bézier segments)."""
    from matplotlib.path import Path

    verts = [pts[0]]
    codes = [Path.MOVETO]
    for (x0, y0), (x1, y1) in zip(pts, pts[1:]):
        if horizontal:
            dx = (x1 - x0) / 2
            verts += [(x0 + dx, y0), (x1 - dx, y1), (x1, y1)]
        else:
            dy = (y1 - y0) / 2
            verts += [(x0, y0 + dy), (x1, y1 - dy), (x1, y1)]
        codes += [Path.CURVE4] * 3
    return verts, codes
