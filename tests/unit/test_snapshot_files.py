"""Account import parsing: good rows of both kinds, every kind of bad row (line and field,
never the value), BOM, segments forms, blank lines, and streaming in batches."""

import json
from collections.abc import Iterator

import pytest

from leadops.routing import AccountSnapshot
from leadops.snapshot_files import (
    FileError,
    ImportReport,
    RowError,
    decode_lines,
    is_report,
    kind_of,
    parse_rows,
    report_key,
    run_import,
)

SECRET = "Zyxwv-Confidential"  # a value that must never appear in an error


def _rows(text: str, kind: str) -> list[tuple[int, AccountSnapshot | RowError]]:
    return list(parse_rows(text.splitlines(keepends=True), kind))  # type: ignore[arg-type]


def _errors(text: str, kind: str) -> dict[int, list[dict[str, str]]]:
    return {line: r.errors for line, r in _rows(text, kind) if isinstance(r, RowError)}


def _fields(text: str, kind: str) -> dict[int, list[str]]:
    return {line: [e["field"] for e in errors] for line, errors in _errors(text, kind).items()}


def _good(text: str, kind: str) -> dict[int, AccountSnapshot]:
    return {line: r for line, r in _rows(text, kind) if isinstance(r, AccountSnapshot)}


# --- JSON Lines --------------------------------------------------------------------------------
def test_jsonl_rows_become_snapshots_with_their_line_numbers() -> None:
    text = (
        '{"account_id": "a-1", "name": "Acme", "employees": 120, "mrr": 1500.5,'
        ' "paying_since": "2024-03-01", "segments": ["AM referral"]}\n'
        "\n"
        '{"account_id": 42, "country": "DE", "unknown_column": "ignored"}\n'
    )
    good = _good(text, "jsonl")
    assert list(good) == [1, 3]
    assert good[1].name == "Acme"
    assert good[1].employees == 120
    assert str(good[1].paying_since) == "2024-03-01"
    assert good[1].segments == ("AM referral",)
    assert good[3].account_id == "42"  # numeric ids are read as text


def test_every_kind_of_bad_jsonl_row_is_an_error_with_line_and_field() -> None:
    text = "\n".join(
        [
            '{"account_id": "ok"}',
            '{"account_id": "a", "name": "' + SECRET + '"',  # 2 malformed JSON
            '["' + SECRET + '"]',  # 3 not an object
            '{"name": "' + SECRET + '"}',  # 4 no account_id
            '{"account_id": "   "}',  # 5 empty id
            '{"account_id": "b", "employees": -5, "mrr": "' + SECRET + '"}',  # 6 two fields
            '{"account_id": "c", "paying_since": "' + SECRET + '"}',  # 7 bad date
            '{"account_id": "d", "segments": ["x", {"k": "' + SECRET + '"}]}',  # 8 bad segment
            '{"account_id": "e", "name": "' + "x" * 201 + '"}',  # 9 too long
            '{"account_id": "f", "founded_year": 1066}',  # 10 out of range
        ]
    )
    assert _fields(text, "jsonl") == {
        2: ["row"],
        3: ["row"],
        4: ["account_id"],
        5: ["account_id"],
        6: ["employees", "mrr"],
        7: ["paying_since"],
        8: ["segments.1"],
        9: ["name"],
        10: ["founded_year"],
    }
    errors = _errors(text, "jsonl")
    assert errors[2] == [{"field": "row", "message": "not valid JSON", "type": "json_invalid"}]
    assert errors[4][0]["type"] == "missing"
    assert errors[6][0] == {
        "field": "employees",
        "message": "Input should be greater than or equal to 0",
        "type": "greater_than_equal",
    }
    assert SECRET not in json.dumps(errors)
    assert "1066" not in json.dumps(errors)
    assert list(_good(text, "jsonl")) == [1]


def test_json_nested_too_deep_is_a_row_error_not_a_crash() -> None:
    deep = "[" * 100_000
    text = f'{deep}\n{{"account_id": "a", "segments": "{deep}"}}\n{{"account_id": "b"}}\n'
    assert _fields(text, "jsonl") == {1: ["row"], 2: ["segments"]}
    assert list(_good(text, "jsonl")) == [3]


def test_a_row_error_never_echoes_a_value_even_if_a_message_would() -> None:
    text = '{"account_id": "a", "employees": "' + SECRET + '", "plan": ["' + SECRET + '"]}\n'
    (row,) = _rows(text, "jsonl")
    assert isinstance(row[1], RowError)
    assert SECRET not in json.dumps(row[1].as_dict())


def test_jsonl_with_a_bom_blank_lines_and_crlf() -> None:
    text = '\ufeff{"account_id": "a"}\r\n\r\n   \r\n{"account_id": "b"}\r\n\n'
    assert [(line, s.account_id) for line, s in _good(text, "jsonl").items()] == [
        (1, "a"),
        (4, "b"),
    ]
    assert _errors(text, "jsonl") == {}


def test_lines_may_come_without_their_endings() -> None:
    rows = list(parse_rows(['{"account_id": "a"}', "", '{"account_id": "b"}'], "jsonl"))
    assert [line for line, _ in rows] == [1, 3]
    rows = list(parse_rows(["account_id,name", "a,Acme", "", "b,"], "csv"))
    assert [(line, r.account_id) for line, r in rows if isinstance(r, AccountSnapshot)] == [
        (2, "a"),
        (4, "b"),
    ]


# --- CSV -------------------------------------------------------------------------------------
def test_csv_rows_become_snapshots_and_empty_cells_are_missing() -> None:
    text = (
        "Account_ID, name ,employees,mrr,paying_since,segments,notes\n"
        "a-1,Acme,120,1500.5,2024-03-01,AM referral; big fish,whatever\n"
        "a-2,,,,,,\n"
        '"a-3","Beta, Inc.",7,0,,"[""x"", ""y""]",\n'
    )
    good = _good(text, "csv")
    assert list(good) == [2, 3, 4]
    assert good[2].model_dump(exclude_none=True, mode="json") == {
        "account_id": "a-1",
        "name": "Acme",
        "employees": 120,
        "mrr": 1500.5,
        "paying_since": "2024-03-01",
        "segments": ["AM referral", "big fish"],
    }
    assert good[3].model_dump(exclude_none=True) == {"account_id": "a-2", "segments": ()}
    assert good[4].name == "Beta, Inc."
    assert good[4].segments == ("x", "y")


@pytest.mark.parametrize(
    ("cell", "segments"),
    [
        ("AM referral;AE referral", ("AM referral", "AE referral")),
        ('"AM referral, AE referral"', ("AM referral", "AE referral")),
        ('"a;b,c"', ("a", "b,c")),  # semicolons win: a comma may be part of a name
        ('"[""a"", ""b;c""]"', ("a", "b;c")),
        ("single", ("single",)),
        ('" ; ;"', ()),
        ("", ()),
    ],
)
def test_csv_segments_forms(cell: str, segments: tuple[str, ...]) -> None:
    good = _good(f"account_id,segments\nx,{cell}\n", "csv")
    assert good[2].segments == segments


def test_jsonl_segments_may_be_a_separated_string_too() -> None:
    good = _good('{"account_id": "x", "segments": "a; b"}\n', "jsonl")
    assert good[1].segments == ("a", "b")


def test_every_kind_of_bad_csv_row_is_an_error_with_line_and_field() -> None:
    text = (
        "account_id,name,employees,segments,paying_since\n"
        f"ok,{SECRET},1,,\n"
        f"too,few,{SECRET}\n"  # 3 column count
        f",{SECRET},3,,\n"  # 4 no account_id
        f"b,x,{SECRET},,\n"  # 5 not a number
        f'c,x,1,"[""{SECRET}""",\n'  # 6 segments: broken JSON list
        f"d,x,1,,{SECRET}\n"  # 7 bad date
        "\n"
        ",,,,\n"  # blank (only separators)
        f'e,x,1,"{{""k"": ""{SECRET}""}}",\n'  # 10 a single segment (braces are text)
        f"f,x,-1,,2024-13-01,{SECRET}\n"  # 11 too many columns
        "g,x,-1,,2024-13-01\n"  # 12 two bad fields
    )
    assert _fields(text, "csv") == {
        3: ["row"],
        4: ["account_id"],
        5: ["employees"],
        6: ["segments"],
        7: ["paying_since"],
        11: ["row"],
        12: ["employees", "paying_since"],
    }
    errors = _errors(text, "csv")
    assert errors[3] == [
        {"field": "row", "message": "3 columns where the header row has 5", "type": "column_count"}
    ]
    assert errors[6] == [
        {"field": "segments", "message": "not a valid JSON list", "type": "json_invalid"}
    ]
    assert SECRET not in json.dumps(errors)
    assert list(_good(text, "csv")) == [2, 10]


def test_a_quoted_cell_may_span_lines_and_numbers_stay_physical() -> None:
    text = 'account_id,name\na,"two\nlines"\nb,x\nc,"y\n'
    rows = _rows(text, "csv")
    assert [(line, r.account_id) for line, r in rows if isinstance(r, AccountSnapshot)][:2] == [
        (2, "a"),
        (4, "b"),
    ]
    assert rows[0][1].name == "two\nlines"  # type: ignore[union-attr]


def test_csv_with_a_bom_and_blank_lines_before_the_header() -> None:
    text = "\ufeff\n\naccount_id,name\r\na,Acme\r\n"
    assert [(line, r.account_id) for line, r in _good(text, "csv").items()] == [(4, "a")]


def test_a_csv_without_an_account_id_column_is_one_fatal_error() -> None:
    rows = _rows(f"name,employees\n{SECRET},1\nb,2\n", "csv")
    assert len(rows) == 1
    line, error = rows[0]
    assert isinstance(error, RowError)
    assert error.fatal
    assert (line, error.errors[0]["field"], error.errors[0]["type"]) == (
        1,
        "account_id",
        "missing_column",
    )


def test_a_header_without_account_id_that_is_really_data_echoes_nothing() -> None:
    rows = _rows(f"{SECRET},{SECRET},1\n", "csv")
    assert SECRET not in json.dumps([r.as_dict() for _, r in rows])  # type: ignore[union-attr]


def test_duplicate_known_columns_are_fatal() -> None:
    ((line, error),) = _rows("account_id,name,name,x,x\na,b,c,d,e\n", "csv")
    assert isinstance(error, RowError)
    assert (line, error.fatal, [e["field"] for e in error.errors]) == (1, True, ["name"])


def test_a_cell_too_big_for_the_csv_module_is_a_row_error_not_a_crash() -> None:
    text = f"account_id,name\na,x\nb,{'y' * 200_000}\nd,z\n"
    assert _fields(text, "csv") == {3: ["row"]}
    assert list(_good(text, "csv")) == [2, 4]


def test_empty_files_have_no_rows() -> None:
    assert _rows("", "csv") == []
    assert _rows("\n\n", "jsonl") == []
    assert _rows("account_id,name\n", "csv") == []


def test_unknown_kind_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown import kind"):
        parse_rows([], "xml")  # type: ignore[arg-type]


# --- keys ----------------------------------------------------------------------------------
def test_keys() -> None:
    assert kind_of("imports/a.JSONL") == "jsonl"
    assert kind_of("a.ndjson") == "jsonl"
    assert kind_of("x/y.csv") == "csv"
    assert kind_of("a.xlsx") is None
    assert kind_of("a.csv.report.json") is None
    assert report_key("imports/a.csv") == "imports/a.csv.report.json"
    assert is_report("imports/a.csv.report.json")
    assert not is_report("imports/a.csv")


# --- bytes -> lines ----------------------------------------------------------------------------
def _chunks(data: bytes, size: int) -> list[bytes]:
    return [data[i : i + size] for i in range(0, len(data), size)]


@pytest.mark.parametrize("size", [1, 2, 3, 7, 1000])
def test_decode_lines_splits_across_chunks_and_drops_the_bom(size: int) -> None:
    data = "\ufeffaccount_id,name\r\nä,Zoë 😀\n\nlast".encode()
    assert list(decode_lines(_chunks(data, size))) == [
        "account_id,name\r\n",
        "ä,Zoë 😀\n",
        "\n",
        "last",
    ]


def test_decode_lines_stops_at_the_first_line_that_is_not_utf8() -> None:
    data = "a\nb\nZo\xeb\nc\n".encode("latin-1")
    lines = decode_lines(_chunks(data, 2))
    assert next(lines) == "a\n"
    assert next(lines) == "b\n"
    with pytest.raises(FileError) as caught:
        next(lines)
    assert caught.value.error.line == 3
    assert caught.value.error.errors[0]["type"] == "encoding_error"


def test_decode_lines_refuses_a_line_too_long_to_be_a_row() -> None:
    pulled = 0

    def endless() -> Iterator[bytes]:
        nonlocal pulled
        yield b"short\n"
        while True:
            pulled += 1
            yield b"x" * 100

    lines = decode_lines(endless(), max_line_bytes=1000)
    assert next(lines) == "short\n"
    with pytest.raises(FileError) as caught:
        next(lines)
    assert caught.value.error.line == 2
    assert caught.value.error.errors[0]["type"] == "line_too_long"
    assert pulled <= 11  # it never kept reading


def test_a_long_complete_line_in_one_chunk_is_refused_too() -> None:
    with pytest.raises(FileError):
        list(decode_lines([b"a\n" + b"x" * 50 + b"\nb\n"], max_line_bytes=20))


# --- run_import ----------------------------------------------------------------------------
def test_run_import_writes_batches_while_it_reads() -> None:
    rows = 2_345
    pulled = 0

    def chunks() -> Iterator[bytes]:
        nonlocal pulled
        yield b"account_id,employees\n"
        for i in range(rows):
            pulled += 1
            yield f"acct-{i},{i if i % 100 else -1}\n".encode()

    written: list[tuple[int, int]] = []  # (batch size, chunks pulled when written)

    def write(batch: list[AccountSnapshot]) -> None:
        written.append((len(batch), pulled))

    progress: list[int] = []
    report = run_import(
        decode_lines(chunks()),
        "csv",
        ImportReport("s3://b/k.csv"),
        write,
        batch_size=500,
        progress_every=1000,
        on_progress=lambda r: progress.append(r.rows),
    )
    assert (report.rows, report.imported, report.rejected) == (rows, rows - 24, 24)
    assert [size for size, _ in written] == [500, 500, 500, 500, 321]
    assert written[0][1] < 600  # the first batch went out long before the file was read
    assert progress == [1000, 2000]
    assert [e.line for e in report.errors][:3] == [2, 102, 202]
    assert report.status == "completed"


def test_a_later_row_of_the_same_account_wins_within_a_batch() -> None:
    batches: list[list[AccountSnapshot]] = []
    lines = ['{"account_id": "a", "plan": "free"}', '{"account_id": "a", "plan": "pro"}']
    report = run_import(lines, "jsonl", ImportReport("s"), batches.append)
    assert [[s.plan for s in batch] for batch in batches] == [["pro"]]
    assert report.imported == 2


def test_run_import_keeps_the_rows_before_a_bad_encoding_and_stops() -> None:
    data = b'{"account_id": "a"}\n{"account_id": "b\xff"}\n{"account_id": "c"}\n'
    batches: list[list[AccountSnapshot]] = []
    report = run_import(decode_lines([data]), "jsonl", ImportReport("s"), batches.append)
    assert [[s.account_id for s in b] for b in batches] == [["a"]]
    assert report.status == "stopped"
    assert [e.as_dict()["line"] for e in report.errors] == [2]
    assert (report.rows, report.imported, report.rejected) == (1, 1, 0)


def test_run_import_stops_between_batches_when_time_is_up() -> None:
    lines = [f'{{"account_id": "{i}"}}' for i in range(10)]
    batches: list[list[AccountSnapshot]] = []
    report = run_import(
        lines, "jsonl", ImportReport("s"), batches.append, batch_size=3, time_is_up=lambda: True
    )
    assert [len(b) for b in batches] == [3]
    assert report.status == "stopped"
    assert report.errors[-1].line == 3
    assert report.errors[-1].errors[0]["type"] == "timeout"


def test_a_write_failure_propagates() -> None:
    def fail(batch: list[AccountSnapshot]) -> None:
        raise RuntimeError("throttled")

    with pytest.raises(RuntimeError):
        run_import(['{"account_id": "a"}'], "jsonl", ImportReport("s"), fail)


def test_the_report_caps_its_stored_errors() -> None:
    report = ImportReport("s", max_errors=3)
    for line in range(1, 8):
        report.add(RowError(line, [{"field": "row", "message": "m", "type": "t"}]))
    document = report.as_dict()
    assert [e["line"] for e in document["errors"]] == [1, 2, 3]
    assert document["errors_not_listed"] == 4
    assert (document["rows"], document["rejected"], document["imported"]) == (7, 7, 0)
    assert set(document) == {
        "source",
        "rows",
        "imported",
        "rejected",
        "status",
        "errors",
        "errors_not_listed",
        "finished_at",
    }


def test_an_unsupported_file_report() -> None:
    document = ImportReport.unsupported("s3://b/a.xlsx").as_dict()
    assert document["status"] == "unsupported"
    assert document["errors"][0]["line"] is None
    assert document["errors"][0]["errors"][0]["type"] == "unsupported_file_type"
