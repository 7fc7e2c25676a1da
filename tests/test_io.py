"""Model files: round trips, golden files, versions, atomic writes, and hostile input."""

import io
import json
import os
import pathlib
import zipfile

import ml_dtypes
import numpy as np
import pytest

import snnir
from snnir.io import LoadLimits, ModelFileError, load, save

MODELS = pathlib.Path(__file__).resolve().parents[1] / "examples" / "models"


def recurrent(dtype="float32") -> snnir.Graph:
    b = snnir.GraphBuilder(key=0, dtype=dtype)
    x = b.input("x", shape=(3,))
    s = b.lif(b.linear(x, 4), decay=0.5, id="lif", reset="to_value", reset_value=0.0)
    b.connect(b.linear(s, 4, id="rec", bias=False), s)
    b.output(b.li(b.linear(s, 2), decay=0.75), id="y")
    return b.build(metadata={"name": "test", "tags": ["a", 1]})


@pytest.mark.parametrize("suffix", [".snnir", ".json"])
@pytest.mark.parametrize("dtype", ["float32", "bfloat16", "float16", "float64"])
def test_round_trip_keeps_values_dtypes_and_order(tmp_path, suffix, dtype):
    g = recurrent(dtype)
    loaded = load(save(g, tmp_path / f"m{suffix}"))
    assert loaded == g
    assert loaded.node_ids == g.node_ids
    assert loaded.node("linear1").weight.dtype == np.dtype(ml_dtypes.bfloat16 if dtype == "bfloat16" else dtype)


def test_feedback_marks_are_saved_and_never_recomputed(tmp_path):
    marked = snnir.compile(recurrent()).to_graph()
    assert marked.feedback_edges == (("rec", "lif"),)
    loaded = load(save(marked, tmp_path / "m.snnir"))
    assert loaded.feedback_edges == (("rec", "lif"),)
    # a hand-chosen mark that differs from the rule's survives too
    other = marked.replace(edges=[e.replace(feedback=(e.key == ("lif", "rec"))) for e in marked.edges])
    assert load(save(other, tmp_path / "o.json")).feedback_edges == (("lif", "rec"),)
    assert snnir.compile(load(tmp_path / "o.json")).feedback_edges == (("lif", "rec"),)


def test_save_verifies_and_refuses_invalid_graphs(tmp_path):
    bad = recurrent().replace(edges=[("x", "nowhere")])
    with pytest.raises(snnir.VerifyError):
        save(bad, tmp_path / "bad.snnir")
    assert not list(tmp_path.iterdir())


def test_load_without_verify_returns_invalid_graphs(tmp_path):
    path = tmp_path / "bad.json"
    doc = json.loads((MODELS / "recurrent.json").read_text())
    doc["graph"]["edges"].append({"src": "x", "dst": "ghost"})
    path.write_text(json.dumps(doc))
    with pytest.raises(snnir.VerifyError, match=str(path)):
        load(path)
    graph = load(path, verify=False)
    assert [d.code for d in snnir.check(graph) if d.severity == "error"] == ["unknown-node"]


def test_writes_are_atomic(tmp_path, monkeypatch):
    path = tmp_path / "m.snnir"
    save(recurrent(), path)
    before = path.read_bytes()

    def crash(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(os, "fsync", crash)
    with pytest.raises(snnir.ModelFileError, match="cannot write the file: disk full"):
        save(recurrent().replace(metadata={"v": 2}), path)
    assert path.read_bytes() == before  # the old model is intact
    assert [p.name for p in tmp_path.iterdir()] == ["m.snnir"]  # and no temporary file is left


@pytest.mark.parametrize("name", ["recurrent.snnir", "recurrent.json", "v1/delay_readout.json",
                                  "v1/delay_readout.snnir"])
def test_golden_files_keep_loading(name):
    graph = load(MODELS / name)
    prog = snnir.compile(graph)
    _, ys = prog(prog.init_state((1,)), np.ones((3, 1) + prog.input_shapes["x"], np.float32))
    assert ys["y"].shape[0] == 3


def test_schema_1_files_are_migrated():
    graph = load(MODELS / "v1" / "delay_readout.json")
    assert graph.schema_version == snnir.SCHEMA_VERSION
    np.testing.assert_array_equal(graph.node("axon").steps, [1, 2, 3, 1])
    assert load(MODELS / "v1" / "delay_readout.snnir") == graph


def _with_initial_output(doc: dict) -> dict:
    """A document as schema version 2 wrote it: every node carried ``initial_output`` (the default
    "zeros", or "zero_response"), nested graphs too."""
    def mark(graph, value):
        graph["schema_version"] = 2
        for node in graph["nodes"]:
            node["initial_output"] = value if node["kind"] == "Linear" else "zeros"
            if node["kind"] == "Subgraph":
                mark(node["graph"], value)
    doc["schema_version"] = 2
    mark(doc["graph"], "zero_response")
    return doc


def test_schema_2_files_with_initial_output_are_migrated(tmp_path):
    """Version 3 dropped ``initial_output``: every delayed read at step 0 gives the rest value."""
    inner = snnir.Graph(nodes=[snnir.Input(id="i", shape=(2,)),
                               snnir.Linear(id="fc", weight=np.eye(2, dtype=np.float32), bias=np.ones(2, np.float32)),
                               snnir.Output(id="o")], edges=[("i", "fc"), ("fc", "o")])
    g = snnir.Graph(nodes=[snnir.Input(id="x", shape=(2,)), snnir.Subgraph(id="blk", graph=inner),
                           snnir.LI(id="li", shape=(2,), decay=0.5), snnir.Output(id="y")],
                    edges=[snnir.Edge("x", "blk", dst_port="i"), snnir.Edge("blk", "li", src_port="o", delay=1),
                           ("li", "y")])
    save(g, tmp_path / "new.json")
    save(g, tmp_path / "new.snnir")
    written = json.loads((tmp_path / "new.json").read_text())
    assert written["schema_version"] == 3 and "initial_output" not in (tmp_path / "new.json").read_text()
    (tmp_path / "old.json").write_text(json.dumps(_with_initial_output(written)))
    with zipfile.ZipFile(tmp_path / "new.snnir") as z:
        entries = {name: z.read(name) for name in z.namelist()}
    entries["snnir.json"] = json.dumps(_with_initial_output(json.loads(entries["snnir.json"]))).encode()
    with zipfile.ZipFile(tmp_path / "old.snnir", "w") as z:
        for name, data in entries.items():
            z.writestr(name, data)
    for name in ("old.json", "old.snnir"):
        loaded = load(tmp_path / name)
        assert loaded == g and loaded.node("blk").graph.schema_version == 3
        prog = snnir.compile(loaded)
        _, ys = prog(prog.init_state((1,)), np.zeros((2, 1, 2), np.float32))
        np.testing.assert_allclose(np.asarray(ys["y"])[:, 0], [[1.0, 1.0], [1.5, 1.5]])  # li reads fc at rest: its bias


def test_newer_schema_is_refused(tmp_path):
    doc = json.loads((MODELS / "recurrent.json").read_text())
    doc["schema_version"] = doc["graph"]["schema_version"] = snnir.SCHEMA_VERSION + 1
    (tmp_path / "new.json").write_text(json.dumps(doc))
    with pytest.raises(ModelFileError, match="upgrade snnir"):
        load(tmp_path / "new.json")


def test_unregistered_kind_cannot_be_saved_or_loaded(tmp_path):
    doc = json.loads((MODELS / "recurrent.json").read_text())
    doc["graph"]["nodes"][1]["kind"] = "os.system"
    (tmp_path / "evil.json").write_text(json.dumps(doc))
    with pytest.raises(ModelFileError, match="linear1"):
        load(tmp_path / "evil.json")


# ---------------------------------------------------------------------- hostile and broken files
def _container_with(tmp_path, mutate_manifest=None, arrays=None, name="m.snnir"):
    src = zipfile.ZipFile(MODELS / "recurrent.snnir")
    doc = json.loads(src.read("snnir.json"))
    if mutate_manifest:
        mutate_manifest(doc)
    path = tmp_path / name
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("snnir.json", json.dumps(doc))
        for entry in src.namelist():
            if entry != "snnir.json":
                zf.writestr(entry, (arrays or {}).get(entry, src.read(entry)))
    return path


def _weight_ref(doc):
    return doc["graph"]["nodes"][1]["weight"]


@pytest.mark.parametrize("content, message", [
    (b"", "not a snnir model file"),
    (b"\x00\x01garbage", "not a snnir model file"),
    (b"PK\x03\x04truncated", "corrupt archive"),
    (b"{not json", "invalid JSON"),
    (b'{"format": "other"}', "not a snnir model document"),
    (b'{"format": "snnir-model", "schema_version": "1", "graph": {}}', "schema_version"),
    (b'{"format": "snnir-model", "schema_version": 1}', "no \\\"graph\\\""),
    (b"[" * 100000 + b"]" * 100000, "not a snnir model file"),
    (b'{"a":' * 5000 + b"1" + b"}" * 5000, "nests"),
    (b"\xff\xfe{", "not a snnir model file"),
])
def test_malformed_files_give_typed_errors_naming_the_file(tmp_path, content, message):
    path = tmp_path / "m.snnir"
    path.write_bytes(content)
    with pytest.raises(ModelFileError, match=message) as info:
        load(path)
    assert str(path) in str(info.value)


def test_truncated_container(tmp_path):
    data = (MODELS / "recurrent.snnir").read_bytes()
    for cut in (10, len(data) // 2, len(data) - 5):
        path = tmp_path / f"cut{cut}.snnir"
        path.write_bytes(data[:cut])
        with pytest.raises(snnir.SnnirError):
            load(path)


@pytest.mark.parametrize("mutate, message", [
    (lambda d: _weight_ref(d).update(shape=[10 ** 6, 10 ** 6]), "over the limit"),
    (lambda d: _weight_ref(d).update(shape=[5, 20]), "declares"),
    (lambda d: _weight_ref(d).update(dtype="object"), "unsupported dtype"),
    (lambda d: _weight_ref(d).update({"$array": "../../etc/passwd"}), "bad array entry name"),
    (lambda d: _weight_ref(d).update({"$array": "arrays/999.npy"}), "no entry"),
    (lambda d: _weight_ref(d).update(extra=1), "exactly the keys"),
    (lambda d: _weight_ref(d).update(shape=[-1, 3]), "non-negative"),
    (lambda d: d["graph"]["nodes"].append(dict(d["graph"]["nodes"][0])), "duplicate-id"),
    (lambda d: d["graph"]["nodes"][1].update(colour="red"), "linear1"),
    (lambda d: d["graph"]["nodes"][2].update(decay={"dtype": "float32", "shape": [], "data": float("nan")}),
     "finite"),
])
def test_hostile_manifests(tmp_path, mutate, message):
    path = _container_with(tmp_path, mutate)
    with pytest.raises(snnir.SnnirError, match=message):
        load(path)


def test_zip_bomb_is_refused_before_inflating(tmp_path):
    path = tmp_path / "bomb.snnir"
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("snnir.json", b" " * (200 << 20))  # 200 MiB of spaces deflate to ~200 KiB
    assert path.stat().st_size < 1 << 20
    with pytest.raises(ModelFileError, match="over the limit"):
        load(path)


def test_array_with_wrong_npy_header_is_refused(tmp_path):
    out = io.BytesIO()
    np.save(out, np.zeros((4, 3), np.float64), allow_pickle=False)  # right shape, wrong dtype
    path = _container_with(tmp_path, arrays={"arrays/0.npy": out.getvalue()})
    with pytest.raises(ModelFileError, match="declares float32"):
        load(path)


def test_pickled_npy_is_refused(tmp_path):
    out = io.BytesIO()
    np.save(out, np.array([{"evil": 1}], dtype=object), allow_pickle=True)
    path = _container_with(tmp_path, arrays={"arrays/0.npy": out.getvalue()})
    with pytest.raises(ModelFileError):
        load(path)


def test_limits_are_configurable(tmp_path):
    with pytest.raises(ModelFileError, match="over the limit"):
        load(MODELS / "recurrent.snnir", limits=LoadLimits(max_array_elements=10))
    with pytest.raises(ModelFileError, match="over the limit"):
        load(MODELS / "recurrent.json", limits=LoadLimits(max_json_bytes=100))


def test_an_unregistered_node_class_cannot_be_saved(tmp_path):
    class Shadow(snnir.Scale):  # same kind name, but not the registered class: a file could not name it
        pass

    g = snnir.Graph(nodes=[snnir.Input(id="x", shape=(2,)), Shadow(id="s", scale=1.0), snnir.Output(id="y")],
                    edges=[("x", "s"), ("s", "y")])
    with pytest.raises(ModelFileError, match="'s'.*register"):
        save(g, tmp_path / "m.snnir")
    assert not list(tmp_path.iterdir())


@pytest.mark.parametrize("umask", [0o022, 0o077, 0o002], ids=lambda m: f"umask{m:03o}")
@pytest.mark.parametrize("suffix", [".snnir", ".json"])
def test_saved_files_get_the_permissions_of_an_ordinary_write(tmp_path, umask, suffix):
    old = os.umask(umask)
    try:
        path = save(recurrent(), tmp_path / f"m{suffix}")
        with open(tmp_path / "plain", "w"):
            pass
    finally:
        os.umask(old)
    assert path.stat().st_mode & 0o777 == 0o666 & ~umask == (tmp_path / "plain").stat().st_mode & 0o777


def test_saving_over_a_file_keeps_its_mode_and_follows_a_link(tmp_path):
    path = tmp_path / "m.snnir"
    path.write_bytes(b"old")
    path.chmod(0o640)
    link = tmp_path / "link.snnir"
    link.symlink_to(path.name)
    old = os.umask(0o022)
    try:
        save(recurrent(), link)
    finally:
        os.umask(old)
    assert link.is_symlink() and load(link) == recurrent()  # the link stays, its target is replaced
    assert path.stat().st_mode & 0o777 == 0o640
    assert sorted(p.name for p in tmp_path.iterdir()) == ["link.snnir", "m.snnir"]
