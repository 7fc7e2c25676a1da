"""The ``snnir`` command line: validate, info, run, draw, convert, schema and bench for model files.

Every failure is one message on stderr, naming the option or file, then a hint; ``--debug`` shows the
traceback. Exit status: 0 on success, 1 when a file or model is bad, 2 when the command line itself is
(an unknown option, a value out of range, a missing argument), 130 on Ctrl-C. A closed stdout (``snnir
schema | head -1``) ends the command quietly.

Only ``argparse`` and snnir's small modules are imported up front, so ``--help`` and ``--version`` never
import JAX or NumPy; each command imports what it needs.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import pathlib
import re
import shlex
import sys
import time
from typing import Callable, Sequence

from ._version import __version__
from .errors import SnnirError
from .plugins import import_plugin

EPILOG = """examples:
  snnir validate model.snnir other.json        every problem of every file; exit 1 on any error
  snnir validate --json model.snnir             the same as JSON, for machines
  snnir validate model.snnir --target xylo      also every rule of a chip the model breaks
  snnir info model.snnir                        kinds, parameters, shapes, cycles, feedback, schedule
  snnir info model.snnir --target loihi2        plus neurons, synapses, cores and memory per node on a chip
  snnir run model.snnir --steps 100 --output out.npz   random input; prints rates and synaptic ops
  snnir run model.snnir --mode delayed --input x.npy
  snnir convert model.snnir model.json          between the container and plain JSON
  snnir convert model.nir model.snnir --dt 1e-4   from NIR (dt in seconds; --discretization euler|exact)
  snnir convert model.snnir model.nir --dt 1e-4   to NIR
  snnir schema > snnir.schema.json              the JSON Schema of graph documents
  snnir draw model.snnir -o model.svg           a drawing: cycles boxed, feedback edges dashed
  snnir draw broken.json -o broken.png --show-errors   problems highlighted on their nodes
  snnir run model.snnir --steps 200 --plot activity.png   spike rasters and traces
  snnir bench model.snnir --steps 500 --batch 16   compile and run times, forward and fwd+bwd, per strategy
  snnir bench --protocol 1024 --precision bfloat16   the Open Neuromorphic layer beside the GEMM floor
  snnir bench model.snnir --memory-steps 1000 10000   gradient memory vs T, plain and checkpointed
  snnir --import layers.py run custom.snnir     a model with custom layers: layers.py registers their classes
"""

MAX_SIZE = 2**31 - 1  # the largest --steps, --batch, ...: more is a typo (2**31 steps of one neuron: 8 GiB)
PLOT_SUFFIXES = (".png", ".svg", ".pdf")
_NEGATIVE_NUMBER = re.compile(r"^-(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$")
EXIT_FAILED, EXIT_USAGE, EXIT_INTERRUPTED = 1, 2, 130
# what to lower when a command runs out of memory
_SIZE_OPTIONS = {"run": "--steps or --batch", "bench": "--steps, --batch, --protocol or --memory-steps"}


class OptionError(SnnirError, ValueError):
    """A command-line option has a value the command cannot use, or options that do not go together."""

    def __init__(self, message: str, hint: str):
        super().__init__(f"{message}\n  hint: {hint}")


class InputFileError(SnnirError, ValueError):
    """The ``--input`` of ``snnir run`` is missing, unreadable, or holds arrays of the wrong shape or dtype."""

    def __init__(self, path: str, message: str, hint: str):
        self.path = path
        super().__init__(f"--input {path}: {message}\n  hint: {hint}")


# ---------------------------------------------------------------------- entry point
def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line on ``argv`` (default: ``sys.argv[1:]``) and return the exit status."""
    try:
        status = _main(argv)
        sys.stdout.flush()  # a reader that went away shows up here, not as a traceback at exit
        return status
    except BrokenPipeError:
        _discard_stdout()
        return EXIT_FAILED


def _main(argv: Sequence[str] | None) -> int:
    parser = _parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as done:  # --help, --version and usage errors: argparse has printed the message
        return done.code if isinstance(done.code, int) else EXIT_USAGE
    if not getattr(args, "command", None):
        parser.print_help()
        return EXIT_USAGE
    try:
        for target in args.imports:
            import_plugin(target)
        return args.run(args)
    except BrokenPipeError:
        raise
    except KeyboardInterrupt:
        if args.debug:
            raise
        print(f"snnir {args.command}: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    except Exception as err:  # noqa: BLE001  (the CLI turns every failure of the input into a message)
        return _report(err, args)


def _report(err: Exception, args) -> int:
    """Print ``err`` as one message and return the exit status; re-raise bugs (and everything with --debug)."""
    from .ir.kinds.custom import UnknownLayerError

    if args.debug or not (isinstance(err, (SnnirError, OSError)) or _out_of_memory(err)):
        raise err
    if _out_of_memory(err):
        details = (str(err).splitlines() or ["no details"])[0]
        print(f"snnir {args.command}: out of memory ({type(err).__name__}: {details})\n"
              f"  hint: ask for less: a smaller {_SIZE_OPTIONS.get(args.command, 'model')}", file=sys.stderr)
        return EXIT_FAILED
    print(f"snnir {args.command}: {err}", file=sys.stderr)
    if isinstance(err, OSError) and not isinstance(err, SnnirError):  # the system's own words carry no hint
        print("  hint: check the path, that its folder exists and that you may write there", file=sys.stderr)
    if _raised_by(err, UnknownLayerError):
        print("  hint: on the command line, name the code that registers it: snnir --import layers.py "
              f"{args.command} ...", file=sys.stderr)
    return EXIT_USAGE if isinstance(err, OptionError) else EXIT_FAILED


def _out_of_memory(err: BaseException) -> bool:
    """NumPy's MemoryError, or XLA's RESOURCE_EXHAUSTED (a RuntimeError: JAX has no class of its own for it)."""
    return isinstance(err, MemoryError) or (isinstance(err, RuntimeError) and "RESOURCE_EXHAUSTED" in str(err))


def _discard_stdout() -> None:
    """Point stdout at the null device, so that flushing it at exit does not fail a second time."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError, AttributeError):  # not a real file (captured in tests, or already closed)
        pass


def _raised_by(err: BaseException, cls: type) -> bool:
    """Whether ``err`` or an error it wraps (causes, and pydantic's per-field errors) is a ``cls``."""
    from pydantic import ValidationError

    seen = set()
    while err is not None and id(err) not in seen:
        seen.add(id(err))
        details = err.errors() if isinstance(err, ValidationError) else ()
        if isinstance(err, cls) or any(isinstance(d.get("ctx", {}).get("error"), cls) for d in details):
            return True
        err = err.__cause__ or err.__context__
    return False


# ---------------------------------------------------------------------- option values
class _Parser(argparse.ArgumentParser):
    """argparse with snnir's message format: what is wrong, then a hint; exit status 2."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # argparse takes "-1e-4" for an option (its pattern knows "-1" and "-.5" only), which would turn
        # "--dt -1e-4" into "expected one argument" instead of the range check's message
        self._negative_number_matcher = _NEGATIVE_NUMBER

    def error(self, message: str):
        self.exit(EXIT_USAGE, f"{self.prog}: {message}\n  hint: `{self.prog} --help` lists the options and their "
                              "valid values\n")


def _whole(minimum: int, maximum: int = MAX_SIZE) -> Callable[[str], int]:
    """An argparse type: a whole number in [minimum, maximum]."""
    def whole(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
        if value < minimum:
            raise argparse.ArgumentTypeError(f"must be at least {minimum}, got {value}")
        if value > maximum:
            raise argparse.ArgumentTypeError(f"must be at most {maximum}, got {value}")
        return value

    return whole


def _real(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number, got {text!r}") from None
    if not math.isfinite(value):
        raise argparse.ArgumentTypeError(f"must be a finite number, got {text!r}")
    return value


def _probability(text: str) -> float:
    """An argparse type: a number from 0 to 1."""
    value = _real(text)
    if not 0.0 <= value <= 1.0:
        raise argparse.ArgumentTypeError(f"is a probability, from 0 to 1, got {text}")
    return value


def _seconds(text: str) -> float:
    """An argparse type: a positive, finite number of seconds."""
    value = _real(text)
    if value <= 0:
        raise argparse.ArgumentTypeError(f"must be a positive number of seconds (e.g. 1e-4), got {text}")
    return value


def _parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="snnir", description="Validate, inspect, run and convert snnir models.",
                     epilog=EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--version", action="version", version=f"snnir {__version__}")
    parser.add_argument("--debug", action="store_true", help="show tracebacks")
    parser.add_argument("--import", dest="imports", action="append", default=[], metavar="MODULE",
                        help="run this .py file or module first (it registers custom layer classes with "
                             "snnir.register_layer, so files that use them load); repeatable")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    steps, count = _whole(1), _whole(1)

    target_help = (f"a chip profile: a bundled name ({', '.join(_bundled_targets())}) or the path of a JSON "
                   "profile file")
    p = sub.add_parser("validate", help="check model files and list every problem")
    p.add_argument("files", nargs="+", metavar="FILE")
    p.add_argument("--json", action="store_true", help="print diagnostics as JSON")
    p.add_argument("--mode", choices=("straight", "delayed"), default="straight",
                   help="the timing the model will run in (loops that need a feedback edge in straight mode "
                        "need none in delayed mode); default straight")
    p.add_argument("--target", metavar="NAME", help="also check the rules of this chip; " + target_help)
    p.set_defaults(run=_validate)

    p = sub.add_parser("info", help="describe a model: kinds, parameters, shapes, cycles, schedule")
    p.add_argument("file", metavar="FILE")
    p.add_argument("--mode", choices=("straight", "delayed"), default="straight")
    p.add_argument("--target", metavar="NAME",
                   help="also estimate neurons, synapses, cores and memory per node on this chip; " + target_help)
    p.set_defaults(run=_info)

    p = sub.add_parser("run", help="simulate a model on random or given input")
    p.add_argument("file", metavar="FILE")
    p.add_argument("--mode", choices=("straight", "delayed"), default="straight")
    p.add_argument("--steps", type=steps, default=100, help="time steps of random input, at least 1 (default 100)")
    p.add_argument("--batch", type=count, default=1, help="samples of random input, at least 1 (default 1)")
    p.add_argument("--rate", type=_probability, default=0.2,
                   help="spike probability of random input, from 0 to 1 (default 0.2)")
    p.add_argument("--seed", type=_whole(0), default=0, help="seed of random input, 0 or more (default 0)")
    p.add_argument("--input", metavar="NPY", help="input array [T, batch, *shape] (.npy), or .npz by input id; "
                                                  "instead of random input")
    p.add_argument("--output", metavar="NPZ", help="write every node's trace here (.npz)")
    p.add_argument("--plot", metavar="IMAGE", help="plot spike rasters and traces (.png, .svg or .pdf)")
    p.add_argument("--check", action="store_true",
                   help="stop at the first NaN or inf, naming its node, step and sample (checked mode)")
    p.set_defaults(run=_run)

    p = sub.add_parser("draw", help="draw a model (SVG, PNG, PDF, DOT or Mermaid)")
    p.add_argument("file", metavar="FILE")
    p.add_argument("-o", "--output", required=True, metavar="OUT")
    p.add_argument("--format", choices=("svg", "png", "pdf", "dot", "mmd"), help="default: from OUT's suffix")
    p.add_argument("--expand", action="store_true", help="show composites' insides as clusters")
    p.add_argument("--show-errors", action="store_true", help="highlight verify problems on their nodes")
    p.add_argument("--engine", choices=("auto", "graphviz", "matplotlib"), default="auto")
    p.add_argument("--direction", choices=("LR", "TB"), default="LR")
    p.set_defaults(run=_draw)

    p = sub.add_parser("convert", help="convert between the container (.snnir), plain JSON (.json) and NIR (.nir)")
    p.add_argument("source", metavar="IN")
    p.add_argument("target", metavar="OUT")
    p.add_argument("--dt", type=_seconds, help="seconds per step, positive; required when IN or OUT is a NIR file")
    p.add_argument("--discretization", choices=("euler", "exact"), default="euler",
                   help="how NIR's time constants become decays on import (default euler)")
    p.set_defaults(run=_convert)

    p = sub.add_parser("schema", help="print the JSON Schema of graph documents")
    p.set_defaults(run=_schema)

    p = sub.add_parser("explain", help="what a diagnostic code means, with an example and the fix")
    p.add_argument("code", nargs="?", metavar="CODE", help="a code such as unfed-port; without it, list every code")
    p.set_defaults(run=_explain)

    p = sub.add_parser("bench", help="time a model: compile and run, forward and forward+backward, per strategy")
    p.add_argument("file", nargs="?", metavar="FILE")
    p.add_argument("--protocol", type=count, metavar="N",
                   help="instead of FILE: the Open Neuromorphic layer Linear(N -> N) + LIF, beside the GEMM floor")
    p.add_argument("--mode", choices=("straight", "delayed"), default="straight")
    p.add_argument("--strategy", choices=("all", "auto", "fused-scan", "layered"), default="all")
    p.add_argument("--steps", type=steps, default=500, help="time steps, at least 1 (default 500)")
    p.add_argument("--batch", type=count, default=16, help="samples, at least 1 (default 16)")
    p.add_argument("--precision", choices=("float32", "bfloat16", "float16"),
                   help="dtype of Linear and Conv products (state stays in the model's dtype)")
    p.add_argument("--checkpoint-every", type=steps, metavar="K",
                   help="recompute segments of K steps (at least 1) in the backward pass")
    p.add_argument("--repeats", type=count, default=5,
                   help="timed runs per measurement, at least 1, median reported (default 5)")
    p.add_argument("--memory-steps", type=steps, nargs="+", metavar="T",
                   help="also report the gradient's memory at these T (each at least 1), plain and with sqrt(T) "
                        "checkpoints")
    p.add_argument("--json", action="store_true", help="print the measurements as JSON")
    p.set_defaults(run=_bench)
    return parser


def _bundled_targets() -> list[str]:
    """The bundled profile names, read from the package folder without importing it (so --help stays
    free of NumPy and pydantic)."""
    folder = pathlib.Path(__file__).resolve().parent / "targets" / "profiles"
    return sorted(p.stem for p in folder.glob("*.json"))


def _target(value: str | None):
    """The profile ``--target`` names, or None; an unknown name is a command-line error (exit 2), a bad
    profile file a bad file (exit 1)."""
    if value is None:
        return None
    from .targets import UnknownTargetError, load_profile

    try:
        return load_profile(value)
    except UnknownTargetError as err:
        message, _, hint = str(err).partition("\n  hint: ")
        raise OptionError(f"--target {value}: {message}", hint) from None


# ---------------------------------------------------------------------- files
def _is_nir(path: pathlib.Path) -> bool:
    """NIR files are told apart by their HDF5 signature, or by a .nir name."""
    from .io.nir import HDF5_MAGIC

    if path.suffix.lower() == ".nir":
        return True
    try:
        with open(path, "rb") as f:
            return f.read(len(HDF5_MAGIC)) == HDF5_MAGIC
    except OSError:
        return False


def _load_model(file: str, verify: bool = True):
    """``snnir.load(file)``, but a NIR file gets a one-line pointer to ``snnir convert`` instead."""
    from .io import ModelFileError, load

    path = pathlib.Path(file)
    if not path.exists():
        raise ModelFileError(path, "no such file", "give the path of a model file (.snnir or .json)")
    if path.is_file() and _is_nir(path):
        command = shlex.join(["snnir", "convert", file, str(path.with_suffix(".snnir")), "--dt", "SECONDS"])
        raise ModelFileError(path, f"a NIR file, not a snnir model; convert it first: {command} "
                                   "(SECONDS: the step, e.g. 1e-4)")
    return load(path, verify=verify)


def _check_output(option: str, value: str, suffixes: Sequence[str] = (), create_folder: bool = False,
                  or_else: str = "") -> None:
    """Refuse an output path that cannot be written, before any work is done (``or_else`` ends the hint)."""
    path = pathlib.Path(value)
    if suffixes and path.suffix.lower() not in suffixes:
        raise OptionError(f"{option} {value}: cannot tell the format from the name",
                          f"name the file {_either(suffixes)}{or_else}")
    if path.is_dir():
        raise OptionError(f"{option} {value}: is a folder", "give the name of a file to write")
    folder = path.parent
    if not create_folder and not folder.is_dir():
        raise OptionError(f"{option} {value}: the folder {folder} does not exist", f"create {folder} first")


def _either(words: Sequence[str]) -> str:
    """"a, b or c"."""
    return words[0] if len(words) == 1 else ", ".join(words[:-1]) + " or " + words[-1]


# ---------------------------------------------------------------------- commands
def _validate(args) -> int:
    from .errors import VerifyError
    from .verification import check

    profile = _target(args.target)  # checked before any file is read
    report, failed = {}, False
    for path in args.files:
        try:
            graph = _load_model(path, verify=False)
            diagnostics = [d.to_dict() for d in check(graph, mode=args.mode, target=profile)]
        except VerifyError as err:  # pragma: no cover  (load(verify=False) does not verify)
            diagnostics = [d.to_dict() for d in err.diagnostics]
        except SnnirError as err:
            message, _, hint = str(err).partition("\n  hint: ")
            diagnostics = [{"code": "unreadable-file", "severity": "error", "message": message, "hint": hint,
                            "nodes": [], "edges": []}]
        except Exception as err:  # noqa: BLE001  (a bug's message for this file; the other files are still read)
            if args.debug:
                raise
            diagnostics = [{"code": "unreadable-file", "severity": "error",
                            "message": f"{path}: {type(err).__name__}: {err}",
                            "hint": "this is a bug in snnir: please report it with the file (--debug shows the traceback)",
                            "nodes": [], "edges": []}]
        report[path] = diagnostics
        failed |= any(d["severity"] == "error" for d in diagnostics)
    if args.json:
        print(json.dumps(report, indent=2))
    else:
        for path, diagnostics in report.items():
            errors = sum(d["severity"] == "error" for d in diagnostics)
            status = "ok" if not errors else f"{errors} error(s)"
            context = ([f"{args.mode} mode"] if args.mode != "straight" else []) + \
                ([f"target {profile.name}"] if profile is not None else [])
            print(f"{path}{' (' + ', '.join(context) + ')' if context else ''}: {status}"
                  + (f", {len(diagnostics) - errors} warning(s)" if len(diagnostics) > errors else ""))
            for d in diagnostics:
                print(f"  {d['severity']} {d['code']}: {d['message']}")
                if d["hint"]:
                    print(f"    hint: {d['hint']}")
    return 1 if failed else 0


def _info(args) -> int:
    import numpy as np

    from . import analyze

    profile = _target(args.target)  # checked before the file is read
    graph = _load_model(args.file)
    analysis = analyze(graph, mode=args.mode)
    shapes = analysis.shapes
    print(f"{args.file}: {len(graph.nodes)} nodes, {len(graph.edges)} edges, "
          f"{graph.parameter_count()} parameters ({graph.dtype})")
    kinds: dict[str, int] = {}
    for n in graph.nodes:
        kinds[n.kind] = kinds.get(n.kind, 0) + 1
    print("kinds: " + ", ".join(f"{k} x{v}" for k, v in kinds.items()))
    print("\nnode            kind      shape        params  fan-in fan-out")
    fan_in = {n.id: 0 for n in graph.nodes}
    fan_out = dict(fan_in)
    for e in graph.edges:  # one pass, not a scan of the edges per node
        fan_in[e.dst] = fan_in.get(e.dst, 0) + 1
        fan_out[e.src] = fan_out.get(e.src, 0) + 1
    for n in graph.nodes:
        out = shapes.output(n.id) or shapes.input(n.id) or ()
        params = n.parameter_count()
        print(f"{n.id:<15} {n.kind:<9} {str(tuple(out)):<12} {params:>7} {fan_in[n.id]:>7} {fan_out[n.id]:>7}")
    quantized = [n for n in graph.nodes if getattr(n, "quant", None)]
    if quantized:  # the integer formats (docs/targets.md), as the printer labels them
        print("\nquantization:")
        for n in quantized:
            print(f"  {n.id}: " + ", ".join(f"{name} {spec.label()}" for name, spec in n.quant.items()))
    print(f"\nstrongly connected components: {list(analysis.sccs) or 'none'}")
    print(f"feedback edges ({args.mode}): {list(analysis.feedback_edges) or 'none'}")
    print("schedule: " + " -> ".join(analysis.order))
    itemsize = np.dtype(graph.dtype if graph.dtype != "bfloat16" else "float16").itemsize
    print(f"memory: parameters {graph.parameter_count() * itemsize / 1024:.1f} KiB, "
          + _state_memory(graph, args.mode))
    if profile is not None:
        _target_info(args, graph, profile)
    return 0


def _target_info(args, graph, profile) -> None:
    """The resource estimate on ``profile``, the cores the placement uses, and the rules the model breaks."""
    from .targets import estimate
    from .verification import check

    print()
    result = estimate(graph, profile)
    print(result.table())
    diagnostics = check(graph, args.mode, target=profile)
    errors = [d for d in diagnostics if d.severity == "error"]
    warnings = len(diagnostics) - len(errors)
    if errors:
        codes = ", ".join(dict.fromkeys(d.code for d in errors))
        print(f"does not run on {profile.name}: {len(errors)} error(s) ({codes}), {warnings} warning(s); "
              f"`snnir validate {shlex.quote(args.file)} --target {shlex.quote(args.target)}` lists them")
    else:
        print(f"fits {profile.name}" + (f", with {warnings} warning(s) (`snnir validate --target` lists them)"
                                        if warnings else ""))


def _state_memory(graph, mode: str) -> str:
    """The state one sample needs, from the compiled program's plan (nothing is allocated), with a
    warning when even one sample is over the limit ``init_state`` enforces."""
    from . import compile
    from .runtime import memory

    prog = compile(graph, mode=mode)
    per_sample = prog.state_bytes((1,))
    line = (f"state {memory.format_bytes(per_sample)} per sample (state variables, Delay and history "
            "buffers)")
    limit, source = memory.default_limit()
    if per_sample > limit:
        listing = "; ".join(f"{node}:{var} {memory.format_bytes(n)}" for node, var, n in memory.largest(prog.state_spec))
        line += (f"\nwarning: one sample's state is over the limit of {memory.format_bytes(limit)} ({source}), so "
                 f"init_state and 'snnir run' will refuse it; the largest entries: {listing}"
                 f"\n  hint: shorten the delays or narrow the layers; or raise {memory.ENV_VAR} if the memory is there")
    return line


def _explain(args) -> int:
    from .codes import CODES, explain

    if args.code is None:
        width = max(map(len, CODES))
        for code, entry in CODES.items():
            print(f"{code:<{width}}  {entry.severity:<7}  {entry.title}")
        return 0
    print(explain(args.code))
    return 0


def _run(args) -> int:
    import jax
    import numpy as np

    from . import compile

    # every option is checked before the model is compiled and run
    if args.output:
        _check_output("--output", args.output, (".npz",))
    if args.plot:
        _check_output("--plot", args.plot, PLOT_SUFFIXES)
    if args.input and not pathlib.Path(args.input).is_file():
        raise InputFileError(args.input, "no such file" if not os.path.exists(args.input) else "not a regular file",
                             "give an .npy array [T, batch, *shape], or an .npz with one such array per input id")
    graph = _load_model(args.file)
    prog = compile(graph, mode=args.mode, check=args.check)
    xs = _read_inputs(args.input, prog) if args.input else _random_inputs(args, prog)
    steps, batch = next(iter(xs.values())).shape[:2]
    state = prog.init_state((batch,))
    start = time.perf_counter()
    _, traces = prog.trace(state, xs)
    jax.block_until_ready(traces)
    elapsed = time.perf_counter() - start
    traces = {k: np.asarray(v) for k, v in traces.items()}
    print(f"{args.file}: {steps} steps x {batch} sample(s), {args.mode} mode, {elapsed * 1e3:.0f} ms (with compile)")
    print("\nnode            kind      rate    sparsity  synaptic ops")
    total_ops = 0.0
    for n in graph.nodes:
        if n.kind not in ("LIF", "IF", "CubaLIF"):
            continue
        spikes = traces[n.id]
        rate = float(spikes.mean())
        ops = float(_fan_out(graph, n.id) @ spikes.reshape(-1, spikes[0, 0].size).sum(0))
        total_ops += ops
        print(f"{n.id:<15} {n.kind:<9} {rate:6.3f}  {1 - float((spikes != 0).mean()):8.3f}  {ops:12.0f}")
    print(f"total synaptic operations: {total_ops:.0f} ({total_ops / (steps * batch):.0f} per step and sample)")
    if args.output:
        _write_traces(args.output, traces)
        print(f"wrote {args.output}")
    if args.plot:
        from .viz import cli_plot

        cli_plot(traces, args.plot, graph=graph)
    return 0


def _write_traces(path: str, traces: dict) -> None:
    """The traces as an .npz under exactly ``path`` (``np.savez`` alone would add a suffix), atomically."""
    import io

    import numpy as np

    from ._atomic import write_atomic

    buffer = io.BytesIO()
    np.savez(buffer, **{f"trace/{k}": v for k, v in traces.items()})
    write_atomic(path, buffer.getvalue())


def _random_inputs(args, prog) -> dict:
    """Bernoulli spikes of probability ``--rate``, [--steps, --batch, *shape] for each input."""
    import numpy as np

    rng = np.random.default_rng(args.seed)
    try:
        return {iid: (rng.random((args.steps, args.batch) + shape) < args.rate).astype(np.float32)
                for iid, shape in prog.input_shapes.items()}
    except ValueError as err:  # NumPy's "maximum supported dimension" for sizes no machine holds
        raise OptionError(f"--steps {args.steps} x --batch {args.batch}: the random input is too large ({err})",
                          "ask for fewer steps or samples") from None


def _read_inputs(path: str, prog) -> dict:
    """The arrays of an ``--input`` file, checked against the program's inputs."""
    import numpy as np

    ids = list(prog.input_ids)
    layout = "an .npy array [T, batch, *shape]" if len(ids) == 1 else f"an .npz with one array per input id {ids}"
    with open(path, "rb") as f:
        head = f.read(6)
    if head != b"\x93NUMPY" and not head.startswith(b"PK\x03\x04"):  # else np.load would speak of pickles
        raise InputFileError(path, f"not a NumPy .npy or .npz file (it starts with {head!r})",
                             f"save {layout} with numpy.save or numpy.savez")
    try:
        with open(path, "rb") as f:
            loaded = np.load(f, allow_pickle=False)
            if isinstance(loaded, np.ndarray):
                arrays = {None: loaded}
            elif hasattr(loaded, "files"):
                with loaded:
                    arrays = {k: loaded[k] for k in loaded.files}
            else:  # pragma: no cover  (allow_pickle=False returns arrays or archives only)
                raise ValueError(f"holds a {type(loaded).__name__}")
    except Exception as err:  # noqa: BLE001  (whatever a foreign or corrupt file provokes)
        raise InputFileError(path, f"unreadable ({type(err).__name__}: {err})",
                             f"save {layout} of numbers with numpy.save or numpy.savez") from None
    if None in arrays:
        if len(ids) != 1:
            raise InputFileError(path, f"holds one array but the model has inputs {ids}",
                                 f"save an .npz keyed by input id: numpy.savez(path, {ids[0]}=..., ...)")
        arrays = {ids[0]: arrays[None]}
    unknown, missing = sorted(set(arrays) - set(ids)), [i for i in ids if i not in arrays]
    if unknown or missing:
        found = f"holds arrays {sorted(arrays)} but the model has inputs {ids}"
        found += (f"; unknown {unknown}" if unknown else "") + (f"; missing {missing}" if missing else "")
        raise InputFileError(path, found, "give exactly one array per Input node id")
    lengths = set()
    for iid in ids:
        lengths.add(_check_input_array(path, iid, arrays[iid], prog.input_shapes[iid], len(ids) > 1)[:2])
    if len(lengths) > 1:
        raise InputFileError(path, f"the arrays disagree on [T, batch]: {sorted(lengths)}",
                             "give every input the same number of steps and samples")
    return {iid: arrays[iid] for iid in ids}


def _check_input_array(path: str, iid: str, x, shape: tuple[int, ...], named: bool) -> tuple[int, ...]:
    """Refuse an input array that is not real numbers of shape [T >= 1, batch >= 1, *shape]; returns its shape."""
    import numpy as np

    where = f"array {iid!r}" if named else "the array"
    expect = "[T, batch, " + ", ".join(map(str, shape)) + "]" if shape else "[T, batch]"
    if not (np.issubdtype(x.dtype, np.bool_) or np.issubdtype(x.dtype, np.integer)
            or np.issubdtype(x.dtype, np.floating)):
        raise InputFileError(path, f"{where} holds {x.dtype} values; inputs are real numbers",
                             "store spikes as bool, integers or floats (e.g. x.astype(numpy.float32))")
    if x.ndim != 2 + len(shape) or tuple(x.shape[2:]) != tuple(shape):
        hint = "time comes first, then one batch axis, then the per-sample shape"
        no_batch = x.ndim == 1 + len(shape) and tuple(x.shape[1:]) == tuple(shape)
        if no_batch:
            hint += "; for one sample, add its batch axis with x[:, None]"
        raise InputFileError(path, f"{where} has shape {tuple(x.shape)}" + (" (no batch axis)" if no_batch else "")
                             + f"; input {iid!r} takes {expect}", hint)
    if x.shape[0] < 1 or x.shape[1] < 1:
        raise InputFileError(path, f"{where} has shape {tuple(x.shape)}: no steps or no samples",
                             "give at least one step and one sample")
    return tuple(x.shape)


def _draw(args) -> int:
    from .viz import cli_draw
    from .viz.render import SUFFIXES

    # the format comes from --format, else from OUT's suffix: a name that says none is refused first
    _check_output("-o", args.output, () if args.format else tuple(SUFFIXES), create_folder=True,
                  or_else=", or pass --format")
    graph = _load_model(args.file, verify=False)  # invalid files draw too, with --show-errors
    return cli_draw(graph, args.output, args.format, show_errors=args.show_errors, expand=args.expand,
                    engine=args.engine, direction=args.direction)


def _fan_out(graph, node_id: str):
    """Synapses leaving each neuron of ``node_id``: the non-zero weights of each Linear it feeds
    (per presynaptic neuron), one per element for elementwise targets."""
    import numpy as np

    total = 0
    for e in graph.out_edges(node_id):
        target = graph.node(e.dst)
        if target.kind == "Linear":
            per_neuron = (target.weight != 0).sum(0).astype(np.float64)
        elif target.kind == "Output":
            continue
        else:
            per_neuron = 1.0
        total = total + per_neuron
    node = graph.node(node_id)
    size = int(np.prod(node.shape))
    return np.broadcast_to(np.asarray(total, np.float64), (size,)) if np.ndim(total) == 0 else total


def _convert(args) -> int:
    from .io import ModelFileError, load, save
    from .io.nir import from_nir, write_nir

    source, target = pathlib.Path(args.source), pathlib.Path(args.target)
    if not source.is_file():
        raise ModelFileError(source, "no such file" if not source.exists() else "not a regular file",
                             "give the path of a model file (.snnir, .json or .nir)")
    _check_output("OUT", args.target)
    is_nir, to_nir = _is_nir(source), target.suffix.lower() == ".nir"
    if (is_nir or to_nir) and args.dt is None:
        raise OptionError(f"--dt is required: {source if is_nir else target} is a NIR file, and NIR graphs are "
                          "continuous-time (they record no step)",
                          "pass the step in seconds, e.g. --dt 1e-4 for snnTorch exports, --dt 1e-3 for Norse")
    graph = from_nir(source, dt=args.dt, discretization=args.discretization) if is_nir else load(source)
    if to_nir:
        write_nir(graph, target, dt=args.dt)
    else:
        save(graph, target)
    print(f"wrote {args.target}")
    return 0


def _bench(args) -> int:
    import jax

    from . import bench, compile

    if (args.file is None) == (args.protocol is None):
        raise OptionError("give a model FILE or --protocol N (not both)",
                          "snnir bench model.snnir, or snnir bench --protocol 1024")
    graph = _load_model(args.file) if args.file else bench.protocol_graph(args.protocol)
    options = {"mode": args.mode, "precision": args.precision, "checkpoint_every": args.checkpoint_every}
    strategies = bench.STRATEGIES if args.strategy == "all" else (args.strategy,)
    if args.protocol:
        xs = {"x": bench.protocol_inputs(args.protocol, args.steps, args.batch)}
    else:  # compiling once here also checks the options before any timing starts
        xs = bench.random_inputs(compile(graph, **options), args.steps, args.batch)
    rows = [bench.measure_graph(graph, s, xs, args.repeats, **options) for s in strategies]
    if args.protocol:
        rows.append(bench.gemm_floor(jax.numpy.asarray(graph.node("fc").weight), xs["x"], args.repeats))
    memory = (bench.memory_vs_steps(graph, args.memory_steps, args.batch, strategies, mode=args.mode,
                                    precision=args.precision) if args.memory_steps else [])
    if args.json:
        print(json.dumps({"rows": [r.to_dict() for r in rows], "memory": memory,
                          "steps": args.steps, "batch": args.batch, "backend": jax.default_backend()}, indent=2))
        return 0
    name = args.file or f"protocol Linear({args.protocol} -> {args.protocol}) + LIF"
    extras = "".join(f", {k.replace('_', ' ')} {v}" for k, v in options.items() if v is not None and k != "mode")
    print(f"{name}: {args.steps} steps x {args.batch} samples, {args.mode} mode{extras}, "
          f"jax {jax.__version__} ({jax.default_backend()}); seconds, median of {args.repeats} runs")
    print("\nimplementation  snnir.compile  jit fwd  jit fwd+bwd     forward     fwd+bwd  grad memory")
    for r in rows:
        memory_text = _bytes(r.backward_bytes)
        print(f"{r.name:<15} {r.build_s:>13.3f} {r.forward_compile_s:>8.2f} {r.backward_compile_s:>12.2f} "
              f"{r.forward_s:>11.4f} {r.backward_s:>11.4f} {memory_text:>12}")
    if memory:
        print("\ngradient memory vs T (checkpointed: segments of about sqrt(T) steps)")
        print("strategy         T  segment       plain  checkpointed")
        for m in memory:
            print(f"{m['strategy']:<10} {m['steps']:>7} {m['every']:>8} {_bytes(m['plain_bytes']):>11} "
                  f"{_bytes(m['checkpointed_bytes']):>13}")
    return 0


def _bytes(n: int | None) -> str:
    if n is None:
        return "-"
    if n < 1024:
        return f"{n} B"
    exponent = min(3, int(math.log(n, 1024)))
    return f"{n / 1024 ** exponent:.1f} {('KiB', 'MiB', 'GiB')[exponent - 1]}"


def _schema(args) -> int:
    from .ir import Graph

    print(json.dumps(Graph.model_json_schema(), indent=2))
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
