"""A support ticket: what a ``support`` form submission becomes (the SQS message the support
worker reads and the content of the Zendesk ticket it files). Pure data: the Zendesk client in
``leadops.adapters.zendesk`` sends it."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from leadops.models import Email, LongText

NO_MESSAGE = "(The form was submitted without a message.)"

# Header-safe (no whitespace or control characters): the submission id becomes the
# Idempotency-Key header and the ticket's external_id. Zendesk accepts keys up to 255 chars.
SubmissionId = Annotated[
    str, StringConstraints(min_length=1, max_length=128, pattern=r"^[\x21-\x7e]+$")
]
Tag = Annotated[str, StringConstraints(min_length=1, max_length=80, pattern=r"^[A-Za-z0-9_:./-]+$")]


class SupportTicket(BaseModel):
    """The SQS message a ``support`` form submission becomes (also the ticket's content)."""

    model_config = ConfigDict(
        defer_build=True,
        extra="ignore",
        str_strip_whitespace=True,
        frozen=True,
        hide_input_in_errors=True,
    )

    submission_id: SubmissionId
    lead_id: Annotated[str, StringConstraints(min_length=1, max_length=128)] | None = None
    requester_email: Email
    # The webhook falls back to the email for a nameless requester, so as long as an email.
    requester_name: Annotated[str, StringConstraints(min_length=1, max_length=254)]
    subject: Annotated[str, StringConstraints(min_length=1, max_length=255)]
    body: LongText = ""  # a support form may come without a message; Zendesk needs one
    tags: list[Tag] = Field(default_factory=list, max_length=20)

    def as_zendesk(self) -> dict[str, Any]:
        """The ``POST /api/v2/tickets.json`` body."""
        return {
            "ticket": {
                "subject": self.subject,
                "comment": {"body": self.body or NO_MESSAGE},
                "requester": {"name": self.requester_name, "email": self.requester_email},
                "tags": list(self.tags),
                "external_id": self.submission_id,
            }
        }
