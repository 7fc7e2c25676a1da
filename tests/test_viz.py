"""Drawings and activity plots, rendered for real.

The matplotlib renderer needs no binary and is always tested; the Graphviz tests skip when no Graphviz
program (``dot`` or ``graphviz-pure``) is installed.
"""

import functools
import io
import pathlib
import subprocess
import sys
import xml.etree.ElementTree as ET

import numpy as np
import pytest

import snnir
import snnir.viz as viz
from snnir import LIF, Edge, Graph, Input, Linear, Output, Scale
from snnir.viz.scene import build_scene

SVG = "{http://www.w3.org/2000/svg}"
needs_graphviz = pytest.mark.skipif(not viz.has_graphviz("svg"), reason="no Graphviz program installed")


# ---------------------------------------------------------------------- graphs
@functools.lru_cache(maxsize=None)
def recurrent() -> Graph:
    b = snnir.GraphBuilder(key=0)
    x = b.input("x", shape=(20,))
    s = b.lif(b.linear(x, 64, id="fc1"), decay=0.9, id="lif")
    b.connect(b.linear(s, 64, id="rec", bias=False), s)
    b.output(b.li(b.linear(s, 5, id="fc2"), decay=0.8, id="readout"), id="y")
    return b.build(metadata={"name": "recurrent SNN"})


@functools.lru_cache(maxsize=None)
def residual() -> Graph:
    b = snnir.GraphBuilder(key=1)
    x = b.input("x", shape=(32,))
    h = b.lif(b.linear(x, 32, id="stem"), decay=0.9, id="lif0")
    a = b.lif(b.scale(b.linear(h, 32, id="fc1"), 0.5, id="bn1"), decay=0.9, id="lif1")
    o = b.lif(b.scale(b.linear(a, 32, id="fc2"), 0.5, id="bn2"), decay=0.9, id="lif2")
    b.connect(h, o, delay=2)  # the skip edge, delayed
    b.output(b.li(b.linear(o, 10, id="head"), decay=0.8, id="readout"), id="y")
    return b.build()


@functools.lru_cache(maxsize=None)
def blocks() -> Graph:
    """Two residual blocks whose ids name composites (block1/..., block2/...); block2 has a cycle."""
    b = snnir.GraphBuilder(key=3)
    h = b.lif(b.linear(b.input("x", shape=(16,)), 16, id="stem"), decay=0.9, id="lif0")
    for blk in ("block1", "block2"):
        a = b.lif(b.linear(h, 16, id=f"{blk}/fc1"), decay=0.9, id=f"{blk}/lif1")
        o = b.lif(b.scale(b.linear(a, 16, id=f"{blk}/fc2"), 0.5, id=f"{blk}/bn2"), decay=0.9, id=f"{blk}/lif2")
        b.connect(h, o)
        h = o
    b.connect(b.linear(h, 16, id="block2/rec"), "block2/lif1")
    b.output(b.linear(h, 4, id="head"), id="y")
    return b.build()


@functools.lru_cache(maxsize=None)
def invalid() -> Graph:
    nodes = [Input(id="x", shape=(4,)), Linear(id="fc", weight=np.zeros((8, 3), np.float32)),
             LIF(id="lif", shape=(8,), decay=0.9), Scale(id="a", scale=1.0), Scale(id="b", scale=1.0),
             Output(id="y"), LIF(id="orphan", shape=(2,), decay=1.5)]
    edges = [Edge("x", "fc"), Edge("fc", "lif"), Edge("lif", "a"), Edge("a", "b"), Edge("b", "a"),
             Edge("lif", "y"), Edge("ghost", "lif"), Edge("lif", "nowhere", delay=2)]
    return Graph(nodes=nodes, edges=edges)


@functools.lru_cache(maxsize=None)
def tiny() -> Graph:
    return Graph(nodes=[Input(id="x", shape=(2,)), Linear(id="w", weight=[[1.0, 0.5], [0.0, 1.0], [1.0, 1.0]]),
                        LIF(id="lif", shape=(3,), decay=0.5), Output(id="y")],
                 edges=[("x", "w"), ("w", "lif"), Edge("lif", "lif", delay=1), ("lif", "y")])


# ---------------------------------------------------------------------- helpers
def parse_svg(data: bytes | str) -> ET.Element:
    return ET.fromstring(data if isinstance(data, bytes) else data.encode())


def svg_text(root: ET.Element) -> str:
    return " ".join(t for t in root.itertext())


def element_by_id(root: ET.Element, ident: str) -> ET.Element:
    found = [el for el in root.iter() if el.get("id") == ident]
    assert found, f"no element with id {ident!r}"
    return found[0]


def dashed(el: ET.Element) -> bool:
    return any("stroke-dasharray" in (x.get("style", "") + " ".join(x.attrib)) for x in el.iter())


def png_pixels(data: bytes) -> np.ndarray:
    import matplotlib.image

    return matplotlib.image.imread(io.BytesIO(data), format="png")


def assert_real_png(data: bytes) -> None:
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    pixels = png_pixels(data)
    height, width = pixels.shape[:2]
    assert 80 <= width <= 20000 and 50 <= height <= 20000, (width, height)
    assert float(pixels[..., :3].std()) > 0.02, "the image is blank"


def feedback_edge_index(graph: Graph, src: str, dst: str) -> int:
    scene = build_scene(graph)
    return next(k for k, e in enumerate(scene.edges) if (e.src, e.dst) == (src, dst))


# ---------------------------------------------------------------------- the scene
def test_scene_shows_shapes_parameters_and_feedback():
    scene = build_scene(recurrent())
    fc1, lif = scene.nodes["fc1"], scene.nodes["lif"]
    assert (fc1.kind, fc1.shape, fc1.params) == ("Linear", "20 → 64", 64 * 20 + 64)
    assert (lif.kind, lif.shape, lif.in_cycle) == ("LIF", "64", True)
    assert scene.nodes["y"].shape == "5"  # an Output shows what it receives
    [fb] = [e for e in scene.edges if e.feedback]
    assert (fb.src, fb.dst, fb.feedback, fb.constraint) == ("rec", "lif", "auto", False)
    [cycle] = scene.boxes()
    assert cycle.kind == "cycle" and set(cycle.node_ids()) == {"lif", "rec"}


def _fresh(text: str) -> str:
    """``text`` as a new string object (as ids read from a file or built at run time are), never the interned one."""
    return "".join(list(text))


def test_cycles_are_boxed_whatever_string_objects_the_ids_are():
    ids = {name: _fresh(name) for name in ("x", "fc", "lif", "rec", "y")}
    for name, built in ids.items():
        assert built == name and (len(name) == 1 or built is not name)
    nodes = [Input(id=ids["x"], shape=(2,)), Linear(id=ids["fc"], weight=np.ones((3, 2), np.float32)),
             LIF(id=ids["lif"], shape=(3,), decay=0.5), Linear(id=ids["rec"], weight=np.eye(3, dtype=np.float32)),
             Output(id=ids["y"])]
    # the edges name the nodes through other string objects still, as a parsed file does
    edges = [Edge(_fresh(a), _fresh(b)) for a, b in (("x", "fc"), ("fc", "lif"), ("lif", "rec"), ("rec", "lif"),
                                                       ("lif", "y"))]
    scene = build_scene(Graph(nodes=nodes, edges=edges))
    [cycle] = scene.boxes()
    assert cycle.kind == "cycle" and cycle.node_ids() == ("lif", "rec")
    assert 'subgraph "cluster_cycle:1"' in viz.to_dot(Graph(nodes=nodes, edges=edges))


@pytest.mark.parametrize("name", ["recurrent.snnir", "recurrent.json"])
def test_cycles_of_loaded_files_are_boxed(name, tmp_path):
    models = pathlib.Path(__file__).resolve().parents[1] / "examples" / "models"
    bundled = snnir.load(models / name)
    snnir.save(blocks(), tmp_path / name)
    for g, expand, members in ((bundled, False, {"lif", "rec"}),
                               (snnir.load(tmp_path / name), True, {"block2/lif1", "block2/fc2", "block2/bn2",
                                                                    "block2/lif2", "block2/rec"})):
        cycles = [b for b in build_scene(g, expand=expand).boxes() if b.kind == "cycle"]
        assert len(cycles) == 1 and set(cycles[0].node_ids()) == members
        assert 'subgraph "cluster_cycle:1"' in viz.to_dot(g, expand=expand)


def test_marked_feedback_edges_are_drawn_as_marked():
    g = recurrent()
    marked = g.map_edges(lambda e: e.replace(feedback=True) if e.key == ("rec", "lif") else e)
    [fb] = [e for e in build_scene(marked).edges if e.feedback]
    assert fb.feedback == "marked" and fb.label == "feedback"
    assert "feedback (auto)" not in viz.to_dot(marked)


def test_delays_and_ports_are_labelled():
    g = residual()
    skip = next(e for e in build_scene(g).edges if (e.src, e.dst) == ("lif0", "lif2"))
    assert skip.delay == 2 and skip.label == "delay 2" and skip.feedback is None
    b = snnir.GraphBuilder(key=0)
    s = b.lif(b.input("x", shape=(3,)), decay=0.5, id="lif")
    b.output("lif.v", id="membrane")
    b.output(s, id="spikes")
    labels = {(e.src, e.dst): e.label for e in build_scene(b.build()).edges}
    assert labels[("lif", "membrane")] == "v" and labels[("lif", "spikes")] == ""


def test_composites_collapse_into_one_node_and_expand_into_boxes():
    g = blocks()
    collapsed = build_scene(g)
    assert {"block1", "block2"} <= set(collapsed.nodes) and "block1/fc1" not in collapsed.nodes
    block1 = collapsed.nodes["block1"]
    assert block1.role == "composite" and block1.shape == "5 nodes"
    assert not [e for e in collapsed.edges if e.src == e.dst]  # inner edges disappear
    into = next(e for e in collapsed.edges if (e.src, e.dst) == ("lif0", "block1"))
    assert len(into.indices) == 2 and into.label == "×2"  # the block's input and its skip edge
    assert not collapsed.boxes()  # block2's cycle hides inside the collapsed block

    expanded = build_scene(g, expand=True)
    assert "block1/fc1" in expanded.nodes and "block1" not in expanded.nodes
    names = {b.name: b for b in expanded.boxes()}
    assert {"block1", "block2", "cycle:1"} <= set(names)
    assert names["cycle:1"] in names["block2"].items  # the cycle nests inside its composite
    assert set(names["block1"].node_ids()) == {n for n in g.node_ids if n.startswith("block1/")}


def test_invalid_graphs_draw_with_their_problems():
    scene = build_scene(invalid(), show_errors=True)
    assert scene.nodes["ghost"].role == "unknown" and scene.nodes["nowhere"].role == "unknown"
    codes = {nid: {p.code for p in n.problems} for nid, n in scene.nodes.items()}
    assert codes["fc"] == {"shape-mismatch"}
    assert {"missing-input", "bad-parameter"} <= codes["orphan"]
    assert codes["a"] >= {"algebraic-loop"} and scene.nodes["a"].severity == "warning"  # a stateless cycle is broken, with a warning
    assert codes["ghost"] == {"unknown-node"} and codes["x"] == set()
    assert next(e for e in scene.edges if e.src == "ghost").severity == "error"
    assert scene.nodes["fc"].shape == "?"
    # without show_errors the same graph draws, plainly
    plain = build_scene(invalid())
    assert not any(n.problems for n in plain.nodes.values()) and "ghost" in plain.nodes


def test_graph_level_problems_become_notes():
    g = Graph(nodes=[LIF(id="lonely", shape=(2,), decay=0.5)])
    scene = build_scene(g, show_errors=True)
    assert {p.code for p in scene.notes} == {"no-inputs", "no-outputs"}
    assert "no-inputs" in viz.to_dot(g, show_errors=True)


def test_duplicate_ids_self_loops_and_empty_graphs_draw():
    g = Graph(nodes=[Input(id="x", shape=(2,)), LIF(id="l", shape=(2,), decay=0.5), LIF(id="l", shape=(3,), decay=0.5),
                     Output(id="y")], edges=[("x", "l"), ("l", "l"), ("l", "y")])
    scene = build_scene(g, show_errors=True)
    assert list(scene.nodes) == ["x", "l", "y"]
    assert {p.code for p in scene.nodes["l"].problems} == {"duplicate-id"}
    assert viz.render_bytes(g, "svg", engine="matplotlib", show_errors=True)
    assert viz.render_bytes(Graph(nodes=[]), "png", engine="matplotlib")


# ---------------------------------------------------------------------- text
def test_dot_text_is_deterministic_and_complete():
    g = recurrent()
    text = viz.to_dot(g)
    assert text == viz.to_dot(recurrent.__wrapped__()) == viz.to_dot(g)
    assert text.startswith("digraph snnir {") and "rankdir=LR" in text
    for nid in g.node_ids:
        assert f'"{nid}" [' in text
    feedback = next(line for line in text.splitlines() if line.strip().startswith('"rec" -> "lif"'))
    assert "style=dashed" in feedback and "constraint=false" in feedback and "feedback (auto)" in feedback
    assert 'subgraph "cluster_cycle:1"' in text
    assert '{ rank=source; "x"; }' in text and '{ rank=sink; "y"; }' in text
    assert "1,344 params" in text and "Linear · 20 → 64" in text
    assert "rankdir=TB" in viz.to_dot(g, direction="TB")


def test_dot_golden():
    lines = viz.to_dot(tiny()).splitlines()
    assert lines[-7:-1] == [
        '  { rank=source; "x"; }',
        '  { rank=sink; "y"; }',
        '  "x" -> "w" [id="edge:0", tooltip="x -> w"];',
        '  "w" -> "lif" [id="edge:1", tooltip="w -> lif"];',
        '  "lif" -> "lif" [id="edge:2", color="#1f5fa8", fontcolor="#1f5fa8", constraint=false, label=" delay 1 ", '
        'class="delayed", tooltip="lif -> lif (delay 1)"];',
        '  "lif" -> "y" [id="edge:3", tooltip="lif -> y"];',
    ]
    assert ('    "lif" [id="node:lif", class="neuron", fillcolor="#fde3c4", label=<<b>lif</b><br/>'
            '<font point-size="9">LIF · 3</font><br/><font point-size="8" color="#666666">2 params</font>>, '
            'tooltip="lif: LIF shape=(3,) decay=0.5 threshold=1"];') in lines


def test_mermaid_text():
    g = recurrent()
    text = viz.to_mermaid(g)
    assert text == viz.to_mermaid(recurrent.__wrapped__())
    assert "flowchart LR" in text and "flowchart TB" in viz.to_mermaid(g, direction="TB")
    for nid in g.node_ids:
        assert f"<b>{nid}</b>" in text
    assert '-.->|"feedback (auto)"|' in text and 'subgraph box0["cycle 1"]' in text
    bad = viz.to_mermaid(invalid(), show_errors=True)
    assert "error: unknown-node" in bad and "class " in bad


def test_bad_arguments_are_snnir_errors():
    g = tiny()
    for call in (lambda: viz.to_dot(g, direction="RL"), lambda: viz.draw(g, "/tmp/x.bmp"),
                 lambda: viz.render_bytes(g, "gif"), lambda: viz.render_bytes(g, "svg", engine="cairo")):
        with pytest.raises(snnir.SnnirError) as info:
            call()
        assert isinstance(info.value, ValueError)


# ---------------------------------------------------------------------- matplotlib renderer
def test_matplotlib_svg_has_every_node_and_a_dashed_feedback_edge(tmp_path):
    g = recurrent()
    path = viz.draw(g, tmp_path / "g.svg", engine="matplotlib")
    root = parse_svg(path.read_bytes())
    text = svg_text(root)
    for nid in g.node_ids:
        assert nid in text
        element_by_id(root, f"node:{nid}")
    k = feedback_edge_index(g, "rec", "lif")
    assert dashed(element_by_id(root, f"edge:{k}"))
    assert not dashed(element_by_id(root, f"edge:{feedback_edge_index(g, 'x', 'fc1')}"))
    assert "feedback (auto)" in text and "cycle 1" in text


def test_matplotlib_png_pdf_and_direction(tmp_path):
    for graph in (recurrent(), residual(), blocks()):
        assert_real_png(viz.render_bytes(graph, "png", engine="matplotlib"))
    wide = png_pixels(viz.render_bytes(residual(), "png", engine="matplotlib"))
    tall = png_pixels(viz.render_bytes(residual(), "png", engine="matplotlib", direction="TB"))
    assert wide.shape[1] > wide.shape[0] and tall.shape[0] > tall.shape[1]
    assert viz.draw(blocks(), tmp_path / "g.pdf", engine="matplotlib", expand=True).read_bytes()[:5] == b"%PDF-"


def test_matplotlib_output_is_deterministic():
    g = residual()
    assert viz.render_bytes(g, "svg", engine="matplotlib") == viz.render_bytes(g, "svg", engine="matplotlib")


def test_matplotlib_highlights_errors():
    data = viz.render_bytes(invalid(), "svg", engine="matplotlib", show_errors=True)
    root = parse_svg(data)
    assert "error: shape-mismatch" in svg_text(root) and "no such node" in svg_text(root)
    assert "#d32f2f" in data.decode()
    assert "#d32f2f" not in viz.render_bytes(invalid(), "svg", engine="matplotlib").decode()


def test_auto_falls_back_to_matplotlib_without_graphviz(monkeypatch, tmp_path):
    monkeypatch.setenv("SNNIR_DOT", str(tmp_path / "no-such-dot"))
    assert viz.find_graphviz() is None and not viz.has_graphviz()
    svg = viz.graph_svg(recurrent())
    assert "graphviz" not in svg.lower()[:400]
    assert "lif" in svg_text(parse_svg(svg))
    with pytest.raises(viz.GraphvizNotFoundError, match="apt-get install graphviz"):
        viz.draw(recurrent(), tmp_path / "g.svg", engine="graphviz")


# ---------------------------------------------------------------------- Graphviz
@needs_graphviz
def test_graphviz_svg_has_every_node_and_a_dashed_feedback_edge(tmp_path):
    g = recurrent()
    root = parse_svg(viz.draw(g, tmp_path / "g.svg", engine="graphviz").read_bytes())
    titles = {el.text for el in root.iter(f"{SVG}title")}
    assert set(g.node_ids) <= titles
    k = feedback_edge_index(g, "rec", "lif")
    edge = element_by_id(root, f"edge:{k}")
    assert "feedback" in edge.get("class", "") and dashed(edge)
    assert not dashed(element_by_id(root, f"edge:{feedback_edge_index(g, 'x', 'fc1')}"))
    assert any(el.get("id") == "node:lif" for el in root.iter())


@needs_graphviz
def test_graphviz_png_and_invalid_graphs(tmp_path):
    assert_real_png(viz.draw(recurrent(), tmp_path / "g.png", engine="graphviz").read_bytes())
    data = viz.render_bytes(invalid(), "svg", engine="graphviz", show_errors=True)
    root = parse_svg(data)
    assert {"ghost", "nowhere", "orphan"} <= {el.text for el in root.iter(f"{SVG}title")}
    assert "error: shape-mismatch" in svg_text(root)
    blocks_svg = parse_svg(viz.render_bytes(blocks(), "svg", engine="graphviz", expand=True))
    assert {"cluster_block1", "cluster_block2", "cluster_cycle:1"} <= {el.text for el in blocks_svg.iter(f"{SVG}title")}


@needs_graphviz
def test_graphviz_pdf_or_a_clear_refusal(tmp_path):
    if viz.has_graphviz("pdf"):
        assert viz.draw(recurrent(), tmp_path / "g.pdf", engine="graphviz").read_bytes()[:5] == b"%PDF-"
    else:  # graphviz-pure writes no PDF: auto falls back to matplotlib, engine="graphviz" says why
        assert viz.draw(recurrent(), tmp_path / "g.pdf").read_bytes()[:5] == b"%PDF-"
        with pytest.raises(viz.DrawError, match="cannot write pdf"):
            viz.draw(recurrent(), tmp_path / "h.pdf", engine="graphviz")


# ---------------------------------------------------------------------- files and the command line
def test_text_formats_and_atomic_files(tmp_path):
    g = recurrent()
    assert viz.draw(g, tmp_path / "g.dot").read_text() == viz.to_dot(g)
    assert viz.draw(g, tmp_path / "g.mmd").read_text() == viz.to_mermaid(g)
    assert viz.draw(g, tmp_path / "out.txt", format="gv").read_text() == viz.to_dot(g)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["g.dot", "g.mmd", "out.txt"]


def test_cli_draw(tmp_path):
    out = io.StringIO()
    assert viz.cli_draw(invalid(), tmp_path / "bad.svg", show_errors=True, engine="matplotlib", stream=out) == 0
    assert "wrote" in out.getvalue() and "matplotlib" in out.getvalue() and "error(s)" in out.getvalue()
    parse_svg((tmp_path / "bad.svg").read_bytes())
    out = io.StringIO()
    viz.cli_draw(blocks(), tmp_path / "b.png", fmt="png", expand=True, stream=out)
    assert_real_png((tmp_path / "b.png").read_bytes())


def test_importing_viz_does_not_import_matplotlib():
    code = "import snnir.viz, sys; assert 'matplotlib' not in sys.modules"
    subprocess.run([sys.executable, "-c", code], check=True)


# ---------------------------------------------------------------------- activity plots
def fake_traces(T=30, B=2, N=12, seed=0):
    rng = np.random.default_rng(seed)
    spikes = (rng.random((T, B, N)) < 0.2).astype(np.float32)
    v = rng.normal(size=(T, B, N)).astype(np.float32)
    return {"x": (rng.random((T, B, 4)) < 0.5).astype(np.float32), "lif": spikes, "lif:v": v,
            "readout": v[..., :3].cumsum(0), "y": v[..., :3].cumsum(0)}


def test_raster_traces_and_rates_save_real_images(tmp_path):
    from matplotlib.figure import Figure

    tr = fake_traces()
    fig = viz.plot_raster(tr, path=tmp_path / "raster.png")
    assert isinstance(fig, Figure) and len(fig.axes) == 2  # the two spiking traces: x and lif
    assert "lif: " in fig.axes[1].get_title(loc="left")
    assert_real_png((tmp_path / "raster.png").read_bytes())
    fig = viz.plot_traces(tr, "lif:v", neurons=(0, 3), threshold=1.0, path=tmp_path / "v.svg")
    assert "(ticks: spikes)" in fig.axes[0].get_title(loc="left")
    parse_svg((tmp_path / "v.svg").read_bytes())
    fig = viz.plot_rates(tr, dt=1e-3, path=tmp_path / "rates.png")
    assert "Hz" in fig.axes[0].get_xlabel()
    assert_real_png((tmp_path / "rates.png").read_bytes())
    assert viz.plot_activity(tr, sample=1, path=tmp_path / "all.pdf") is not None
    assert (tmp_path / "all.pdf").read_bytes()[:5] == b"%PDF-"


def test_raster_counts_the_chosen_sample():
    tr = fake_traces()
    for sample in (0, 1):
        fig = viz.plot_raster(tr, nodes="lif", sample=sample)
        count = int(tr["lif"][:, sample].sum())
        assert fig.axes[0].get_title(loc="left").startswith(f"lif: {count:,} spikes")
    unbatched = {"s": tr["lif"][:, 0]}
    assert viz.plot_raster(unbatched, sample=None).axes[0].get_title(loc="left").startswith(
        f"s: {int(unbatched['s'].sum()):,} spikes")


def test_rates_pool_samples():
    tr = {"s": np.zeros((10, 3, 2), np.float32)}
    tr["s"][:, 0, 0] = 1  # neuron 0 fires every step in sample 0 only: 1/3 spike per step overall
    fig = viz.plot_rates(tr)
    assert "mean 0.167 spikes per step, 1/2 silent" in fig.axes[0].get_legend().get_texts()[0].get_text()


def test_activity_errors_name_what_is_wrong():
    tr = fake_traces()
    with pytest.raises(viz.DrawError, match="state_vars=True"):
        viz.plot_traces(tr, "readout:v")
    with pytest.raises(viz.DrawError, match="out of range"):
        viz.plot_raster(tr, nodes=["lif"], sample=5)
    with pytest.raises(viz.DrawError, match="out of range"):
        viz.plot_traces(tr, "lif:v", neurons=(99,))
    with pytest.raises(viz.DrawError, match="no spiking trace"):
        viz.plot_raster({"v": np.full((5, 2, 3), 0.5)})
    with pytest.raises(viz.DrawError, match="plot format"):
        viz.plot_raster(tr, path="raster.jpg")


def test_plots_from_a_compiled_program(tmp_path):
    g = tiny()
    prog = snnir.compile(g)
    xs = np.tile(np.array([[[1.0, 0.0]], [[0.0, 1.0]]], np.float32), (10, 3, 1))  # [T=20, B=3, 2]
    _, traces = prog.trace(prog.init_state((3,)), xs, state_vars=True)
    assert {"lif", "lif:v"} <= set(traces)
    out = io.StringIO()
    assert viz.cli_plot(traces, tmp_path / "run.png", graph=g, stream=out) == 0
    assert "3 panel(s)" in out.getvalue()  # x, lif and y: the inputs, neurons and outputs
    assert_real_png((tmp_path / "run.png").read_bytes())
    fig = viz.plot_traces(traces, "lif:v", neurons=(0, 1, 2), sample=2, threshold=1.0)
    assert len(fig.axes[0].get_lines()) >= 4


def test_a_failing_graphviz_falls_back_in_auto_mode(monkeypatch, tmp_path):
    fake = tmp_path / "dot"
    fake.write_text("#!/bin/sh\nif [ \"$1\" = -V ]; then echo 'dot - graphviz version 0 (fake)' >&2; exit 0; fi\n"
                    "echo 'no renderer' >&2; exit 3\n")
    fake.chmod(0o755)
    monkeypatch.setenv("SNNIR_DOT", str(fake))
    assert viz.has_graphviz("png")
    with pytest.raises(viz.DrawError, match="no renderer"):
        viz.render_bytes(tiny(), "png", engine="graphviz")
    with pytest.warns(UserWarning, match="matplotlib drew it instead"):
        assert_real_png(viz.render_bytes(tiny(), "png"))
