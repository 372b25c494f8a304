"""boto3 clients, one per service per process, created on first use (no AWS call at import).
Standard retry mode with a short connect timeout: Lambda's time is better spent failing fast
and letting the caller retry than waiting on a dead connection."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache
from typing import Any


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
    """A Secrets Manager value through Powertools' cache (re-read after ``max_age`` seconds, so
    a rotation is picked up). Imported here so that boto3 loads with the first AWS call, not in
    every function's init."""
    from aws_lambda_powertools.utilities import parameters

    return parameters.get_secret(arn, transform=transform, max_age=max_age)  # type: ignore[arg-type]


def unavailable_errors() -> tuple[type[Exception], ...]:
    """What a call raises when AWS could not answer (after botocore's own retries) or refused
    it: nothing was stored, so the caller may try again. botocore's exceptions module alone
    (a few ms, loaded at init as before); boto3 itself still waits for the first client."""
    from botocore.exceptions import BotoCoreError, ClientError

    return (ClientError, BotoCoreError)
