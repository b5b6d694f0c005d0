"""The corpus snapshot, the server subprocess and the HTTP load used by the benchmark phases."""

from __future__ import annotations

import os
import random
import shutil
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import httpx
import numpy as np

from langso_search.embed import EmbedderWrapper

from .common import QUERIES, ROOT, Config, RssSampler, _suppress, ms_stats, unique

def snapshot_corpus(cfg: Config, workdir: Path) -> Path:
    """Copy data/platforms and data/stories (or a small consistent slice with --quick) to ``workdir``."""
    from langso_search.corpus import load_corpus
    from langso_search.settings import get_settings

    src = get_settings().data_dir
    dst = workdir / "data"
    if cfg.subset is None:
        for sub in ("platforms", "stories"):
            shutil.copytree(src / sub, dst / sub)
        return dst
    corpus = load_corpus(src)
    n_stories, n_platforms = cfg.subset
    stories = corpus.stories[:n_stories]
    wanted = {pid for s in stories for pid in s.platform_ids}
    for p in corpus.platforms:
        if len(wanted) >= n_platforms:
            break
        wanted.add(p.id)
    for sub, ids in (("platforms", wanted), ("stories", {s.id for s in stories})):
        (dst / sub).mkdir(parents=True)
        for path in (src / sub).iterdir():
            if path.stem in ids and path.suffix in (".yaml", ".yml"):
                shutil.copy2(path, dst / sub / path.name)
    return dst


class TimedEmbedder(EmbedderWrapper):
    """Wraps an embedder and times its ``encode_passages`` calls (to split the build time)."""

    def __init__(self, inner: Any) -> None:
        super().__init__(inner)
        self.passage_seconds = 0.0

    def encode_passages(self, texts: Sequence[str], progress: Callable[[int], None] | None = None) -> np.ndarray:
        t0 = time.perf_counter()
        try:
            return self.inner.encode_passages(texts, progress=progress)
        finally:
            self.passage_seconds += time.perf_counter() - t0


# ---------------------------------------------------------------------------- phase: server


def server_command(port: int, workers: int = 1) -> list[str]:
    return [sys.executable, "-m", "langso_search.cli", "serve", "--host", "127.0.0.1", "--port", str(port),
            "--workers", str(workers)]


def server_env(data_dir: Path, index_dir: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("LANGSO_")}
    env.update({"LANGSO_DATA_DIR": str(data_dir), "LANGSO_INDEX_DIR": str(index_dir), "LANGSO_RATE_LIMIT": "",
                "PYTHONUNBUFFERED": "1"})
    return env


def log_tail(path: Path, n: int = 30) -> str:
    with _suppress():
        return "\n".join(path.read_text(errors="replace").splitlines()[-n:])
    return ""


def start_server(
    port: int, env: dict[str, str], log_path: Path, sampler: RssSampler, workers: int = 1
) -> tuple[subprocess.Popen, float]:
    """Launch the server; return it and the seconds until /api/ready answered 200."""
    url = f"http://127.0.0.1:{port}/api/ready"
    log = log_path.open("ab")
    t0 = time.perf_counter()
    proc = subprocess.Popen(server_command(port, workers), cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    log.close()
    sampler.attach(proc.pid, "cold_start")
    with httpx.Client(timeout=2.0) as client:
        while True:
            if proc.poll() is not None:
                raise RuntimeError(f"server exited with {proc.returncode}:\n{log_tail(log_path)}")
            try:
                if client.get(url).status_code == 200:
                    return proc, time.perf_counter() - t0
            except httpx.TransportError:
                pass
            if time.perf_counter() - t0 > 180:
                stop_server(proc)
                raise RuntimeError(f"server not ready after 180 s:\n{log_tail(log_path)}")
            time.sleep(0.01)


def stop_server(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(5)


def import_seconds() -> float:
    """Seconds a fresh interpreter needs to import what `langso serve` imports (part of cold start)."""
    code = ("import time; t=time.perf_counter(); import uvicorn, langso_search.api, langso_search.pipeline, "
            "langso_search.cli; print(time.perf_counter()-t)")
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120, check=False)
    try:
        return float(out.stdout.strip().splitlines()[-1])
    except (ValueError, IndexError):
        return float("nan")


# ---------------------------------------------------------------------------- phase: throughput


def throughput(base_url: str, clients: int, seconds: float) -> dict[str, Any]:
    """``clients`` threads, each with its own keep-alive connection, unique queries, for ``seconds``."""
    latencies: list[list[float]] = [[] for _ in range(clients)]
    errors = [0] * clients
    ends = [0.0] * clients
    barrier = threading.Barrier(clients + 1)
    start_box: list[float] = []
    rng = random.Random(clients)

    def worker(i: int) -> None:
        with httpx.Client(base_url=base_url, timeout=120.0) as client:
            client.get("/api/search", params={"q": unique(QUERIES[i % len(QUERIES)][1])})  # open the connection
            barrier.wait()
            t_end = start_box[0] + seconds
            while time.perf_counter() < t_end:
                q = unique(QUERIES[rng.randrange(len(QUERIES))][1])
                t0 = time.perf_counter()
                r = client.get("/api/search", params={"q": q})
                dt = time.perf_counter() - t0
                if r.status_code == 200:
                    latencies[i].append(dt)
                else:
                    errors[i] += 1
            ends[i] = time.perf_counter()

    threads = [threading.Thread(target=worker, args=(i,), daemon=True) for i in range(clients)]
    for t in threads:
        t.start()
    start_box.append(time.perf_counter())
    barrier.wait()
    for t in threads:
        t.join()
    window = max(ends) - start_box[0]
    done = sum(len(x) for x in latencies)
    return {"clients": clients, "seconds": round(window, 3), "requests": done, "errors": sum(errors),
            "req_per_s": round(done / window, 3) if window > 0 else float("nan"),
            "latency": ms_stats([x for lst in latencies for x in lst])}
