"""Account snapshot import: JSON Lines or CSV rows as ``AccountSnapshot``s. Pure (no AWS).

Streaming end to end: ``decode_lines`` turns a byte stream into text lines one at a time,
``parse_rows`` validates one row at a time and ``run_import`` hands valid snapshots to a writer
in batches, so a file is never held in memory, only one batch of it.

Errors name the row (its line in the file; a CSV header is line 1) and the field, never the
value: an import carries personal and commercial data, and reports and logs must not.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Literal

from pydantic import ValidationError

from leadops.routing import AccountSnapshot

Kind = Literal["csv", "jsonl"]
ErrorDetail = dict[str, str]  # {"field", "message", "type"}

KINDS: dict[str, Kind] = {".jsonl": "jsonl", ".ndjson": "jsonl", ".csv": "csv"}
REPORT_SUFFIX = ".report.json"
MAX_LINE_BYTES = 1024 * 1024  # an account row is a few hundred bytes; a longer line is no row
MAX_STORED_ERRORS = 10_000
_BOM = "\ufeff"
_FIELDS = frozenset(AccountSnapshot.model_fields)
_ROW = "row"  # the field named by errors about a whole row
_FILE = "file"  # ... and about the whole file


@dataclass(frozen=True, slots=True)
class RowError:
    """A rejected row (or, with ``line`` None or ``fatal``, a problem of the whole file)."""

    line: int | None
    errors: list[ErrorDetail]
    fatal: bool = False  # the file cannot be read on from here

    def as_dict(self) -> dict[str, Any]:
        return {"line": self.line, "errors": self.errors}


class FileError(Exception):
    """The byte stream cannot be read on (not UTF-8, or a line too long to be a row)."""

    def __init__(self, line: int, type_: str, message: str) -> None:
        super().__init__(message)
        self.error = RowError(line, [_detail(_FILE, message, type_)], fatal=True)


def _detail(field_name: str, message: str, type_: str) -> ErrorDetail:
    return {"field": field_name, "message": message, "type": type_}


def kind_of(key: str) -> Kind | None:
    """The format an object key's extension names, or None if it is not an import file."""
    lowered = key.lower()
    for suffix, kind in KINDS.items():
        if lowered.endswith(suffix):
            return kind
    return None


def is_report(key: str) -> bool:
    return key.lower().endswith(REPORT_SUFFIX)


def report_key(key: str) -> str:
    return key + REPORT_SUFFIX


# --- bytes -> lines ----------------------------------------------------------------------------
def decode_lines(chunks: Iterable[bytes], max_line_bytes: int = MAX_LINE_BYTES) -> Iterator[str]:
    """UTF-8 text lines (with their ``\\n``) of a byte stream read chunk by chunk; a leading BOM
    is dropped. Raises ``FileError`` at the first line that is not UTF-8 or is longer than
    ``max_line_bytes`` (a JSON array on one line, a binary file): nothing after it is read.
    A newline byte is never part of a multi-byte UTF-8 character, so lines decode one by one."""
    pending = bytearray()
    number = 0

    def decode(raw: bytes) -> str:
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError:
            raise FileError(
                number,
                "encoding_error",
                "not UTF-8 text; the import stopped at this line (save the file as UTF-8 "
                "and upload it again)",
            ) from None
        return text[1:] if number == 1 and text.startswith(_BOM) else text

    def too_long() -> FileError:
        return FileError(
            number,
            "line_too_long",
            f"line longer than {max_line_bytes} bytes; the import stopped at this line "
            "(one account per line is expected)",
        )

    for chunk in chunks:
        pending += chunk
        start = 0
        while (end := pending.find(b"\n", start)) >= 0:
            number += 1
            if end + 1 - start > max_line_bytes:
                raise too_long()
            yield decode(bytes(pending[start : end + 1]))
            start = end + 1
        del pending[:start]
        if len(pending) > max_line_bytes:
            number += 1
            raise too_long()
    if pending:
        number += 1
        yield decode(bytes(pending))


# --- lines -> snapshots ------------------------------------------------------------------------
def parse_rows(
    lines: Iterable[str], kind: Kind
) -> Iterator[tuple[int, AccountSnapshot | RowError]]:
    """Each row of the file, by its line number, as a snapshot or the reasons it is rejected.
    Blank lines are skipped; a bad row never stops the rows after it. A ``RowError`` with
    ``fatal`` set (a CSV without an ``account_id`` column) ends the file."""
    if kind == "jsonl":
        return _jsonl_rows(lines)
    if kind == "csv":
        return _csv_rows(lines)
    raise ValueError(f"unknown import kind {kind!r}")


def _without_bom(lines: Iterable[str]) -> Iterator[str]:
    first = True
    for line in lines:
        yield line[1:] if first and line.startswith(_BOM) else line
        first = False


def _jsonl_rows(lines: Iterable[str]) -> Iterator[tuple[int, AccountSnapshot | RowError]]:
    for number, line in enumerate(_without_bom(lines), start=1):
        if not line.strip():
            continue
        try:
            document = json.loads(line)
        except (ValueError, RecursionError):  # bad JSON, or nested too deep to be a row
            yield number, RowError(number, [_detail(_ROW, "not valid JSON", "json_invalid")])
            continue
        if not isinstance(document, dict):
            message = "a row must be one JSON object"
            yield number, RowError(number, [_detail(_ROW, message, "model_type")])
            continue
        values = {name: value for name, value in document.items() if value is not None}
        yield number, _validate(number, values)


def _csv_rows(lines: Iterable[str]) -> Iterator[tuple[int, AccountSnapshot | RowError]]:
    reader = csv.reader(_without_bom(lines))
    header: list[str] | None = None
    while True:
        number = reader.line_num + 1  # where the next record starts
        try:
            cells = next(reader)
        except StopIteration:
            return
        except csv.Error:  # a NUL byte, a field over the csv module's size limit
            if header is None:
                yield number, _fatal(number, _ROW, "the header row is not valid CSV", "csv")
                return
            yield number, RowError(number, [_detail(_ROW, "not valid CSV", "csv_invalid")])
            continue
        if not any(cell.strip() for cell in cells):  # a blank line (or only commas)
            continue
        if header is None:
            header = [cell.strip().lower() for cell in cells]
            if "account_id" not in header:
                message = "the header row has no account_id column"
                yield number, _fatal(number, "account_id", message, "missing_column")
                return
            duplicated = sorted({n for n in header if n in _FIELDS and header.count(n) > 1})
            if duplicated:  # only known field names are named: a header may be a data row
                message = "column appears more than once in the header row"
                errors = [_detail(name, message, "duplicate_column") for name in duplicated]
                yield number, RowError(number, errors, fatal=True)
                return
            continue
        if len(cells) != len(header):
            message = f"{len(cells)} columns where the header row has {len(header)}"
            yield number, RowError(number, [_detail(_ROW, message, "column_count")])
            continue
        values: dict[str, Any] = {}
        for name, cell in zip(header, cells, strict=True):
            if name in _FIELDS and cell.strip():
                values[name] = cell
        yield number, _validate(number, values)


def _fatal(line: int, field_name: str, message: str, type_: str) -> RowError:
    return RowError(line, [_detail(field_name, message, type_)], fatal=True)


def _segments(value: Any) -> Any:
    """A segments cell: a JSON list, or names separated by semicolons (or else commas)."""
    if not isinstance(value, str):
        return value
    text = value.strip()
    if text.startswith("["):
        return json.loads(text)  # ValueError / RecursionError: the segments field's error
    separator = ";" if ";" in text else ","
    return [part.strip() for part in text.split(separator) if part.strip()]


def _validate(line: int, values: dict[str, Any]) -> AccountSnapshot | RowError:
    account_id = values.get("account_id")
    if isinstance(account_id, int) and not isinstance(account_id, bool):
        values["account_id"] = str(account_id)  # JSON exports often write numeric ids
    if "segments" in values:
        try:
            values["segments"] = _segments(values["segments"])
        except (ValueError, RecursionError):
            message = "not a valid JSON list"
            return RowError(line, [_detail("segments", message, "json_invalid")])
    try:
        return AccountSnapshot.model_validate(values)
    except ValidationError as exc:
        return RowError(line, [_error_detail(error) for error in exc.errors()])


def _error_detail(error: Any) -> ErrorDetail:
    field_name = ".".join(str(part) for part in error["loc"]) or _ROW
    message = str(error["msg"])
    given = error.get("input")
    # pydantic's messages name the constraint, not the input; make sure of it anyway.
    if isinstance(given, str | int | float) and len(str(given)) >= 3 and str(given) in message:
        message = "invalid value"
    return _detail(field_name, message, str(error["type"]))


# --- the import ----------------------------------------------------------------------------
@dataclass
class ImportReport:
    """Counts and (up to ``max_errors``) the rejected rows of one import."""

    source: str
    rows: int = 0
    imported: int = 0
    rejected: int = 0
    status: str = "completed"  # completed | stopped | unsupported
    errors: list[RowError] = field(default_factory=list)
    errors_not_listed: int = 0
    max_errors: int = MAX_STORED_ERRORS

    def add(self, result: AccountSnapshot | RowError) -> None:
        if isinstance(result, AccountSnapshot):
            self.rows += 1
            self.imported += 1
            return
        if result.fatal:
            self.status = "stopped"
        else:
            self.rows += 1
            self.rejected += 1
        self._keep(result)

    def stop(self, error: RowError) -> None:
        """The file cannot be read on: record why, keeping the counts so far."""
        self.status = "stopped"
        self._keep(error)

    def _keep(self, error: RowError) -> None:
        if len(self.errors) < self.max_errors:
            self.errors.append(error)
        else:
            self.errors_not_listed += 1

    @classmethod
    def unsupported(cls, source: str) -> ImportReport:
        message = "unsupported file type; upload .jsonl, .ndjson or .csv"
        error = RowError(None, [_detail(_FILE, message, "unsupported_file_type")], fatal=True)
        return cls(source, status="unsupported", errors=[error])

    def counts(self) -> dict[str, Any]:
        return {
            "rows": self.rows,
            "imported": self.imported,
            "rejected": self.rejected,
            "status": self.status,
        }

    def as_dict(self, finished_at: datetime | None = None) -> dict[str, Any]:
        return {
            "source": self.source,
            **self.counts(),
            "errors": [error.as_dict() for error in self.errors],
            "errors_not_listed": self.errors_not_listed,
            "finished_at": (finished_at or datetime.now(UTC)).isoformat(),
        }


def run_import(
    lines: Iterable[str],
    kind: Kind,
    report: ImportReport,
    write: Callable[[list[AccountSnapshot]], object],
    *,
    batch_size: int = 500,
    progress_every: int = 10_000,
    on_progress: Callable[[ImportReport], None] | None = None,
    time_is_up: Callable[[], bool] | None = None,
) -> ImportReport:
    """Parse ``lines`` and ``write`` valid snapshots ``batch_size`` at a time (one batch in
    memory at most). Within a batch a later row of the same account replaces the earlier one
    (a BatchWriteItem may not name one key twice); across batches the later write wins the same
    way. An exception of ``write`` propagates: the caller decides whether to retry the file.
    ``time_is_up`` is asked between batches; when it says so the import stops with an error."""
    batch: dict[str, AccountSnapshot] = {}

    def flush() -> None:
        if batch:
            write(list(batch.values()))
            batch.clear()

    try:
        for line, result in parse_rows(lines, kind):
            report.add(result)
            if isinstance(result, AccountSnapshot):
                batch[result.account_id] = result
                if len(batch) >= batch_size:
                    flush()
                    if time_is_up is not None and time_is_up():
                        message = "time limit reached; rows after this line were not imported"
                        report.stop(_fatal(line, _FILE, message, "timeout"))
                        return report
            if on_progress is not None and report.rows and report.rows % progress_every == 0:
                on_progress(report)
    except FileError as exc:
        report.stop(exc.error)
    flush()
    return report
