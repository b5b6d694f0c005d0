"""Honesty of the answers: out-of-scope queries flagged ``no_match``, answerable ones wrongly flagged, the
share of "cùng bài toán" claims judged true in ``data/eval/reasons.jsonl``, and how often a story and a
platform share the top 3 (with MRR@10 with and without that mix step)."""

from __future__ import annotations

from .eval_metrics import query_metrics, rank
from .eval_queries import SAME_PROBLEM_CLAIM, EvalQuery, ReasonLabel, load_queries, load_reasons
from .search import Engine


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
