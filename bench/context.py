"""What the benchmark phases share: the run's configuration, progress display, results and live objects."""

from __future__ import annotations

import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    SpinnerColumn,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
)

from .common import Budget, Config, Results, RssSampler


@dataclass
class Ctx:
    """One benchmark run. Phases read what earlier phases set (settings, engine, server, latency)."""

    cfg: Config
    res: Results
    workdir: Path
    console: Console = field(default_factory=Console)
    sampler: RssSampler = field(default_factory=RssSampler)
    budget: Budget = field(init=False)
    progress: Progress = field(init=False)
    step: TaskID | None = None
    overall: TaskID | None = None
    marks: list[tuple[str, float]] = field(default_factory=list)
    settings: Any = None
    corpus: Any = None
    embedder: Any = None
    engine: Any = None
    passages: list[str] = field(default_factory=list)
    server: subprocess.Popen | None = None
    base_url: str = ""
    env: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.budget = Budget(self.cfg.budget_s)
        self.progress = Progress(SpinnerColumn(), TextColumn("[bold]{task.description}"), BarColumn(),
                                 MofNCompleteColumn(), TimeElapsedColumn(), console=self.console)

    def start(self, phases: int) -> None:
        self.overall = self.progress.add_task("benchmark", total=phases)
        self.step = self.progress.add_task("", total=None)

    def phase(self, name: str, total: float | None = None) -> None:
        self.marks.append((name, time.perf_counter()))
        self.progress.update(self.step, description=name, completed=0, total=total)

    def advance(self, n: float = 1) -> None:
        self.progress.advance(self.step, n)

    def done(self, msg: str) -> None:
        self.progress.advance(self.overall)
        self.console.log(msg)
