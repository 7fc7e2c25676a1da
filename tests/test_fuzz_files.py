"""Seeded fuzzing of model files: mutated bytes and mutated JSON fields give only snnir errors, and
loading never allocates beyond the checked sizes."""

import copy
import json
import pathlib
import random
import tracemalloc
import zipfile

import pytest

import snnir
from snnir.io import load

MODELS = pathlib.Path(__file__).resolve().parents[1] / "examples" / "models"
MUTATIONS = 150
PEAK_LIMIT = 64 << 20  # bytes; every fixture is a few KiB, so anything near this means a size check failed


def _load_or_snnir_error(path: pathlib.Path) -> None:
    try:
        load(path)
    except snnir.SnnirError:
        pass


def _bytes_mutants(data: bytes, rng: random.Random):
    for _ in range(MUTATIONS):
        buf = bytearray(data)
        op = rng.randrange(4)
        if op == 0:  # flip bits
            for _ in range(rng.randint(1, 8)):
                buf[rng.randrange(len(buf))] ^= 1 << rng.randrange(8)
        elif op == 1:  # truncate
            del buf[rng.randrange(len(buf)):]
        elif op == 2:  # insert junk
            at = rng.randrange(len(buf))
            buf[at:at] = bytes(rng.randrange(256) for _ in range(rng.randint(1, 32)))
        else:  # overwrite a run with big numbers (sizes in headers)
            at = rng.randrange(len(buf))
            buf[at:at + 4] = b"\xff\xff\xff\x7f"
        yield bytes(buf)


_JSON_VALUES = [None, True, -1, 0, 2 ** 40, 1e308, float("nan"), "", "x" * 300, [], {}, [[[]]], {"$array": 1},
                {"dtype": "float32", "shape": [10 ** 9, 10 ** 9], "data": []}, [1, 2, 3], "Input", "../x"]


def _json_mutants(doc: dict, rng: random.Random):
    paths = list(_paths(doc))
    for _ in range(MUTATIONS):
        mutant = copy.deepcopy(doc)
        for _ in range(rng.randint(1, 3)):
            path = rng.choice(paths)
            parent = mutant
            try:
                for key in path[:-1]:
                    parent = parent[key]
                if rng.random() < 0.2 and isinstance(parent, dict):
                    parent.pop(path[-1], None)
                else:
                    parent[path[-1]] = copy.deepcopy(rng.choice(_JSON_VALUES))
            except (KeyError, IndexError, TypeError):
                continue
        yield mutant


def _paths(value, prefix=()):
    if isinstance(value, dict):
        for k, v in value.items():
            yield prefix + (k,)
            yield from _paths(v, prefix + (k,))
    elif isinstance(value, list):
        for i, v in enumerate(value):
            yield prefix + (i,)
            yield from _paths(v, prefix + (i,))


@pytest.mark.timeout(600)
@pytest.mark.parametrize("name", ["recurrent.snnir", "recurrent.json"])
def test_mutated_bytes_give_only_snnir_errors(tmp_path, name):
    rng = random.Random(1234)
    data = (MODELS / name).read_bytes()
    path = tmp_path / name
    tracemalloc.start()
    try:
        for mutant in _bytes_mutants(data, rng):
            path.write_bytes(mutant)
            _load_or_snnir_error(path)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < PEAK_LIMIT


@pytest.mark.timeout(600)
@pytest.mark.parametrize("container", [False, True])
def test_mutated_json_fields_give_only_snnir_errors(tmp_path, container):
    rng = random.Random(99)
    doc = json.loads(zipfile.ZipFile(MODELS / "recurrent.snnir").read("snnir.json")) if container else \
        json.loads((MODELS / "recurrent.json").read_text())
    arrays = zipfile.ZipFile(MODELS / "recurrent.snnir")
    path = tmp_path / ("m.snnir" if container else "m.json")
    tracemalloc.start()
    try:
        for mutant in _json_mutants(doc, rng):
            text = json.dumps(mutant)
            if container:
                with zipfile.ZipFile(path, "w") as zf:
                    zf.writestr("snnir.json", text)
                    for entry in arrays.namelist():
                        if entry != "snnir.json":
                            zf.writestr(entry, arrays.read(entry))
            else:
                path.write_text(text)
            _load_or_snnir_error(path)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < PEAK_LIMIT
