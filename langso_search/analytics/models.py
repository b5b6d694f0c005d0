"""The analytics tables (SQLAlchemy 2). Every text column holds scrubbed text only (see scrub.py);
no table has an IP address, a cookie or a user id: ``session`` is the random id of one browser tab.

Times are naive UTC (``DateTime`` without zone) so SQLite and PostgreSQL read them the same way.
Changing a table needs a new Alembic revision in ``migrations/versions``.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import JSON, DateTime, Float, Integer, String, Text
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


def utcnow() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


class Base(DeclarativeBase):
    pass


class SearchEvent(Base):
    """One answered search."""

    __tablename__ = "searches"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    at: Mapped[datetime] = mapped_column(DateTime, index=True, default=utcnow)
    query: Mapped[str] = mapped_column(Text)  # as typed, scrubbed
    restored: Mapped[str] = mapped_column(Text)  # what the engine searched (diacritics restored), scrubbed
    accented: Mapped[bool] = mapped_column()  # the user typed (most) diacritics
    filters: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    no_match: Mapped[bool] = mapped_column(index=True)
    confidence: Mapped[float] = mapped_column(Float)
    result_ids: Mapped[list[str]] = mapped_column(JSON, default=list)  # ids shown, best first
    total: Mapped[int] = mapped_column(Integer)
    latency_ms: Mapped[float] = mapped_column(Float)


class RecommendEvent(Base):
    """One answered recommendation (problem text and/or commune profile)."""

    __tablename__ = "recommends"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    at: Mapped[datetime] = mapped_column(DateTime, index=True, default=utcnow)
    text: Mapped[str | None] = mapped_column(Text, nullable=True)  # scrubbed
    item_id: Mapped[str | None] = mapped_column(String(200), nullable=True)
    profile: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)  # free-text values scrubbed
    result_ids: Mapped[list[str]] = mapped_column(JSON, default=list)


class ClickEvent(Base):
    """A result opened (``open``) or a source link followed (``source``) on the page."""

    __tablename__ = "clicks"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    at: Mapped[datetime] = mapped_column(DateTime, index=True, default=utcnow)
    session: Mapped[str | None] = mapped_column(String(64), nullable=True)
    kind: Mapped[str] = mapped_column(String(16))
    query: Mapped[str | None] = mapped_column(Text, nullable=True)  # scrubbed
    item_id: Mapped[str | None] = mapped_column(String(200), nullable=True, index=True)
    rank: Mapped[int | None] = mapped_column(Integer, nullable=True)  # 1 = first result


class Feedback(Base):
    """“Câu trả lời này có giúp được bạn không?” 👍 / 👎, with an optional comment."""

    __tablename__ = "feedback"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    at: Mapped[datetime] = mapped_column(DateTime, index=True, default=utcnow)
    session: Mapped[str | None] = mapped_column(String(64), nullable=True)
    query: Mapped[str] = mapped_column(Text)  # scrubbed
    helpful: Mapped[bool] = mapped_column()
    item_id: Mapped[str | None] = mapped_column(String(200), nullable=True)
    comment: Mapped[str | None] = mapped_column(Text, nullable=True)  # scrubbed, ≤ 500 characters


TABLES = (SearchEvent, RecommendEvent, ClickEvent, Feedback)
