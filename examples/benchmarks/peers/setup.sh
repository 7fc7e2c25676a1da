#!/usr/bin/env bash
# Create .venv-peers at the repository root with the pinned peers (CPU-only torch, snnTorch, Norse, Spyx)
# from requirements.txt beside this script. Idempotent: does nothing when every pin is already installed.
#
#   bash examples/benchmarks/peers/setup.sh            # PYTHON=python3.11 to pick the interpreter (>= 3.11)
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/../../.." && pwd)"
VENV="${PEERS_VENV:-$ROOT/.venv-peers}"
REQ="$HERE/requirements.txt"
TORCH_CPU_INDEX="${TORCH_CPU_INDEX:-https://download.pytorch.org/whl/cpu}"

if [ ! -x "$VENV/bin/python" ]; then
    "${PYTHON:-python3}" -m venv "$VENV"
fi

# Every pin installed at its exact version? (names compared the way pip normalises them)
installed() {
    "$VENV/bin/python" - "$REQ" <<'EOF'
import re, sys
from importlib import metadata
norm = lambda s: re.sub(r"[-_.]+", "-", s).lower()
have = {norm(d.metadata["Name"]): d.version for d in metadata.distributions()}
missing = []
for line in open(sys.argv[1]):
    line = line.split("#", 1)[0].strip()
    if line:
        name, version = line.split("==")
        if have.get(norm(name)) != version:
            missing.append(line)
if missing:
    print("to install:", " ".join(missing))
sys.exit(1 if missing else 0)
EOF
}

if installed; then
    echo "$VENV is set up (all pins in $(basename "$REQ") installed)"
    exit 0
fi

# --no-deps: requirements.txt is the complete lock (and keeps Norse from pulling torchvision and a CUDA torch).
# The +cpu torch wheel comes from a local wheel directory or index if pip is configured with one, else from
# PyTorch's CPU index.
if ! "$VENV/bin/pip" install --no-deps -r "$REQ"; then
    "$VENV/bin/pip" install --no-deps --extra-index-url "$TORCH_CPU_INDEX" -r "$REQ"
fi
installed
"$VENV/bin/python" -c "import torch, snntorch, norse, spyx, jax; print('torch', torch.__version__, '| snntorch', snntorch.__version__, '| norse', norse.__version__, '| spyx', spyx.__version__, '| jax', jax.__version__)"
