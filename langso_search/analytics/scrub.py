"""Privacy scrubber: personal numbers and addresses in free text are replaced by placeholders.

Runs on every text before it is stored (queries, restored queries, recommend texts, comments).
What is replaced, in this order:

* e-mail addresses → ``[email]``
* Vietnamese licence plates (``29A-123.45``, ``51F12345``, ``59-X1 123.45``) → ``[plate]``
* digit runs, with ``.``/``-``/space between groups, counted by their digits:
  - a phone number (``0912 345 678``, ``+84 912345678``, ``0912.345.678``, landlines ``024 3825 1234``) → ``[phone]``
  - 9 or 12 digits (CMND / CCCD identity numbers) → ``[id]``
  - any other run of 8+ digits (bank accounts, cards, tax codes) → ``[account]``
  - 5+ digits right after a word like "stk", "tài khoản", "số tk", "account" → ``[account]``

Money written with thousand separators (``15.000.000``, ``2,500,000``) and short numbers (years, kilos,
prices) are kept: they are what editors need to read a query.
"""

from __future__ import annotations

import re

EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+", re.UNICODE)
PLATE = re.compile(r"(?<![\w.])\d{2}\s?-?\s?[A-Z]{1,2}\d?\s?[-.]?\s?\d{3}\.?\d{1,2}(?![\w.])", re.IGNORECASE)
# a run of digit groups joined by one separator each (no letters in between)
DIGITS = re.compile(r"(?<![\w.,+])(?:\+\s?)?\d+(?:(?:[ .\-]|\s-\s)\d+)*(?![\w])")
MONEY = re.compile(r"[1-9]\d{0,2}(?:([.,])\d{3})(?:\1\d{3})*")
ACCOUNT_WORD = re.compile(
    r"(?:\bstk|\bsố\s*tk|\bso\s*tk|\btk|tài\s*khoản|tai\s*khoan|account|acc|\bno\.?)\s*[:#]?\s*$", re.IGNORECASE
)

# the text normaliser pads punctuation ("29A-123 . 45"): join digit groups split that way before matching
PADDED = re.compile(r"(?<=\d)\s+([.\-/])\s+(?=\d)")
PLACEHOLDERS = ("[email]", "[plate]", "[phone]", "[id]", "[account]")


def _classify(run: str, before: str) -> str | None:
    """The placeholder for one digit run, or None to keep it."""
    compact = run.strip()
    digits = re.sub(r"\D", "", compact)
    if MONEY.fullmatch(compact):
        return None
    n = len(digits)
    if n >= 5 and ACCOUNT_WORD.search(before[-20:]):
        return "[account]"
    if digits.startswith("84") and n in (11, 12):
        return "[phone]"
    if digits.startswith("0") and n in (10, 11):
        return "[phone]"
    if n in (9, 12):
        return "[id]"
    if n >= 8:
        return "[account]"
    return None


def _split_groups(run: str) -> list[str]:
    """Space-joined groups count as one number only when they look like one (phone/ID/account chunks);
    otherwise (``2024 1500``) each group is judged alone."""
    groups = run.split(" ")
    if len(groups) == 1:
        return [run]
    digits = re.sub(r"\D", "", run)
    chunked = all(len(re.sub(r"\D", "", g)) >= 2 for g in groups[1:])
    if chunked and (run.lstrip("+ ").startswith(("0", "84")) or len(digits) >= 9):
        return [run]
    return groups


def _digits(text: str) -> str:
    out: list[str] = []
    last = 0
    for m in DIGITS.finditer(text):
        out.append(text[last : m.start()])
        pos = m.start()
        pieces: list[str] = []
        for group in _split_groups(m.group(0)):
            label = _classify(group, text[:pos] + "".join(pieces))
            pieces.append(label if label else group)
            pos += len(group) + 1
        out.append(" ".join(pieces))
        last = m.end()
    out.append(text[last:])
    return "".join(out)


def scrub(text: str | None) -> str | None:
    """``text`` with e-mails, plates, phones, ID and account numbers replaced by placeholders."""
    if not text:
        return text
    text = PADDED.sub(r"\1", text)
    text = EMAIL.sub("[email]", text)
    text = PLATE.sub("[plate]", text)
    return _digits(text)


def scrub_all(values: list[str]) -> list[str]:
    return [scrub(v) or "" for v in values]
