"""The snnir command line, run in-process through ``snnir.cli.main``."""

import json
import os
import pathlib
import subprocess
import sys

import numpy as np
import pytest

import snnir
from snnir.cli import main

MODELS = pathlib.Path(__file__).resolve().parents[1] / "examples" / "models"
MODEL = str(MODELS / "recurrent.snnir")


def test_validate_ok_and_exit_status(capsys):
    assert main(["validate", MODEL, str(MODELS / "recurrent.json")]) == 0
    assert "ok" in capsys.readouterr().out


def test_validate_reports_every_problem_of_every_file(tmp_path, capsys):
    doc = json.loads((MODELS / "recurrent.json").read_text())
    doc["graph"]["edges"] += [{"src": "x", "dst": "ghost"}, {"src": "lif", "dst": "y", "src_port": "q"}]
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps(doc))
    junk = tmp_path / "junk.snnir"
    junk.write_bytes(b"junk")
    assert main(["validate", "--json", MODEL, str(bad), str(junk)]) == 1
    report = json.loads(capsys.readouterr().out)
    assert report[MODEL] == []
    assert {d["code"] for d in report[str(bad)]} >= {"unknown-node", "unknown-port"}
    assert report[str(junk)][0]["code"] == "unreadable-file"


def test_info_lists_structure(capsys):
    assert main(["info", MODEL]) == 0
    out = capsys.readouterr().out
    assert "feedback edges (straight): [('rec', 'lif')]" in out
    assert "schedule: x -> linear1 -> lif -> rec -> linear2 -> readout -> y" in out
    assert "strongly connected components: [('lif', 'rec')]" in out


def test_run_writes_traces_and_prints_activity(tmp_path, capsys):
    out = tmp_path / "out.npz"
    assert main(["run", MODEL, "--steps", "20", "--batch", "2", "--output", str(out)]) == 0
    text = capsys.readouterr().out
    assert "synaptic operations" in text and "lif" in text
    traces = np.load(out)
    assert traces["trace/y"].shape == (20, 2, 5)
    assert traces["trace/lif"].shape == (20, 2, 32)


def test_run_with_given_input_matches_the_library(tmp_path):
    xs = (np.random.default_rng(0).random((10, 1, 20)) < 0.3).astype(np.float32)
    np.save(tmp_path / "x.npy", xs)
    out = tmp_path / "out.npz"
    assert main(["run", MODEL, "--mode", "delayed", "--input", str(tmp_path / "x.npy"), "--output", str(out)]) == 0
    prog = snnir.compile(snnir.load(MODEL), mode="delayed")
    _, ys = prog(prog.init_state((1,)), xs)
    np.testing.assert_array_equal(np.load(out)["trace/y"], ys["y"])


def test_convert_round_trips(tmp_path):
    target = tmp_path / "m.json"
    assert main(["convert", MODEL, str(target)]) == 0
    assert snnir.load(target) == snnir.load(MODEL)


def test_schema_is_json_schema(capsys):
    assert main(["schema"]) == 0
    schema = json.loads(capsys.readouterr().out)
    assert schema["title"] == "Graph" and "nodes" in schema["properties"]


def test_errors_go_to_stderr_without_traceback(tmp_path, capsys):
    assert main(["info", str(tmp_path / "missing.snnir")]) == 1
    err = capsys.readouterr().err
    assert "missing.snnir" in err and "Traceback" not in err
    with pytest.raises(snnir.SnnirError):
        main(["--debug", "info", str(tmp_path / "missing.snnir")])


def test_help_has_examples(capsys):
    assert main(["--help"]) == 0
    assert "snnir validate model.snnir" in capsys.readouterr().out


def test_draw_writes_an_svg_naming_every_node(tmp_path, capsys):
    import xml.etree.ElementTree as ET

    out = tmp_path / "m.svg"
    assert main(["draw", MODEL, "-o", str(out), "--engine", "matplotlib"]) == 0
    text = out.read_text()
    ET.fromstring(text)
    for node_id in ("x", "linear1", "lif", "rec", "readout", "y"):
        assert node_id in text
    assert "wrote" in capsys.readouterr().out


def test_draw_shows_errors_of_an_invalid_file(tmp_path, capsys):
    doc = json.loads((MODELS / "recurrent.json").read_text())
    doc["graph"]["edges"].append({"src": "x", "dst": "ghost"})
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps(doc))
    assert main(["draw", str(bad), "-o", str(tmp_path / "bad.png"), "--show-errors", "--engine", "matplotlib"]) == 0
    assert "1 error(s)" in capsys.readouterr().out
    assert (tmp_path / "bad.png").stat().st_size > 1000


def test_run_plot(tmp_path):
    out = tmp_path / "act.png"
    assert main(["run", MODEL, "--steps", "20", "--plot", str(out)]) == 0
    assert out.stat().st_size > 1000


def test_bench_times_each_strategy_and_reports_gradient_memory(capsys):
    assert main(["bench", str(MODEL), "--steps", "8", "--batch", "2", "--repeats", "1",
                 "--memory-steps", "16", "64", "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert [r["name"] for r in report["rows"]] == ["fused-scan", "layered"]
    for r in report["rows"]:
        assert all(r[k] > 0 for k in ("forward_compile_s", "forward_s", "backward_compile_s", "backward_s"))
    memory = {(m["strategy"], m["steps"]): m for m in report["memory"]}
    for strategy in ("fused-scan", "layered"):
        short, long = memory[(strategy, 16)], memory[(strategy, 64)]
        assert long["plain_bytes"] > short["plain_bytes"]  # storing every step grows with T
        assert long["checkpointed_bytes"] < long["plain_bytes"]
        assert long["every"] == 8


def test_bench_protocol_sits_beside_the_gemm_floor(capsys):
    assert main(["bench", "--protocol", "16", "--steps", "4", "--repeats", "1", "--strategy", "layered",
                 "--precision", "bfloat16"]) == 0
    out = capsys.readouterr().out
    assert "Linear(16 -> 16) + LIF" in out and "precision bfloat16" in out
    rows = [line.split()[0] for line in out.splitlines()[3:] if line.strip()]
    assert rows == ["layered", "floor"]


@pytest.mark.parametrize("argv, words", [
    (["bench"], "FILE or --protocol"),
    (["bench", MODEL, "--protocol", "8"], "FILE or --protocol"),
    (["bench", "--protocol", "0"], "--protocol: must be at least 1"),
    (["bench", "--protocol", "8", "--steps", "0"], "--steps: must be at least 1"),
    (["bench", "--protocol", "8", "--memory-steps", "16", "0"], "--memory-steps: must be at least 1"),
    (["bench", MODEL, "--checkpoint-every", "0"], "--checkpoint-every: must be at least 1"),
])
def test_bench_refuses_bad_arguments(argv, words, capsys):
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert words in err and "hint:" in err


# ---------------------------------------------------------------------- --import: custom layers
PLUGIN = '''  # registered under a name of its own: each test's copy is a different class
import jax.numpy as jnp
import snnir


@snnir.register_layer(name=f"cli_test.{__name__}")
class Leaky(snnir.StatefulLayer):
    alpha: snnir.TrainableArray

    def __init__(self, alpha):
        super().__init__(None)
        self.alpha = self.init_parameters(alpha, (1,))

    def init_state(self, shape, key):
        return [jnp.zeros(shape)]

    def __call__(self, state, x, *, key=None):
        m = self.alpha.data[0] * state[0] + x
        return [m], m
'''


def _custom_model(tmp_path, plugin):
    from snnir.plugins import import_plugin

    layers = import_plugin(str(plugin))
    g = snnir.Graph(nodes=[snnir.Input(id="x", shape=(3,)), snnir.Custom(id="leaky", module=layers.Leaky(0.5)),
                           snnir.Output(id="y")], edges=[("x", "leaky"), ("leaky", "y")])
    path = tmp_path / "custom.json"
    snnir.save(g, path)
    return path


def test_import_lets_the_cli_load_custom_layers(tmp_path, capsys):
    plugin = tmp_path / "cli_plugin_layers.py"
    plugin.write_text(PLUGIN)
    model = _custom_model(tmp_path, plugin)
    x = np.zeros((4, 1, 3), np.float32)
    x[0] = 1.0
    np.save(tmp_path / "x.npy", x)
    out = tmp_path / "out.npz"
    assert main(["--import", str(plugin), "run", str(model), "--input", str(tmp_path / "x.npy"),
                 "--output", str(out)]) == 0
    with np.load(out) as saved:  # m_t = 0.5 m_{t-1} + x_t: 1, 0.5, 0.25, 0.125
        np.testing.assert_allclose(saved["trace/y"][:, 0, 0], [1.0, 0.5, 0.25, 0.125])
    assert main(["--import", str(plugin), "info", str(model)]) == 0  # importing twice keeps the class
    assert "Custom" in capsys.readouterr().out


def test_import_by_module_name_from_the_current_folder(tmp_path, monkeypatch, capsys):
    plugin = tmp_path / "cli_plugin_by_name.py"
    plugin.write_text(PLUGIN)
    model = _custom_model(tmp_path, plugin)
    monkeypatch.chdir(tmp_path)
    assert main(["--import", "cli_plugin_by_name", "validate", str(model)]) == 0


def test_unregistered_layer_points_to_import(tmp_path, capsys):
    plugin = tmp_path / "cli_plugin_unknown.py"
    plugin.write_text(PLUGIN)
    model = _custom_model(tmp_path, plugin)
    model.write_text(model.read_text().replace("cli_test.cli_plugin_unknown", "nowhere.Layer"))
    assert main(["info", str(model)]) == 1
    err = capsys.readouterr().err
    assert "nowhere.Layer" in err and "--import" in err
    assert err.count("invalid graph") == 1  # said once, not once per wrapping layer


@pytest.mark.parametrize("content, target, needle", [
    (None, "missing_layers.py", "no such file"),
    ("raise RuntimeError('broken plugin')", "cli_plugin_broken.py", "broken plugin"),
    (None, "no_such_module_anywhere", "no module of that name"),
])
def test_import_failures_are_messages(tmp_path, capsys, content, target, needle):
    if content is not None:
        (tmp_path / target).write_text(content)
    arg = str(tmp_path / target) if target.endswith(".py") else target
    assert main(["--import", arg, "info", MODEL]) == 1
    err = capsys.readouterr().err
    assert needle in err and target.removesuffix(".py") in err


def test_a_missing_import_inside_the_module_is_not_called_a_missing_module(tmp_path, monkeypatch, capsys):
    """``plugmod`` imports ``plug``, which does not exist: the message names that import, not the target."""
    (tmp_path / "plugmod.py").write_text("import plug\n")
    monkeypatch.chdir(tmp_path)
    assert main(["--import", "plugmod", "info", MODEL]) == 1
    err = capsys.readouterr().err
    assert "raised ModuleNotFoundError" in err and "'plug'" in err and "no module of that name" not in err


# ---------------------------------------------------------------------- the program itself
ROOT = pathlib.Path(__file__).resolve().parents[1]


def _snnir(*argv: str, **kwargs) -> subprocess.CompletedProcess:
    """``python -m snnir ARGV`` in a fresh interpreter."""
    return subprocess.run([sys.executable, "-m", "snnir", *argv], capture_output=True, text=True, cwd=ROOT,
                          timeout=300, **kwargs)


def test_version_in_process_and_as_python_m(capsys):
    assert main(["--version"]) == 0
    assert capsys.readouterr().out == f"snnir {snnir.__version__}\n"
    done = _snnir("--version")
    assert done.returncode == 0 and done.stdout == f"snnir {snnir.__version__}\n", done.stderr


def test_help_and_version_never_import_jax():
    """Every subcommand's --help (found from the parser, so new ones are covered) and --version."""
    code = """if True:
        import argparse, contextlib, io, sys
        from snnir.cli import _parser, main
        [sub] = [a for a in _parser()._actions if isinstance(a, argparse._SubParsersAction)]
        calls = [["--help"], ["--version"], []] + [[name, "--help"] for name in sub.choices]
        for argv in calls:
            with contextlib.redirect_stdout(io.StringIO()) as out:
                status = main(argv)
            assert status == (2 if not argv else 0), (argv, status)
            assert "usage: snnir" in out.getvalue() or "snnir " in out.getvalue(), argv
            assert "jax" not in sys.modules, f"snnir {' '.join(argv)} imported jax"
        print(len(calls))
    """
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=300)
    assert done.returncode == 0, done.stderr
    assert int(done.stdout) >= 10  # --help, --version, no command, and the seven commands


@pytest.mark.parametrize("argv", [["schema"], ["info", MODEL], ["--help"]], ids=lambda a: a[0])
def test_a_reader_that_stops_early_gets_no_broken_pipe_error(argv):
    """As ``snnir schema | head -1``: the read end closes before snnir writes, so every write fails."""
    proc = subprocess.Popen([sys.executable, "-m", "snnir", *argv], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            cwd=ROOT)
    proc.stdout.close()
    err = proc.stderr.read().decode()
    proc.stderr.close()
    status = proc.wait(timeout=300)
    assert err == "", err  # neither "[Errno 32] Broken pipe" nor "Exception ignored ... BrokenPipeError"
    assert status in (0, 1)


def test_a_shell_pipe_into_head(tmp_path):
    done = subprocess.run(f"'{sys.executable}' -m snnir schema | head -1", shell=True, capture_output=True,
                          text=True, cwd=ROOT, timeout=300)
    assert done.stdout == "{\n" and done.stderr == ""


def _nir_file(path: pathlib.Path) -> pathlib.Path:
    from snnir.io.nir import write_nir

    g = snnir.Graph(nodes=[snnir.Input(id="x", shape=(3,)), snnir.Linear(id="fc", weight=np.ones((2, 3), np.float32)),
                           snnir.LIF(id="lif", shape=(2,), decay=0.9, reset="zero"), snnir.Output(id="y")],
                    edges=[("x", "fc"), ("fc", "lif"), ("lif", "y")])
    return write_nir(g, path, dt=1e-4)


@pytest.mark.parametrize("command", ["info", "validate", "run", "draw"])
def test_nir_files_point_to_convert(tmp_path, capsys, command):
    nir_path = str(_nir_file(tmp_path / "net.nir"))
    extra = ["-o", str(tmp_path / "net.svg")] if command == "draw" else []
    assert main([command, nir_path, *extra]) == 1
    captured = capsys.readouterr()
    message = (captured.out if command == "validate" else captured.err).strip().splitlines()
    line = message[-1]
    assert len(message) == (2 if command == "validate" else 1), message  # validate: the file's line, then this
    assert f"snnir convert {nir_path} {tmp_path / 'net.snnir'} --dt " in line and nir_path in line
    assert "Traceback" not in captured.err


def test_nir_content_is_recognised_whatever_the_name(tmp_path, capsys):
    path = _nir_file(tmp_path / "net.nir").rename(tmp_path / "exported.h5")
    assert main(["info", str(path)]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and f"snnir convert {path} {tmp_path / 'exported.snnir'} --dt" in err


# ---------------------------------------------------------------------- every option, bad values
@pytest.fixture(scope="module")
def bad(tmp_path_factory) -> pathlib.Path:
    """A folder of files that are wrong for some option: wrong types, shapes and dtypes."""
    d = tmp_path_factory.mktemp("bad")
    np.save(d / "no_batch.npy", np.zeros((10, 20), np.float32))
    np.save(d / "sample_shape.npy", np.zeros((10, 1, 7), np.float32))
    np.save(d / "extra_axis.npy", np.zeros((10, 1, 1, 20), np.float32))
    np.save(d / "no_steps.npy", np.zeros((0, 1, 20), np.float32))
    np.save(d / "no_samples.npy", np.zeros((10, 0, 20), np.float32))
    np.save(d / "strings.npy", np.full((10, 1, 20), "a"))
    np.save(d / "complex.npy", np.zeros((10, 1, 20), np.complex64))
    np.save(d / "objects.npy", np.full((10, 1, 20), None, dtype=object), allow_pickle=True)
    np.save(d / "scalar.npy", np.float32(1.0))
    np.savez(d / "wrong_key.npz", q=np.zeros((10, 1, 20), np.float32))
    np.savez(d / "extra_key.npz", x=np.zeros((10, 1, 20), np.float32), z=np.zeros((10, 1, 20), np.float32))
    (d / "text.npy").write_text("1, 2, 3\n")
    (d / "truncated.npz").write_bytes((d / "wrong_key.npz").read_bytes()[:64])
    (d / "text.snnir").write_text("not a model\n")
    (d / "folder.svg").mkdir()
    (d / "folder.npz").mkdir()
    (d / "folder.snnir").mkdir()
    return d


BAD_OPTIONS = [
    # (argv, exit status, words of the message)
    (["--import", "{bad}/missing_layers.py", "info", MODEL], 1, "no such file"),
    (["frobnicate"], 2, "invalid choice: 'frobnicate'"),
    (["--frobnicate", "info", MODEL], 2, "unrecognized arguments: --frobnicate"),
    # validate
    (["validate"], 2, "required: FILE"),
    (["validate", "{bad}/missing.snnir"], 1, "unreadable-file: {bad}/missing.snnir: no such file"),
    (["validate", "{bad}/text.snnir"], 1, "not a snnir model file"),
    (["validate", "{bad}/no_batch.npy"], 1, "not a snnir model file"),
    (["validate", "{bad}/folder.snnir"], 1, "not a regular file"),
    # info
    (["info"], 2, "required: FILE"),
    (["info", "{bad}/missing.snnir"], 1, "no such file"),
    (["info", "{bad}/text.snnir"], 1, "not a snnir model file"),
    (["info", MODEL, "--mode", "sideways"], 2, "--mode: invalid choice: 'sideways'"),
    # run: numbers
    (["run", MODEL, "--steps", "0"], 2, "--steps: must be at least 1, got 0"),
    (["run", MODEL, "--steps", "-5"], 2, "--steps: must be at least 1, got -5"),
    (["run", MODEL, "--steps", "ten"], 2, "--steps: expected a whole number, got 'ten'"),
    (["run", MODEL, "--steps", "2.5"], 2, "--steps: expected a whole number"),
    (["run", MODEL, "--steps", "1e99"], 2, "--steps: expected a whole number"),
    (["run", MODEL, "--steps", str(2**40)], 2, "--steps: must be at most"),
    (["run", MODEL, "--steps"], 2, "--steps: expected one argument"),
    (["run", MODEL, "--batch", "0"], 2, "--batch: must be at least 1"),
    (["run", MODEL, "--batch", "-2"], 2, "--batch: must be at least 1"),
    (["run", MODEL, "--batch", "two"], 2, "--batch: expected a whole number"),
    (["run", MODEL, "--rate", "1.5"], 2, "--rate: is a probability, from 0 to 1, got 1.5"),
    (["run", MODEL, "--rate", "-1"], 2, "--rate: is a probability, from 0 to 1, got -1"),
    (["run", MODEL, "--rate", "nan"], 2, "--rate: must be a finite number"),
    (["run", MODEL, "--rate", "inf"], 2, "--rate: must be a finite number"),
    (["run", MODEL, "--rate", "often"], 2, "--rate: expected a number, got 'often'"),
    (["run", MODEL, "--seed", "-1"], 2, "--seed: must be at least 0"),
    (["run", MODEL, "--seed", "lucky"], 2, "--seed: expected a whole number"),
    (["run", MODEL, "--mode", "sideways"], 2, "--mode: invalid choice"),
    # run: files
    (["run"], 2, "required: FILE"),
    (["run", "{bad}/missing.snnir"], 1, "no such file"),
    (["run", "{bad}/text.snnir"], 1, "not a snnir model file"),
    (["run", MODEL, "--input", "{bad}/missing.npy"], 1, "--input {bad}/missing.npy: no such file"),
    (["run", MODEL, "--input", "{bad}"], 1, "not a regular file"),
    (["run", MODEL, "--input", "{bad}/text.npy"], 1, "not a NumPy .npy or .npz file"),
    (["run", MODEL, "--input", "{bad}/text.snnir"], 1, "not a NumPy .npy or .npz file"),
    (["run", MODEL, "--input", "{bad}/truncated.npz"], 1, "unreadable (BadZipFile"),
    (["run", MODEL, "--input", "{bad}/objects.npy"], 1, "unreadable (ValueError: Object arrays"),
    (["run", MODEL, "--input", "{bad}/no_batch.npy"], 1,
     "shape (10, 20) (no batch axis); input 'x' takes [T, batch, 20]"),
    (["run", MODEL, "--input", "{bad}/sample_shape.npy"], 1, "shape (10, 1, 7); input 'x' takes [T, batch, 20]"),
    (["run", MODEL, "--input", "{bad}/extra_axis.npy"], 1, "shape (10, 1, 1, 20); input 'x'"),
    (["run", MODEL, "--input", "{bad}/scalar.npy"], 1, "shape (); input 'x'"),
    (["run", MODEL, "--input", "{bad}/no_steps.npy"], 1, "no steps or no samples"),
    (["run", MODEL, "--input", "{bad}/no_samples.npy"], 1, "no steps or no samples"),
    (["run", MODEL, "--input", "{bad}/strings.npy"], 1, "holds <U1 values; inputs are real numbers"),
    (["run", MODEL, "--input", "{bad}/complex.npy"], 1, "holds complex64 values"),
    (["run", MODEL, "--input", "{bad}/wrong_key.npz"], 1, "unknown ['q']; missing ['x']"),
    (["run", MODEL, "--input", "{bad}/extra_key.npz"], 1, "unknown ['z']"),
    (["run", MODEL, "--output", "{bad}/out.txt"], 2, "--output {bad}/out.txt: cannot tell the format"),
    (["run", MODEL, "--output", "{bad}/nowhere/out.npz"], 2, "the folder {bad}/nowhere does not exist"),
    (["run", MODEL, "--output", "{bad}/folder.npz"], 2, "--output {bad}/folder.npz: is a folder"),
    (["run", MODEL, "--plot", "{bad}/act.gif"], 2, "--plot {bad}/act.gif: cannot tell the format"),
    (["run", MODEL, "--plot", "{bad}/nowhere/act.png"], 2, "the folder {bad}/nowhere does not exist"),
    # draw
    (["draw", MODEL], 2, "required: -o/--output"),
    (["draw", "{bad}/missing.snnir", "-o", "{bad}/m.svg"], 1, "no such file"),
    (["draw", "{bad}/text.snnir", "-o", "{bad}/m.svg"], 1, "not a snnir model file"),
    (["draw", MODEL, "-o", "{bad}/m.gif"], 2, "-o {bad}/m.gif: cannot tell the format from the name"),
    (["draw", MODEL, "-o", "{bad}/folder.svg"], 2, "-o {bad}/folder.svg: is a folder"),
    (["draw", MODEL, "-o", "{bad}/m.svg", "--format", "gif"], 2, "--format: invalid choice: 'gif'"),
    (["draw", MODEL, "-o", "{bad}/m.svg", "--engine", "crayon"], 2, "--engine: invalid choice"),
    (["draw", MODEL, "-o", "{bad}/m.svg", "--direction", "RL"], 2, "--direction: invalid choice"),
    # convert
    (["convert", MODEL], 2, "required: OUT"),
    (["convert", "{bad}/missing.snnir", "{bad}/m.json"], 1, "{bad}/missing.snnir: no such file"),
    (["convert", "{bad}/folder.snnir", "{bad}/m.json"], 1, "not a regular file"),
    (["convert", "{bad}/text.snnir", "{bad}/m.json"], 1, "not a snnir model file"),
    (["convert", MODEL, "{bad}/nowhere/m.json"], 2, "the folder {bad}/nowhere does not exist"),
    (["convert", MODEL, "{bad}/folder.snnir"], 2, "OUT {bad}/folder.snnir: is a folder"),
    (["convert", MODEL, "{bad}/m.nir"], 2, "--dt is required: {bad}/m.nir is a NIR file"),
    (["convert", MODEL, "{bad}/m.nir", "--dt", "0"], 2, "--dt: must be a positive number of seconds"),
    (["convert", MODEL, "{bad}/m.nir", "--dt", "-1e-4"], 2, "--dt: must be a positive number of seconds"),
    (["convert", MODEL, "{bad}/m.nir", "--dt", "nan"], 2, "--dt: must be a finite number"),
    (["convert", MODEL, "{bad}/m.nir", "--dt", "inf"], 2, "--dt: must be a finite number"),
    (["convert", MODEL, "{bad}/m.nir", "--dt", "fast"], 2, "--dt: expected a number, got 'fast'"),
    (["convert", MODEL, "{bad}/m.json", "--discretization", "rk4"], 2, "--discretization: invalid choice"),
    # schema
    (["schema", "extra"], 2, "unrecognized arguments: extra"),
    # explain
    (["explain", "unfed-prot"], 1, "unknown diagnostic code 'unfed-prot'; did you mean"),
    (["explain", "a", "b"], 2, "unrecognized arguments: b"),
    # bench
    (["bench", "{bad}/missing.snnir"], 1, "no such file"),
    (["bench", "{bad}/text.snnir"], 1, "not a snnir model file"),
    (["bench", "--protocol", "-1"], 2, "--protocol: must be at least 1"),
    (["bench", "--protocol", "big"], 2, "--protocol: expected a whole number"),
    (["bench", MODEL, "--steps", "-5"], 2, "--steps: must be at least 1"),
    (["bench", MODEL, "--batch", "0"], 2, "--batch: must be at least 1"),
    (["bench", MODEL, "--repeats", "0"], 2, "--repeats: must be at least 1"),
    (["bench", MODEL, "--repeats", "x"], 2, "--repeats: expected a whole number"),
    (["bench", MODEL, "--checkpoint-every", "-1"], 2, "--checkpoint-every: must be at least 1"),
    (["bench", MODEL, "--memory-steps", "x"], 2, "--memory-steps: expected a whole number"),
    (["bench", MODEL, "--memory-steps"], 2, "--memory-steps: expected at least one argument"),
    (["bench", MODEL, "--strategy", "fastest"], 2, "--strategy: invalid choice"),
    (["bench", MODEL, "--precision", "int8"], 2, "--precision: invalid choice"),
    (["bench", MODEL, "--mode", "sideways"], 2, "--mode: invalid choice"),
]


@pytest.mark.parametrize("argv, status, words", BAD_OPTIONS,
                         ids=[" ".join("MODEL" if a == MODEL else a for a in case[0]) for case in BAD_OPTIONS])
def test_every_option_refuses_bad_values_with_one_message(bad, capsys, argv, status, words):
    argv = [a.replace("{bad}", str(bad)) for a in argv]
    assert main(argv) == status
    captured = capsys.readouterr()
    text = captured.out + captured.err if argv[0] == "validate" else captured.err
    assert words.replace("{bad}", str(bad)) in text, text
    assert "Traceback" not in text and "Error:" not in text.split("(")[0], text  # no exception's own rendering
    if argv[0] != "validate":  # validate reports unreadable files among its diagnostics, on stdout
        first, *rest = captured.err.splitlines()
        assert first.startswith("snnir") and ": " in first, captured.err
        assert rest and rest[-1].startswith("  hint: "), captured.err  # every message ends with a hint
    assert not (bad / "m.svg").exists() and not (bad / "m.json").exists() and not (bad / "m.nir").exists()


def test_running_out_of_memory_is_a_message(monkeypatch, capsys):
    import snnir.cli

    def too_big(args, prog):
        raise MemoryError("Unable to allocate 1.0 TiB for an array")

    monkeypatch.setattr(snnir.cli, "_random_inputs", too_big)
    assert main(["run", MODEL, "--steps", "2000000000"]) == 1
    err = capsys.readouterr().err
    assert err.startswith("snnir run: out of memory (MemoryError: Unable to allocate") and "--steps or --batch" in err


def test_inputs_of_any_real_dtype_run(tmp_path, capsys):
    for dtype in (np.bool_, np.int8, np.float16, np.float64):
        np.save(tmp_path / "x.npy", np.ones((3, 2, 20), dtype))
        assert main(["run", MODEL, "--input", str(tmp_path / "x.npy")]) == 0
    assert "3 steps x 2 sample(s)" in capsys.readouterr().out


# ---------------------------------------------------------------------- permissions of written files
@pytest.mark.parametrize("umask", [0o022, 0o077, 0o002], ids=lambda m: f"umask{m:03o}")
def test_every_written_file_gets_the_permissions_of_an_ordinary_write(tmp_path, capsys, umask):
    """snnir.save, NIR writes, convert, draw and run --output: 0o666 minus the umask, as open(path, "w")."""
    from snnir.io.nir import write_nir

    old = os.umask(umask)
    try:
        written = [snnir.save(snnir.load(MODEL), tmp_path / "api.snnir"), _nir_file(tmp_path / "net.nir"),
                   write_nir(snnir.from_nir(tmp_path / "net.nir", dt=1e-4), tmp_path / "api.nir", dt=1e-4)]
        for target in ("cli.snnir", "cli.json"):
            assert main(["convert", MODEL, str(tmp_path / target)]) == 0
        assert main(["convert", str(tmp_path / "net.nir"), str(tmp_path / "back.nir"), "--dt", "1e-4"]) == 0
        assert main(["draw", MODEL, "-o", str(tmp_path / "m.svg"), "--engine", "matplotlib"]) == 0
        assert main(["draw", MODEL, "-o", str(tmp_path / "m.dot")]) == 0
        assert main(["run", MODEL, "--steps", "3", "--output", str(tmp_path / "out.npz")]) == 0
    finally:
        os.umask(old)
    written += [tmp_path / n for n in ("cli.snnir", "cli.json", "back.nir", "m.svg", "m.dot", "out.npz")]
    modes = {p.name: oct(p.stat().st_mode & 0o777) for p in written}
    assert set(modes.values()) == {oct(0o666 & ~umask)}, modes
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(modes)  # no temporary file is left


def test_converting_over_a_file_keeps_its_mode(tmp_path):
    target = tmp_path / "m.json"
    target.write_text("{}")
    target.chmod(0o604)
    assert main(["convert", MODEL, str(target)]) == 0
    assert target.stat().st_mode & 0o777 == 0o604 and snnir.load(target) == snnir.load(MODEL)


def test_inputs_of_a_model_with_two_inputs(tmp_path, capsys):
    g = snnir.Graph(nodes=[snnir.Input(id="a", shape=(3,)), snnir.Input(id="b", shape=(2,)),
                           snnir.Linear(id="fa", weight=np.ones((4, 3), np.float32)),
                           snnir.Linear(id="fb", weight=np.ones((4, 2), np.float32)),
                           snnir.LIF(id="lif", shape=(4,), decay=0.5), snnir.Output(id="y")],
                    edges=[("a", "fa"), ("b", "fb"), ("fa", "lif"), ("fb", "lif"), ("lif", "y")])
    model = str(snnir.save(g, tmp_path / "two.json"))
    np.save(tmp_path / "one.npy", np.zeros((5, 1, 3), np.float32))
    np.savez(tmp_path / "steps.npz", a=np.zeros((5, 1, 3)), b=np.zeros((6, 1, 2)))
    np.savez(tmp_path / "good.npz", a=np.ones((5, 2, 3)), b=np.ones((5, 2, 2)))
    for name, words in (("one.npy", "holds one array but the model has inputs ['a', 'b']"),
                        ("steps.npz", "the arrays disagree on [T, batch]: [(5, 1), (6, 1)]")):
        assert main(["run", model, "--input", str(tmp_path / name)]) == 1
        err = capsys.readouterr().err
        assert words in err and "hint:" in err, err
    assert main(["run", model, "--input", str(tmp_path / "good.npz")]) == 0
    assert "5 steps x 2 sample(s)" in capsys.readouterr().out


def test_ctrl_c_is_a_message(monkeypatch, capsys):
    import snnir.cli

    def interrupted(args, prog):
        raise KeyboardInterrupt

    monkeypatch.setattr(snnir.cli, "_random_inputs", interrupted)
    assert main(["run", MODEL]) == 130
    assert capsys.readouterr().err == "snnir run: interrupted\n"


def test_explain_lists_every_code_and_explains_one(capsys):
    from snnir.codes import CODES

    assert main(["explain"]) == 0
    listing = capsys.readouterr().out.splitlines()
    assert [line.split()[0] for line in listing] == list(CODES)
    assert main(["explain", "algebraic-loop"]) == 0
    text = capsys.readouterr().out
    assert text.startswith("algebraic-loop (warning): ") and "How to fix it:" in text
    assert snnir.explain("algebraic-loop") == text.rstrip("\n")


def test_run_check_names_the_first_non_finite_value(tmp_path, capsys):
    import numpy as np

    xs = np.zeros((6, 2, 20), np.float32)
    xs[3, 1, 0] = np.nan
    np.save(tmp_path / "x.npy", xs)
    assert main(["run", MODEL, "--input", str(tmp_path / "x.npy")]) == 0  # unchecked: the NaN goes unnoticed
    capsys.readouterr()
    assert main(["run", MODEL, "--input", str(tmp_path / "x.npy"), "--check"]) == 1
    err = capsys.readouterr().err
    assert "step 3" in err and "sample (1,)" in err and "Traceback" not in err, err


def test_validate_checks_the_timing_mode_asked_for(tmp_path, capsys):
    """A loop of stateless nodes needs a feedback edge in straight mode (a warning), none in delayed mode."""
    b = snnir.GraphBuilder(key=0)
    a = b.linear(b.input("x", shape=(3,)), 3, id="a")
    c = b.linear(a, 3, id="c")
    b.connect(c, a)
    b.output(c, id="y")
    path = tmp_path / "loop.snnir"
    snnir.save(b.build(), path)
    assert main(["validate", str(path)]) == 0
    assert "algebraic-loop" in capsys.readouterr().out
    assert main(["validate", str(path), "--mode", "delayed"]) == 0
    out = capsys.readouterr().out
    assert "(delayed mode): ok" in out and "algebraic-loop" not in out
    assert main(["validate", str(path), "--mode", "delayed", "--json"]) == 0
    assert json.loads(capsys.readouterr().out) == {str(path): []}


def test_info_lists_the_quantization_formats(tmp_path, capsys):
    b = snnir.GraphBuilder(key=0)
    b.output(b.lif(b.linear(b.input("x", shape=(4,)), 3, id="fc"), decay=0.9, id="h"), id="y")
    path = tmp_path / "q.snnir"
    snnir.save(snnir.quantize(b.build(), bits=4), path)
    assert main(["info", str(path)]) == 0
    out = capsys.readouterr().out
    assert "quantization:" in out and "fc: " in out and "weight q4/ch" in out
    plain = tmp_path / "plain.snnir"
    snnir.save(b.build(), plain)
    assert main(["info", str(plain)]) == 0
    assert "quantization" not in capsys.readouterr().out
