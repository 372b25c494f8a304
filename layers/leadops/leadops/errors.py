"""Domain errors the HTTP layer maps to answers in one place (leadops.api)."""


class NotFound(LookupError):
    """No such lead, rep or account (404)."""

    def __init__(self, kind: str, key: str) -> None:
        super().__init__(f"no {kind} {key!r}")
        self.kind = kind
