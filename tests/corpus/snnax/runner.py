"""Run one corpus program and collect its ``RESULTS``, with SNNAX or through snnir.compat.snnax.

``port(source)`` is the only edit a user makes when porting: the import lines that name ``snnax`` name
``snnir.compat.snnax`` instead. Nothing else in the program changes.
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

_FROM = re.compile(r"^(\s*from\s+)snnax(\b[\w.]*)(\s+import\s)", re.M)
_IMPORT_AS = re.compile(r"^(\s*import\s+)snnax(\b[\w.]*)(\s+as\s+\w+)", re.M)
_IMPORT_BARE = re.compile(r"^(\s*import\s+)snnax\s*$", re.M)


def port(source: str) -> str:
    """The program with its SNNAX imports pointed at snnir.compat.snnax (and nothing else changed)."""
    source = _FROM.sub(r"\1snnir.compat.snnax\2\3", source)
    source = _IMPORT_AS.sub(r"\1snnir.compat.snnax\2\3", source)
    return _IMPORT_BARE.sub(r"\1snnir.compat.snnax as snnax", source)


def run_program(path: pathlib.Path, ported: bool) -> dict[str, np.ndarray]:
    """Execute the program (ported or as written) in a fresh namespace; return its RESULTS as numpy."""
    source = path.read_text()
    return execute(path, port(source) if ported else source, HERE)


if __name__ == "__main__":  # used by generate.py inside the SNNAX environment
    program, out = pathlib.Path(sys.argv[1]), sys.argv[2]
    try:
        results = run_program(program, ported=False)
    except Exception as err:  # SNNAX itself cannot run this program: recorded, not a fixture
        print(f"{type(err).__name__}: {err}".splitlines()[0][:300])
        sys.exit(3)
    np.savez(out, **results)
