"""Corpus: loading platforms and stories (:mod:`langso_search.models`) from ``data/``, validating every field.

Each item lives in its own YAML file (``data/platforms/<id>.yaml``, ``data/stories/<id>.yaml``) so that
adding a story never touches another one. :func:`load_corpus` returns a :class:`Corpus` or raises
:class:`CorpusInvalid` whose ``errors`` read ``file: item id: field: what is wrong``.
"""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml
from pydantic import ValidationError

from .models import (  # noqa: F401  (the schema is imported from here by most modules)
    Check,
    Item,
    ItemType,
    Location,
    Person,
    Platform,
    Story,
    item_summary,
    province_names,
)

if TYPE_CHECKING:
    from .item_rows import ItemRows

# ---------------------------------------------------------------------------- errors


@dataclass(frozen=True)
class CorpusError:
    """One problem in the corpus, located precisely enough to fix it."""

    file: str
    item_id: str
    field: str
    message: str

    def __str__(self) -> str:
        return f"{self.file}: {self.item_id}: {self.field}: {self.message}"


class CorpusInvalid(Exception):
    """The corpus does not validate; ``errors`` lists every problem found (not just the first)."""

    def __init__(self, errors: list[CorpusError]) -> None:
        self.errors = errors
        super().__init__(f"{len(errors)} error(s) in the corpus:\n" + "\n".join(map(str, errors)))


# ---------------------------------------------------------------------------- corpus


@dataclass
class Corpus:
    """All items, by id, in a stable order (platforms then stories, each sorted by id).

    A loaded build passes ``rows`` (:class:`~langso_search.item_rows.ItemRows`): the items are then
    read from its file on demand, and ``platforms`` / ``stories`` are views of it."""

    platforms: Sequence[Platform]
    stories: Sequence[Story]
    digest: str
    rows: Sequence[Item] | None = field(default=None, repr=False)
    by_id: Mapping[str, Item] = field(init=False, repr=False)
    ids: list[str] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self._items: Sequence[Item] = self.rows if self.rows is not None else [*self.platforms, *self.stories]
        self.ids = list(getattr(self._items, "ids", None) or [item.id for item in self._items])
        self._row = {item_id: row for row, item_id in enumerate(self.ids)}
        self.by_id = _ById(self)
        self._platforms = {p.id: p for p in self.platforms}
        self._users: dict[str, list[int]] | None = None
        self._users_lock = threading.Lock()

    @classmethod
    def from_rows(cls, rows: ItemRows, digest: str) -> Corpus:
        """A build's items, read on demand (the platforms, few, are parsed now)."""
        return cls(platforms=list(rows.view(0, rows.n_platforms)), stories=rows.view(rows.n_platforms, len(rows)),
                   digest=digest, rows=rows)

    @property
    def items(self) -> Sequence[Item]:
        return self._items

    def row(self, item_id: str) -> int | None:
        """Row of an item in ``items`` (None for an unknown id)."""
        return self._row.get(item_id)

    def get(self, item_id: str) -> Item | None:
        row = self._row.get(item_id)
        return None if row is None else self._items[row]

    def platform(self, platform_id: str) -> Platform | None:
        """The platform with this id (None for an unknown id or a story's id)."""
        return self._platforms.get(platform_id)

    def release_pages(self) -> None:
        """A build's items: let go of the file pages the start-up passes read (item_rows.py)."""
        if self.rows is not None and hasattr(self.rows, "release_pages"):
            self.rows.release_pages()

    def remember_users(self, users: dict[str, list[int]]) -> None:
        """``users()`` as already collected (by an engine's pass over the items, item_scan.py)."""
        with self._users_lock:
            if self._users is None:
                self._users = users

    def users(self) -> dict[str, list[int]]:
        """Platform id → rows of the stories that used it (one pass over the stories, the first time)."""
        with self._users_lock:
            if self._users is None:
                users: dict[str, list[int]] = {}
                for row, story in enumerate(self.stories, start=len(self.platforms)):
                    for pid in dict.fromkeys(story.platform_ids):  # a platform listed twice is one use
                        users.setdefault(pid, []).append(row)
                self._users = users
            return self._users

    def stories_using(self, platform_id: str) -> list[Story]:
        return [self._items[row] for row in self.users().get(platform_id, ())]  # type: ignore[misc]


class Titles(Mapping[str, str]):
    """Item id → title, read through the corpus (an analytics report names the few items it shows)."""

    def __init__(self, corpus: Corpus) -> None:
        self._by_id = corpus.by_id

    def __getitem__(self, item_id: str) -> str:
        return self._by_id[item_id].title

    def __iter__(self) -> Iterator[str]:
        return iter(self._by_id)

    def __len__(self) -> int:
        return len(self._by_id)


class _ById(Mapping[str, Item]):
    """``corpus.by_id``: items by id, read through the corpus (on demand for a build's rows)."""

    def __init__(self, corpus: Corpus) -> None:
        self._corpus = corpus

    def __getitem__(self, item_id: str) -> Item:
        item = self._corpus.get(item_id)
        if item is None:
            raise KeyError(item_id)
        return item

    def __contains__(self, item_id: object) -> bool:
        return self._corpus.row(item_id) is not None if isinstance(item_id, str) else False

    def __iter__(self) -> Iterator[str]:
        return iter(self._corpus.ids)

    def __len__(self) -> int:
        return len(self._corpus.ids)


def _files(folder: Path) -> list[Path]:
    if not folder.is_dir():
        return []
    return sorted(p for p in folder.iterdir() if p.suffix in (".yaml", ".yml"))


def corpus_digest(data_dir: Path) -> str:
    """sha256 over every item file (names and bytes): changes whenever any item changes."""
    h = hashlib.sha256()
    for sub in ("platforms", "stories"):
        for path in _files(data_dir / sub):
            h.update(f"{sub}/{path.name}\0".encode())
            h.update(path.read_bytes())
            h.update(b"\0")
    return h.hexdigest()


def _field_path(loc: Iterable[Any]) -> str:
    parts: list[str] = []
    for part in loc:
        if isinstance(part, int):
            parts.append(f"[{part}]")
        else:
            parts.append(("." if parts else "") + str(part))
    return "".join(parts) or "(item)"


def _load_one(path: Path, model: type[Platform] | type[Story], rel: str) -> tuple[Item | None, list[CorpusError]]:
    try:
        raw_bytes = path.read_bytes()
        text = raw_bytes.decode("utf-8")
    except UnicodeDecodeError as exc:
        return None, [CorpusError(rel, path.stem, "(file)", f"not UTF-8: {exc}")]
    try:
        raw = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}" if mark else ""
        return None, [CorpusError(rel, path.stem, "(file)", f"invalid YAML{where}: {getattr(exc, 'problem', exc)}")]
    if not isinstance(raw, dict):
        return None, [CorpusError(rel, path.stem, "(file)", "expected a mapping of fields at the top level")]
    item_id = str(raw.get("id", path.stem))
    try:
        item = model.model_validate(raw)
    except ValidationError as exc:
        errors = []
        for err in exc.errors():
            msg = err["msg"].removeprefix("Value error, ")
            if err["type"] == "extra_forbidden":
                msg = "unknown field (typo?)"
            errors.append(CorpusError(rel, item_id, _field_path(err["loc"]), msg))
        return None, errors
    if item.id != path.stem:
        return item, [CorpusError(rel, item.id, "id", f"must equal the file name {path.stem!r}")]
    return item, []


def load_corpus(data_dir: Path) -> Corpus:
    """Load and validate every item under ``data_dir``; raise :class:`CorpusInvalid` listing all errors."""
    errors: list[CorpusError] = []
    loaded: dict[str, list[Any]] = {"platforms": [], "stories": []}
    models: dict[str, type[Platform] | type[Story]] = {"platforms": Platform, "stories": Story}
    files: dict[str, str] = {}
    for sub, model in models.items():
        folder = data_dir / sub
        if not folder.is_dir():
            errors.append(CorpusError(f"{sub}/", "-", "(folder)", f"missing folder {folder}"))
            continue
        for path in _files(folder):
            rel = f"{sub}/{path.name}"
            item, errs = _load_one(path, model, rel)
            errors.extend(errs)
            if item is None:
                continue
            if item.id in files:
                errors.append(CorpusError(rel, item.id, "id", f"duplicate id, also used by {files[item.id]}"))
                continue
            files[item.id] = rel
            loaded[sub].append(item)

    platform_ids = {p.id for p in loaded["platforms"]}
    for story in loaded["stories"]:
        for i, pid in enumerate(story.platform_ids):
            if pid not in platform_ids:
                errors.append(
                    CorpusError(files[story.id], story.id, f"platform_ids[{i}]", f"unknown platform id {pid!r}")
                )
    if errors:
        raise CorpusInvalid(errors)
    return Corpus(
        platforms=sorted(loaded["platforms"], key=lambda p: p.id),
        stories=sorted(loaded["stories"], key=lambda s: s.id),
        digest=corpus_digest(data_dir),
    )
