"""The import directions of DESIGN.md, checked on the source with ``ast``.

ir <- analysis <- kernels/runtime <- passes <- (snnir/__init__.py façade, cli, compat).
Kernels import nothing from the IR; no inner snnir package imports the compiler (the folder passes/,
installed as ``snnir.passes``).
"""

import ast
import pathlib

ROOT = pathlib.Path(__file__).resolve().parents[1]

# what each part may import from snnir (the base modules errors/diagnostics are allowed everywhere)
BASE = {"snnir.errors", "snnir.diagnostics"}
ALLOWED = {
    "snnir.ir": {"snnir.ir"},
    "snnir.analysis": {"snnir.ir", "snnir.analysis"},
    "snnir.verification": {"snnir.ir", "snnir.analysis", "snnir.verification", "snnir.targets"},
    # chip profiles and target checks: below verify (which runs them), above the IR and its analyses;
    # map_to_target verifies first (verification imports the package only inside check)
    "snnir.targets": {"snnir.ir", "snnir.analysis", "snnir.targets", "snnir.verification"},
    "snnir.kernels": {"snnir.kernels"},
    "snnir.runtime": {"snnir.ir", "snnir.analysis", "snnir.kernels", "snnir.runtime"},
    "snnir.viz": {"snnir.ir", "snnir.analysis", "snnir.verification", "snnir.viz"},
    # snnir.io: training checkpoints are model files; never the compiler
    "snnir.train": {"snnir.ir", "snnir.io", "snnir.train"},
}


def _module_name(path: pathlib.Path) -> str:
    rel = path.relative_to(ROOT).with_suffix("")
    parts = list(rel.parts)
    if parts[0] == "passes":  # the folder passes/ installs as the package snnir.passes
        parts = ["snnir", "passes"] + parts[1:]
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _imports(path: pathlib.Path) -> set[str]:
    tree = ast.parse(path.read_text())
    module = _module_name(path)
    package = module if path.name == "__init__.py" else module.rsplit(".", 1)[0]
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - node.level + 1]
                name = ".".join(base + ([node.module] if node.module else []))
            else:
                name = node.module or ""
            found.add(name)
            found.update(f"{name}.{a.name}" for a in node.names)
    return found


def _part(name: str) -> str | None:
    for prefix in sorted(ALLOWED, key=len, reverse=True):
        if name == prefix or name.startswith(prefix + "."):
            return prefix
    return None


def _snnir_files():
    return sorted((ROOT / "snnir").rglob("*.py"))


def test_inner_packages_import_only_below_them():
    problems = []
    for path in _snnir_files():
        part = _part(_module_name(path))
        if part is None:
            continue
        for imp in _imports(path):
            if not imp.startswith("snnir"):
                continue
            if imp == "snnir.passes" or imp.startswith("snnir.passes."):
                problems.append(f"{path.relative_to(ROOT)} imports {imp} (the compiler sits above snnir's inner packages)")
                continue
            if imp in BASE or imp == "snnir" or any(imp.startswith(b + ".") for b in BASE):
                continue
            target = _part(imp)
            if target is not None and target not in ALLOWED[part]:
                problems.append(f"{path.relative_to(ROOT)} ({part}) imports {imp} ({target})")
    assert not problems, "\n".join(problems)


def test_kernels_never_import_the_ir():
    for path in (ROOT / "snnir" / "kernels").rglob("*.py"):
        assert not any(i.startswith("snnir.ir") for i in _imports(path)), path


def test_the_checker_sees_relative_imports():
    """Guard against a checker that silently finds nothing."""
    imports = _imports(ROOT / "snnir" / "verification.py")
    assert "snnir.analysis" in imports and "snnir.ir" in imports


def test_passes_use_snnir_but_not_the_facade():
    for path in (ROOT / "passes").rglob("*.py"):
        for imp in _imports(path):
            assert imp not in ("snnir", "snnir._api") or path.name == "__init__.py", f"{path} imports the snnir façade"


def test_either_package_imports_first():
    import subprocess
    import sys

    for first in ("snnir.passes", "snnir"):
        code = f"import {first}; import snnir; assert callable(snnir.compile)"
        subprocess.run([sys.executable, "-c", code], check=True, cwd=ROOT)
