"""The ``snnir`` command line: validate, info, run, draw, convert, schema and bench for model files.

Errors go to stderr as one readable message (exit status 1 for invalid models, 2 for usage errors);
``--debug`` shows the traceback.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import time
from typing import Sequence

import numpy as np

from .plugins import import_plugin

EPILOG = """examples:
  snnir validate model.snnir other.json        every problem of every file; exit 1 on any error
  snnir validate --json model.snnir             the same as JSON, for machines
  snnir info model.snnir                        kinds, parameters, shapes, cycles, feedback, schedule
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


def main(argv: Sequence[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    if not getattr(args, "command", None):
        parser.print_help()
        return 2
    try:
        for target in args.imports:
            import_plugin(target)
        return args.run(args)
    except Exception as err:  # noqa: BLE001  (the CLI turns every failure into a message)
        from .errors import SnnirError
        from .ir.kinds.custom import UnknownLayerError

        if args.debug or not isinstance(err, (SnnirError, OSError)):
            raise
        print(f"snnir {args.command}: {err}", file=sys.stderr)
        if _raised_by(err, UnknownLayerError):
            print("  hint: on the command line, name the code that registers it: snnir --import layers.py "
                  f"{args.command} ...", file=sys.stderr)
        return 1


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


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="snnir", description="Validate, inspect, run and convert snnir models.",
                                     epilog=EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--debug", action="store_true", help="show tracebacks")
    parser.add_argument("--import", dest="imports", action="append", default=[], metavar="MODULE",
                        help="run this .py file or module first (it registers custom layer classes with "
                             "snnir.register_layer, so files that use them load); repeatable")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    p = sub.add_parser("validate", help="check model files and list every problem")
    p.add_argument("files", nargs="+", metavar="FILE")
    p.add_argument("--json", action="store_true", help="print diagnostics as JSON")
    p.set_defaults(run=_validate)

    p = sub.add_parser("info", help="describe a model: kinds, parameters, shapes, cycles, schedule")
    p.add_argument("file", metavar="FILE")
    p.add_argument("--mode", choices=("straight", "delayed"), default="straight")
    p.set_defaults(run=_info)

    p = sub.add_parser("run", help="simulate a model on random or given input")
    p.add_argument("file", metavar="FILE")
    p.add_argument("--mode", choices=("straight", "delayed"), default="straight")
    p.add_argument("--steps", type=int, default=100, help="time steps for random input (default 100)")
    p.add_argument("--batch", type=int, default=1, help="samples for random input (default 1)")
    p.add_argument("--rate", type=float, default=0.2, help="spike probability of random input (default 0.2)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--input", metavar="NPY", help="input array [T, batch, *shape] (.npy), or .npz by input id")
    p.add_argument("--output", metavar="NPZ", help="write outputs and traces here")
    p.add_argument("--plot", metavar="IMAGE", help="plot spike rasters and traces (.png, .svg or .pdf)")
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
    p.add_argument("--dt", type=float, help="seconds per step; required when IN or OUT is a NIR file")
    p.add_argument("--discretization", choices=("euler", "exact"), default="euler",
                   help="how NIR's time constants become decays on import (default euler)")
    p.set_defaults(run=_convert)

    p = sub.add_parser("schema", help="print the JSON Schema of graph documents")
    p.set_defaults(run=_schema)

    p = sub.add_parser("bench", help="time a model: compile and run, forward and forward+backward, per strategy")
    p.add_argument("file", nargs="?", metavar="FILE")
    p.add_argument("--protocol", type=int, metavar="N",
                   help="instead of FILE: the Open Neuromorphic layer Linear(N -> N) + LIF, beside the GEMM floor")
    p.add_argument("--mode", choices=("straight", "delayed"), default="straight")
    p.add_argument("--strategy", choices=("all", "auto", "fused-scan", "layered"), default="all")
    p.add_argument("--steps", type=int, default=500, help="time steps (default 500)")
    p.add_argument("--batch", type=int, default=16, help="samples (default 16)")
    p.add_argument("--precision", choices=("float32", "bfloat16", "float16"),
                   help="dtype of Linear and Conv products (state stays in the model's dtype)")
    p.add_argument("--checkpoint-every", type=int, metavar="K", help="recompute segments of K steps in the backward pass")
    p.add_argument("--repeats", type=int, default=5, help="timed runs per measurement, median reported (default 5)")
    p.add_argument("--memory-steps", type=int, nargs="+", metavar="T",
                   help="also report the gradient's memory at these T, plain and with sqrt(T) checkpoints")
    p.add_argument("--json", action="store_true", help="print the measurements as JSON")
    p.set_defaults(run=_bench)
    return parser


# ---------------------------------------------------------------------- commands
def _validate(args) -> int:
    from .errors import SnnirError, VerifyError
    from .io import load
    from .verification import check

    report, failed = {}, False
    for path in args.files:
        try:
            graph = load(path, verify=False)
            diagnostics = [d.to_dict() for d in check(graph)]
        except VerifyError as err:  # pragma: no cover  (load(verify=False) does not verify)
            diagnostics = [d.to_dict() for d in err.diagnostics]
        except SnnirError as err:
            diagnostics = [{"code": "unreadable-file", "severity": "error", "message": str(err), "hint": "",
                            "nodes": [], "edges": []}]
        report[path] = diagnostics
        failed |= any(d["severity"] == "error" for d in diagnostics)
    if args.json:
        print(json.dumps(report, indent=2))
    else:
        for path, diagnostics in report.items():
            errors = sum(d["severity"] == "error" for d in diagnostics)
            status = "ok" if not errors else f"{errors} error(s)"
            print(f"{path}: {status}" + (f", {len(diagnostics) - errors} warning(s)" if len(diagnostics) > errors else ""))
            for d in diagnostics:
                print(f"  {d['severity']} {d['code']}: {d['message']}")
                if d["hint"]:
                    print(f"    hint: {d['hint']}")
    return 1 if failed else 0


def _info(args) -> int:
    from . import analyze
    from .io import load

    graph = load(args.file)
    analysis = analyze(graph, mode=args.mode)
    shapes = analysis.shapes
    print(f"{args.file}: {len(graph.nodes)} nodes, {len(graph.edges)} edges, "
          f"{graph.parameter_count()} parameters ({graph.dtype})")
    kinds: dict[str, int] = {}
    for n in graph.nodes:
        kinds[n.kind] = kinds.get(n.kind, 0) + 1
    print("kinds: " + ", ".join(f"{k} x{v}" for k, v in kinds.items()))
    print("\nnode            kind      shape        params  fan-in fan-out")
    state_elems = 0
    for n in graph.nodes:
        out = shapes.output(n.id) or shapes.input(n.id) or ()
        params = sum(int(v.size) for p, v in n.params().items() if p in n.float_params())
        fan_in, fan_out = len(graph.in_edges(n.id)), len(graph.out_edges(n.id))
        if n.STATEFUL:
            state_elems += math.prod(out) * (2 if n.kind == "CubaLIF" else 1)
        print(f"{n.id:<15} {n.kind:<9} {str(tuple(out)):<12} {params:>7} {fan_in:>7} {fan_out:>7}")
    print(f"\nstrongly connected components: {list(analysis.sccs) or 'none'}")
    print(f"feedback edges ({args.mode}): {list(analysis.feedback_edges) or 'none'}")
    print("schedule: " + " -> ".join(analysis.order))
    itemsize = np.dtype(graph.dtype if graph.dtype != "bfloat16" else "float16").itemsize
    print(f"memory: parameters {graph.parameter_count() * itemsize / 1024:.1f} KiB, "
          f"state {state_elems * itemsize} bytes per sample (plus delay buffers)")
    return 0


def _run(args) -> int:
    import jax

    from . import compile
    from .io import load

    graph = load(args.file)
    prog = compile(graph, mode=args.mode)
    xs = _inputs(args, prog)
    batch = next(iter(xs.values())).shape[1]
    steps = next(iter(xs.values())).shape[0]
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
        np.savez(args.output, **{f"trace/{k}": v for k, v in traces.items()})
        print(f"wrote {args.output}")
    if args.plot:
        from .viz import cli_plot

        cli_plot(traces, args.plot, graph=graph)
    return 0


def _draw(args) -> int:
    from .io import load
    from .viz import cli_draw

    graph = load(args.file, verify=False)  # invalid files draw too, with --show-errors
    return cli_draw(graph, args.output, args.format, show_errors=args.show_errors, expand=args.expand,
                    engine=args.engine, direction=args.direction)


def _inputs(args, prog) -> dict[str, np.ndarray]:
    from .errors import ShapeError

    if args.input:
        loaded = np.load(args.input, allow_pickle=False)
        if isinstance(loaded, np.ndarray):
            if len(prog.input_ids) != 1:
                raise ShapeError(f"the model has inputs {list(prog.input_ids)}: pass an .npz keyed by input id")
            return {prog.input_ids[0]: loaded}
        return {k: loaded[k] for k in loaded.files}
    rng = np.random.default_rng(args.seed)
    return {iid: (rng.random((args.steps, args.batch) + shape) < args.rate).astype(np.float32)
            for iid, shape in prog.input_shapes.items()}


def _fan_out(graph, node_id: str) -> np.ndarray:
    """Synapses leaving each neuron of ``node_id``: the non-zero weights of each Linear it feeds
    (per presynaptic neuron), one per element for elementwise targets."""
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
    import pathlib

    from .io import load, save
    from .io.nir import HDF5_MAGIC, from_nir, write_nir

    source = pathlib.Path(args.source)
    with open(source, "rb") as f:  # NIR files are told apart by their HDF5 signature, not their name
        is_nir = f.read(len(HDF5_MAGIC)) == HDF5_MAGIC or source.suffix.lower() == ".nir"
    graph = from_nir(source, dt=args.dt, discretization=args.discretization) if is_nir else load(source)
    if pathlib.Path(args.target).suffix.lower() == ".nir":
        write_nir(graph, args.target, dt=args.dt)
    else:
        save(graph, args.target)
    print(f"wrote {args.target}")
    return 0


def _bench(args) -> int:
    import jax

    from . import bench, compile
    from .errors import ProgramInputError
    from .io import load

    if (args.file is None) == (args.protocol is None):
        raise ProgramInputError("give a model FILE or --protocol N (not both)")
    for flag, value in (("--steps", args.steps), ("--batch", args.batch), ("--repeats", args.repeats),
                        ("--protocol", args.protocol), ("--checkpoint-every", args.checkpoint_every),
                        ("--memory-steps", min(args.memory_steps) if args.memory_steps else None)):
        if value is not None and value < 1:
            raise ProgramInputError(f"{flag} must be at least 1, got {value}")
    graph = load(args.file) if args.file else bench.protocol_graph(args.protocol)
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
