"""AWS calls counted at botocore's one entry point, for the bench figures that count calls."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import botocore.client

import leadops.adapters.aws


@contextmanager
def counting_aws() -> Iterator[Counter[str]]:
    """AWS API calls made inside, by operation name."""
    calls: Counter[str] = Counter()
    original = botocore.client.BaseClient._make_api_call

    def counting(self: Any, operation: str, params: dict[str, Any]) -> Any:
        calls[operation] += 1
        return original(self, operation, params)

    botocore.client.BaseClient._make_api_call = counting  # type: ignore[method-assign]
    try:
        yield calls
    finally:
        botocore.client.BaseClient._make_api_call = original  # type: ignore[method-assign]


@contextmanager
def stubbed_aws(stub: Any) -> Iterator[None]:
    """Every AWS client the layer asks for is ``stub`` inside (warm CPU figures without AWS)."""
    original = leadops.adapters.aws.client
    leadops.adapters.aws.client = lambda service: stub  # type: ignore[assignment]
    try:
        yield
    finally:
        leadops.adapters.aws.client = original
