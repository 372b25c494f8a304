"""Input files: JSON bodies and rulebook documents (TOML or JSON), each failure one line."""

from __future__ import annotations

import json
import tomllib
from pathlib import Path
from typing import Any

from leadops_cli.api import InputError


def read_bytes(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except FileNotFoundError:
        raise InputError(f"file not found: {path}") from None
    except OSError as error:
        raise InputError(f"cannot read {path}: {error.strerror or error}") from None


def read_json(path: Path) -> Any:
    raw = read_bytes(path)
    try:
        return json.loads(raw)
    except (json.JSONDecodeError, UnicodeDecodeError) as error:
        raise InputError(f"{path}: not valid JSON ({error})") from None


def read_rulebook(path: Path) -> dict[str, Any]:
    """A rulebook document from ``.toml`` or ``.json`` (any other suffix: JSON, then TOML)."""
    raw = read_bytes(path)
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise InputError(f"{path}: not UTF-8 text") from None
    suffix = path.suffix.lower()
    document: Any
    if suffix == ".toml":
        document = _toml(text, path)
    elif suffix == ".json":
        document = _json(text, path)
    else:
        try:
            document = json.loads(text)
        except json.JSONDecodeError:
            document = _toml(text, path)
    if not isinstance(document, dict):
        raise InputError(f"{path}: a rulebook is a table/object, not {type(document).__name__}")
    return document


def _toml(text: str, path: Path) -> dict[str, Any]:
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise InputError(f"{path}: not valid TOML ({error})") from None


def _json(text: str, path: Path) -> Any:
    try:
        return json.loads(text)
    except json.JSONDecodeError as error:
        raise InputError(f"{path}: not valid JSON ({error})") from None


def looks_like_file(spec: str) -> bool:
    """Whether a ``rulebook diff``/``dry-run`` argument names a file rather than a version."""
    return Path(spec).is_file() or spec.endswith((".toml", ".json")) or "/" in spec
