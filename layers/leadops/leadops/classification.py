"""Sales / support / spam, by rules (seed 001: "an AI qualifier step to classify submissions as
sales/support/spam"). The rule-based classifier is always on; every signal it used is a reason.
Thresholds and phrase lists are the rulebook's ``classification`` section."""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum
from functools import lru_cache

from leadops.models import LeadInput
from leadops.normalise import EmailKind
from leadops.rulebook import Classification, fold

_HONEYPOT = "the hidden honeypot field was filled in"
_DISPOSABLE = "the email domain is a disposable one"
_LINK = re.compile(r"https?://|www\.", re.IGNORECASE)


class Label(StrEnum):
    SALES = "sales"
    SUPPORT = "support"
    SPAM = "spam"


@dataclass(frozen=True, slots=True)
class Verdict:
    label: Label
    reasons: tuple[str, ...]
    # Spam evidence no classifier may argue with (a filled honeypot, a disposable domain): a
    # model can be talked into anything by the text it reads, these facts cannot.
    hard_evidence: tuple[str, ...] = ()


def second_opinion(verdict: Verdict, ai_label: Label | None, model_id: str) -> Verdict:
    """The AI classifier's answer over the rules' verdict (seed 001: "an AI qualifier step"):
    it wins, except against hard spam evidence; either way the reasons say what happened."""
    if ai_label is None:
        note = "AI classifier unavailable: rules used"
    elif ai_label is verdict.label:
        note = f"AI classifier ({model_id}) agrees"
    elif verdict.hard_evidence:
        note = (f"AI classifier ({model_id}) says {ai_label.value}, but hard spam evidence wins: "
                + "; ".join(verdict.hard_evidence))  # fmt: skip
    else:
        note = f"AI classifier ({model_id}) says {ai_label.value}, which wins"
        return Verdict(ai_label, (*verdict.reasons, note))
    return Verdict(verdict.label, (*verdict.reasons, note), verdict.hard_evidence)


@lru_cache(maxsize=64)
def _folded(phrases: tuple[str, ...]) -> tuple[tuple[str, str], ...]:
    """Each phrase with its padded folded form (the rulebook's lists, folded once)."""
    return tuple((phrase, f" {fold(phrase)} ") for phrase in phrases)


def _phrases_in(padded: str, phrases: tuple[str, ...]) -> list[str]:
    return [phrase for phrase, folded in _folded(phrases) if folded in padded]


def classify(
    lead: LeadInput, email_kind: EmailKind | None, is_customer: bool, rules: Classification
) -> Verdict:
    message = lead.message or ""
    padded = f" {fold(message)} "
    return (
        _spam(lead, message, padded, email_kind, rules)
        or _support(padded, is_customer, rules)
        or Verdict(Label.SALES, ("sales: no spam or support signals strong enough",))
    )


def _spam(
    lead: LeadInput, message: str, padded: str, email_kind: EmailKind | None, rules: Classification
) -> Verdict | None:
    weights = rules.spam_evidence
    evidence: list[tuple[int, str]] = []
    if lead.honeypot:
        evidence.append((weights.honeypot, _HONEYPOT))
    if email_kind is EmailKind.DISPOSABLE:
        evidence.append((weights.disposable_email, _DISPOSABLE))
    links = len(_LINK.findall(message))
    if links > rules.max_links:
        evidence.append((weights.too_many_links, f"the message has {links} links"))
    spam_hits = _phrases_in(padded, rules.spam_phrases)
    if spam_hits:
        evidence.append((weights.spam_phrase, f"known spam phrases: {', '.join(spam_hits)}"))
    if not message.strip():
        evidence.append((weights.empty_message, "the message is empty"))
    spam_score = sum(weight for weight, _ in evidence)
    if spam_score < rules.spam_threshold:
        return None
    found = [reason for weight, reason in evidence if weight]
    hard = tuple(reason for reason in found if reason in (_HONEYPOT, _DISPOSABLE))
    reasons = (f"spam ({spam_score} >= {rules.spam_threshold}): {'; '.join(found)}",)
    return Verdict(Label.SPAM, reasons, hard)


def _support(padded: str, is_customer: bool, rules: Classification) -> Verdict | None:
    """Enough support phrases (fewer from a customer), or one clear support request from a
    message that shows no buying intent: someone locked out of an account is not a sales lead."""
    clear = _phrases_in(padded, rules.support_clear_phrases)
    hits = _phrases_in(padded, rules.support_phrases) + clear
    needed = rules.support_min_hits_customer if is_customer else rules.support_min_hits
    who = "an existing customer" if is_customer else "not a customer"
    if len(hits) >= needed:
        return Verdict(
            Label.SUPPORT,
            (f"support: the message mentions {', '.join(hits)} ({who}, {needed} needed)",),
        )
    if clear and not _phrases_in(padded, rules.buying_intent_phrases):
        asks = ", ".join(clear)
        reason = f"support: the message asks for help ({asks}) and shows no buying intent ({who})"
        return Verdict(Label.SUPPORT, (reason,))
    return None
