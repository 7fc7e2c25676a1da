"""Record snnTorch's and Norse's own neurons on fixed inputs (not part of ``make test``).

    python tests/corpus/neurons/generate.py [--venv /tmp/nir-peers]

Uses the throwaway environment of tests/corpus/nir/generate.py (torch 2.13.0 CPU, snnTorch 1.0.0,
Norse 1.1.0; created from the package registry if missing), runs ``peers.py`` there, and writes
``fixtures.npz``: the dyadic input and, per neuron, the peer's spikes and membrane at every step.
tests/test_peer_neurons.py checks that the snnir neurons docs/coming-from.md names for them give the
same numbers.
"""

from __future__ import annotations

import argparse
import importlib.util
import pathlib
import subprocess
import sys

HERE = pathlib.Path(__file__).resolve().parent
# the NIR corpus's environment (the same peers), loaded by path: both scripts are named generate.py
_spec = importlib.util.spec_from_file_location("nir_generate", HERE.parent / "nir" / "generate.py")
_nir = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(_nir)
make_env, versions = _nir.make_env, _nir.versions


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--venv", type=pathlib.Path, default=pathlib.Path("/tmp/nir-peers"))
    args = parser.parse_args()
    python = make_env(args.venv)
    subprocess.run([str(python), str(HERE / "peers.py"), str(HERE / "fixtures.npz")], check=True)
    print("recorded with", ", ".join(v for v in versions(python) if v.split("==")[0] in ("torch", "snntorch", "norse")))
    return 0


if __name__ == "__main__":
    sys.exit(main())
