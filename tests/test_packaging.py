"""Packaging: what a pip user gets (package list, the compiler's name, version, licence, cheap import)."""

import pathlib
import subprocess
import sys
import tomllib

import snnir

ROOT = pathlib.Path(__file__).resolve().parents[1]


def _pyproject() -> dict:
    return tomllib.loads((ROOT / "pyproject.toml").read_text())


def test_every_package_folder_is_installed():
    """The explicit package list in pyproject.toml names every folder with an ``__init__.py``."""
    listed = set(_pyproject()["tool"]["setuptools"]["packages"])
    found = {".".join(p.parent.relative_to(ROOT).parts) for p in (ROOT / "snnir").rglob("__init__.py")}
    found |= {"snnir." + ".".join(p.parent.relative_to(ROOT).parts) for p in (ROOT / "passes").rglob("__init__.py")}
    assert found == listed


def test_the_compiler_installs_as_snnir_passes():
    cfg = _pyproject()["tool"]["setuptools"]
    assert cfg["package-dir"]["snnir.passes"] == "passes"
    from snnir.passes.compile import CompileOptionError

    assert CompileOptionError.__module__ == "snnir.passes.compile"
    assert snnir.CompileOptionError is CompileOptionError


def test_import_snnir_is_cheap_and_the_names_load_on_use():
    code = ("import sys, snnir; assert 'jax' not in sys.modules, 'import snnir imported jax'; "
            "g = snnir.Graph; assert 'jax' in sys.modules; "
            "import snnir.verification as v; assert snnir.verify is v.verify; print(snnir.__version__)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == snnir.__version__


def test_every_public_name_resolves():
    for name in snnir.__all__:
        assert getattr(snnir, name) is not None, name
    assert set(snnir.__all__) <= set(dir(snnir))


def test_user_facing_errors_are_snnir_errors():
    errors = [getattr(snnir, n) for n in snnir.__all__ if n.endswith("Error") and n != "SnnirError"]
    assert len(errors) >= 20
    for err in errors:
        assert issubclass(err, snnir.SnnirError), err
        assert issubclass(err, (ValueError, TypeError)), err


def test_licence_version_and_typing_marker():
    meta = _pyproject()["project"]
    assert meta["license"] == "MIT" and (ROOT / "LICENSE").read_text().startswith("MIT License")
    assert (ROOT / "snnir" / "py.typed").exists()
    from importlib.metadata import version

    assert version("snnir") == snnir.__version__
    assert f"## {snnir.__version__}" in (ROOT / "CHANGELOG.md").read_text()
