"""The documentation site builds (``make docs``): every guide is in the navigation, and the API reference
is generated from the docstrings of the objects it names, so a renamed or removed object fails here."""

from __future__ import annotations

import os
import pathlib
import shutil
import subprocess
import sys

import pytest

yaml = pytest.importorskip("yaml")

ROOT = pathlib.Path(__file__).resolve().parents[1]
MKDOCS = pathlib.Path(sys.executable).with_name("mkdocs")


def _nav_pages(entries) -> list[str]:
    pages = []
    for entry in entries:
        value = next(iter(entry.values())) if isinstance(entry, dict) else entry
        pages += _nav_pages(value) if isinstance(value, list) else [value]
    return pages


def test_every_page_of_docs_is_in_the_navigation():
    config = yaml.safe_load((ROOT / "mkdocs.yml").read_text(encoding="utf-8"))
    nav = set(_nav_pages(config["nav"]))
    pages = {p.relative_to(ROOT / "docs").as_posix() for p in (ROOT / "docs").rglob("*.md")}
    assert pages - nav == set(), "pages missing from mkdocs.yml's nav"
    assert nav - pages == set(), "mkdocs.yml's nav names pages that do not exist"


@pytest.mark.skipif(not MKDOCS.exists(), reason="mkdocs is installed by the test extra")
def test_the_site_builds_strictly_with_the_api_reference(tmp_path):
    site = tmp_path / "site"
    env = {**os.environ, "NO_MKDOCS_2_WARNING": "1"}
    done = subprocess.run([str(MKDOCS), "build", "--strict", "--quiet", "--site-dir", str(site)], cwd=ROOT,
                          env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    reference = {page: (site / "reference" / page / "index.html").read_text(encoding="utf-8")
                 for page in ("graph", "compile", "train", "files")}
    # names each reference page renders from the docstrings it collects
    for page, names in {"graph": ["GraphBuilder", "GraphBuilder.lif"], "compile": ["init_state", "feedback"],
                        "train": ["integral_cross_entropy", "rate_code"], "files": ["ModelFileError"]}.items():
        for name in names:
            assert name in reference[page], f"reference/{page} does not document {name}"
    assert (site / "quickstart" / "index.html").exists()
    shutil.rmtree(site)
