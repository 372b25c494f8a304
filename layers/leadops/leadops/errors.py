"""Domain errors the HTTP layer maps to answers in one place (leadops.http.resolver)."""


class NotFound(LookupError):
    """No such lead, rep or account (404)."""

    def __init__(self, kind: str, key: str) -> None:
        super().__init__(f"no {kind} {key!r}")
        self.kind = kind


class Conflict(ValueError):
    """The request contradicts what is stored (409), e.g. a rulebook version reused for
    a different document."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


class Invalid(ValueError):
    """A request that is well formed but asks for something impossible (422, naming a field)."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


class VendorError(Exception):
    """A vendor (Zendesk, PostHog) did not take the request. ``status``: its HTTP answer (None
    when it could not be reached); ``retryable``: whether trying later may succeed."""

    def __init__(self, message: str, status: int | None, retryable: bool) -> None:
        super().__init__(message)
        self.status = status
        self.retryable = retryable
