"""leadops.adapters.aws: the cached secret and what a SnapStart restore refreshes."""

import random
import sys
import types
from collections.abc import Callable, Iterator
from typing import Any

import boto3
import pytest
from moto import mock_aws

from leadops.adapters import aws


@pytest.fixture
def secrets() -> Iterator[Any]:
    with mock_aws():
        yield boto3.client("secretsmanager")


def test_a_secret_is_read_once_per_max_age_then_again(
    secrets: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    arn = secrets.create_secret(Name="hook", SecretString='{"key": "one"}')["ARN"]
    now = [1000.0]
    monkeypatch.setattr(aws.time, "monotonic", lambda: now[0])
    assert aws.secret(arn, max_age=300, transform="json") == {"key": "one"}
    secrets.put_secret_value(SecretId=arn, SecretString='{"key": "two"}')
    now[0] += 299
    assert aws.secret(arn, max_age=300, transform="json") == {"key": "one"}  # cached
    assert aws.secret(arn, max_age=300) == '{"key": "two"}'  # another transform: its own read
    now[0] += 2
    assert aws.secret(arn, max_age=300, transform="json") == {"key": "two"}  # rotated


def test_a_binary_secret_is_its_bytes(secrets: Any) -> None:
    arn = secrets.create_secret(Name="bin", SecretBinary=b"\x00raw")["ARN"]
    assert aws.secret(arn, max_age=60) == b"\x00raw"


def test_after_a_restore_clients_credentials_secrets_and_random_are_fresh(
    secrets: Any,
) -> None:
    arn = secrets.create_secret(Name="restored", SecretString="before")["ARN"]
    assert aws.secret(arn, max_age=300) == "before"
    dynamodb = aws.client("dynamodb")
    session = boto3.DEFAULT_SESSION
    secrets.put_secret_value(SecretId=arn, SecretString="after")
    random.seed(1234)  # the state every restored copy of one snapshot would share
    shared = random.Random(1234).random()

    aws.after_restore()

    assert aws.client("dynamodb") is not dynamodb
    assert boto3.DEFAULT_SESSION is not session  # credentials are resolved anew
    assert aws.secret(arn, max_age=300) == "after"
    assert random.random() != shared


def test_the_hooks_are_registered_with_the_runtime_when_it_has_them(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    assert "snapshot_restore_py" not in sys.modules  # locally: nothing to register with
    assert aws.register_snapstart_hooks() is False
    registered: dict[str, Callable[[], None]] = {}
    runtime = types.ModuleType("snapshot_restore_py")
    runtime.register_before_snapshot = lambda hook: registered.setdefault("before", hook)  # type: ignore[attr-defined]
    runtime.register_after_restore = lambda hook: registered.setdefault("after", hook)  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "snapshot_restore_py", runtime)
    assert aws.register_snapstart_hooks() is True
    assert registered == {"before": aws.before_snapshot, "after": aws.after_restore}


def test_before_a_snapshot_the_sdk_is_loaded_but_no_client_or_session_exists(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(boto3, "DEFAULT_SESSION", None)
    aws.reset()
    aws.before_snapshot()
    assert "boto3.dynamodb.types" in sys.modules
    assert boto3.DEFAULT_SESSION is None
    assert aws.client.cache_info().currsize == 0
