"""The package works when installed from a wheel: corpus shipped inside, index in the user cache."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest

from langso_search.search import Engine
from langso_search.settings import Settings

from .conftest import DATA, seed_vectors

ROOT = DATA.parent


@pytest.fixture(scope="module")
def wheel_venv(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A clean venv holding only our wheel; third-party packages come from the dev venv via PYTHONPATH
    (so nothing is downloaded), while ``langso_search`` itself can only come from the wheel."""
    out = tmp_path_factory.mktemp("wheel")
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(out), str(ROOT)],
                   check=True, capture_output=True)
    venv = out / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    wheel = next(out.glob("langso_search-*.whl"))
    # without PYTHONPATH: a checkout on it (with its langso_search.egg-info) would look installed already to pip
    clean = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    subprocess.run([sys.executable, "-m", "pip", "--python", str(venv / "bin" / "python"), "install", "-q",
                    "--no-deps", str(wheel)], check=True, capture_output=True, env=clean)
    return venv


def _env(tmp: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("LANGSO_")}
    env["PYTHONPATH"] = sysconfig.get_paths()["purelib"]
    env["XDG_CACHE_HOME"] = str(tmp / "cache")
    return env


@pytest.mark.slow
def test_wheel_ships_the_corpus_and_answers_from_any_folder(wheel_venv: Path, tmp_path: Path, full_engine: Engine,
                                                            full_settings: Settings) -> None:
    python = str(wheel_venv / "bin" / "python")
    # the user cache holds the passage vectors of the session's full build (same corpus, same model), so the
    # installed package's first build (no index yet: it must build one) reuses them instead of re-encoding
    seed_vectors(tmp_path / "cache" / "langso-search" / "index", full_settings.index_dir / "vector-cache")
    where = subprocess.run([python, "-c", "import langso_search; print(langso_search.__file__)"], cwd=tmp_path,
                           env=_env(tmp_path), capture_output=True, text=True, check=True).stdout
    assert str(wheel_venv) in where  # the installed copy, not the checkout
    run = subprocess.run([python, "-m", "langso_search.cli", "search", "ban nong san qua mang", "--json", "--k", "3"],
                         cwd=tmp_path, env=_env(tmp_path), capture_output=True, text=True, timeout=900)
    assert run.returncode == 0, run.stderr[-2000:]
    body = json.loads(run.stdout)  # stdout is pure JSON; the build's progress bar went to stderr
    assert body["results"], body
    index = tmp_path / "cache" / "langso-search" / "index"
    assert (index / "CURRENT").is_file()
    manifest = json.loads((index / (index / "CURRENT").read_text().strip() / "manifest.json").read_text())
    assert manifest["corpus_digest"] == full_engine.corpus.digest and manifest["encoded"]["passages"] == 0
    assert not (tmp_path / "index").exists()
