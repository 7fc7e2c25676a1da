"""Running one corpus program (shared by the SNNAX and Spyx corpora's runners).

Each corpus has its own ``corpus_data`` module, and one test process replays several corpora, so the
program must see its own corpus's ``corpus_data``, never one another corpus cached in ``sys.modules``.
"""

from __future__ import annotations

import pathlib
import sys
import types

import numpy as np


def _use_corpus_data_of(folder: pathlib.Path) -> None:
    """Put ``folder`` first on sys.path and drop a ``corpus_data`` imported from anywhere else."""
    entry = str(folder)
    if entry in sys.path:
        sys.path.remove(entry)
    sys.path.insert(0, entry)
    cached = sys.modules.get("corpus_data")
    if cached is not None and pathlib.Path(getattr(cached, "__file__", "")).resolve().parent != folder:
        del sys.modules["corpus_data"]


def execute(path: pathlib.Path, source: str, folder: pathlib.Path) -> dict[str, np.ndarray]:
    """Execute ``source`` (the program at ``path``, maybe ported) as a fresh module; return its RESULTS."""
    _use_corpus_data_of(folder)
    # a real module in sys.modules: Equinox and Flax look classes' modules up there
    module = types.ModuleType(f"corpus_{path.stem}")
    module.__file__ = str(path)
    sys.modules[module.__name__] = module
    try:
        exec(compile(source, str(path), "exec"), module.__dict__)
    finally:
        sys.modules.pop(module.__name__, None)
    results = module.__dict__.get("RESULTS")
    if not isinstance(results, dict) or not results:
        raise RuntimeError(f"{path.name} defines no RESULTS dict")
    return {str(k): np.asarray(v) for k, v in results.items()}


def tolerance(key: str) -> tuple[float, float] | None:
    """(rtol, atol) for a result key: None (exact) for spike trains, counts and labels (``spikes...``),
    1e-4 for gradients (``grad...``), 1e-5 for every other float."""
    if key.startswith("spikes"):
        return None
    if key.startswith("grad"):
        return (1e-4, 1e-6)
    return (1e-5, 1e-6)
