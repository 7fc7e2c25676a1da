"""Record the corpus programs' numbers with the real Spyx (not part of ``make test``).

    python tests/corpus/spyx/generate.py [--only NAME ...] [--venv-1 DIR] [--venv-01 DIR]

Two throwaway virtual environments are built from the package registry with pip (outside this
repository): Spyx 1.0.0 (Flax NNX) with the JAX and Flax versions of snnir's own environment, so random
draws from the same keys agree, and Spyx 0.1.20 (the last Haiku release) with JAX 0.4.30 and dm-haiku
0.0.12. Programs named ``v1_*`` run under the first, ``v01_*`` under the second, each in its own process;
their RESULTS become ``fixtures/<program>.npz``, and ``fixtures/manifest.json`` records the versions, the
programs Spyx itself refuses (with its error) and the Haiku programs that are kept as reference only.
"""

from __future__ import annotations

import argparse
import json
import os
import pathlib
import subprocess
import sys

HERE = pathlib.Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from runner import uses_haiku  # noqa: E402

ENVS = {
    "v1": dict(venv="/tmp/spyx1-venv",
               pins=["spyx==1.0.0", "jax==0.10.2", "jaxlib==0.10.2", "flax==0.12.8", "optax==0.2.8", "numpy==2.4.6"],
               report=["spyx", "jax", "jaxlib", "flax", "optax", "numpy", "grain"]),
    "v01": dict(venv="/tmp/spyx01-venv",
                pins=["spyx==0.1.20", "jax==0.4.30", "jaxlib==0.4.30", "dm-haiku==0.0.12", "numpy<2"],
                report=["spyx", "jax", "jaxlib", "dm-haiku", "optax", "numpy"]),
}
REFERENCE_ONLY = ("written with Haiku (hk.transform / hk.DeepRNN / hk.dynamic_unroll), which does not run on "
                  "current JAX, so an import change cannot port it; compared by hand in tests/test_spyx_corpus.py")


def make_env(venv: pathlib.Path, pins: list[str]) -> pathlib.Path:
    python = venv / "bin" / "python"
    if not python.exists():
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
        subprocess.run([str(python), "-m", "pip", "install", "-q", *pins], check=True)
    return python


def versions(python: pathlib.Path, names: list[str]) -> dict[str, str]:
    code = ("import json, importlib.metadata as m\n"
            f"print(json.dumps({{n: m.version(n) for n in {names!r}}}))")
    return json.loads(subprocess.run([str(python), "-c", code], check=True, capture_output=True, text=True).stdout)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", nargs="*", help="program names (or prefixes) to regenerate")
    parser.add_argument("--venv-1", default=ENVS["v1"]["venv"], help="the Spyx 1.0 environment")
    parser.add_argument("--venv-01", default=ENVS["v01"]["venv"], help="the Spyx 0.1.20 environment")
    args = parser.parse_args(argv)
    venvs = {"v1": pathlib.Path(args.venv_1), "v01": pathlib.Path(args.venv_01)}

    fixtures = HERE / "fixtures"
    fixtures.mkdir(exist_ok=True)
    manifest_path = fixtures / "manifest.json"
    manifest = json.loads(manifest_path.read_text()) if manifest_path.exists() else {"programs": {}}
    manifest.setdefault("versions", {})

    programs = sorted((HERE / "programs").glob("v*.py"))
    if args.only:
        programs = [p for p in programs if any(p.stem.startswith(o) for o in args.only)]
    pythons = {}
    for program in programs:
        flavour = program.stem.split("_")[0]
        if flavour not in pythons:
            pythons[flavour] = make_env(venvs[flavour], ENVS[flavour]["pins"])
            manifest["versions"][flavour] = versions(pythons[flavour], ENVS[flavour]["report"])
        env = {**os.environ, "PYTHONPATH": str(HERE), "JAX_PLATFORMS": "cpu", "PYTHONHASHSEED": "0"}
        out = fixtures / f"{program.stem}.npz"
        run = subprocess.run([str(pythons[flavour]), str(HERE / "runner.py"), str(program), str(out)], env=env,
                             capture_output=True, text=True, cwd=str(HERE))
        entry = {"spyx": manifest["versions"][flavour]["spyx"]}
        if run.returncode == 0:
            entry["fixture"] = out.name
            if uses_haiku(program):
                entry["reference_only"] = REFERENCE_ONLY
            print(f"ok     {program.stem}")
        else:
            out.unlink(missing_ok=True)
            error = (run.stdout.strip() or run.stderr.strip().splitlines()[-1]) if run.returncode == 3 else run.stderr[-500:]
            entry["spyx_error"] = error
            print(f"error  {program.stem}: {error}")
        manifest["programs"][program.stem] = entry
    known = {p.stem for p in (HERE / "programs").glob("v*.py")}
    manifest["programs"] = {k: v for k, v in sorted(manifest["programs"].items()) if k in known}
    manifest_path.write_text(json.dumps(manifest, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
