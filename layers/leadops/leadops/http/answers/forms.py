"""The form-source API (issue 12)."""

from __future__ import annotations

from pydantic import Field

from leadops.http.answers import Answer


class FormSourceAnswer(Answer):
    """The source as stored (``leadops.form_sources.FormSource``)."""

    source_id: str
    vendor: str = Field(description="native, typeform, tally, webflow, hubspot, jotform, ...")
    secret_name: str = Field(description="The Secrets Manager secret holding the signing secret")
    fields: dict[str, str] = Field(description="vendor answer name -> submission field")
    allowed_origins: list[str]
    message: str = Field(description="What a visitor not shown a booking page sees")
    redirect_url: str | None
