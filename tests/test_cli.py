"""The snnir command line, run in-process through ``snnir.cli.main``."""

import json
import pathlib

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
    with pytest.raises(SystemExit):
        main(["--help"])
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
    (["bench", "--protocol", "0"], "--protocol must be at least 1"),
    (["bench", "--protocol", "8", "--steps", "0"], "--steps must be at least 1"),
    (["bench", "--protocol", "8", "--memory-steps", "16", "0"], "--memory-steps must be at least 1"),
    (["bench", MODEL, "--checkpoint-every", "0"], "--checkpoint-every must be at least 1"),
])
def test_bench_refuses_bad_arguments(argv, words, capsys):
    assert main(argv) == 1
    assert words in capsys.readouterr().err


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
