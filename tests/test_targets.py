"""Hardware targets: bundled profiles, hostile profile files, the target checks of ``snnir.verify``, the
placement onto cores, and the ``--target`` options of the command line.

Nothing here compiles a program except the two ``info`` commands, so the file runs in a few seconds.
"""

import ast
import json
import pathlib
import re

import numpy as np
import pytest

import snnir
from snnir import targets
from snnir.cli import main
from snnir.codes import CODES, explain
from snnir.targets import MappingError, TargetProfile, TargetProfileError, UnknownTargetError

ROOT = pathlib.Path(__file__).resolve().parents[1]
MODEL = str(ROOT / "examples" / "models" / "recurrent.snnir")
TARGET_CODES = {"target-kind", "target-capacity", "target-fan-in", "target-fan-out", "target-quantization",
                "target-delay", "target-recurrence", "target-conv", "target-io",
                "target-format"}  # quantization formats: tested in tests/test_targets_quantize.py
I, O, L, E = snnir.Input, snnir.Output, snnir.Linear, snnir.Edge


def w(out: int, inp: int, value: float = 0.125) -> np.ndarray:
    return np.full((out, inp), value, np.float32)


def lif(id: str, n: int, **fields) -> snnir.LIF:  # noqa: A002
    return snnir.LIF(id=id, shape=(n,), decay=0.5, **fields)


def chain(widths, neuron=lif, inputs=None) -> snnir.Graph:
    """Input(widths[0]) -> Linear -> neuron(widths[1]) -> ... -> Output; layers h1, h2, ..."""
    nodes, edges, prev = [I(id="x", shape=(inputs or widths[0],))], [], "x"
    prev_w = inputs or widths[0]
    for k, width in enumerate(widths[1:], 1):
        nodes += [L(id=f"fc{k}", weight=w(width, prev_w)), neuron(f"h{k}", width)]
        edges += [E(prev, f"fc{k}"), E(f"fc{k}", f"h{k}")]
        prev, prev_w = f"h{k}", width
    nodes.append(O(id="y"))
    edges.append(E(prev, "y"))
    return snnir.Graph(nodes=nodes, edges=edges)


def small(**fields) -> TargetProfile:
    """A toy chip: 4 cores of 10 neurons and 100 synapses, LIF only, Linear only, float weights."""
    base = dict(name="toy", title="a toy chip", source="tests", cores=4, neurons_per_core=10, synapses_per_core=100,
                neurons={"LIF": {}}, layers=["Linear"], max_delay=2)
    base.update(fields)
    return TargetProfile(**base)


def codes(diagnostics) -> set[str]:
    return {d.code for d in diagnostics}


def only(diagnostics, code):
    found = [d for d in diagnostics if d.code == code]
    assert len(found) == 1, [(d.code, d.nodes) for d in diagnostics]
    return found[0]


# ---------------------------------------------------------------------- bundled profiles
def test_at_least_three_published_chips_are_bundled_with_their_sources():
    names = targets.profile_names()
    assert {"xylo", "speck", "loihi2", "spinnaker2"} <= set(names)
    for name in names:
        p = targets.load_profile(name)
        assert p.name == name and p.source.startswith("https://")
        # the capacity and format numbers each say where they come from
        for field in ("cores", "neurons_per_core", "weights", "neurons"):
            assert p.sources.get(field), (name, field)
        assert set(p.approximate) <= set(p.sources) | set(TargetProfile.model_fields)
        assert p.total_neurons() >= 1


def test_published_numbers():
    xylo, speck, loihi, spinn = (targets.load_profile(n) for n in ("xylo", "speck", "loihi2", "spinnaker2"))
    assert (xylo.total_neurons(), xylo.max_inputs, xylo.readout_neurons, xylo.weights.bits) == (1000, 16, 8, 8)
    assert xylo.neurons["CubaLIF"].state["v"].bits == 16 and xylo.neurons["LIF"].resets == ("subtract",)
    assert speck.cores == 9 and speck.total_neurons() == 327680 and speck.max_destinations == 2
    assert speck.conv.max_kernel == 16 and speck.conv.strides == (1, 2, 4, 8) and not speck.recurrence
    assert (loihi.cores, loihi.neurons_per_core, loihi.max_delay, loihi.weights.bits) == (128, 8192, 62, 8)
    assert spinn.cores == 152 and spinn.placement == "slice"
    assert "neurons_per_core" in loihi.approximate and "neurons_per_core" in spinn.approximate


def test_a_profile_is_data_that_quantization_can_read():
    fmt = targets.load_profile("loihi2").neurons["CubaLIF"]
    assert fmt.state["v"].range() == (-(2**23), 2**23 - 1)
    assert fmt.params["mem_decay"].signed is False and fmt.params["mem_decay"].range() == (0, 4095)
    assert targets.load_profile("xylo").weights.range() == (-128, 127)


# ---------------------------------------------------------------------- loading, and hostile files
def test_load_by_name_path_or_object(tmp_path):
    p = targets.load_profile("xylo")
    path = tmp_path / "mine.json"
    path.write_text(p.model_dump_json())
    assert targets.load_profile(str(path)) == p == targets.load_profile(path) == targets.load_profile(p)


def test_an_unknown_name_suggests_the_closest():
    with pytest.raises(UnknownTargetError, match="did you mean 'xylo'") as info:
        targets.load_profile("xylp")
    assert isinstance(info.value, snnir.SnnirError) and isinstance(info.value, ValueError)
    assert "\n  hint: bundled profiles are " in str(info.value)


@pytest.mark.parametrize("content, words", [
    (None, "no such file"),
    (b"x" * (300 * 1024), "too large"),
    (b"\xff\xfe", "not UTF-8"),
    (b"{not json", "not valid JSON"),
    (b'{"cores": NaN}', "not valid JSON"),
    (b"[1, 2]", "not an object"),
    (b"[" * 5000 + b"]" * 5000, "not valid JSON"),
    (b'{"a": ' * 20 + b"1" + b"}" * 20, "nests deeper"),
    (b'{"name": "x"}', "title: Field required"),
])
def test_hostile_profile_files_are_typed_errors_naming_the_file(tmp_path, content, words):
    path = tmp_path / "chip.json"
    if content is not None:
        path.write_bytes(content)
    with pytest.raises(TargetProfileError, match=re.escape(words)) as info:
        targets.load_profile(str(path))
    assert str(path) in str(info.value) and "\n  hint: " in str(info.value)
    assert info.value.path == str(path)


def test_a_misspelt_field_is_named_with_the_field_it_meant(tmp_path):
    doc = json.loads(targets.load_profile("xylo").model_dump_json())
    doc["max_fanout"] = doc.pop("max_fan_out")
    path = tmp_path / "chip.json"
    path.write_text(json.dumps(doc))
    with pytest.raises(TargetProfileError, match="max_fanout") as info:
        targets.load_profile(path)
    assert "did you mean 'max_fan_out'?" in str(info.value)


def test_a_folder_or_inconsistent_profile_is_refused(tmp_path):
    with pytest.raises(TargetProfileError, match="not a file"):
        targets.load_profile(tmp_path)
    with pytest.raises(snnir.SnnirError):
        small(neurons_per_core=[10, 10])  # 2 entries for 4 cores
    with pytest.raises(snnir.SnnirError):
        small(sources={"max_fanout": "x"})


# ---------------------------------------------------------------------- verify(target=...)
def test_verify_keeps_its_behaviour_and_takes_a_target():
    g = chain([16, 100, 8])
    assert snnir.verify(g) == ()
    warnings = snnir.verify(g, target="xylo")   # fits: only the weights need quantizing
    assert codes(warnings) == {"target-quantization"}
    assert all(d.severity == "warning" and d.context for d in warnings)
    assert snnir.check(g, target=targets.load_profile("xylo")) == warnings


def test_every_violation_is_reported_at_once_naming_nodes_and_edges():
    g = snnir.Graph(
        nodes=[I(id="x", shape=(20,)), L(id="fc", weight=w(2048, 20)), lif("h", 2048, reset="zero"),
               snnir.Scale(id="s", scale=2.0), L(id="ro", weight=w(10, 2048)), snnir.LI(id="o", shape=(10,), decay=0.5),
               O(id="y")],
        edges=[E("x", "fc"), E("fc", "h"), E("h", "s"), E("s", "ro", delay=2), E("ro", "o"), E("o", "y")])
    with pytest.raises(snnir.VerifyError) as info:
        snnir.verify(g, target="xylo")
    diags = info.value.diagnostics
    assert codes(diags) == {"target-kind", "target-capacity", "target-delay", "target-io", "target-quantization"}
    capacity = [d for d in diags if d.code == "target-capacity"]
    assert any(d.message == "layer h has 2048 neurons; xylo holds 1000 in all" and d.nodes == ("h",)
               and d.edges == (("fc", "h"),) for d in capacity)
    assert any("readout" in d.message and d.nodes == ("o",) for d in capacity)   # 10 > 8 readout neurons
    kinds = [d for d in diags if d.code == "target-kind"]
    assert {d.nodes for d in kinds} == {("h",), ("o",), ("s",)}   # reset, LI, Scale
    assert only(diags, "target-delay").edges == (("s", "ro"),)
    assert {d.nodes for d in diags if d.code == "target-io"} == {("x",), ("y",)}   # 20 > 16 in, 10 > 8 out
    for d in diags:
        assert d.message and d.hint and d.nodes and d.context
    assert "snnir explain" in str(info.value)


def test_fan_in_and_fan_out_per_neuron():
    g = chain([8, 3, 2])
    p = small(max_fan_in=4, max_fan_out=1)
    diags = snnir.check(g, target=p)
    fan_in = [d for d in diags if d.code == "target-fan-in"]
    assert [d.nodes for d in fan_in] == [("h1",)]   # 8 inputs each; h2 gets 3
    assert "up to 8 synapses (3 of its 3 neurons over the limit)" in fan_in[0].message
    assert fan_in[0].edges == (("fc1", "h1"),)
    fan_out = only(diags, "target-fan-out")
    assert fan_out.nodes == ("h1",) and "up to 2 synapses" in fan_out.message and fan_out.edges == (("h1", "fc2"),)
    mask = np.zeros((3, 8), np.int32)
    mask[:, :4] = 1   # a mask keeps 4 synapses per h1 neuron
    masked = g.replace(nodes=[n.replace(mask=mask) if n.id == "fc1" else n for n in g.nodes])
    assert "target-fan-in" not in codes(snnir.check(masked, target=p))


def test_recurrence_delays_and_layer_destinations_on_speck():
    x = I(id="x", shape=(2, 16, 16))
    conv = snnir.Conv2d(id="c", weight=np.full((4, 2, 3, 3), 0.125, np.float32), padding=1)
    n = snnir.IF(id="n", shape=(4, 16, 16))
    rec = snnir.Conv2d(id="r", weight=np.full((4, 4, 3, 3), 0.125, np.float32), padding=1)
    g = snnir.Graph(nodes=[x, conv, n, rec, O(id="y")],
                    edges=[E("x", "c"), E("c", "n"), E("n", "r"), E("r", "n", delay=1), E("n", "y")])
    diags = snnir.check(g, target="speck")
    rec_d = only(diags, "target-recurrence")
    assert rec_d.nodes == ("n", "r") and set(rec_d.edges) == {("n", "r"), ("r", "n")}
    assert only(diags, "target-delay").edges == (("r", "n"),)
    # one layer sending to three layers: Speck's layers have two destinations
    branches = [snnir.Conv2d(id=f"b{k}", weight=np.full((2, 4, 1, 1), 0.125, np.float32)) for k in range(3)]
    outs = [snnir.IF(id=f"o{k}", shape=(2, 16, 16)) for k in range(3)]
    fan = snnir.Graph(nodes=[x, conv, n, *branches, *outs, *[O(id=f"y{k}") for k in range(3)]],
                      edges=[E("x", "c"), E("c", "n")] + [e for k in range(3) for e in
                                                          (E("n", f"b{k}"), E(f"b{k}", f"o{k}"), E(f"o{k}", f"y{k}"))])
    d = only(snnir.check(fan, target="speck"), "target-fan-out")
    assert d.nodes == ("n",) and "sends to 3 layers (o0, o1, o2)" in d.message


def test_convolution_limits():
    def conv_graph(**fields):
        c = snnir.Conv2d(id="c", weight=np.full((4, 2, fields.pop("k", 3), fields.pop("k2", 3)), 0.125, np.float32),
                         **fields)
        return snnir.Graph(nodes=[I(id="x", shape=(2, 64, 64)), c, O(id="y")], edges=[E("x", "c"), E("c", "y")])

    assert "target-conv" not in codes(snnir.check(conv_graph(stride=2), target="speck"))
    messages = [d.message for d in snnir.check(conv_graph(k=17, k2=17, stride=3), target="speck")
                if d.code == "target-conv"]
    assert any("kernel (17, 17) is over 16" in m for m in messages)
    assert any("stride (3, 3) is not one of [1, 2, 4, 8]" in m for m in messages)
    big = snnir.check(conv_graph(stride=1, padding=1), target="speck")
    assert any("output size (64, 64)" not in d.message for d in big)
    d = only(snnir.check(conv_graph(), target="xylo"), "target-conv")
    assert "runs no convolutions" in d.message and d.nodes == ("c",) and d.edges == (("x", "c"),)


def test_whole_number_weights_in_range_need_no_quantizing():
    g = chain([16, 8, 4])
    whole = g.replace(nodes=[n.replace(weight=np.full(n.weight.shape, 3.0, np.float32)) if n.kind == "Linear" else n
                             for n in g.nodes])
    assert "target-quantization" not in codes(snnir.check(whole, target="xylo"))
    too_big = whole.replace(nodes=[n.replace(weight=n.weight * 100) if n.id == "fc1" else n for n in whole.nodes])
    assert [d.nodes for d in snnir.check(too_big, target="xylo") if d.code == "target-quantization"] == [("fc1",)]


def test_a_composite_is_judged_by_its_inner_layers():
    block = snnir.sequential("blk", [L(id="fc", weight=w(2048, 16)), lif("h", 2048)])
    g = snnir.Graph(nodes=[I(id="x", shape=(16,)), block, O(id="y")], edges=[E("x", "blk"), E("blk", "y")])
    d = [d for d in snnir.check(g, target="xylo") if d.code == "target-capacity"]
    assert d and d[0].nodes == ("blk/h",)


def test_target_codes_are_catalogued_documented_and_come_from_the_checks():
    for code in TARGET_CODES:
        entry = CODES[code]
        assert entry.stage == "target" and entry.title and entry.fix
        assert entry.severity == ("warning" if code == "target-quantization" else "error")
        assert explain(code).startswith(f"{code} ({entry.severity})")
    tree = ast.parse((ROOT / "snnir" / "targets" / "check.py").read_text())
    found = {n.value for n in ast.walk(tree) if isinstance(n, ast.Constant) and isinstance(n.value, str)
             and re.fullmatch(r"target(-[a-z]+)+", n.value)}
    assert found == TARGET_CODES
    text = (ROOT / "docs" / "errors.md").read_text()
    rows = dict(re.findall(r"^\| `(target-[a-z-]+)` \| [^|]+ \| (error|warning) \|", text, flags=re.M))
    assert rows == {c: CODES[c].severity for c in TARGET_CODES}


# ---------------------------------------------------------------------- placement
def _check_placement(placement, graph):
    p = placement.target
    note = placement.graph.metadata["placement"]
    assert note["target"] == p.name
    per_core_n = [0] * (p.cores + 1)
    for u in targets.demand(graph).neurons(("neuron",)):
        chunks = sorted(placement.ranges[u.node], key=lambda r: r[1])
        assert chunks[0][1] == 0 and chunks[-1][2] == u.neurons   # every neuron placed once, in order
        assert all(a[2] == b[1] for a, b in zip(chunks, chunks[1:]))
        assert note["nodes"][u.node] == [list(r) for r in placement.ranges[u.node]]
        for core, a, b in chunks:
            per_core_n[core] += b - a
    for c in placement.cores:
        assert c.neurons == per_core_n[c.core] <= c.neuron_capacity
        assert c.synapse_capacity is None or c.synapses <= c.synapse_capacity
    assert placement.graph.replace(metadata={}) == graph.replace(metadata={})   # a note changes no number


def test_a_graph_that_fits_is_placed_within_every_core_limit():
    g = chain([4, 25, 7])
    placement = targets.map_to_target(g, small())
    _check_placement(placement, g)
    # h1: 25 neurons of 4 synapses -> 10, 10, 5 on cores 0-2; h2 (7 neurons of 25 synapses) continues on core 2
    assert placement.ranges["h1"] == ((0, 0, 10), (1, 10, 20), (2, 20, 25))
    assert placement.ranges["h2"] == ((2, 0, 3), (3, 3, 7))   # core 2 has room for 3 more (75 synapses)
    u = placement.utilisation()
    assert (u["cores_used"], u["neurons"], u["neuron_capacity"], u["synapses"]) == (4, 32, 40, 275)
    report = placement.report()
    assert report.splitlines()[0] == "placement on toy (a toy chip): 4 of 4 cores"
    assert "total: 32 of 40 neurons (80.0%), 275 synapses of 400 (68.8%)" in report


def test_the_placement_note_survives_a_file(tmp_path):
    placement = targets.map_to_target(chain([4, 25, 7]), small())
    snnir.save(placement.graph, tmp_path / "placed.snnir")
    loaded = snnir.load(tmp_path / "placed.snnir")
    assert loaded == placement.graph and loaded.metadata["placement"]["nodes"]["h1"] == [[0, 0, 10], [1, 10, 20], [2, 20, 25]]


def test_slice_placement_starts_each_layer_on_a_fresh_core():
    g = chain([2, 6, 6, 6])
    placement = targets.map_to_target(g, small(placement="slice"))
    assert [placement.ranges[f"h{k}"][0][0] for k in (1, 2, 3)] == [0, 1, 2]
    _check_placement(placement, g)


def test_a_graph_that_does_not_fit_raises_a_mapping_error_naming_the_node():
    g = chain([2, 6, 6, 6, 6, 6])   # 30 of 40 neurons, but 5 layers on 4 cores when sliced
    with pytest.raises(MappingError) as info:
        targets.map_to_target(g, small(placement="slice"))
    assert info.value.node == "h5" and "'h5' does not fit" in str(info.value) and "\n  hint: " in str(info.value)
    assert isinstance(info.value, snnir.SnnirError) and isinstance(info.value, ValueError)
    # verify reports the same as a diagnostic, with every other problem
    d = only(snnir.check(g, target=small(placement="slice")), "target-capacity")
    assert d.nodes == ("h5",)
    with pytest.raises(MappingError, match="'h1' stores 200 synapses"):
        targets.map_to_target(chain([200, 3]), small())
    with pytest.raises(snnir.VerifyError):   # other violations are verify errors
        targets.map_to_target(chain([4, 5]), small(neurons={"IF": {}}))


def test_whole_core_layers_are_matched_to_the_cores_shaped_for_them():
    p = small(cores=2, placement="layer", neurons_per_core=[100, 10], synapses_per_core=[10, 1000])
    g = chain([1, 5, 8])   # h1: 5 neurons, 5 synapses (either core); h2: 8 neurons, 40 synapses (core 1 only)
    placement = targets.map_to_target(g, p)
    assert placement.ranges == {"h1": ((0, 0, 5),), "h2": ((1, 0, 8),)}
    with pytest.raises(MappingError, match="does not fit one core") as info:
        targets.map_to_target(chain([1, 5, 200]), p)
    assert info.value.node == "h2"


def test_xylo_places_the_readout_layer_in_its_readout_population():
    g = chain([16, 100, 8])
    placement = targets.map_to_target(g, "xylo")
    assert placement.ranges["h2"] == ((1, 0, 8),) and placement.cores[-1].label == "readout"
    assert "8 of 8 readout neurons" in placement.report()


def test_estimate_per_node():
    est = targets.estimate(chain([16, 100, 8]), "loihi2")
    rows = {n.node: n for n in est.nodes}
    assert rows["h1"].neurons == 100 and rows["h1"].synapses == 1600 and rows["h1"].cores == 1
    assert rows["h1"].memory_bits == 100 * 24 and rows["fc1"].memory_bits == 1600 * 8 and rows["fc1"].on == ("h1",)
    assert est.placed and "total: 108 neurons, 2400 synapses" in est.table()
    assert not targets.estimate(chain([16, 2000]), "xylo").placed


# ---------------------------------------------------------------------- command line
def test_cli_validate_with_a_target(capsys):
    assert main(["validate", MODEL, "--target", "loihi2"]) == 0
    assert "(target loihi2): ok, 3 warning(s)" in capsys.readouterr().out
    assert main(["validate", "--json", MODEL, "--target", "xylo"]) == 1
    report = json.loads(capsys.readouterr().out)[MODEL]
    assert {d["code"] for d in report} == {"target-kind", "target-io", "target-quantization"}


def test_cli_refuses_an_unknown_target_before_reading_files(capsys):
    assert main(["validate", "missing.snnir", "--target", "xylp"]) == 2
    err = capsys.readouterr().err
    assert "--target xylp: unknown target 'xylp'; did you mean 'xylo'?" in err and "\n  hint: " in err


def test_cli_a_bad_profile_file_is_a_bad_file(tmp_path, capsys):
    bad = tmp_path / "chip.json"
    bad.write_text("{")
    assert main(["info", MODEL, "--target", str(bad)]) == 1
    assert f"target profile {bad}: is not valid JSON" in capsys.readouterr().err


def test_cli_info_prints_the_estimate_per_node(capsys):
    assert main(["info", MODEL, "--target", "loihi2"]) == 0
    out = capsys.readouterr().out
    assert "target loihi2 (Intel Loihi 2 (one chip)): 128 core(s), 1048576 neurons" in out
    assert re.search(r"^lif +LIF +32 +1664 +1 +768$", out, flags=re.M)
    assert "fits loihi2, with 3 warning(s)" in out
    assert main(["info", MODEL, "--target", "xylo"]) == 0   # info describes; it does not fail on a misfit
    assert "does not run on xylo: 2 error(s) (target-kind, target-io)" in capsys.readouterr().out
