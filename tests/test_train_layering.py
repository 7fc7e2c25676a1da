"""snnir.train is framework-neutral: it imports JAX, Equinox, NumPy, optax and tqdm (the progress bar), and
of snnir only the IR, the errors and snnir.io (checkpoints are model files); never the compiler.

Compat front ends (snnir.compat.spyx.fn, .data) build on snnir.train, never the other way; flax stays an
optional dependency of snnir.compat.spyx only.
"""

import ast
import pathlib

TRAIN = pathlib.Path(__file__).resolve().parents[1] / "snnir" / "train"
ALLOWED_THIRD_PARTY = {"jax", "numpy", "optax", "equinox", "__future__", "typing", "collections", "functools",
                       "dataclasses", "sys", "time", "json", "tqdm"}


def _imports(path):
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            yield from (a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom):
            yield ("." * node.level) + (node.module or "")


def test_snnir_train_imports_only_jax_numpy_optax_equinox_tqdm_the_ir_and_io():
    problems = []
    for path in sorted(TRAIN.glob("*.py")):
        for name in _imports(path):
            if name.startswith("."):
                continue                                   # its own modules
            root = name.split(".")[0]
            if name in ("snnir.errors", "snnir.ir") or name.startswith("snnir.io") or root in ALLOWED_THIRD_PARTY:
                continue
            problems.append(f"{path.name} imports {name}")
    assert not problems, problems
