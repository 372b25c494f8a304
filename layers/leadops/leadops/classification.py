"""Sales / support / spam, by rules (seed 001: "an AI qualifier step to classify submissions as
sales/support/spam"). The rule-based classifier is always on; every signal it used is a reason.
Thresholds and phrase lists are the rulebook's ``classification`` section."""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum

from leadops.models import LeadInput
from leadops.normalise import EmailKind
from leadops.rulebook import Classification, fold

_LINK = re.compile(r"https?://|www\.", re.IGNORECASE)


class Label(StrEnum):
    SALES = "sales"
    SUPPORT = "support"
    SPAM = "spam"


@dataclass(frozen=True, slots=True)
class Verdict:
    label: Label
    reasons: tuple[str, ...]


def _phrases_in(text: str, phrases: tuple[str, ...]) -> list[str]:
    padded = f" {fold(text)} "
    return [phrase for phrase in phrases if f" {fold(phrase)} " in padded]


def classify(
    lead: LeadInput, email_kind: EmailKind | None, is_customer: bool, rules: Classification
) -> Verdict:
    message = lead.message or ""
    weights = rules.spam_evidence
    evidence: list[tuple[int, str]] = []
    if lead.honeypot:
        evidence.append((weights.honeypot, "the hidden honeypot field was filled in"))
    if email_kind is EmailKind.DISPOSABLE:
        evidence.append((weights.disposable_email, "the email domain is a disposable one"))
    links = len(_LINK.findall(message))
    if links > rules.max_links:
        evidence.append((weights.too_many_links, f"the message has {links} links"))
    spam_hits = _phrases_in(message, rules.spam_phrases)
    if spam_hits:
        evidence.append((weights.spam_phrase, f"known spam phrases: {', '.join(spam_hits)}"))
    if not message.strip():
        evidence.append((weights.empty_message, "the message is empty"))
    spam_score = sum(weight for weight, _ in evidence)
    if spam_score >= rules.spam_threshold:
        reasons = [reason for weight, reason in evidence if weight]
        return Verdict(Label.SPAM, (f"spam ({spam_score} >= {rules.spam_threshold}): "
                                    + "; ".join(reasons),))  # fmt: skip

    support_hits = _phrases_in(message, rules.support_phrases)
    needed = rules.support_min_hits_customer if is_customer else rules.support_min_hits
    who = "an existing customer" if is_customer else "not a customer"
    if len(support_hits) >= needed:
        return Verdict(
            Label.SUPPORT,
            (f"support: the message mentions {', '.join(support_hits)} ({who}, {needed} needed)",),
        )
    return Verdict(Label.SALES, ("sales: no spam or support signals strong enough",))
