"""Run a template with Spyx and with snnir.compat.spyx, same seeds and settings, and print the two
loss curves side by side.

    python compare.py --spyx-python /path/to/spyx-venv/bin/python                 # both templates
    python compare.py --spyx-python ... --template shd -- --epochs 5 --quick       # options after --
                                                                                   # go to the template

``--spyx-python`` is an interpreter with Spyx 1.0 installed (``pip install spyx==1.0.0``); it runs
``original/<template>.py``. The port, ``<template>.py``, runs with ``--snnir-python`` (this interpreter
by default). Each run is a fresh process; its wall time and CPU time (user + system, all threads)
are measured around the whole process, start-up and compilation included, and "train" is the
training loop's own wall time as the template prints it. The table is Markdown.
"""

from __future__ import annotations

import argparse
import pathlib
import re
import resource
import subprocess
import sys
import time

HERE = pathlib.Path(__file__).resolve().parent
EPOCH = re.compile(r"epoch\s+(\d+)\s+train loss ([-+\d.eE]+|nan)\s+val acc ([\d.]+)\s+val loss ([-+\d.eE]+|nan)")
TRAIN_TIME = re.compile(r"training time ([\d.]+) s")
ACCURACY = re.compile(r"test accuracy ([\d.]+)")


def run(python: str, script: pathlib.Path, options: list[str]) -> dict:
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    proc = subprocess.run([python, str(script), *options], capture_output=True, text=True, cwd=HERE)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if proc.returncode != 0:
        sys.exit(f"{script.name} failed with {python}:\n{proc.stdout}\n{proc.stderr}")
    epochs = [(float(m[2]), float(m[3]), float(m[4])) for m in EPOCH.finditer(proc.stdout)]
    train = TRAIN_TIME.search(proc.stdout)
    return dict(epochs=epochs, accuracy=float(ACCURACY.search(proc.stdout)[1]),
                train=float(train[1]) if train else float("nan"), wall=wall,
                cpu=(after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime))


def table(name: str, spyx: dict, port: dict) -> str:
    lines = [f"#### {name}", "",
             "| epoch | train loss, Spyx | train loss, snnir | val acc, Spyx | val acc, snnir | val loss, Spyx "
             "| val loss, snnir |",
             "|---|---|---|---|---|---|---|"]
    for i, (a, b) in enumerate(zip(spyx["epochs"], port["epochs"])):
        lines.append(f"| {i} | {a[0]:.6f} | {b[0]:.6f} | {a[1]:.4f} | {b[1]:.4f} | {a[2]:.6f} | {b[2]:.6f} |")
    diff = max((abs(x - y) for a, b in zip(spyx["epochs"], port["epochs"]) for x, y in zip(a, b)), default=0.0)
    lines += ["", f"test accuracy: Spyx {spyx['accuracy']:.4f}, snnir {port['accuracy']:.4f}; "
              f"largest difference in the table: {diff:.2g}", "",
              "| | Spyx | snnir |", "|---|---|---|",
              f"| training loop, wall (s) | {spyx['train']:.1f} | {port['train']:.1f} |",
              f"| whole process, wall (s) | {spyx['wall']:.1f} | {port['wall']:.1f} |",
              f"| whole process, CPU (s) | {spyx['cpu']:.1f} | {port['cpu']:.1f} |"]
    return "\n".join(lines)


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--spyx-python", required=True, help="an interpreter with spyx==1.0.0 installed")
    p.add_argument("--snnir-python", default=sys.executable, help="an interpreter with snnir installed")
    p.add_argument("--template", choices=("shd", "conv", "both"), default="both")
    p.add_argument("options", nargs="*", help="options for the template (after --)")
    args = p.parse_args(argv)
    names = ("shd", "conv") if args.template == "both" else (args.template,)
    out = []
    for name in names:
        script = f"{name}_template.py"
        spyx = run(args.spyx_python, HERE / "original" / script, args.options)
        port = run(args.snnir_python, HERE / script, args.options)
        out.append(table(script, spyx, port))
        print(out[-1], end="\n\n", flush=True)
    return out


if __name__ == "__main__":
    main()
