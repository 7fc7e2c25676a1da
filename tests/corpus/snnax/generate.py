"""Record the corpus programs' numbers with the real SNNAX (not part of ``make test``).

    python tests/corpus/snnax/generate.py --snnax-git PATH [--commit SHA] [--only NAME ...]

SNNAX's source is taken from a git clone at a pinned commit (``git archive``, nothing of it is written
into this repository) into a throwaway virtual environment that has the JAX and Equinox versions of the
environment running this script. Each program runs in its own process there; its RESULTS become
``fixtures/<program>.npz``, and ``fixtures/manifest.json`` records the commit, the versions and the
programs SNNAX itself cannot run.
"""

from __future__ import annotations

import argparse
import json
import os
import pathlib
import subprocess
import sys
import tarfile
import io
from importlib.metadata import version

HERE = pathlib.Path(__file__).resolve().parent
ROOT = HERE.parents[2]
PINNED = "b7a55c6"  # PGI15/snnax main, 2024-08-29 (the last commit of its public repository)
PACKAGES = ("jax", "jaxlib", "equinox", "numpy")


def make_env(venv: pathlib.Path, git_dir: str, commit: str) -> pathlib.Path:
    """The throwaway environment: a venv with SNNAX's dependencies and SNNAX's src/ at ``commit``."""
    python = venv / "bin" / "python"
    if not python.exists():
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
        pins = [f"{name}=={version(name)}" for name in PACKAGES]
        subprocess.run([str(python), "-m", "pip", "install", "-q", *pins, "chex", "jaxtyping"], check=True)
    src = venv / f"snnax-{commit}"
    if not src.exists():
        archive = subprocess.run(["git", f"--git-dir={git_dir}", "archive", "--format=tar", commit, "src/snnax"],
                                 check=True, capture_output=True).stdout
        with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
            tar.extractall(src, filter="data")
    return src / "src"


def git_dir_of(path: str) -> str:
    p = pathlib.Path(path)
    return str(p / ".git") if (p / ".git").exists() else str(p)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--snnax-git", required=True, help="a clone of PGI15/snnax (work tree or bare git dir)")
    parser.add_argument("--commit", default=PINNED)
    parser.add_argument("--venv", default=str(ROOT / ".venv-snnax"))
    parser.add_argument("--only", nargs="*", help="program names (or prefixes) to regenerate")
    args = parser.parse_args(argv)

    git_dir = git_dir_of(args.snnax_git)
    commit = subprocess.run(["git", f"--git-dir={git_dir}", "rev-parse", args.commit], check=True,
                            capture_output=True, text=True).stdout.strip()
    src = make_env(pathlib.Path(args.venv), git_dir, commit)
    python = pathlib.Path(args.venv) / "bin" / "python"
    fixtures = HERE / "fixtures"
    fixtures.mkdir(exist_ok=True)
    manifest_path = fixtures / "manifest.json"
    manifest = json.loads(manifest_path.read_text()) if manifest_path.exists() else {"programs": {}}
    manifest.update(snnax_commit=commit, versions={n: version(n) for n in PACKAGES})

    programs = sorted((HERE / "programs").glob("p*.py"))
    if args.only:
        programs = [p for p in programs if any(p.stem.startswith(o) for o in args.only)]
    env = {**os.environ, "PYTHONPATH": f"{src}{os.pathsep}{HERE}", "JAX_PLATFORMS": "cpu"}
    for program in programs:
        out = fixtures / f"{program.stem}.npz"
        run = subprocess.run([str(python), str(HERE / "runner.py"), str(program), str(out)], env=env,
                             capture_output=True, text=True)
        if run.returncode == 0:
            manifest["programs"][program.stem] = {"fixture": out.name}
            print(f"ok     {program.stem}")
        else:
            out.unlink(missing_ok=True)
            error = (run.stdout.strip() or run.stderr.strip().splitlines()[-1]) if run.returncode == 3 else run.stderr[-500:]
            manifest["programs"][program.stem] = {"snnax_error": error}
            print(f"error  {program.stem}: {error}")
    manifest["programs"] = dict(sorted(manifest["programs"].items()))
    manifest_path.write_text(json.dumps(manifest, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
