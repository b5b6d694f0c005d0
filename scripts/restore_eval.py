"""Measure diacritic restoration alone, in seconds: train the restorer as the index build does (no
encoder, no index) and print what ``langso eval`` prints for restoration.

    PYTHONPATH=$PWD python scripts/restore_eval.py              # per style + dialect set (report only)
    PYTHONPATH=$PWD python scripts/restore_eval.py --confusions # + gold → predicted counts (dev queries)

Development numbers come from ``data/eval/queries.jsonl`` (accented queries, marks stripped). The
dialect set is printed for reporting only; the confusion list is printed for the dev queries only.
"""

from __future__ import annotations

import argparse
import time
from collections import Counter

from langso_search.corpus import load_corpus
from langso_search.evaluate import dialect_restoration, format_dialect, load_queries, restoration_by_style
from langso_search.index import _restorer_texts, _training_rows
from langso_search.restore import Restorer, bundled_word_list
from langso_search.settings import Settings
from langso_search.text import accent_ratio, expand_abbreviations, fold, normalize, syllables
from langso_search.vocab import QUERY_STYLES


def confusions(restorer: Restorer, texts: list[str]) -> Counter[tuple[str, str]]:
    """(gold syllable, predicted syllable) counts over the wrong syllables of ``texts`` stripped of marks."""
    out: Counter[tuple[str, str]] = Counter()
    for text in texts:
        gold = [s for s in syllables(normalize(expand_abbreviations(text))) if s.isalpha()]
        typed = expand_abbreviations(normalize(fold(normalize(text))))
        guess = [s for s in syllables(restorer.restore(typed)) if s.isalpha()]
        if len(guess) == len(gold):
            out.update((g, h) for g, h in zip(gold, guess) if g != h)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--confusions", type=int, nargs="?", const=60, default=0, help="print the N commonest")
    parser.add_argument("--errors", action="store_true", help="print every wrongly restored dev query")
    args = parser.parse_args()
    settings = Settings()
    corpus = load_corpus(settings.data_dir)
    t0 = time.process_time()
    restorer = Restorer.train(_restorer_texts(corpus, _training_rows(corpus)), bundled_word_list())
    train_s = time.process_time() - t0
    queries = load_queries(settings.data_dir / "eval" / "queries.jsonl")
    accented = [q.query for q in queries if accent_ratio(q.query) >= 0.5]
    t0 = time.process_time()
    r = restoration_by_style(restorer, queries)
    per_query_ms = 1000 * (time.process_time() - t0) / max(len(accented), 1)
    print(f"trained in {train_s:.1f}s; restoring: {per_query_ms:.2f} ms per query (CPU time)")
    print(f"Diacritic restoration: {r['syllable_accuracy']:.1%} of {int(r['syllables'])} syllables")
    for s in QUERY_STYLES:
        if f"style:{s}" in r:
            print(f"  {s}: {r[f'style:{s}']:.1%} of {int(r[f'syllables:{s}'])}")
    dialect = settings.data_dir / "eval" / "dialect.jsonl"
    if dialect.exists():  # report only: never tune on it
        print(format_dialect(dialect_restoration(restorer, dialect)))
    if args.confusions:
        conf = confusions(restorer, accented)
        print(f"\n{sum(conf.values())} wrong syllables; commonest gold → predicted:")
        for (g, h), n in conf.most_common(args.confusions):
            print(f"  {n:3d}  {g} → {h}")
    if args.errors:
        for text in accented:
            typed = expand_abbreviations(normalize(fold(normalize(text))))
            got = restorer.restore(typed)
            if got != normalize(expand_abbreviations(text)).lower() and got.lower() != normalize(expand_abbreviations(text)).lower():
                print(f"  {text}\n  → {got}")


if __name__ == "__main__":
    main()
