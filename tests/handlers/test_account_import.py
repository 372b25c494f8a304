"""The account import (S3 ObjectCreated on ImportsBucket) through the real ``lambda_handler``
on moto: snapshots stored, the report next to the file (lines, fields, counts, never values),
batching of a large file, streaming, and no import loop on the report itself."""

import json
from datetime import date, timedelta
from typing import Any
from urllib.parse import quote_plus

import boto3
import pytest
from botocore.response import StreamingBody

from leadops.adapters.accounts_table import AccountsTable
from leadops.routing import AccountSnapshot
from leadops_local.runtime import LocalFunction
from leadops_local.template import SamTemplate
from tests.helpers import call

SECRET = "Zyxwv-Confidential"  # a value that must never reach a report or a log


@pytest.fixture
def importer(aws: SamTemplate) -> LocalFunction:
    """AccountImportFunction as template.yaml declares it, freshly imported for each test."""
    return LocalFunction(aws.function("AccountImportFunction"))


@pytest.fixture
def bucket(aws: SamTemplate) -> str:
    return str(aws.physical_name("ImportsBucket"))


def _event(bucket: str, *keys: str, name: str = "ObjectCreated:Put") -> dict[str, Any]:
    return {
        "Records": [
            {
                "eventVersion": "2.1",
                "eventSource": "aws:s3",
                "awsRegion": "us-east-1",
                "eventTime": "2026-11-23T09:00:00.000Z",
                "eventName": name,
                "s3": {
                    "s3SchemaVersion": "1.0",
                    "bucket": {"name": bucket, "arn": f"arn:aws:s3:::{bucket}"},
                    "object": {"key": quote_plus(key), "size": 1, "sequencer": "01"},
                },
            }
            for key in keys
        ]
    }


def _put(bucket: str, key: str, body: str | bytes) -> None:
    data = body.encode() if isinstance(body, str) else body
    boto3.client("s3").put_object(Bucket=bucket, Key=key, Body=data)


def _report(bucket: str, key: str) -> dict[str, Any]:
    body = boto3.client("s3").get_object(Bucket=bucket, Key=f"{key}.report.json")["Body"]
    document: dict[str, Any] = json.loads(body.read())
    return document


def _keys(bucket: str) -> list[str]:
    listing = boto3.client("s3").list_objects_v2(Bucket=bucket)
    return [item["Key"] for item in listing.get("Contents", [])]


def _snapshots(aws: SamTemplate) -> dict[str, dict[str, Any]]:
    """Every stored snapshot (account id -> its fields as stored), read through the adapter."""
    table = AccountsTable(aws.physical_name("AccountsTable"))
    found: dict[str, dict[str, Any]] = {}
    key: dict[str, Any] | None = None
    while True:
        page = table.scan_segment(0, 1, key)
        for record in page.records:
            if (snapshot := record.snapshot) is not None:
                found[record.account_id] = snapshot.model_dump(mode="json", exclude_none=True)
        if page.next_key is None:
            return found
        key = page.next_key


JSONL = "\n".join(
    [
        json.dumps({"account_id": "a-1", "name": "Acme", "employees": 120, "segments": ["AM"]}),
        json.dumps({"account_id": "a-2", "mrr": -1, "name": SECRET}),  # 2 bad mrr
        "",
        '{"account_id": "a-3", "name": "' + SECRET,  # 4 malformed
        json.dumps({"name": SECRET}),  # 5 no account_id
        json.dumps({"account_id": "a-4", "paying_since": "2024-02-29", "plan": "pro"}),
    ]
)

CSV = (
    "account_id,name,employees,segments,paying_since\r\n"
    'c-1,"Beta, Inc.",7,AE referral;Big fish,2023-01-15\r\n'
    f"c-2,{SECRET},{SECRET},,\r\n"  # 3 bad employees
    f"c-3,{SECRET}\r\n"  # 4 column count
    "\r\n"
    f",{SECRET},1,,\r\n"  # 6 no account_id
    'c-4,,,"[""x""]",\r\n'
)


def test_jsonl_and_csv_files_are_imported_with_a_report_next_to_each(
    importer: LocalFunction, aws: SamTemplate, bucket: str
) -> None:
    _put(bucket, "imports/accounts.jsonl", JSONL)
    _put(bucket, "imports/Q1 accounts.csv", "\ufeff" + CSV)  # a BOM, a space in the key
    answer = importer.invoke(_event(bucket, "imports/accounts.jsonl", "imports/Q1 accounts.csv"))

    assert [(i["rows"], i["imported"], i["rejected"]) for i in answer["imports"]] == [
        (5, 2, 3),
        (5, 2, 3),
    ]
    snapshots = _snapshots(aws)
    assert snapshots == {
        "a-1": {"account_id": "a-1", "name": "Acme", "employees": 120, "segments": ["AM"]},
        "a-4": {"account_id": "a-4", "paying_since": "2024-02-29", "plan": "pro", "segments": []},
        "c-1": {
            "account_id": "c-1",
            "name": "Beta, Inc.",
            "employees": 7,
            "paying_since": "2023-01-15",
            "segments": ["AE referral", "Big fish"],
        },
        "c-4": {"account_id": "c-4", "segments": ["x"]},
    }
    assert AccountsTable(aws.physical_name("AccountsTable")).get("c-1").snapshot == (
        AccountSnapshot(
            account_id="c-1",
            name="Beta, Inc.",
            employees=7,
            paying_since=date(2023, 1, 15),
            segments=("AE referral", "Big fish"),
        )
    )

    report = _report(bucket, "imports/accounts.jsonl")
    assert report["source"] == f"s3://{bucket}/imports/accounts.jsonl"
    assert (report["rows"], report["imported"], report["rejected"]) == (5, 2, 3)
    assert report["status"] == "completed"
    assert [(e["line"], [d["field"] for d in e["errors"]]) for e in report["errors"]] == [
        (2, ["mrr"]),
        (4, ["row"]),
        (5, ["account_id"]),
    ]
    assert report["errors"][0]["errors"][0]["type"] == "greater_than_equal"
    assert report["finished_at"].startswith("20")

    report = _report(bucket, "imports/Q1 accounts.csv")
    assert (report["rows"], report["imported"], report["rejected"]) == (5, 2, 3)
    assert [(e["line"], [d["field"] for d in e["errors"]]) for e in report["errors"]] == [
        (3, ["employees"]),
        (4, ["row"]),
        (6, ["account_id"]),
    ]
    for key in ("imports/accounts.jsonl", "imports/Q1 accounts.csv"):
        assert SECRET not in json.dumps(_report(bucket, key))
    assert SECRET not in json.dumps(answer)


@pytest.mark.parametrize(("country", "code"), [("United Kingdom", "GB"), ("USA", "US")])
def test_countries_are_stored_as_iso_codes_and_pls1_reads_them(
    importer: LocalFunction, aws: SamTemplate, bucket: str, load_function: Any,
    country: str, code: str,
) -> None:  # fmt: skip
    """Issue 16 item 1: MRR $800, 60 employees, 8 users, paying for 4 months in the UK or the
    USA is PLS-1, even with a low-usage signal (BDR-3) recorded."""
    paying_since = (date.today() - timedelta(days=125)).isoformat()
    row = {"account_id": "acct-1", "mrr": 800, "employees": 60, "user_count": 8,
           "country": country, "paying_since": paying_since}  # fmt: skip
    _put(bucket, "imports/icp.jsonl", json.dumps(row) + "\n")
    importer.invoke(_event(bucket, "imports/icp.jsonl"))
    assert _snapshots(aws)["acct-1"]["country"] == code
    api = load_function("AccountsApiFunction")
    status, account = call(api, "POST", "/accounts/acct-1/signals", {"type": "low_usage"})
    assert status == 200, account
    assert account["routing"]["rule"] == "PLS-1"
    assert f"ICP country {code}" in account["routing"]["reasons"][0]


def test_a_large_file_is_imported_in_batches_while_it_is_read(
    aws: SamTemplate,
    bucket: str,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    rows = 20_000
    lines = (
        json.dumps({"account_id": f"acct-{i:05d}", "employees": i, "name": SECRET})
        for i in range(rows)
    )
    _put(bucket, "imports/big.ndjson", "\n".join(lines) + "\n")

    batches: list[int] = []
    write_calls: list[int] = []
    reads: list[int | None] = []
    put_snapshots = AccountsTable.put_snapshots
    batch_write = AccountsTable._batch_write
    read = StreamingBody.read

    def counting_put(self: AccountsTable, snapshots: list[AccountSnapshot]) -> int:
        batches.append(len(snapshots))
        return int(put_snapshots(self, snapshots))

    def counting_write(self: AccountsTable, requests: list[dict[str, Any]]) -> int:
        calls = int(batch_write(self, requests))
        write_calls.append(calls)
        return calls

    def recording_read(self: StreamingBody, amt: int | None = None) -> bytes:
        reads.append(amt)
        data: bytes = read(self, amt)
        return data

    monkeypatch.setattr(AccountsTable, "put_snapshots", counting_put)
    monkeypatch.setattr(AccountsTable, "_batch_write", counting_write)
    monkeypatch.setattr(StreamingBody, "read", recording_read)
    # Its progress interval made small through its environment, as a deployment would.
    importer = LocalFunction(aws.function("AccountImportFunction"), {"IMPORT_PROGRESS_EVERY": 5000})

    (summary,) = importer.invoke(_event(bucket, "imports/big.ndjson"))["imports"]

    assert (summary["rows"], summary["imported"], summary["rejected"]) == (rows, rows, 0)
    assert batches == [500] * 40  # never more than one batch in memory
    assert sum(write_calls) == rows // 25  # BatchWriteItem calls of 25 items
    assert reads
    assert None not in reads  # streamed in bounded reads, never read whole
    assert max(r for r in reads if r is not None) <= 64 * 1024
    snapshots = _snapshots(aws)
    assert len(snapshots) == rows
    assert snapshots["acct-19999"]["employees"] == 19_999
    progress = [r.__dict__ for r in caplog.records if r.getMessage() == "import progress"]
    assert [record["rows"] for record in progress] == [5_000, 10_000, 15_000, 20_000]
    assert SECRET not in str([r.__dict__ for r in caplog.records])
    assert _report(bucket, "imports/big.ndjson")["imported"] == rows


def test_the_report_object_does_not_trigger_another_import(
    importer: LocalFunction, aws: SamTemplate, bucket: str
) -> None:
    _put(bucket, "imports/a.jsonl", '{"account_id": "a"}\n')
    importer.invoke(_event(bucket, "imports/a.jsonl"))
    assert sorted(_keys(bucket)) == ["imports/a.jsonl", "imports/a.jsonl.report.json"]

    # Were S3 to notify about the report (a filter mistake), nothing would happen.
    answer = importer.invoke(_event(bucket, "imports/a.jsonl.report.json"))
    assert answer == {"imports": []}
    assert sorted(_keys(bucket)) == ["imports/a.jsonl", "imports/a.jsonl.report.json"]


def test_other_event_types_are_ignored(importer: LocalFunction, bucket: str) -> None:
    answer = importer.invoke(_event(bucket, "imports/a.csv", name="ObjectRemoved:Delete"))
    assert answer == {"imports": []}


def test_an_unsupported_file_gets_a_report_saying_so(
    importer: LocalFunction, aws: SamTemplate, bucket: str
) -> None:
    _put(bucket, "imports/accounts.xlsx", b"PK\x03\x04")
    (summary,) = importer.invoke(_event(bucket, "imports/accounts.xlsx"))["imports"]
    assert summary["status"] == "unsupported"
    report = _report(bucket, "imports/accounts.xlsx")
    assert report["status"] == "unsupported"
    assert report["errors"][0]["errors"][0]["type"] == "unsupported_file_type"
    assert _snapshots(aws) == {}


def test_a_file_that_is_not_utf8_is_one_report_error(
    importer: LocalFunction, aws: SamTemplate, bucket: str
) -> None:
    data = f"account_id,name\na,Acme\nb,Zo\xeb {SECRET}\nc,x\n".encode("latin-1")
    _put(bucket, "imports/latin1.csv", data)
    (summary,) = importer.invoke(_event(bucket, "imports/latin1.csv"))["imports"]
    assert summary["status"] == "stopped"
    report = _report(bucket, "imports/latin1.csv")
    assert (report["rows"], report["imported"], report["rejected"]) == (1, 1, 0)
    assert report["errors"] == [
        {
            "line": 3,
            "errors": [
                {
                    "field": "file",
                    "message": "not UTF-8 text; the import stopped at this line (save the file "
                    "as UTF-8 and upload it again)",
                    "type": "encoding_error",
                }
            ],
        }
    ]
    assert list(_snapshots(aws)) == ["a"]


def test_a_csv_without_account_id_column_is_refused_as_a_whole(
    importer: LocalFunction, aws: SamTemplate, bucket: str
) -> None:
    _put(bucket, "imports/x.csv", f"id,name\n1,{SECRET}\n2,b\n")
    importer.invoke(_event(bucket, "imports/x.csv"))
    report = _report(bucket, "imports/x.csv")
    assert (report["rows"], report["status"]) == (0, "stopped")
    assert [(e["line"], e["errors"][0]["type"]) for e in report["errors"]] == [
        (1, "missing_column")
    ]
    assert _snapshots(aws) == {}


def test_a_file_deleted_before_the_import_is_skipped(importer: LocalFunction, bucket: str) -> None:
    answer = importer.invoke(_event(bucket, "imports/gone.jsonl"))
    assert answer == {
        "imports": [{"source": f"s3://{bucket}/imports/gone.jsonl", "status": "missing"}]
    }
    assert _keys(bucket) == []


def test_a_dynamodb_failure_propagates_so_lambda_retries_the_file(
    importer: LocalFunction, aws: SamTemplate, bucket: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    _put(bucket, "imports/a.jsonl", "".join(f'{{"account_id": "{i}"}}\n' for i in range(1200)))
    put_snapshots = AccountsTable.put_snapshots
    calls = 0

    def failing_second_time(self: AccountsTable, snapshots: list[AccountSnapshot]) -> int:
        nonlocal calls
        calls += 1
        if calls == 2:
            raise RuntimeError("ProvisionedThroughputExceededException")
        return int(put_snapshots(self, snapshots))

    monkeypatch.setattr(AccountsTable, "put_snapshots", failing_second_time)
    with pytest.raises(RuntimeError):
        importer.invoke(_event(bucket, "imports/a.jsonl"))
    assert _keys(bucket) == ["imports/a.jsonl"]  # no report: the run did not finish
    assert len(_snapshots(aws)) == 500

    monkeypatch.setattr(AccountsTable, "put_snapshots", put_snapshots)  # the retry succeeds
    (summary,) = importer.invoke(_event(bucket, "imports/a.jsonl"))["imports"]
    assert summary["imported"] == 1200
    assert len(_snapshots(aws)) == 1200
