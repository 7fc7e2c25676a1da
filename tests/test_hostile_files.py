"""Hostile model files found by fuzzing (examples/fuzz/fuzz_files.py): each ends in a typed snnir error
naming the file, never a crash, a raw exception or a blow-up; and what save writes, load reads."""

import io
import json
import math
import os
import pathlib
import struct
import subprocess
import sys
import zipfile

import numpy as np
import pytest

import snnir
from snnir.cli import main as cli
from snnir.io import LoadLimits, ModelFileError, load, save
from snnir.io import files as files_module
from snnir.io.nir.hdf5 import read_nir_file

ROOT = pathlib.Path(__file__).resolve().parents[1]
MODELS = ROOT / "examples" / "models"
V1 = MODELS / "v1" / "delay_readout.json"
NIR = MODELS / "recurrent_nir.nir"


def _small() -> snnir.Graph:
    b = snnir.GraphBuilder(key=0)
    b.output(b.lif(b.linear(b.input("x", shape=(3,)), 4, id="fc"), decay=0.9, id="lif"), id="y")
    return b.build()


def _entries(path) -> list[tuple[str, bytes]]:
    with zipfile.ZipFile(path) as z:
        return [(i.filename, z.read(i)) for i in z.infolist()]


def _zip(path, entries) -> pathlib.Path:
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # zipfile warns about the duplicate names we mean to write
        with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
            for name, data in entries:
                z.writestr(name, data)
    return pathlib.Path(path)


def _refused(path, *words, limits=LoadLimits()):
    with pytest.raises(ModelFileError) as err:
        load(path, limits=limits)
    text = str(err.value)
    assert text.startswith(str(path)) and "\n  hint: " in text, text
    for word in words:
        assert word in text, text
    return text


# ---------------------------------------------------------------------- 2: NIR files crash HDF5
# one flipped byte at these offsets of recurrent_nir.nir makes the HDF5 library loop (1424) or fail
# inside; read in-process, a loop hangs the caller and a crash kills it
_NIR_OFFSETS = [0x08, 0x2C, 0x60, 0x320, 2929, 3248, 0x8000, 77000]


def test_a_nir_file_that_makes_hdf5_loop_is_a_model_file_error(tmp_path):
    data = bytearray(NIR.read_bytes())
    data[1424] ^= 0xFF
    (tmp_path / "loop.nir").write_bytes(bytes(data))
    with pytest.raises(ModelFileError, match=r"loop\.nir: corrupt NIR file: the HDF5 library did not finish") as err:
        read_nir_file(tmp_path / "loop.nir", timeout=3)
    assert "\n  hint: " in str(err.value)


def test_a_crash_of_the_hdf5_reader_is_a_model_file_error(tmp_path, monkeypatch):
    """Whatever kills the reader (SIGSEGV in libhdf5) ends the child only and is reported."""
    (tmp_path / "m.nir").write_bytes(NIR.read_bytes())
    crash = tmp_path / "crash.py"
    crash.write_text("import os, signal\nos.kill(os.getpid(), signal.SIGSEGV)\n")
    from snnir.io.nir import hdf5

    monkeypatch.setattr(hdf5, "_CHILD", crash)
    with pytest.raises(ModelFileError, match=r"m\.nir: corrupt NIR file: the HDF5 library crashed reading it "
                                             r"\(SIGSEGV\)\n  hint: "):
        snnir.from_nir(tmp_path / "m.nir", dt=1e-4)


def test_one_flipped_byte_anywhere_in_a_nir_file_gives_a_snnir_error_or_a_graph(tmp_path):
    data = NIR.read_bytes()
    for offset in _NIR_OFFSETS:
        buf = bytearray(data)
        buf[offset] ^= 0xFF
        path = tmp_path / f"flip{offset}.nir"
        path.write_bytes(bytes(buf))
        try:
            read_nir_file(path, timeout=5)
        except ModelFileError as err:
            assert str(err).startswith(str(path))


def test_nir_reads_in_a_child_give_the_same_tree_as_before():
    tree = read_nir_file(NIR)
    assert tree["type"] == "NIRGraph" and set(tree["nodes"]) >= {"x", "y", "lif"}
    weight = tree["nodes"]["linear1"]["params"]["weight"]
    assert isinstance(weight, np.ndarray) and weight.dtype.kind == "f" and weight.flags.writeable
    assert all(isinstance(a, str) and isinstance(b, str) for a, b in tree["edges"])
    assert snnir.from_nir(NIR, dt=1e-4) == snnir.load(MODELS / "recurrent_nir.snnir")


# ---------------------------------------------------------------------- 3: manifest amplification
def test_an_inflating_manifest_is_refused_before_it_is_parsed(tmp_path):
    entries = _entries(MODELS / "recurrent.snnir")
    doc = json.loads(dict(entries)["snnir.json"])
    doc["graph"]["metadata"] = {"pad": "0" * (9 << 20)}  # 9 MiB that deflate to a few KiB
    bomb = _zip(tmp_path / "bomb.snnir", [(n, json.dumps(doc).encode() if n == "snnir.json" else d) for n, d in entries])
    assert bomb.stat().st_size < 100_000
    _refused(bomb, "snnir.json declares", "max_manifest_bytes")
    load(bomb, limits=LoadLimits(max_manifest_bytes=16 << 20))  # configurable where the other limits are


def test_a_manifest_of_many_small_values_is_refused(tmp_path):
    entries = _entries(MODELS / "recurrent.snnir")
    doc = json.loads(dict(entries)["snnir.json"])
    doc["graph"]["metadata"] = {"pad": [0] * 1_200_000}  # 2.4 MB of "0, ": under the byte limit
    bomb = _zip(tmp_path / "values.snnir", [(n, json.dumps(doc).encode() if n == "snnir.json" else d) for n, d in entries])
    _refused(bomb, "more than 1000000 JSON values", "max_manifest_values")


def test_a_graph_of_too_many_nodes_is_refused_before_it_is_built(tmp_path):
    doc = json.loads((MODELS / "recurrent.json").read_text())
    doc["graph"]["nodes"][1:1] = [{"kind": "Input", "id": f"i{i}", "trainable": [], "shape": [3]} for i in range(60)]
    (tmp_path / "many.json").write_text(json.dumps(doc))
    _refused(tmp_path / "many.json", "67 nodes", "max_nodes", limits=LoadLimits(max_nodes=50))
    assert LoadLimits().max_nodes == 10_000


# ---------------------------------------------------------------------- 4: entry counts before zipfile
def _end_record(entries: int, cd_size: int, cd_offset: int = 0) -> bytes:
    return struct.pack("<4s4H2LH", b"PK\x05\x06", 0, 0, min(entries, 0xFFFF), min(entries, 0xFFFF),
                       min(cd_size, 0xFFFFFFFF), cd_offset, 0)


def test_absurd_entry_counts_are_refused_before_zipfile_reads_the_directory(tmp_path, monkeypatch):
    def no_zipfile(*args, **kwargs):
        raise AssertionError("zipfile built the entry list")

    monkeypatch.setattr(files_module.zipfile, "ZipFile", no_zipfile)
    many = tmp_path / "many.snnir"
    many.write_bytes(b"PK\x03\x04" + b"\0" * 100 + _end_record(50_000, 50_000 * 46))
    _refused(many, "archive declares 50000 entries, over the limit of 11", limits=LoadLimits(max_arrays=10))
    # 3 million entries behind a small count: the directory's size gives them away
    big = tmp_path / "big.snnir"
    big.write_bytes(b"PK\x03\x04" + b"\0" * 100 + _end_record(2, 3_000_000 * 46))
    _refused(big, "central directory is 138000000 bytes")
    # zip64: the classic record says "see the zip64 one", which declares 3 million entries
    z64 = b"PK\x03\x04" + b"\0" * 100
    record_at = len(z64)
    z64 += struct.pack("<4sQ2H2L4Q", b"PK\x06\x06", 44, 45, 45, 0, 0, 3_000_000, 3_000_000, 3_000_000 * 46, 0)
    z64 += struct.pack("<4sLQL", b"PK\x06\x07", 0, record_at, 1)
    z64 += _end_record(0xFFFF, 0xFFFFFFFF, 0xFFFFFFFF)
    (tmp_path / "z64.snnir").write_bytes(z64)
    _refused(tmp_path / "z64.snnir", "archive declares 3000000 entries")


def test_a_real_archive_with_too_many_entries(tmp_path):
    entries = _entries(MODELS / "recurrent.snnir") + [(f"junk/{i}", b"") for i in range(40)]
    _refused(_zip(tmp_path / "junk.snnir", entries), "entries, over the limit", limits=LoadLimits(max_arrays=20))


# ---------------------------------------------------------------------- 6: raw exceptions on load
@pytest.mark.parametrize("value", ["Infinity", "-Infinity", "NaN", "1e400", str(2 ** 63), str(2 ** 64), str(-2 ** 70)])
def test_an_integer_parameter_out_of_range_is_a_model_file_error(tmp_path, value):
    text = V1.read_text().replace('"data": [1, 2, 3, 1]', f'"data": [1, 2, {value}, 1]')
    (tmp_path / "m.json").write_text(text)
    _refused(tmp_path / "m.json", "node 'axon' field steps")


@pytest.mark.parametrize("data", [math.inf, 2 ** 64, -2 ** 63 - 1])
def test_delay_refuses_out_of_range_steps_with_an_invalid_ir_error(data):
    with pytest.raises(snnir.InvalidIRError, match="steps.*cannot represent"):
        snnir.Delay(id="d", steps={"dtype": "int32", "shape": [], "data": data})


def test_an_integer_literal_over_4300_digits_is_a_model_file_error(tmp_path):
    (tmp_path / "m.json").write_text(V1.read_text().replace('"data": [1, 2, 3, 1]', f'"data": [1, 2, {"9" * 5000}, 1]'))
    _refused(tmp_path / "m.json", "invalid JSON", "4300 digits")


@pytest.mark.parametrize("nodes", [5, 1.5, True, None])
def test_a_version_1_file_whose_nodes_is_not_a_list(tmp_path, nodes):
    doc = json.loads(V1.read_text())
    doc["graph"]["nodes"] = nodes
    (tmp_path / "m.json").write_text(json.dumps(doc))
    _refused(tmp_path / "m.json", "\"nodes\" is a")


def test_validate_reports_every_file_when_one_is_broken(tmp_path, capsys):
    (tmp_path / "a.json").write_text(V1.read_text().replace('"data": [1, 2, 3, 1]', '"data": [1, 2, Infinity, 1]'))
    save(_small(), tmp_path / "b.json")
    status = cli(["validate", str(tmp_path / "a.json"), str(tmp_path / "b.json")])
    out = capsys.readouterr().out
    assert status != 0
    assert f"{tmp_path / 'a.json'}: 1 error(s)" in out and f"{tmp_path / 'b.json'}: ok" in out
    assert "hint:" in out


def test_validate_keeps_going_after_an_unexpected_error(tmp_path, capsys, monkeypatch):
    save(_small(), tmp_path / "b.json")
    real = files_module.load

    def flaky(path, *args, **kwargs):
        if pathlib.Path(path).name == "a.json":
            raise OverflowError("simulated bug")
        return real(path, *args, **kwargs)

    monkeypatch.setattr("snnir.io.load", flaky)
    (tmp_path / "a.json").write_text("{}")
    status = cli(["validate", str(tmp_path / "a.json"), str(tmp_path / "b.json")])
    out = capsys.readouterr().out
    assert status == 1 and "OverflowError: simulated bug" in out and f"{tmp_path / 'b.json'}: ok" in out


# ---------------------------------------------------------------------- 8: saving
def test_a_write_failure_is_a_model_file_error():
    with pytest.raises(ModelFileError, match=r"^/proc/model\.snnir: cannot write the file: .*\n  hint: "):
        save(_small(), "/proc/model.snnir")  # /proc is a folder nobody (not even root) creates files in


def test_a_failed_save_leaves_no_temporary_file_and_the_old_file(tmp_path, monkeypatch):
    save(_small(), tmp_path / "m.snnir")
    before = (tmp_path / "m.snnir").read_bytes()

    def full(*args):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", full)
    with pytest.raises(ModelFileError, match="No space left on device"):
        save(_small(), tmp_path / "m.snnir")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["m.snnir"]
    assert (tmp_path / "m.snnir").read_bytes() == before


def test_a_later_save_removes_the_temporary_file_of_a_killed_one(tmp_path):
    gone = subprocess.Popen(["true"])  # a pid that no longer runs: the save that was killed
    gone.wait()
    stale = tmp_path / f".m.snnir.{gone.pid}.0123456789abcdef.tmp"
    stale.write_bytes(b"PK\x03\x04 half a model")
    mine = tmp_path / f".m.snnir.{os.getpid()}.0123456789abcdef.tmp"  # a save in progress: left alone
    mine.write_bytes(b"")
    other = tmp_path / f".other.snnir.{gone.pid}.0123456789abcdef.tmp"  # another file's: left alone
    other.write_bytes(b"")
    save(_small(), tmp_path / "m.snnir")
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(["m.snnir", mine.name, other.name])
    assert load(tmp_path / "m.snnir") == _small()


def test_temporary_files_carry_the_writers_pid(tmp_path, monkeypatch):
    seen = []
    real = os.replace
    monkeypatch.setattr(os, "replace", lambda a, b: (seen.append(os.path.basename(a)), real(a, b))[1])
    save(_small(), tmp_path / "m.snnir")
    assert seen and seen[0].startswith(f".m.snnir.{os.getpid()}.") and seen[0].endswith(".tmp")


def test_saving_through_a_symlink_writes_its_target_and_syncs_the_folder(tmp_path, monkeypatch):
    (tmp_path / "real").mkdir()
    (tmp_path / "link.snnir").symlink_to("real/target.snnir")
    synced = []
    real_fsync = os.fsync
    monkeypatch.setattr(os, "fsync", lambda fd: (synced.append(os.path.realpath(f"/proc/self/fd/{fd}")),
                                                 real_fsync(fd))[1])
    save(_small(), tmp_path / "link.snnir")
    assert (tmp_path / "link.snnir").is_symlink() and load(tmp_path / "real" / "target.snnir") == _small()
    assert str((tmp_path / "real").resolve()) in synced  # the folder of the rename, after the file


def test_duplicate_entry_names_are_refused(tmp_path):
    save(_small(), tmp_path / "m.snnir")
    entries = _entries(tmp_path / "m.snnir")
    for name, data in list(entries):
        dup = _zip(tmp_path / f"dup{len(name)}.snnir", entries + [(name, data)])
        _refused(dup, f"two or more entries named {name}")


def test_metadata_json_cannot_hold_is_refused_at_save_time(tmp_path):
    g = snnir.Graph(nodes=_small().nodes, edges=_small().edges, metadata={"score": float("nan")})
    for suffix in (".json", ".snnir"):
        with pytest.raises(ModelFileError, match="a value JSON cannot store") as err:
            save(g, tmp_path / f"m{suffix}")
        assert "\n  hint: " in str(err.value) and not (tmp_path / f"m{suffix}").exists()


def _nested(depth: int) -> snnir.Graph:
    graph = snnir.Graph(nodes=[snnir.Input(id="i", shape=(2,)), snnir.Output(id="o")], edges=[("i", "o")])
    for level in range(depth):
        graph = snnir.Graph(nodes=[snnir.Input(id="i", shape=(2,)), snnir.Subgraph(id=f"b{level}", graph=graph),
                                   snnir.Output(id="o")],
                            edges=[snnir.Edge("i", f"b{level}", dst_port="i"), snnir.Edge(f"b{level}", "o", src_port="o")])
    return graph


@pytest.mark.parametrize("suffix", [".snnir", ".json"])
def test_save_writes_only_what_load_reads(tmp_path, suffix):
    depth = 1
    while True:  # the deepest composite that still loads: save and load agree on either side of it
        try:
            save(_nested(depth), tmp_path / f"m{suffix}")
        except ModelFileError as err:
            assert "the document would nest" in str(err) and "cannot store" not in str(err) and "\n  hint: " in str(err)
            break
        assert load(tmp_path / f"m{suffix}") == _nested(depth)
        depth += 1
    assert 10 < depth < 40


def test_a_fortran_order_array_says_what_differs(tmp_path):
    save(_small(), tmp_path / "m.snnir")
    entries = _entries(tmp_path / "m.snnir")
    out = []
    for name, data in entries:
        if name == "arrays/0.npy":
            arr = np.lib.format.read_array(io.BytesIO(data))
            buf = io.BytesIO()
            np.lib.format.write_array(buf, np.asfortranarray(arr))
            data = buf.getvalue()
        out.append((name, data))
    _refused(_zip(tmp_path / "f.snnir", out), "Fortran (column-major) order")


def test_a_byte_swapped_array_names_the_byte_order(tmp_path):
    save(_small(), tmp_path / "m.snnir")
    out = []
    for name, data in _entries(tmp_path / "m.snnir"):
        if name == "arrays/0.npy":
            arr = np.lib.format.read_array(io.BytesIO(data))
            buf = io.BytesIO()
            np.lib.format.write_array(buf, arr.astype(">f4"))
            data = buf.getvalue()
        out.append((name, data))
    _refused(_zip(tmp_path / "b.snnir", out), "float32 (>f4)", "stored as <f4")


# ---------------------------------------------------------------------- the fuzzer, a smoke run
def test_the_fuzzer_runs_and_finds_nothing_bad():
    sys.path.insert(0, str(ROOT / "examples" / "fuzz"))
    try:
        import fuzz_files
    finally:
        sys.path.pop(0)
    done = fuzz_files.fuzz(30, seed=1, jobs=2, timeout=60, memory_mib=4096, keep=None, quiet=True)
    outcomes = [o for _, o, _ in done["results"]]
    assert len(outcomes) == 30 and not set(outcomes) & set(fuzz_files.BAD), fuzz_files.summary(done["results"])
    assert "all" in fuzz_files.summary(done["results"])
