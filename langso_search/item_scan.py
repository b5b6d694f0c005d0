"""One pass over every item when an engine starts: what its indexes need from each item.

A build's items are read from ``corpus.jsonl`` on demand (item_rows.py): each pass over 100k items
parses them all again (≈ 5 s). The facet, name, snippet-frequency, confidence-vocabulary, link and
ethnic-group indexes used to make a pass each (six, ≈ 30 s of a 100k-item start, measured); they are
now built from what this single pass collects.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field

from .confidence import CorpusWords
from .corpus import Item
from .documents import item_document
from .facets import facet_values, miv_of
from .snippets import document_syllables
from .text import fold

__all__ = ["ItemScan"]


@dataclass
class ItemScan:
    """Per item (in row order) or summed over all items, as the engine's indexes take them."""

    facets: list[dict[str, list[str]]] = field(default_factory=list)  # facet_values
    miv: list[int] = field(default_factory=list)  # make-in-Vietnam flag (-1 for a story)
    name_forms: list[list[tuple[str, ...]]] = field(default_factory=list)
    ethnic: list[list[str]] = field(default_factory=list)  # folded ethnic groups (platforms: none)
    users: dict[str, list[int]] = field(default_factory=dict)  # platform id -> rows of the stories using it
    snippet_df: Counter[str] = field(default_factory=Counter)  # items whose display text has each syllable
    words: CorpusWords = field(default_factory=CorpusWords)  # accented syllables and pairs of the corpus

    @classmethod
    def of(cls, items: Sequence[Item]) -> ItemScan:
        scan = cls()
        for row, item in enumerate(items):
            scan.facets.append(facet_values(item))
            scan.miv.append(miv_of(item))
            scan.name_forms.append(item.name_forms())
            story = item.type == "story"
            scan.ethnic.append([fold(e) for e in item.ethnic_groups] if story else [])  # type: ignore[union-attr]
            for platform_id in dict.fromkeys(item.used_platform_ids or ()):  # a platform listed twice: one use
                scan.users.setdefault(platform_id, []).append(row)
            document = item_document(item, display=True)
            scan.snippet_df.update(document_syllables(document))
            scan.words.add(document)
        return scan
