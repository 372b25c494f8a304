"""The difference between two rulebook documents, leaf by leaf (pure: no I/O).

Paths read like the TOML they come from: ``lead_score.employees.bands[2].points``; a key that
is not a plain identifier is quoted (``aliases["United Kingdom"]``). Lists are aligned item by
item (difflib), so removing one country from a tier reports that country, not every item after
it; an item replaced by one item is compared field by field.
"""

from __future__ import annotations

import difflib
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, Literal

Kind = Literal["changed", "added", "removed"]
_PLAIN_KEY = re.compile(r"^[A-Za-z_][A-Za-z0-9_-]*$")
_ABSENT = "(absent)"


@dataclass(frozen=True)
class Change:
    """One leaf that differs: ``old`` is None for an added one, ``new`` for a removed one."""

    path: str
    kind: Kind
    old: Any = None
    new: Any = None

    def line(self) -> str:
        """``path: old → new``, with ``(absent)`` on the side where the leaf does not exist."""
        old = _ABSENT if self.kind == "added" else render_value(self.old)
        new = _ABSENT if self.kind == "removed" else render_value(self.new)
        return f"{self.path}: {old} → {new}"

    def as_dict(self) -> dict[str, Any]:
        return {"path": self.path, "kind": self.kind, "old": self.old, "new": self.new}


def render_value(value: Any) -> str:
    """A value as one line of JSON (strings quoted, so ``"10"`` and ``10`` stay distinct)."""
    return json.dumps(value, ensure_ascii=False, sort_keys=False, default=str)


def diff(old: Any, new: Any) -> list[Change]:
    """Every changed, added and removed leaf from ``old`` to ``new``, in document order."""
    return list(_diff(old, new, ""))


def _diff(old: Any, new: Any, path: str) -> Iterator[Change]:
    if isinstance(old, dict) and isinstance(new, dict):
        yield from _diff_dicts(old, new, path)
    elif isinstance(old, list) and isinstance(new, list):
        yield from _diff_lists(old, new, path)
    elif not _same(old, new):
        yield Change(path or "(document)", "changed", old, new)


def _same(old: Any, new: Any) -> bool:
    """Equal, and of the same kind: ``True`` is not ``1`` and ``1`` is not ``1.0`` in a rule."""
    return type(old) is type(new) and bool(old == new)


def _diff_dicts(old: dict[str, Any], new: dict[str, Any], path: str) -> Iterator[Change]:
    for key, value in old.items():
        child = _join(path, key)
        if key in new:
            yield from _diff(value, new[key], child)
        else:
            yield Change(child, "removed", old=value)
    for key, value in new.items():
        if key not in old:
            yield Change(_join(path, key), "added", new=value)


def _diff_lists(old: list[Any], new: list[Any], path: str) -> Iterator[Change]:
    matcher = difflib.SequenceMatcher(
        None, [_key(item) for item in old], [_key(item) for item in new], autojunk=False
    )
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            continue
        paired = min(i2 - i1, j2 - j1) if tag == "replace" else 0
        for offset in range(paired):
            yield from _diff(old[i1 + offset], new[j1 + offset], f"{path}[{i1 + offset}]")
        for index in range(i1 + paired, i2):
            yield Change(f"{path}[{index}]", "removed", old=old[index])
        for index in range(j1 + paired, j2):
            yield Change(f"{path}[{index}]", "added", new=new[index])


def _key(item: Any) -> str:
    """A hashable, type-sensitive identity of a list item for alignment."""
    return f"{type(item).__name__}:{json.dumps(item, sort_keys=True, default=str)}"


def _join(path: str, key: str) -> str:
    part = key if _PLAIN_KEY.match(key) else f"[{json.dumps(key, ensure_ascii=False)}]"
    if not path:
        return part
    return f"{path}{part}" if part.startswith("[") else f"{path}.{part}"
