"""The evaluation report as text: the markdown table per style and system, the accent gap, diacritic
restoration, the dialect set and the honesty lines (what ``langso eval`` prints)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from .eval_metrics import METRICS
from .vocab import QUERY_STYLES

if TYPE_CHECKING:
    from .evaluate import EvalReport


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
