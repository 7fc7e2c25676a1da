"""The documentation runs as written.

* Every fenced ```` ```python ```` block of README.md and docs/*.md runs, the blocks of one file in order in
  one fresh namespace (a reader pastes them one after the other), in a temporary folder that holds a copy
  of ``examples/models`` (so a block names bundled files as ``examples/models/...``, as from the repository
  root). Each file runs in its own Python process (custom-layer registrations and JAX settings never leak
  between files), one test per file, so pytest-xdist spreads them.
* A ```` ```text ```` block right after a Python block (nothing but blank lines between them) is what that
  block prints: the test compares it with the real output; a line ``...`` stands for any number of lines,
  and ``...`` inside a line for any text within that line.
* Python is never hidden in an indented code block (it would not be highlighted nor run): every indented
  block that parses as Python is an error.
* Every ``snnir ...`` line of a ```` ```sh ```` block runs through ``snnir.cli.main`` (in-process), in order,
  in a temporary folder like the one above. Optional parts in brackets are left out, a line ending in an
  indented continuation is joined, ``> FILE`` writes the output there, and a comment saying ``exit 1`` (or
  ``exit status 1``) is the status expected; otherwise the command must succeed. ``snnir bench`` runs
  with tiny sizes and one strategy (``--steps 8 --batch 2 --repeats 1``, ``--strategy fused-scan`` unless
  one is named, ``--memory-steps 16``): the only change made to a command; tests/test_cli.py times every
  strategy.
"""

from __future__ import annotations

import ast
import contextlib
import dataclasses
import io
import json
import os
import pathlib
import re
import shlex
import shutil
import subprocess
import sys

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[1]
DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
FENCE = re.compile(r"^(?P<indent>\s*)(?P<fence>`{3,}|~{3,})\s*(?P<info>[^`\s]*)")


@dataclasses.dataclass
class Block:
    line: int       # 1-based line of the first content line
    info: str       # the fence's language ("" when none; "indented" for an indented code block)
    text: str
    output: str | None = None   # the text block that follows it, for a Python block


def parse(path: pathlib.Path) -> list[Block]:
    """The code blocks of a Markdown file, fenced and indented, in order."""
    lines = path.read_text(encoding="utf-8").splitlines()
    out: list[Block] = []
    last_end = -2           # the index of the closing fence of the previous fenced block
    i = 0
    while i < len(lines):
        m = FENCE.match(lines[i])
        if m:
            indent, fence, info = len(m["indent"]), m["fence"], m["info"].lower()
            j = i + 1
            while j < len(lines) and not lines[j].strip().startswith(fence):
                j += 1
            body = [ln[indent:] if ln[:indent].strip() == "" else ln.lstrip() for ln in lines[i + 1:j]]
            block = Block(i + 2, info, "\n".join(body) + "\n")
            between = lines[last_end + 1:i]
            if (info == "text" and out and out[-1].info == "python" and out[-1].output is None
                    and last_end >= 0 and all(not ln.strip() for ln in between)):
                out[-1].output = block.text
            else:
                out.append(block)
            last_end = i = j
            i += 1
            continue
        if lines[i].startswith("    ") and lines[i].strip() and i > 0 and not lines[i - 1].strip():
            k = i - 1
            while k >= 0 and not lines[k].strip():
                k -= 1
            prev = lines[k] if k >= 0 else ""
            in_list = re.match(r"^\s*([-*+]|\d+[.)])\s", prev) or prev.startswith("  ")
            j = i
            while j < len(lines) and (lines[j].startswith("    ") or not lines[j].strip()):
                j += 1
            if not in_list:
                out.append(Block(i + 1, "indented", "\n".join(ln[4:] for ln in lines[i:j]).strip("\n") + "\n"))
            i = j
            continue
        i += 1
    return out


def _doc_id(path: pathlib.Path) -> str:
    return str(path.relative_to(ROOT))


def _workdir(tmp_path: pathlib.Path) -> pathlib.Path:
    shutil.copytree(ROOT / "examples" / "models", tmp_path / "examples" / "models")
    return tmp_path


# ------------------------------------------------------------------------------------------ Python blocks
RUNNER = r"""
import contextlib, io, json, sys, traceback
path, blocks_file, results_file = sys.argv[1:4]
blocks = json.load(open(blocks_file))
namespace = {"__name__": "__main__"}
results = []
for block in blocks:
    code = compile("\n" * (block["line"] - 1) + block["text"], path, "exec")
    buffer = io.StringIO()
    try:
        with contextlib.redirect_stdout(buffer):
            exec(code, namespace)
    except BaseException:
        results.append({"line": block["line"], "stdout": buffer.getvalue(), "error": traceback.format_exc()})
        break
    results.append({"line": block["line"], "stdout": buffer.getvalue(), "error": None})
json.dump(results, open(results_file, "w"))
"""


def _matches(expected: str, actual: str) -> bool:
    """``actual`` equals ``expected`` line by line (trailing spaces ignored); a line ``...`` matches any lines."""
    pattern = "".join(r"(?:[^\n]*\n)*?" if ln.strip() == "..." else
                      r"[^\n]*".join(map(re.escape, ln.rstrip().split("..."))) + r"\n"
                      for ln in expected.strip("\n").splitlines())
    text = "".join(ln.rstrip() + "\n" for ln in actual.strip("\n").splitlines())
    return re.fullmatch(pattern, text) is not None


PYTHON_DOCS = [p for p in DOCS if any(b.info == "python" for b in parse(p))]


@pytest.mark.parametrize("doc", PYTHON_DOCS, ids=_doc_id)
def test_python_blocks_run_in_order_and_print_what_the_doc_shows(doc, tmp_path):
    blocks = [b for b in parse(doc) if b.info == "python"]
    work = _workdir(tmp_path / "work")
    (tmp_path / "blocks.json").write_text(json.dumps([dataclasses.asdict(b) for b in blocks]))
    env = dict(os.environ, MPLBACKEND="Agg", PYTHONHASHSEED="0",
               PATH=os.pathsep.join([str(pathlib.Path(sys.executable).parent), os.environ.get("PATH", "")]))
    proc = subprocess.run([sys.executable, "-c", RUNNER, str(doc), str(tmp_path / "blocks.json"),
                           str(tmp_path / "results.json")], cwd=work, env=env, capture_output=True, text=True,
                          timeout=600)
    assert proc.returncode == 0, proc.stderr[-5000:]
    results = json.loads((tmp_path / "results.json").read_text())
    for block, result in zip(blocks, results):
        where = f"{_doc_id(doc)}:{block.line}"
        if result["error"] is not None:
            pytest.fail(f"the block at {where} raised:\n{result['error']}", pytrace=False)
        if block.output is not None and not _matches(block.output, result["stdout"]):
            pytest.fail(f"the block at {where} prints\n{result['stdout']}\nbut the doc shows\n{block.output}",
                        pytrace=False)
    assert len(results) == len(blocks)


def test_no_python_is_hidden_in_indented_code_blocks():
    hidden = []
    for doc in DOCS:
        for block in parse(doc):
            if block.info != "indented":
                continue
            try:
                tree = ast.parse(block.text)
            except SyntaxError:
                continue                      # an equation or a shell line, not Python
            if any(isinstance(n, (ast.Import, ast.ImportFrom, ast.Call, ast.Assign)) for n in ast.walk(tree)):
                hidden.append(f"{_doc_id(doc)}:{block.line}")
    assert not hidden, f"Python in indented blocks (make them ```python blocks that run): {hidden}"


def test_the_block_parser_reads_fences_outputs_and_indented_blocks(tmp_path):
    md = tmp_path / "x.md"
    md.write_text("text\n\n```python\nprint(1)\n```\n\n```text\n1\n```\n\n    import os\n\n- item\n\n"
                  "    continued\n\n  ```\n  a = 1\n  ```\n")
    blocks = parse(md)
    assert [(b.info, b.text, b.output) for b in blocks] == [
        ("python", "print(1)\n", "1\n"), ("indented", "import os\n", None), ("", "a = 1\n", None)]
    assert _matches("a\n...\nd\n", "a\nb\nc\nd\n") and _matches("a\n...\n", "a\n") and not _matches("a\n", "b\n")
    assert _matches("kinds: A, ..., Z\n", "kinds: A, B, Z\n") and not _matches("kinds: A...\n", "kinds: B\n")


# ------------------------------------------------------------------------------------------- CLI lines
def commands(path: pathlib.Path) -> list[tuple[int, str]]:
    """The ``snnir`` command lines of a doc's sh blocks: (line, command with its comment)."""
    found = []
    for block in parse(path):
        if block.info not in ("sh", "bash", "console", "shell"):
            continue
        lines = block.text.splitlines()
        for k, line in enumerate(lines):
            if not line.startswith("snnir "):
                continue
            full, j = line, k
            while j + 1 < len(lines) and lines[j + 1].startswith(" ") and lines[j + 1].strip():
                j += 1
                full += " " + lines[j].strip()
            found.append((block.line + k, full))
    return found


def argv_of(command: str) -> tuple[list[str], str | None, int]:
    """(argv after 'snnir', stdout redirect target or None, expected exit status)."""
    code, _, comment = command.partition("#")
    status = re.search(r"exit(?: status)? (\d)", comment)
    code = re.sub(r"\[[^\]]*\]", " ", code)
    redirect = None
    if ">" in code:
        code, _, target = code.partition(">")
        redirect = target.strip()
    argv = shlex.split(code)[1:]
    if "bench" in argv:                               # tiny sizes: the command's options, not its timings
        if "--memory-steps" in argv:
            at = argv.index("--memory-steps") + 1
            while at < len(argv) and argv[at].isdigit():
                del argv[at]
            argv[at:at] = ["16"]
        if "--strategy" not in argv:
            argv += ["--strategy", "fused-scan"]
        argv += ["--steps", "8", "--batch", "2", "--repeats", "1"]
    return argv, redirect, int(status[1]) if status else 0


CLI_DOCS = [p for p in DOCS if commands(p)]


@contextlib.contextmanager
def _isolated_imports():
    """Each documented command is its own process for a reader: undo what ``--import`` registers and loads."""
    from snnir.ir.kinds import custom

    layers, path = dict(custom._LAYERS), list(sys.path)
    hidden = {name: module for name, module in sys.modules.items() if _from_examples(name, module)}
    for name in hidden:                               # a fresh process has loaded none of the examples
        del sys.modules[name]
    custom._LAYERS.clear()                            # and registered only snnir's own layers
    custom._LAYERS.update({k: v for k, v in layers.items() if v.__module__.split(".")[0] == "snnir"})
    try:
        yield
    finally:
        for name, module in list(sys.modules.items()):
            if _from_examples(name, module):
                del sys.modules[name]
        sys.modules.update(hidden)
        own = {k: v for k, v in custom._LAYERS.items() if v.__module__.split(".")[0] == "snnir"}  # loaded lazily
        custom._LAYERS.clear()
        custom._LAYERS.update({**own, **layers})
        sys.path[:] = path


def _from_examples(name: str, module) -> bool:
    file = getattr(module, "__file__", None) or ""
    return name.split(".")[0] == "examples" or "examples" in pathlib.Path(file).parts


def _run_commands(doc, tmp_path, monkeypatch, capsys):
    from snnir.cli import main

    monkeypatch.chdir(_workdir(tmp_path))
    for line, command in commands(doc):
        argv, redirect, expected = argv_of(command)
        with _isolated_imports():
            try:
                status = main(argv)
            except SystemExit as exit_:              # --help, --version
                status = exit_.code or 0
        out, err = capsys.readouterr()
        if redirect:
            pathlib.Path(redirect).write_text(out)
        assert status == expected, (f"{_doc_id(doc)}:{line}: `{command}` exited {status}, the doc says "
                                    f"{expected}\n{out[-3000:]}\n{err[-3000:]}")


@pytest.mark.parametrize("doc", CLI_DOCS, ids=_doc_id)
def test_documented_snnir_commands_work_on_the_files_they_name(doc, tmp_path, monkeypatch, capsys):
    _run_commands(doc, tmp_path, monkeypatch, capsys)


def test_the_command_parser_drops_options_in_brackets_and_reads_the_exit_status():
    assert argv_of("snnir info m.snnir [--mode straight|delayed]") == (["info", "m.snnir"], None, 0)
    assert argv_of("snnir validate b.json   # two errors; exit 1") == (["validate", "b.json"], None, 1)
    assert argv_of("snnir schema > s.json") == (["schema"], "s.json", 0)
    assert argv_of("snnir bench m.snnir --memory-steps 1000 10000 --json")[0] == [
        "bench", "m.snnir", "--memory-steps", "16", "--json", "--strategy", "fused-scan", "--steps", "8", "--batch", "2",
        "--repeats", "1"]
