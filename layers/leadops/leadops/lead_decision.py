"""The pure part of deciding a demo request: classification, both scores, the scheduler check
and the territory, from the submission and what was known about its account at the time.

The webhook runs ``evaluate``, picks a rep (round robin, I/O), then ``finalise``s the evaluation
with that rep; a dry run does the same over a stored lead under a candidate rulebook (keeping the
rep availability the lead had), so the two can never disagree about what a rule means.
``decision_rule`` names the rule that decided a lead, for conversion reporting per rule.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from leadops.classification import Label, Verdict, classify
from leadops.models import LeadInput
from leadops.normalise import NormalisedLead
from leadops.qualification import Outcome, SchedulerCheck, check_scheduler
from leadops.rulebook import DemoBooking, Rulebook
from leadops.scoring import LeadScores, Scorer


@dataclass(frozen=True, slots=True)
class Evaluation:
    verdict: Verdict
    scores: LeadScores
    scheduler: SchedulerCheck | None  # sales leads only
    territory: str | None  # sales leads only

    @property
    def label(self) -> Label:
        return self.verdict.label


def evaluate(
    submission: LeadInput,
    lead: NormalisedLead,
    *,
    is_customer: bool,
    locked_until: datetime | None,
    now: datetime,
    rulebook: Rulebook,
    scorer: Scorer,
    second_opinion: Callable[[Verdict], Verdict] | None = None,
) -> Evaluation:
    scores = scorer.score_normalised(lead)
    verdict = classify(submission, lead.email_kind, is_customer, rulebook.classification)
    if second_opinion is not None:
        verdict = second_opinion(verdict)
    if verdict.label is not Label.SALES:
        return Evaluation(verdict, scores, None, None)
    check = check_scheduler(
        lead,
        submission.company.industry,
        scores.lead_score.total,
        locked_until,
        now,
        rulebook.demo_booking,
    )
    return Evaluation(verdict, scores, check, rulebook.territories.of(lead.country))


@dataclass(frozen=True, slots=True)
class Final:
    """An evaluation finished with the rep it got: what the lead is shown and why."""

    outcome: Outcome
    rule: str
    scheduler: SchedulerCheck  # as shown: never eligible without a rep to book with


NOT_CHECKED = SchedulerCheck(False, (), None, ())  # spam and support: no scheduler check


def finalise(evaluation: Evaluation, has_rep: bool, rules: DemoBooking) -> Final:
    """The outcome, the deciding rule and the scheduler as shown, once a rep was (or was not)
    found for the lead: the webhook's decision and a dry run's alike."""
    check = evaluation.scheduler
    outcome = outcome_of(evaluation.label, check, has_rep)
    score = evaluation.scores.lead_score.total
    rule = decision_rule(evaluation.label, check, score, has_rep, rules)
    if check is None:
        return Final(outcome, rule, NOT_CHECKED)
    if not has_rep:
        check = SchedulerCheck(False, check.criteria_met, check.locked_out_until, ())
    return Final(outcome, rule, check)


def outcome_of(label: Label, scheduler: SchedulerCheck | None, has_rep: bool) -> Outcome:
    if label is Label.SPAM:
        return Outcome.DROPPED_SPAM
    if label is Label.SUPPORT:
        return Outcome.SUPPORT_TICKET
    eligible = scheduler is not None and scheduler.eligible and has_rep
    return Outcome.INSTANT_SCHEDULER if eligible else Outcome.MANUAL_REVIEW


def decision_rule(
    label: Label,
    scheduler: SchedulerCheck | None,
    lead_score: int,
    has_rep: bool,
    rules: DemoBooking,
) -> str:
    """The rule that decided the lead: ``instant:<criteria met>`` when the scheduler was shown,
    else the first gate that stopped it (``manual:locked_out``, ``manual:criteria``,
    ``manual:lead_score``, ``manual:no_rep``); ``spam`` and ``support`` otherwise."""
    if label is not Label.SALES or scheduler is None:
        return label.value
    if scheduler.locked_out_until is not None:
        return "manual:locked_out"
    if len(scheduler.criteria_met) < rules.criteria_required:
        return "manual:criteria"
    if lead_score < rules.instant_scheduler_min_lead_score:
        return "manual:lead_score"
    if not has_rep:
        return "manual:no_rep"
    return "instant:" + "+".join(scheduler.criteria_met)
