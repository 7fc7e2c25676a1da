"""How much memory a program's state takes, known before anything is allocated.

A model file's limits bound its parameters, not its state: a 288-byte file (a layer 65,536 wide behind a
Delay of 1,000,000 steps) asks for 262 GB of Delay buffer. ``Program.init_state`` therefore adds up the
state from the plan first (every kernel's state variables, Delay buffers included, and every history
buffer, per sample, times the batch) and refuses, with :class:`StateMemoryError`, a state over the limit:

- ``init_state(..., max_bytes=N)`` for one call;
- else the environment variable ``SNNIR_MAX_STATE_BYTES`` (bytes, or with a unit: ``64GiB``, ``500MB``);
- else half the memory of the device the state goes to: the accelerator's ``bytes_limit`` where JAX
  reports one (GPUs), the machine's physical memory on CPU, and 8 GiB where neither is known.

The layered strategy also holds every hoisted node's output over all steps of a call, [T, *batch, n]
(``layered_bytes``); ``strategy="auto"`` runs a call layered only while that fits ``layered_budget``
(docs/performance.md, "Memory in the auto rule").
"""

from __future__ import annotations

import functools
import math
import os
import re

from ..errors import StateMemoryError  # defined with the other errors; raised here

ENV_VAR = "SNNIR_MAX_STATE_BYTES"
FALLBACK_LIMIT = 8 << 30
_UNITS = {"": 1, "b": 1, "kb": 10**3, "mb": 10**6, "gb": 10**9, "tb": 10**12,
          "kib": 1 << 10, "mib": 1 << 20, "gib": 1 << 30, "tib": 1 << 40}

# (node id, state variable, ..., bytes per sample) for every entry of a program's state (its state_spec)
Sizes = tuple[tuple, ...]




def format_bytes(n: float) -> str:
    """``n`` bytes in the largest binary unit that keeps the number at least 1 (``262.1 GiB``)."""
    for unit in ("B", "KiB", "MiB", "GiB", "TiB", "PiB"):
        if abs(n) < 1024 or unit == "PiB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024
    raise AssertionError  # pragma: no cover


def parse_bytes(text: str, what: str = ENV_VAR) -> int:
    """``"8GiB"``, ``"500 MB"`` or ``"123456"`` as a number of bytes (``what`` names it in the error)."""
    match = re.fullmatch(r"\s*([0-9]+(?:\.[0-9]*)?)\s*([A-Za-z]*)\s*", str(text))
    if not match or match.group(2).lower() not in _UNITS:
        raise StateMemoryError(f"{what}={text!r} is not an amount of memory"
                               "\n  hint: give bytes, or a number with a unit: 8GiB, 500MB, 2TB")
    return int(float(match.group(1)) * _UNITS[match.group(2).lower()])


def default_limit() -> tuple[int, str]:
    """The limit when none is given, and where it comes from (for the error message)."""
    env = os.environ.get(ENV_VAR)
    if env:
        return parse_bytes(env), f"{ENV_VAR}={env}"
    device = _device_memory()
    if device is not None:
        return device // 2, "half the accelerator's memory"
    physical = _physical_memory()
    if physical is not None:
        return physical // 2, "half this machine's memory"
    return FALLBACK_LIMIT, "the default"


@functools.lru_cache(maxsize=None)
def _device_memory() -> int | None:
    """The default device's memory where JAX reports it (GPUs; None on CPU)."""
    import jax

    try:
        device = jax.devices()[0]
        if device.platform == "cpu":
            return None
        stats = device.memory_stats() or {}
    except Exception:  # noqa: BLE001  (a backend without memory statistics)
        return None
    limit = stats.get("bytes_limit")
    return int(limit) if limit else None


@functools.lru_cache(maxsize=None)
def _physical_memory() -> int | None:
    try:
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (ValueError, OSError, AttributeError):
        return None


def state_bytes(sizes: Sizes, batch: tuple[int, ...]) -> int:
    """The bytes of a state for ``batch``: every entry's bytes per sample times the samples."""
    return sum(s[-1] for s in sizes) * math.prod(batch)


def largest(sizes: Sizes, k: int = 3) -> list[tuple[str, str, int]]:
    """The ``k`` largest entries as (node, variable, bytes per sample)."""
    return [(s[0], s[1], s[-1]) for s in sorted(sizes, key=lambda s: -s[-1])[:k]]


def check_state_size(sizes: Sizes, batch: tuple[int, ...], max_bytes: int | None) -> None:
    """Raise :class:`StateMemoryError` if the state for ``batch`` is over the limit (``max_bytes``, or the
    default of :func:`default_limit`), naming the largest entries."""
    total = state_bytes(sizes, batch)
    if max_bytes is not None:
        limit, source = int(max_bytes), "max_bytes"
        if total <= limit:
            return
    else:
        limit, source = default_limit()
        if total <= limit:
            return
    samples = math.prod(batch)
    listing = "; ".join(f"{node}:{var} {format_bytes(n * samples)}" for node, var, n in largest(sizes))
    raise StateMemoryError(
        f"init_state(batch_shape={batch}) would allocate {format_bytes(total)} of state, over the limit of "
        f"{format_bytes(limit)} ({source}); the largest entries: {listing}"
        f"\n  hint: use a smaller batch, shorter delays or narrower layers; if the memory is really there, "
        f"raise the limit: prog.init_state(..., max_bytes=...) or the environment variable {ENV_VAR}")


# ---------------------------------------------------------------------- the layered strategy's activations
LAYERED_ENV_VAR = "SNNIR_LAYERED_MAX_BYTES"
#: the default budget on CPU. On a 2-core CPU, a forward pass of 2 x (Linear 256 + LIF) at batch 32 ran
#: layered 1.1x faster than the fused scan up to T = 3,000 (281 MiB of hoisted activations) and 2.5x
#: slower at T = 5,000 (469 MiB), when the machine was idle; under load it was slower at every T. Each
#: call allocates and fills these arrays afresh, while the fused scan keeps one step in cache
CPU_LAYERED_BUDGET = 256 << 20
#: the default budget on an accelerator: this fraction of its memory (its ``bytes_limit``)
ACCELERATOR_LAYERED_FRACTION = 8


def layered_budget(budget: int | None = None) -> tuple[int, str]:
    """The most bytes of hoisted activations (per device) for which ``strategy="auto"`` runs a call
    layered, and where the number comes from: ``budget`` (``snnir.compile(..., memory_budget=)``), else
    the environment variable ``SNNIR_LAYERED_MAX_BYTES``, else an eighth of the accelerator's memory,
    else (CPU) :data:`CPU_LAYERED_BUDGET`."""
    if budget is not None:
        return int(budget), "memory_budget"
    env = os.environ.get(LAYERED_ENV_VAR)
    if env:
        return parse_bytes(env, LAYERED_ENV_VAR), f"{LAYERED_ENV_VAR}={env}"
    device = _device_memory()
    if device is not None:
        return device // ACCELERATOR_LAYERED_FRACTION, f"1/{ACCELERATOR_LAYERED_FRACTION} of the accelerator's memory"
    return CPU_LAYERED_BUDGET, "the CPU default"


def layered_bytes(hoisted: int, steps: int, batch: tuple[int, ...], segment: int | None = None,
                  shards: int = 1) -> int:
    """The bytes the layered strategy passes between its stages in a call of ``steps`` steps:
    ``hoisted`` bytes per step and sample (``Program.hoisted_bytes``: the widths of those values times
    the itemsize) times the steps (at most ``segment`` of them when the run is checkpointed) times the
    samples, split over ``shards`` devices. The fused scan holds none of these: it keeps one step."""
    rows = min(steps, segment) if segment else steps
    return -(-hoisted * rows * math.prod(batch) // max(int(shards), 1))
