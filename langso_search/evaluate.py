"""Evaluate: score the engine on labelled queries, per style, beside its two single-retriever baselines.

Queries live in ``data/eval/queries.jsonl``: ``{"id", "query", "style", "relevant": {item_id: grade}}``
with grades 3 (best answer), 2 (also answers) and 1 (partially relevant). An item counts as a hit
when its grade is ≥ 2. Metrics: hit@1/3/5, MRR@10, nDCG@10 (gain 2^grade − 1).

Systems compared in one run:

* ``bm25``: lexical only (BM25 over folded syllables and compounds);
* ``dense``: the bundled e5 on the query as typed (no restoration, no abbreviation expansion);
* ``ours``: the full pipeline (expansion, restoration, adaptive fusion with name matching).

Plus the accent gap (MRR of accented queries minus MRR of the same queries with marks stripped) and
the syllable accuracy of diacritic restoration on the accented queries stripped of marks; and honesty
(:func:`honesty_metrics`): out-of-scope queries flagged ``no_match``, answerable ones wrongly flagged,
the share of "cùng bài toán" claims judged true in ``data/eval/reasons.jsonl``, and how often a story
and a platform share the top 3 (with MRR@10 with and without that mix step).
"""

from __future__ import annotations

import json
import math
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from .corpus import Corpus, CorpusError, CorpusInvalid
from .restore import Restorer, syllable_accuracy, syllable_accuracy_pairs
from .search import Engine
from .text import accent_ratio, fold, normalize
from .vocab import QUERY_STYLES

SYSTEMS = ("bm25", "dense", "ours")
METRICS = ("hit@1", "hit@3", "hit@5", "mrr@10", "ndcg@10")


@dataclass(frozen=True)
class EvalQuery:
    id: str
    query: str
    style: str
    relevant: dict[str, int]


def load_queries(path: Path, corpus: Corpus | None = None, styles: tuple[str, ...] = QUERY_STYLES) -> list[EvalQuery]:
    """Read and validate the labelled queries (styles, grades, ids that resolve)."""
    errors: list[CorpusError] = []
    queries: list[EvalQuery] = []
    seen: set[str] = set()
    rel = path.name
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            raw = json.loads(line)
            q = EvalQuery(str(raw["id"]), str(raw["query"]), str(raw["style"]),
                          {str(k): int(v) for k, v in dict(raw.get("relevant", {})).items()})
        except (ValueError, KeyError, TypeError) as exc:
            errors.append(CorpusError(rel, f"line {n}", "(line)", f"not a valid query object: {exc}"))
            continue
        if q.id in seen:
            errors.append(CorpusError(rel, q.id, "id", "duplicate query id"))
        seen.add(q.id)
        if q.style not in styles:
            errors.append(CorpusError(rel, q.id, "style", f"unknown style {q.style!r}; allowed: {styles}"))
        if not q.query.strip():
            errors.append(CorpusError(rel, q.id, "query", "empty"))
        if q.style == "out_of_scope":
            if q.relevant:
                errors.append(CorpusError(rel, q.id, "relevant", "an out-of-scope query has no relevant items"))
        elif not any(g >= 2 for g in q.relevant.values()):
            errors.append(CorpusError(rel, q.id, "relevant", "needs at least one item with grade ≥ 2"))
        for item_id, grade in q.relevant.items():
            if grade not in (1, 2, 3):
                errors.append(CorpusError(rel, q.id, f"relevant.{item_id}", f"grade {grade} not in 1–3"))
            if corpus is not None and corpus.get(item_id) is None:
                errors.append(CorpusError(rel, q.id, f"relevant.{item_id}", "unknown item id"))
        queries.append(q)
    if errors:
        raise CorpusInvalid(errors)
    return queries


# ---------------------------------------------------------------------------- metrics


def query_metrics(ranking: list[str], relevant: dict[str, int]) -> dict[str, float]:
    """hit@1/3/5, MRR@10 and nDCG@10 of one ranking."""
    hits = [relevant.get(item_id, 0) >= 2 for item_id in ranking[:10]]
    first = next((i for i, h in enumerate(hits) if h), None)
    dcg = sum((2 ** relevant.get(item_id, 0) - 1) / math.log2(i + 2) for i, item_id in enumerate(ranking[:10]))
    ideal = sorted(relevant.values(), reverse=True)[:10]
    idcg = sum((2**g - 1) / math.log2(i + 2) for i, g in enumerate(ideal))
    return {
        "hit@1": float(first is not None and first < 1),
        "hit@3": float(first is not None and first < 3),
        "hit@5": float(first is not None and first < 5),
        "mrr@10": 1.0 / (first + 1) if first is not None else 0.0,
        "ndcg@10": dcg / idcg if idcg else 0.0,
    }


def _mean(rows: Iterable[dict[str, float]]) -> dict[str, float]:
    rows = list(rows)
    return {m: sum(r[m] for r in rows) / len(rows) for m in METRICS} if rows else {m: 0.0 for m in METRICS}


# ---------------------------------------------------------------------------- running


def rank(engine: Engine, text: str, system: str, k: int = 10) -> list[str]:
    """The top ``k`` ids of one system for one query."""
    if system == "ours":
        return engine.rank_ids(text, "hybrid", k)
    if system == "ours_unmixed":  # ours without the story/platform mix in the top 3
        return engine.rank_ids(text, "hybrid", k, mix=False)
    if system == "bm25":
        return engine.rank_ids(text, "lexical", k)
    if system == "dense":  # the naive baseline: the query as typed, no expansion or restoration
        q = engine.analyse(text)
        q = replace(q, restored=normalize(text), alternatives=())
        fused, _ = engine.score(q, "dense")
        return [engine.items[i].id for i in fused.argsort()[::-1][:k]]
    raise ValueError(f"unknown system {system!r}")


@dataclass
class EvalReport:
    n_queries: int
    table: dict[str, dict[str, dict[str, float]]]  # system -> style ("all" too) -> metric -> value
    counts: dict[str, int]
    accent_gap: dict[str, float]
    restoration: dict[str, float]
    per_query: list[dict[str, Any]] = field(default_factory=list)
    honesty: dict[str, float] = field(default_factory=dict)  # see honesty_metrics

    def to_json(self) -> dict[str, Any]:
        return {"n_queries": self.n_queries, "counts": self.counts, "table": self.table,
                "accent_gap": self.accent_gap, "restoration": self.restoration, "honesty": self.honesty}


def evaluate(
    engine: Engine,
    queries: list[EvalQuery],
    systems: Iterable[str] = SYSTEMS,
    progress: Callable[[int], None] | None = None,
) -> EvalReport:
    """Score every system on every query; per style and overall, plus accent gap and restoration."""
    systems = list(systems)
    per_style: dict[str, dict[str, list[dict[str, float]]]] = {s: defaultdict(list) for s in systems}
    per_query: list[dict[str, Any]] = []
    for q in queries:
        row: dict[str, Any] = {"id": q.id, "style": q.style, "query": q.query}
        for system in systems:
            ranking = rank(engine, q.query, system)
            m = query_metrics(ranking, q.relevant)
            per_style[system][q.style].append(m)
            per_style[system]["all"].append(m)
            row[system] = {"mrr@10": m["mrr@10"], "top3": ranking[:3]}
        per_query.append(row)
        if progress:
            progress(1)
    table = {s: {style: _mean(rows) for style, rows in styles.items()} for s, styles in per_style.items()}
    counts = {style: len(rows) for style, rows in per_style[systems[0]].items()}

    accented = [q for q in queries if accent_ratio(q.query) >= 0.5]
    gap: dict[str, float] = {"n": float(len(accented))}
    if accented and "ours" in systems:
        with_marks = _mean(query_metrics(rank(engine, q.query, "ours"), q.relevant) for q in accented)
        stripped = _mean(query_metrics(rank(engine, fold(q.query), "ours"), q.relevant) for q in accented)
        gap.update({"mrr_accented": with_marks["mrr@10"], "mrr_stripped": stripped["mrr@10"],
                    "gap": with_marks["mrr@10"] - stripped["mrr@10"]})
    honesty = honesty_metrics(engine, queries) if "ours" in systems else {}
    return EvalReport(len(queries), table, counts, gap, restoration_by_style(engine.built.restorer, queries),
                      per_query, honesty)


def restoration_by_style(restorer: Restorer, queries: list[EvalQuery]) -> dict[str, float]:
    """Syllable accuracy of restoring the accented queries stripped of marks: overall and per style."""
    accented = [q for q in queries if accent_ratio(q.query) >= 0.5]
    acc, n_syll = syllable_accuracy(restorer, [q.query for q in accented])
    out = {"syllable_accuracy": acc, "syllables": float(n_syll)}
    for style in QUERY_STYLES:
        texts = [q.query for q in accented if q.style == style]
        if texts:
            out[f"style:{style}"], out[f"syllables:{style}"] = syllable_accuracy(restorer, texts)
    return out


def dialect_restoration(restorer: Restorer, path: Path) -> dict[str, float]:
    """On the dialect set (``{"query", "intended", "region"}`` lines): share of the intended syllables
    that restoring the query as typed gets right, overall and per region. Report only: never tune on it."""
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    out: dict[str, float] = {}
    for region in ["all", *sorted({str(r.get("region", "")) for r in rows})]:
        pairs = [(r["query"], r["intended"]) for r in rows if region == "all" or r.get("region") == region]
        out[f"{region}"], out[f"syllables:{region}"] = syllable_accuracy_pairs(restorer, pairs)
    return out


def format_table(report: EvalReport) -> str:
    """A markdown table: one row per style and system."""
    styles = ["all", *[s for s in QUERY_STYLES if s in report.counts]]
    lines = ["| style | n | system | " + " | ".join(METRICS) + " |", "|---|---|---|" + "---|" * len(METRICS)]
    for style in styles:
        for system, by_style in report.table.items():
            m = by_style.get(style)
            if m is None:
                continue
            cells = " | ".join(f"{m[x]:.3f}" for x in METRICS)
            lines.append(f"| {style} | {report.counts.get(style, 0)} | {system} | {cells} |")
    g = report.accent_gap
    if "gap" in g:
        lines.append("")
        lines.append(f"Accent gap (ours, {int(g['n'])} accented queries): MRR@10 {g['mrr_accented']:.3f} with marks, "
                     f"{g['mrr_stripped']:.3f} stripped, gap {g['gap']:+.3f}")
    r = report.restoration
    lines.append(f"Diacritic restoration: {r['syllable_accuracy']:.1%} of {int(r['syllables'])} syllables right "
                 "(accented queries with marks stripped)")
    lines += [f"  {s}: {r[f'style:{s}']:.1%} of {int(r[f'syllables:{s}'])}" for s in QUERY_STYLES if f"style:{s}" in r]
    lines += format_honesty(report.honesty)
    return "\n".join(lines)


def format_dialect(restoration: dict[str, float]) -> str:
    """The dialect set's restoration accuracy, overall and per region."""
    lines = [f"Dialect set restoration: {restoration['all']:.1%} of {int(restoration['syllables:all'])} intended syllables right"]
    lines += [f"  {k}: {v:.1%} of {int(restoration[f'syllables:{k}'])}" for k, v in restoration.items()
              if k != "all" and not k.startswith("syllables:")]
    return "\n".join(lines)


# ---------------------------------------------------------------------------- honesty


SAME_PROBLEM_CLAIM = "cùng bài toán"


def query_files(folder: Path) -> list[Path]:
    """The labelled query files of ``data/eval`` (not the reason labels)."""
    return [p for p in sorted(folder.glob("*.jsonl")) if p.name != "reasons.jsonl"]


@dataclass(frozen=True)
class ReasonLabel:
    """One reason claim judged by hand: is ``claim`` true of ``item`` for ``request``?"""

    id: str
    request_id: str
    request: dict[str, Any]
    item: str
    claim: str
    true: bool
    why: str


def load_reasons(path: Path) -> list[ReasonLabel]:
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    return [ReasonLabel(r["id"], r["request_id"], r["request"], r["item"], r["claim"], bool(r["true"]), r["why"])
            for r in rows]


def reason_precision(engine: Engine, labels: list[ReasonLabel], k: int = 5) -> dict[str, float]:
    """Run each labelled request; of the "cùng bài toán" claims the engine makes, the share judged true
    (a claim on a pair nobody labelled counts as not true)."""
    from .recommend import Profile, recommend

    judged = {(r.request_id, r.item): r.true for r in labels if r.claim == SAME_PROBLEM_CLAIM}
    requests = {r.request_id: r.request for r in labels}
    made = true = unlabelled = 0
    for rid, req in requests.items():
        rec = recommend(engine, text=req.get("text"), item_id=req.get("item_id"),
                        profile=Profile(**req.get("profile", {})), k=k)
        for hit in rec.stories + rec.platforms:
            if SAME_PROBLEM_CLAIM in hit.explain["reason"]:
                made += 1
                verdict = judged.get((rid, hit.item.id))
                true += bool(verdict)
                unlabelled += verdict is None
    return {"same_problem_claims": float(made), "same_problem_true": float(true),
            "same_problem_unlabelled": float(unlabelled), "same_problem_precision": true / made if made else 1.0}


def flag_rate(engine: Engine, texts: list[str]) -> float:
    """Share of ``texts`` the engine answers with ``no_match``."""
    return sum(engine.search(t, k=1).no_match for t in texts) / len(texts) if texts else 0.0


def mix_metrics(engine: Engine, queries: list[EvalQuery]) -> dict[str, float]:
    """Among queries where a story and a platform are both relevant (grade ≥ 2): the share whose top 3
    holds both types, with and without the mix step; MRR@10 over all queries with and without it."""
    both = mixed = mixed_before = 0
    mrr = before = 0.0
    for q in queries:
        ranked, unmixed = rank(engine, q.query, "ours"), rank(engine, q.query, "ours_unmixed")
        mrr += query_metrics(ranked, q.relevant)["mrr@10"]
        before += query_metrics(unmixed, q.relevant)["mrr@10"]
        kinds = {engine.corpus.by_id[i].type for i, g in q.relevant.items() if g >= 2 and i in engine.corpus.by_id}
        if kinds == {"story", "platform"}:
            both += 1
            mixed += len({engine.corpus.by_id[i].type for i in ranked[:3]}) == 2
            mixed_before += len({engine.corpus.by_id[i].type for i in unmixed[:3]}) == 2
    n = max(len(queries), 1)
    return {"mix_queries": float(both), "mix_share": mixed / both if both else 0.0,
            "mix_share_unmixed": mixed_before / both if both else 0.0, "mrr_mixed": mrr / n, "mrr_unmixed": before / n}


def honesty_metrics(engine: Engine, queries: list[EvalQuery]) -> dict[str, float]:
    """Out-of-scope flagging (data/eval/out_of_scope.jsonl), answerable queries wrongly flagged (these
    ``queries``), "cùng bài toán" precision (data/eval/reasons.jsonl) and the story/platform mix."""
    folder = engine.settings.data_dir / "eval"
    answerable = [q for q in queries if q.style != "out_of_scope"]
    out: dict[str, float] = {"answerable_flagged": flag_rate(engine, [q.query for q in answerable])}
    oos_path = folder / "out_of_scope.jsonl"
    if oos_path.exists():
        oos = [q.query for q in load_queries(oos_path) if q.style == "out_of_scope"]
        out.update({"out_of_scope_n": float(len(oos)), "out_of_scope_flagged": flag_rate(engine, oos)})
    if (folder / "reasons.jsonl").exists():
        out.update(reason_precision(engine, load_reasons(folder / "reasons.jsonl")))
    out.update(mix_metrics(engine, answerable))
    return out


def format_honesty(h: dict[str, float]) -> list[str]:
    if not h:
        return []
    lines = [f"Nothing fits: answerable queries flagged no_match {h['answerable_flagged']:.1%}"]
    if "out_of_scope_flagged" in h:
        lines[0] += f"; out-of-scope flagged {h['out_of_scope_flagged']:.1%} of {int(h['out_of_scope_n'])}"
    if "same_problem_claims" in h:
        lines.append(f"“cùng bài toán” claims judged true: {h['same_problem_precision']:.1%} of "
                     f"{int(h['same_problem_claims'])} ({int(h['same_problem_unlabelled'])} unlabelled)")
    lines.append(f"Story + platform in the top 3 (of {int(h['mix_queries'])} queries where both are relevant): "
                 f"{h['mix_share']:.1%} (without the mix step {h['mix_share_unmixed']:.1%}); "
                 f"MRR@10 {h['mrr_mixed']:.3f} (without {h['mrr_unmixed']:.3f})")
    return lines
