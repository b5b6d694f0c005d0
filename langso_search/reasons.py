"""Reasons: what an item truly shares with a request, said in short Vietnamese phrases.

Every phrase must be true of the item:

* "cùng bài toán “…”" only when the asker's problem is close (raw cosine above a threshold set on
  ``data/eval/reasons.jsonl`` by ``scripts/fit_reasons.py``) to one of the item's *problem
  statements* — a platform's ``problems``, or a sentence of a story's ``problem`` that states a
  difficulty (no figure, no setting) — and the quote is that statement, cut at a word boundary;
* each profile value the item really shares ("cùng tỉnh Cà Mau", "cùng vùng Tây Bắc", "cùng địa
  hình ven biển", "cũng là đồng bào Mông", "cùng lĩnh vực thủy sản");
* no phrase twice (:func:`join_reason`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import numpy as np

from . import profile_fit
from .corpus import Item, Story
from .negation import lacked_words
from .profile_fit import (
    SAME_AUDIENCE,
    SAME_ETHNIC,
    SAME_PROVINCE,
    SAME_REGION,
    SAME_SECTOR,
    SAME_TERRAIN,
)
from .profile_fit import same_place as _same
from .search import Engine, Hit
from .snippets import is_filler
from .text import fold, syllables

# Raw cosine (e5, "query:" vs "passage:") from which the asker's problem is the item's problem, the
# quoted statement also sharing a content word with the asker. scripts/fit_reasons.py on the 64
# labelled text pairs of data/eval/reasons.jsonl: the lowest cut with ≥ 95 % true above it is 0.884
# (95.7 %, 23 pairs); we keep a margin: at 0.89 the 20 pairs above are all true.
SAME_PROBLEM = 0.89
# The same between two items' problem passages (both "passage:"), for "similar items": fitted 0.919 on
# the 15 labelled item pairs (4 pairs above, all true); 0.92 keeps the 3 best.
SAME_PROBLEM_ITEMS = 0.92
MAX_PHRASES = 5
QUOTE_CHARS = 80
# A story sentence states a difficulty when it holds one of these (accented, lowercase).
_DIFFICULTY = ("không", "chưa", "khó", "phải", "mất", "thiếu", "bị", "lo", "sợ", "ngại", "vất vả", "ép giá",
               "chậm", "tốn", "ít", "cần", "muốn", "trộm", "quên", "lỡ", "hoang mang", "thấp thỏm",
               "phụ thuộc", "nguy cơ", "gặp khó", "ách tắc", "rớt", "vắng bóng", "chỉ", "xa")
_SENTENCE_END = re.compile(r"(?<=\w\w)[.!?;](?:\s+|$)")  # "A D." is not a sentence end
_NUMBER = re.compile(r"\d")
_YEAR = re.compile(r"\b(?:19|20)\d\d\b")


@dataclass
class Profile:
    """A commune as an official describes it; every field optional."""

    province: str | None = None
    region: str | None = None
    terrain: list[str] = field(default_factory=list)
    ethnic_groups: list[str] = field(default_factory=list)
    sectors: list[str] = field(default_factory=list)
    audiences: list[str] = field(default_factory=list)

    def is_empty(self) -> bool:
        return not (self.province or self.region or self.terrain or self.ethnic_groups or self.sectors
                    or self.audiences)

    def as_text(self) -> str:
        """The profile as a sentence the dense model can read."""
        parts = []
        if self.terrain:
            parts.append("xã " + ", ".join(self.terrain))
        if self.province:
            parts.append(f"ở {self.province}")
        if self.region:
            parts.append(f"vùng {self.region}")
        if self.ethnic_groups:
            parts.append("đồng bào " + ", ".join(self.ethnic_groups))
        if self.sectors:
            parts.append("lĩnh vực " + ", ".join(self.sectors))
        if self.audiences:
            parts.append("cho " + ", ".join(self.audiences))
        return ", ".join(parts)


# ---------------------------------------------------------------------------- problem statements


def problem_statements(item: Item) -> list[str]:
    """What the item says the problem is: a platform's ``problems``; the sentences of a story's
    ``problem`` that state a difficulty and give no figure (a year is not a figure)."""
    if item.type == "platform":
        return list(item.problems)  # type: ignore[union-attr]
    out = []
    for sentence in _SENTENCE_END.split(item.summary_text):
        sentence = sentence.strip()
        if not sentence or _NUMBER.search(_YEAR.sub("", sentence)):
            continue
        if _states_difficulty(sentence):
            out.append(sentence[0].upper() + sentence[1:])
    return out


def quote(statement: str) -> str:
    """A statement as quoted in a reason: from the clause that names the difficulty when the whole is
    too long ("Mùa dịch năm 2020, …, nhưng nhiều học trò … không có sóng" → "nhiều học trò …"), no
    final stop, cut at a word boundary."""
    text = statement.strip().rstrip(".")
    if len(text) > QUOTE_CHARS:
        clauses = text.split(", ")
        first = next((i for i, c in enumerate(clauses) if _states_difficulty(c)), 0)
        text = re.sub(r"^(nhưng|mà|nên|thì|lại)\s+", "", ", ".join(clauses[first:]))
    return text if len(text) <= QUOTE_CHARS else text[:QUOTE_CHARS].rsplit(" ", 1)[0].rstrip(",;:") + "…"


def _states_difficulty(text: str) -> bool:
    words = " ".join(syllables(text))
    return any(re.search(rf"(?<!\w){cue}(?!\w)", words) for cue in _DIFFICULTY)


def _problem_rows(engine: Engine, row: int) -> list[int]:
    """Passage rows of the item's problem passages (platforms: one per ``problems`` line, in order)."""
    return [i for i in engine.passage_rows(row) if engine.built.passages.kind(i) == "problem"]


def problem_match(engine: Engine, row: int, probe: np.ndarray, words: set[str]) -> tuple[float, str | None]:
    """How close ``probe`` (query vectors, one per row) is to the item's problem, and the statement
    to quote: the closest problem line of a platform; for a story (one problem passage) the statement
    sharing most words with the asker (``words``, folded)."""
    rows = _problem_rows(engine, row)
    statements = problem_statements(engine.items[row])
    if not rows or not statements:
        return 0.0, None
    sims = probe @ engine.passage_vectors(rows).T  # (probes, passages)
    best = float(sims.max())
    if engine.items[row].type == "platform" and len(rows) == len(statements):
        return best, statements[int(sims.max(axis=0).argmax())]
    overlap = [len(words & content_words(st)) for st in statements]
    return best, statements[int(np.argmax(overlap))]


def content_words(text: str) -> set[str]:
    """Folded syllables of ``text`` that carry meaning (no function or filler syllable)."""
    return {fold(s) for s in syllables(text) if not is_filler(s)}


def same_problem_phrase(engine: Engine, row: int, probe: np.ndarray | None, words: frozenset[str],
                        threshold: float, lacking: frozenset[str] = frozenset()) -> str | None:
    """"cùng bài toán “…”" when the item's problem is the asker's: close in meaning (cosine ≥
    ``threshold``) *and* the quoted statement shares a content word with the asker's words, and it
    does not presuppose what the asker lacks ("không có tài khoản" vs "sợ bấm nhầm số tài khoản")."""
    if probe is None:
        return None
    sim, statement = problem_match(engine, row, probe, set(words))
    if statement is None or sim < threshold or not (content_words(statement) & words):
        return None
    if lacking & (content_words(statement) - lacked_words(statement)):
        return None
    return f"cùng bài toán “{quote(statement)}”"


# ---------------------------------------------------------------------------- profile


def profile_match(item: Item, profile: Profile, region: str | None = None) -> tuple[float, list[str]]:
    """How well an item fits the profile (0–1) and one reason per shared value, in Vietnamese.

    ``region``: the profile's region, or the region of its province when the official gave only that.
    """
    wanted_groups = {fold(e) for e in profile.ethnic_groups}
    region = profile.region or region
    checks: list[tuple[list[str], float, str]] = []  # (shared values, weight, phrase)
    if item.type == "story":
        loc = item.location  # type: ignore[union-attr]
        if _same(profile.province, loc.province):
            checks.append(([loc.province], SAME_PROVINCE, "cùng tỉnh {}"))
        elif _same(region, loc.region):
            checks.append(([loc.region], SAME_REGION, "cùng vùng {}"))
        checks.append(([t for t in loc.terrain if t in profile.terrain], SAME_TERRAIN, "cùng địa hình {}"))
        checks.append(([e for e in item.ethnic_groups if fold(e) in wanted_groups], SAME_ETHNIC,  # type: ignore[union-attr]
                       "cũng là đồng bào {}"))
    checks.append(([s for s in item.sectors if s in profile.sectors], SAME_SECTOR, "cùng lĩnh vực {}"))
    checks.append(([a for a in item.audiences if a in profile.audiences], SAME_AUDIENCE, "dành cho {}"))
    shared = [(found, weight, phrase) for found, weight, phrase in checks if found]
    score = sum(weight for _, weight, _ in shared)
    return min(score, 1.0), [phrase.format(", ".join(found)) for found, _, phrase in shared]


def no_local_story_note(engine: Engine, profile: Profile, region: str | None, stories: list[Hit]) -> str | None:
    """Said once when none of the stories shown is from the official's province or region, and only
    what is true: "Chưa có câu chuyện ở X" when the corpus has none there; "Chưa có câu chuyện về
    <sector> ở X" when the local stories share none of the official's sectors; otherwise nothing."""
    if not (profile.province or profile.region) or not stories:
        return None
    region = profile.region or region

    def local(story: Story) -> bool:
        return _same(profile.province, story.location.province) or _same(region, story.location.region)

    if any(local(h.item) for h in stories if h.item.type == "story"):  # type: ignore[arg-type]
        return None
    place = region or profile.province
    there = profile_fit.local_stories(engine, profile.province, region)  # stories only: platforms have no place
    if not there.any():
        return f"Chưa có câu chuyện ở {place}; đây là những nơi có hoàn cảnh gần nhất"
    sectors = set(profile.sectors)
    if sectors and not (there & profile_fit.any_value(engine, "sector", sectors.__contains__)).any():
        return f"Chưa có câu chuyện về {', '.join(profile.sectors)} ở {place}; đây là những nơi có hoàn cảnh gần nhất"
    return None


def join_reason(phrases: list[str]) -> str:
    """The phrases, each once, at most :data:`MAX_PHRASES`."""
    return ", ".join(list(dict.fromkeys(p for p in phrases if p))[:MAX_PHRASES])


def link_reason(engine: Engine, source: Item, item: Item) -> list[str]:
    kinds = (source.type, item.type)
    if kinds == ("story", "platform") and item.id in source.linked_ids(engine.corpus):
        return ["câu chuyện này dùng " + item.title]
    if kinds == ("platform", "story") and source.id in item.linked_ids(engine.corpus):
        return ["dùng " + source.title]
    if kinds == ("story", "story"):
        used = item.linked_ids(engine.corpus)
        shared = [engine.corpus.by_id[p].title for p in source.linked_ids(engine.corpus) if p in used]
        if shared:
            return ["cùng dùng " + ", ".join(shared[:2])]
        if source.location.region == item.location.region:  # type: ignore[union-attr]
            return [f"cùng vùng {item.location.region}"]  # type: ignore[union-attr]
    return []
