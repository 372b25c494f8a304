"""boto3 clients, one per service per process, created on first use (no AWS call at import).
Standard retry mode with a short connect timeout: Lambda's time is better spent failing fast
and letting the caller retry than waiting on a dead connection."""

from __future__ import annotations

from functools import cache
from typing import Any


@cache
def client(service: str) -> Any:
    import boto3
    from botocore.config import Config

    config = Config(
        retries={"mode": "standard", "max_attempts": 3}, connect_timeout=2, read_timeout=5
    )
    return boto3.client(service, config=config)
