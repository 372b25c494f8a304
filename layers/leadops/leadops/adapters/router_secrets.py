"""The router's secrets in Secrets Manager, each read once per container per 5 minutes (a
rotation is picked up within that): the booking-link signing secret(s), one per line while
rotating (the first signs, any verifies), and the Turnstile secret key."""

from __future__ import annotations

from leadops.adapters import aws
from leadops.http.signature import secrets_from

MAX_AGE_S = 300


class SecretTokens:
    """Satisfies ``leadops.ports.BookingTokens``."""

    def __init__(self, arn: str) -> None:
        self.arn = arn

    def secrets(self) -> list[str]:
        found = secrets_from(str(aws.secret(self.arn, max_age=MAX_AGE_S)))
        if not found:
            raise ValueError("the router secret is empty")
        return found


def secret_text(arn: str) -> str:
    return str(aws.secret(arn, max_age=MAX_AGE_S)).strip()
