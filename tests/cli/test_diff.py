"""The pure rulebook diff: every changed, added and removed leaf, with readable paths."""

import tomllib
from pathlib import Path

from leadops_cli.diff import Change, diff

RULEBOOK = Path(__file__).resolve().parents[2] / "layers/leadops/leadops/rulebook.toml"


def _lines(old: object, new: object) -> list[str]:
    return [change.line() for change in diff(old, new)]


def test_identical_documents_have_no_changes() -> None:
    document = tomllib.loads(RULEBOOK.read_text(encoding="utf-8"))
    assert diff(document, tomllib.loads(RULEBOOK.read_text(encoding="utf-8"))) == []


def test_a_changed_leaf_inside_a_list_of_tables_is_named_by_its_full_path() -> None:
    old = {"lead_score": {"employees": {"bands": [{"points": 0}, {"points": 5}, {"points": 8}]}}}
    new = {"lead_score": {"employees": {"bands": [{"points": 0}, {"points": 5}, {"points": 10}]}}}
    assert diff(old, new) == [Change("lead_score.employees.bands[2].points", "changed", 8, 10)]
    assert _lines(old, new) == ["lead_score.employees.bands[2].points: 8 → 10"]


def test_added_and_removed_keys() -> None:
    old = {"a": 1, "b": {"c": "x", "d": [1]}}
    new = {"a": 1, "b": {"c": "y", "e": True}}
    assert _lines(old, new) == [
        'b.c: "x" → "y"',
        "b.d: [1] → (absent)",
        "b.e: (absent) → true",
    ]
    kinds = {change.path: change.kind for change in diff(old, new)}
    assert kinds == {"b.c": "changed", "b.d": "removed", "b.e": "added"}


def test_list_items_are_aligned_so_one_removal_is_one_change() -> None:
    old = {"countries": ["AT", "CA", "FR", "DE"]}
    new = {"countries": ["AT", "FR", "DE", "JP"]}
    assert _lines(old, new) == [
        'countries[1]: "CA" → (absent)',
        'countries[3]: (absent) → "JP"',
    ]


def test_an_added_table_in_a_list_is_shown_whole() -> None:
    old = {"bands": [{"label": "a", "points": 1}]}
    new = {"bands": [{"label": "a", "points": 1}, {"label": "b", "points": 2}]}
    assert _lines(old, new) == ['bands[1]: (absent) → {"label": "b", "points": 2}']


def test_type_changes_count_even_when_python_calls_them_equal() -> None:
    assert _lines({"x": 1, "y": True, "z": 1.0}, {"x": 1.0, "y": 1, "z": 1.0}) == [
        "x: 1 → 1.0",
        "y: true → 1",
    ]
    assert _lines({"x": {"a": 1}}, {"x": [1]}) == ['x: {"a": 1} → [1]']


def test_keys_that_are_not_identifiers_are_quoted() -> None:
    old = {"aliases": {"United Kingdom": "GB", "uk": "GB"}}
    new = {"aliases": {"United Kingdom": "UK", "uk": "GB"}}
    assert _lines(old, new) == ['aliases["United Kingdom"]: "GB" → "UK"']


def test_a_whole_document_that_is_not_a_table() -> None:
    assert _lines(1, 2) == ["(document): 1 → 2"]


def test_the_packaged_rulebook_against_an_edited_copy() -> None:
    text = RULEBOOK.read_text(encoding="utf-8")
    old = tomllib.loads(text)
    edited = text.replace(
        '{ label = "11-1000", min = 11, max = 1000, points = 10 }',
        '{ label = "11-1000", min = 11, max = 1000, points = 12 }',
    )
    assert edited != text
    assert _lines(old, tomllib.loads(edited)) == ["lead_score.employees.bands[1].points: 10 → 12"]
    assert diff(old, tomllib.loads(edited))[0].as_dict() == {
        "path": "lead_score.employees.bands[1].points",
        "kind": "changed",
        "old": 10,
        "new": 12,
    }
