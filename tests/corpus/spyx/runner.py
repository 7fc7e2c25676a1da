"""Run one corpus program and collect its ``RESULTS``, with Spyx or through snnir.compat.spyx.

``port(source)`` is the only edit a user makes when porting: the import lines that name ``spyx`` name
``snnir.compat.spyx`` instead. Nothing else in the program changes.
"""

from __future__ import annotations

import pathlib
import re
import sys

import numpy as np

HERE = pathlib.Path(__file__).resolve().parent
if str(HERE.parent) not in sys.path:  # program_exec, also when run as a script inside a peer's venv
    sys.path.insert(0, str(HERE.parent))

from program_exec import execute, tolerance  # noqa: E402,F401 - tolerance: the replay tests read it here
TARGET = "snnir.compat.spyx"
#: Spyx 0.1.20 programs (``v01_*``) port to the front end that keeps that version's numbers
TARGET_01 = "snnir.compat.spyx01"

_FROM = re.compile(r"^([ \t]*from[ \t]+)spyx(\b[\w.]*)([ \t]+import[ \t])", re.M)
_IMPORT = re.compile(r"^([ \t]*)import[ \t]+(.+?)[ \t]*$", re.M)
_NAME = re.compile(r"^spyx(\.[\w.]+)?(?:\s+as\s+(\w+))?$")


def _port_import(match: re.Match, target: str) -> str:
    indent, names = match.group(1), match.group(2)
    code, hash_, comment = names.partition("#")
    parts = [p.strip() for p in code.split(",")]
    if not any(_NAME.match(p) for p in parts):
        return match.group(0)
    out = []
    for part in parts:
        m = _NAME.match(part)
        if not m:
            out.append(part)
        elif m.group(2):  # import spyx.nn as snn
            out.append(f"{target}{m.group(1) or ''} as {m.group(2)}")
        elif m.group(1):  # import spyx.nn: binds ``spyx``, with its submodule loaded
            out.append(f"{target}{m.group(1)}")
            out.append(f"{target} as spyx")
        else:  # import spyx
            out.append(f"{target} as spyx")
    line = f"{indent}import {', '.join(out)}"
    return f"{line}  #{comment}" if hash_ else line


def port(source: str, target: str = TARGET) -> str:
    """The program with its Spyx imports pointed at ``target`` (and nothing else changed)."""
    source = _FROM.sub(rf"\1{target}\2\3", source)
    return _IMPORT.sub(lambda m: _port_import(m, target), source)


def target_for(path: pathlib.Path) -> str:
    """snnir.compat.spyx01 for a Spyx 0.1.20 program, snnir.compat.spyx for a 1.0 one."""
    return TARGET_01 if path.name.startswith("v01_") else TARGET


def run_program(path: pathlib.Path, ported: bool) -> dict[str, np.ndarray]:
    """Execute the program (ported or as written) in a fresh namespace; return its RESULTS as numpy."""
    source = path.read_text()
    return execute(path, port(source, target_for(path)) if ported else source, HERE)


def uses_haiku(path: pathlib.Path) -> bool:
    """A program written against Spyx 0.1's Haiku API: kept as a reference, it cannot be ported."""
    return re.search(r"^\s*(import\s+haiku|from\s+haiku\s)", path.read_text(), re.M) is not None


if __name__ == "__main__":  # used by generate.py inside a Spyx environment
    program, out = pathlib.Path(sys.argv[1]), sys.argv[2]
    try:
        results = run_program(program, ported=False)
    except Exception as err:  # Spyx itself cannot run this program: recorded, not a fixture
        print(f"{type(err).__name__}: {err}".splitlines()[0][:300])
        sys.exit(3)
    np.savez_compressed(out, **results)
