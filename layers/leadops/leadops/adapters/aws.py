"""boto3 clients, one per service per process, created on first use (no AWS call at import).
Standard retry mode with a short connect timeout: Lambda's time is better spent failing fast
and letting the caller retry than waiting on a dead connection.

Under Lambda SnapStart (template parameter ``SnapStart``) the initialised process is
snapshotted and later restored, possibly many times and much later: ``after_restore`` (run by
the runtime's hook) drops what must not outlive the snapshot, and ``before_snapshot`` loads the
SDK into it, which holds no credentials, connections or secrets.
"""

from __future__ import annotations

import gc
import json
import random
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache
from typing import Any

# (secret arn, transform) -> (monotonic time it expires, value)
_secrets: dict[tuple[str, str | None], tuple[float, Any]] = {}


@contextmanager
def _loading() -> Iterator[None]:
    """Garbage collection off while the SDK loads (an import storm of objects that live as long
    as the container, as in leadops.coldstart), then what it made frozen out of later
    collections."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.freeze()
            gc.enable()


@cache
def client(service: str) -> Any:
    with _loading():  # boto3 and a service model: long-lived, loaded once
        import boto3
        from botocore.config import Config

        config = Config(
            retries={"mode": "standard", "max_attempts": 3}, connect_timeout=2, read_timeout=5
        )
        return boto3.client(service, config=config)


def secret(arn: str, max_age: int, transform: str | None = None) -> Any:
    """A Secrets Manager value (SecretString, else SecretBinary; parsed when ``transform`` is
    "json"), cached for ``max_age`` seconds so a rotation is picked up. Read with this module's
    client (its retries and timeouts), not Powertools' parameters utility: that loads every
    provider it has and a second SDK session with the first secret (measured: most of the
    webhook's first request)."""
    key = (arn, transform)
    now = time.monotonic()
    cached = _secrets.get(key)
    if cached is not None and now < cached[0]:
        return cached[1]
    answer = client("secretsmanager").get_secret_value(SecretId=arn)
    value = answer["SecretString"] if "SecretString" in answer else answer["SecretBinary"]
    if transform == "json":
        value = json.loads(value)
    _secrets[key] = (now + max_age, value)
    return value


def reset() -> None:
    """Forget every client, the SDK's default session (its credentials) and cached secret."""
    client.cache_clear()
    _secrets.clear()
    if "boto3" in sys.modules:  # never loaded just to be reset
        setattr(sys.modules["boto3"], "DEFAULT_SESSION", None)  # noqa: B010


def after_restore() -> None:
    """A SnapStart restore: credentials, connections and secrets from the snapshot may be stale
    or shared by every restored copy, and so would ``random``'s state (one seed, many
    containers drawing the same numbers)."""
    reset()
    random.seed()


def before_snapshot() -> None:
    """Load the SDK into the snapshot (modules only: no session, client or credential)."""
    with _loading():
        import boto3.dynamodb.types  # noqa: F401


def register_snapstart_hooks() -> bool:
    """Register ``before_snapshot`` / ``after_restore`` with the Lambda runtime's SnapStart
    hooks; False where there are none (locally, in tests, Python runtimes before 3.12)."""
    try:
        from snapshot_restore_py import (  # type: ignore[import-not-found, unused-ignore]
            register_after_restore,
            register_before_snapshot,
        )
    except ImportError:
        return False
    register_before_snapshot(before_snapshot)
    register_after_restore(after_restore)
    return True


def unavailable_errors() -> tuple[type[Exception], ...]:
    """What a call raises when AWS could not answer (after botocore's own retries) or refused
    it: nothing was stored, so the caller may try again. botocore's exceptions module alone
    (a few ms, loaded at init as before); boto3 itself still waits for the first client."""
    from botocore.exceptions import BotoCoreError, ClientError

    return (ClientError, BotoCoreError)


register_snapstart_hooks()
