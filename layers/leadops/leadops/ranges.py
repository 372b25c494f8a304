"""Employee and revenue ranges as enrichment vendors spell them ("51-250", "1K-5K", "$10M-$50M",
"10,000+") turned into one number to score.

A closed range scores at its midpoint, so "$50M-$100M" lands inside a $50M-$100M band rather
than on one of its edges; an open range "N+" means N or more and scores as N, which the band
starting at N holds ("1000+" is 1,000 employees, in the band "1000+"). A single number is itself.
"""

from __future__ import annotations

import re

_SCALE = {
    "": 1,
    "k": 1_000,
    "m": 1_000_000,
    "mm": 1_000_000,
    "b": 1_000_000_000,
    "bn": 1_000_000_000,
}
_NUMBER = r"\$?\s*(\d{1,3}(?:,\d{3})+|\d+(?:\.\d+)?)\s*(k|mm|m|bn|b)?"
_DASH = "(?:-|\u2013|\u2014|to)"  # hyphen, en dash, em dash, "to"
_RANGE = re.compile(
    rf"^\s*(?:usd\s*)?{_NUMBER}\s*"
    rf"(?:{_DASH}\s*{_NUMBER}\s*|(\+|or more|and above)\s*)?(?:usd)?\s*$"
)


def _number(digits: str, suffix: str | None) -> float:
    return float(digits.replace(",", "")) * _SCALE[suffix or ""]


def parse_range(text: str) -> tuple[float, float | None]:
    """``(low, high)``; ``high`` is None for an open range. Raises ValueError when unreadable."""
    match = _RANGE.match(text.lower())
    if match is None:
        raise ValueError(f"not a range like '51-250', '1000+' or '$10M-$50M': {text[:40]!r}")
    lo_digits, lo_suffix, hi_digits, hi_suffix, open_end = match.groups()
    if hi_digits is None:
        low = _number(lo_digits, lo_suffix)
        return (low, None) if open_end else (low, low)
    high = _number(hi_digits, hi_suffix)
    low = _number(lo_digits, lo_suffix)
    if lo_suffix is None and hi_suffix and low < float(hi_digits.replace(",", "")):
        # "10-50M": a suffix written once applies to both ends (but "251-1K" is 251 to 1,000).
        low = _number(lo_digits, hi_suffix)
    if high < low:
        raise ValueError(f"range ends below its start: {text[:40]!r}")
    return low, high


def representative(low: float, high: float | None) -> float:
    """The value a range scores as: its midpoint, or its lower edge when open-ended."""
    if high is None:
        return low
    return (low + high) / 2


def parse_employee_range(text: str) -> int:
    return int(representative(*parse_range(text)))


def parse_revenue_range(text: str) -> float:
    return representative(*parse_range(text))
