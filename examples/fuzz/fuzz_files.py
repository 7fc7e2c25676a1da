"""Fuzz snnir's file readers with mutants of the bundled model files (outside ``make test``).

    python examples/fuzz/fuzz_files.py --mutants 10000 --jobs 4 --seed 0

Each mutant of a file in examples/models/ (byte flips, truncations, insertions, zip-structure, JSON-
structure and NIR/HDF5 mutations) is loaded in a worker process (``snnir.load``, or ``snnir.from_nir``
for NIR files) under a memory limit (``resource.setrlimit(RLIMIT_AS)``) and a timeout; a worker that a
mutant kills or hangs is replaced. Every outcome is classified:

    loaded       the mutant still reads as a valid model
    snnir-error  a typed snnir error (ModelFileError, InvalidIRError, VerifyError, ...): the contract
    raw          any other exception (a bug: listed with its type and the mutant kept in --keep)
    memory       MemoryError under the memory limit
    timeout      no answer within --timeout seconds
    signal       the worker died from a signal (e.g. SIGSEGV inside a C library)

and a summary table is printed. Exit status 1 when any mutant ended as raw, memory, timeout or signal.
``--keep DIR`` saves those mutants for a look.
"""

from __future__ import annotations

import argparse
import collections
import io
import json
import os
import pathlib
import queue
import random
import select
import shutil
import signal
import struct
import subprocess
import sys
import tempfile
import threading
import time
import warnings
import zipfile

ROOT = pathlib.Path(__file__).resolve().parents[2]
MODELS = ROOT / "examples" / "models"
BAD = ("raw", "memory", "timeout", "signal")
OUTCOMES = ("loaded", "snnir-error") + BAD


# ---------------------------------------------------------------------- mutations
def _flip(data: bytes, rng: random.Random) -> bytes:
    buf = bytearray(data)
    for _ in range(rng.choice((1, 1, 1, 2, 4, 8))):
        buf[rng.randrange(len(buf))] ^= 1 << rng.randrange(8)
    return bytes(buf)


def _byte(data: bytes, rng: random.Random) -> bytes:
    buf = bytearray(data)
    buf[rng.randrange(len(buf))] = rng.choice((0, 0xFF, 0x7F, 0x80, rng.randrange(256)))
    return bytes(buf)


def _truncate(data: bytes, rng: random.Random) -> bytes:
    return data[:rng.randrange(len(data))]


def _insert(data: bytes, rng: random.Random) -> bytes:
    at = rng.randrange(len(data) + 1)
    junk = rng.choice((bytes(rng.randrange(256) for _ in range(rng.randint(1, 64))), data[:rng.randint(1, 64)],
                       b"\xff" * rng.randint(1, 16), b"\x00" * rng.randint(1, 16)))
    return data[:at] + junk + data[at:]


def _big_number(data: bytes, rng: random.Random) -> bytes:
    at = rng.randrange(max(1, len(data) - 8))
    value = rng.choice((b"\xff\xff\xff\x7f", b"\xff\xff\xff\xff", b"\xff" * 8, b"\x00\x00\x00\x80", b"\x00" * 8))
    return data[:at] + value + data[at + len(value):]


BYTE_OPS = (_flip, _byte, _truncate, _insert, _big_number)


def _zip_structure(data: bytes, rng: random.Random) -> bytes:
    """Lie in the end-of-central-directory record, a central or local header, or the entry list."""
    op = rng.randrange(6)
    if op == 0:  # the entry counts and the directory size of the end record
        at = data.rfind(b"PK\x05\x06")
        field = rng.choice((8, 10, 12, 16))
        width = 2 if field < 12 else 4
        value = rng.choice((0, 1, 0xFFFF, 0xFFFFFFFF, rng.randrange(1 << (8 * width))))
        return data[:at + field] + (value % (1 << (8 * width))).to_bytes(width, "little") + data[at + field + width:]
    if op == 1:  # a field of one central-directory entry (sizes, offsets, name length, method)
        starts = [i for i in range(len(data)) if data.startswith(b"PK\x01\x02", i)]
        at = rng.choice(starts)
        field, width = rng.choice(((10, 2), (20, 4), (24, 4), (28, 2), (30, 2), (42, 4)))
        value = rng.choice((0, 0xFFFF, 0xFFFFFFFF, rng.randrange(1 << (8 * width))))
        return data[:at + field] + (value % (1 << (8 * width))).to_bytes(width, "little") + data[at + field + width:]
    if op == 2:  # a field of one local header
        starts = [i for i in range(len(data)) if data.startswith(b"PK\x03\x04", i)]
        at = rng.choice(starts)
        field, width = rng.choice(((8, 2), (18, 4), (22, 4), (26, 2), (28, 2)))
        value = rng.choice((0, 0xFFFF, 0xFFFFFFFF, rng.randrange(1 << (8 * width))))
        return data[:at + field] + (value % (1 << (8 * width))).to_bytes(width, "little") + data[at + field + width:]
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        entries = [(i.filename, zf.read(i)) for i in zf.infolist()]
    if op == 3:  # duplicate, drop or rename entries
        name, body = rng.choice(entries)
        choice = rng.randrange(3)
        if choice == 0:
            entries.append((name, body[: len(body) // 2]))
        elif choice == 1:
            entries.remove((name, body))
        else:
            entries[entries.index((name, body))] = (rng.choice(("../evil", "/abs.npy", "arrays/x.npy", "arrays/99.npy",
                                                                 "snnir.json", "a" * 300)), body)
    elif op == 4:  # many empty entries
        entries += [(f"junk/{i}", b"") for i in range(rng.choice((10, 1000, 20000)))]
    else:  # a compressed bomb in place of one entry
        name, _ = rng.choice(entries)
        entries = [(n, b if n != name else b"0" * rng.choice((1 << 20, 16 << 20))) for n, b in entries]
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as out:
        for name, body in entries:
            out.writestr(name, body)
    return buf.getvalue()


HOSTILE_JSON = [None, True, False, -1, 0, 1, 2 ** 31, 2 ** 63, 2 ** 64, 10 ** 30, 1e308, -1e308, float("nan"),
                float("inf"), "", "x" * 300, "../../etc/passwd", [], {}, [[[[]]]], {"$array": "arrays/0.npy"},
                {"$array": 1, "dtype": "float32", "shape": [1]}, {"dtype": "float32", "shape": [10 ** 9, 10 ** 9],
                                                                  "data": []},
                {"dtype": "int32", "shape": [], "data": 1e400}, [1, 2, 3], [[1, 2], [3]], "Input", "Subgraph",
                "float64", "bfloat16", {"kind": "Input", "id": "z", "shape": [3]}]


def _json_structure(doc: dict, rng: random.Random) -> dict:
    doc = json.loads(json.dumps(doc))
    paths = list(_paths(doc))
    for _ in range(rng.randint(1, 3)):
        path = rng.choice(paths)
        parent = doc
        try:
            for key in path[:-1]:
                parent = parent[key]
            roll = rng.random()
            if roll < 0.15 and isinstance(parent, dict):
                parent.pop(path[-1], None)
            elif roll < 0.25 and isinstance(parent, list):
                parent.append(json.loads(json.dumps(parent[path[-1]])))  # a duplicate node or edge
            elif roll < 0.3:  # deep nesting, spliced in as text by _json_text (json.dumps would recurse)
                parent[path[-1]] = f"@@DEEP{rng.choice((30, 70, 2000))}@@"
            else:
                parent[path[-1]] = json.loads(json.dumps(rng.choice(HOSTILE_JSON)))
        except (KeyError, IndexError, TypeError):
            continue
    return doc


def _paths(value, prefix=()):
    if isinstance(value, dict):
        for k, v in value.items():
            yield prefix + (k,)
            yield from _paths(v, prefix + (k,))
    elif isinstance(value, list):
        for i, v in enumerate(value):
            yield prefix + (i,)
            yield from _paths(v, prefix + (i,))


def _json_text(doc: dict, rng: random.Random) -> bytes:
    text = json.dumps(doc)
    while "\"@@DEEP" in text:
        at = text.index("\"@@DEEP")
        end = text.index("@@\"", at + 7)
        depth = int(text[at + 7:end])
        text = text[:at] + "[" * depth + "0" + "]" * depth + text[end + 3:]
    if rng.random() < 0.1:  # a huge integer literal, over Python's 4300-digit limit
        text = text.replace("0.", "9" * 5000 + ".", 1)
    return text.encode()


def _rezip(data: bytes, manifest: bytes) -> bytes:
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        entries = [(i.filename, zf.read(i)) for i in zf.infolist()]
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as out:
        for name, body in entries:
            out.writestr(name, manifest if name == "snnir.json" else body)
    return buf.getvalue()


def _hdf5(data: bytes, rng: random.Random) -> bytes:
    """HDF5-aware: flips and big numbers in the superblock and object headers (the first few KiB), where
    the library's own pointers and sizes live, or a whole 8-byte address replaced."""
    region = min(len(data), rng.choice((96, 2048, 8192)))
    buf = bytearray(data)
    at = rng.randrange(8, region)
    op = rng.randrange(3)
    if op == 0:
        buf[at] ^= 1 << rng.randrange(8)
    elif op == 1:
        buf[at:at + 8] = rng.choice((b"\xff" * 8, b"\x00" * 8, struct.pack("<Q", rng.randrange(len(data) * 2))))
    else:
        buf[at] = rng.randrange(256)
    return bytes(buf)


def mutants(count: int, seed: int):
    """(name, suffix, bytes) for ``count`` mutants, spread over the bundled files."""
    warnings.filterwarnings("ignore", module="zipfile")  # "Duplicate name": the mutants mean it
    rng = random.Random(seed)
    files = sorted(p for p in MODELS.rglob("*") if p.suffix in (".snnir", ".json", ".nir"))
    sources = {p: p.read_bytes() for p in files}
    nir = [p for p in files if p.suffix == ".nir"]
    other = [p for p in files if p.suffix != ".nir"]
    for i in range(count):
        # NIR reads start a child process each (slow): about one mutant in twelve
        path = rng.choice(nir) if nir and rng.random() < 1 / 12 else rng.choice(other)
        data = sources[path]
        if path.suffix == ".nir":
            op = rng.choice(("hdf5", "hdf5", "flip", "byte", "truncate", "insert", "big"))
            out = _hdf5(data, rng) if op == "hdf5" else dict(zip(("flip", "byte", "truncate", "insert", "big"),
                                                                BYTE_OPS))[op](data, rng)
        elif path.suffix == ".snnir":
            op = rng.choice(("bytes", "bytes", "zip", "zip", "json"))
            if op == "bytes":
                out = rng.choice(BYTE_OPS)(data, rng)
            elif op == "zip":
                out = _zip_structure(data, rng)
            else:
                with zipfile.ZipFile(io.BytesIO(data)) as zf:
                    doc = json.loads(zf.read("snnir.json"))
                out = _rezip(data, _json_text(_json_structure(doc, rng), rng))
        else:
            op = rng.choice(("bytes", "json", "json"))
            out = rng.choice(BYTE_OPS)(data, rng) if op == "bytes" else _json_text(_json_structure(json.loads(data),
                                                                                                   rng), rng)
        yield f"{i:06d}-{path.name}-{op}", path.suffix, out


# ---------------------------------------------------------------------- workers
def worker(memory_mib: int) -> None:
    """Read mutant paths from stdin, load each, answer one line 'outcome<TAB>detail' per path."""
    import resource
    import warnings

    warnings.simplefilter("ignore")
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    limit = memory_mib << 20
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    import snnir

    print("ready", flush=True)
    for line in sys.stdin:
        path = line.rstrip("\n")
        try:
            if path.endswith(".nir"):
                snnir.from_nir(path, dt=1e-4)
            else:
                snnir.load(path)
            outcome, detail = "loaded", ""
        except snnir.SnnirError as err:
            outcome, detail = "snnir-error", type(err).__name__
        except MemoryError:
            outcome, detail = "memory", "MemoryError"
        except Exception as err:  # noqa: BLE001  (what the fuzzer is looking for)
            outcome, detail = "raw", f"{type(err).__name__}: {str(err)[:200]}"
        print(f"{outcome}\t{detail.replace(chr(10), ' ').replace(chr(9), ' ')}", flush=True)


class Slot:
    """One worker process, replaced when a mutant kills or hangs it."""

    def __init__(self, memory_mib: int):
        self.memory_mib = memory_mib
        self.proc: subprocess.Popen | None = None

    def start(self) -> None:
        self.proc = subprocess.Popen([sys.executable, __file__, "--worker", "--memory-mib", str(self.memory_mib)],
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                                     text=True, start_new_session=True, cwd=ROOT)
        if self._line(300) != "ready":
            raise RuntimeError("a fuzz worker did not start")

    def _line(self, timeout: float) -> str | None:
        ready, _, _ = select.select([self.proc.stdout], [], [], timeout)
        if not ready:
            return None
        return self.proc.stdout.readline().rstrip("\n")

    def run(self, path: str, timeout: float) -> tuple[str, str]:
        if self.proc is None or self.proc.poll() is not None:
            self.start()
        self.proc.stdin.write(path + "\n")
        self.proc.stdin.flush()
        line = self._line(timeout)
        if line is None:
            self.stop()
            return "timeout", f"over {timeout:g} s"
        if not line:  # end of output: the worker died
            code = self.proc.wait()
            self.proc = None
            if code < 0:
                return "signal", signal.Signals(-code).name
            return "raw", f"worker exited with status {code}"
        outcome, _, detail = line.partition("\t")
        return outcome, detail

    def stop(self) -> None:
        if self.proc is not None:
            try:
                os.killpg(self.proc.pid, signal.SIGKILL)  # the worker and a NIR reader it started
            except ProcessLookupError:
                pass
            self.proc.wait()
            self.proc = None


def fuzz(count: int, seed: int, jobs: int, timeout: float, memory_mib: int, keep: pathlib.Path | None,
         quiet: bool = False) -> dict:
    """Run ``count`` mutants on ``jobs`` workers; return {outcome: Counter(kind of mutant)} and the bad ones."""
    work: queue.Queue = queue.Queue(maxsize=jobs * 4)
    results: list[tuple[str, str, str]] = []
    lock = threading.Lock()
    folder = pathlib.Path(tempfile.mkdtemp(prefix="snnir-fuzz-"))

    def serve() -> None:
        slot = Slot(memory_mib)
        try:
            while True:
                item = work.get()
                if item is None:
                    return
                name, path = item
                outcome, detail = slot.run(str(path), timeout)
                if outcome in BAD and keep is not None:
                    keep.mkdir(parents=True, exist_ok=True)
                    shutil.copy(path, keep / path.name)
                path.unlink()
                with lock:
                    results.append((name, outcome, detail))
        finally:
            slot.stop()

    threads = [threading.Thread(target=serve, daemon=True) for _ in range(jobs)]
    for t in threads:
        t.start()
    start = time.monotonic()
    try:
        for n, (name, suffix, data) in enumerate(mutants(count, seed), 1):
            path = folder / (name + suffix)
            path.write_bytes(data)
            work.put((name, path))
            if not quiet and n % 1000 == 0:
                print(f"  {n} mutants queued, {len(results)} done, {time.monotonic() - start:.0f} s", file=sys.stderr)
        for _ in threads:
            work.put(None)
        for t in threads:
            t.join()
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    return {"results": results, "seconds": time.monotonic() - start}


def summary(results: list[tuple[str, str, str]]) -> str:
    table: dict[str, collections.Counter] = collections.defaultdict(collections.Counter)
    for name, outcome, _ in results:
        _, source, op = name.split("-", 2)
        table[f"{source} {op}"][outcome] += 1
    width = max([len(k) for k in table] + [12])
    lines = [f"{'mutant kind':<{width}} " + " ".join(f"{o:>11}" for o in OUTCOMES) + f" {'total':>7}"]
    totals: collections.Counter = collections.Counter()
    for key in sorted(table):
        totals.update(table[key])
        lines.append(f"{key:<{width}} " + " ".join(f"{table[key][o]:>11}" for o in OUTCOMES)
                     + f" {sum(table[key].values()):>7}")
    lines.append(f"{'all':<{width}} " + " ".join(f"{totals[o]:>11}" for o in OUTCOMES) + f" {sum(totals.values()):>7}")
    bad = [r for r in results if r[1] in BAD]
    details = collections.Counter(f"{o}: {d}" for _, o, d in bad)
    lines += [f"  {n} x {d}" for d, n in details.most_common(20)]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--mutants", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 2)
    parser.add_argument("--timeout", type=float, default=30.0, help="seconds per mutant (default 30)")
    parser.add_argument("--memory-mib", type=int, default=4096, help="address-space limit per worker (default 4096)")
    parser.add_argument("--keep", type=pathlib.Path, help="save mutants with a bad outcome here")
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    warnings.filterwarnings("ignore", module="zipfile")  # "Duplicate name": the mutants mean it
    if args.worker:
        worker(args.memory_mib)
        return 0
    done = fuzz(args.mutants, args.seed, args.jobs, args.timeout, args.memory_mib, args.keep)
    print(summary(done["results"]))
    print(f"{len(done['results'])} mutants in {done['seconds']:.0f} s on {args.jobs} workers (seed {args.seed})")
    return 1 if any(r[1] in BAD for r in done["results"]) else 0


if __name__ == "__main__":
    sys.exit(main())
