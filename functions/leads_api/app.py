"""The lead and rep API (IAM auth): GET /leads/{id}, POST /leads/{id}/disqualify,
POST /leads/{id}/outcome, PUT /reps/{id}, GET /reps, GET /reps/{id}."""

from leadops import coldstart  # first: holds garbage collection off while the rest loads

# isort: split

from datetime import UTC, datetime
from typing import Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.typing import LambdaContext

from leadops.adapters import aws
from leadops.adapters.events import LeadEvents
from leadops.adapters.leads_table import Leads, Reps
from leadops.assignment import Rep, RepFields
from leadops.http.answers import answers
from leadops.http.answers.leads import (
    DisqualifyAnswer,
    LeadAnswer,
    OutcomeAnswer,
    RepAnswer,
    RepsAnswer,
)
from leadops.http.resolver import build_resolver, guard_body
from leadops.services import leads as leads_api
from leadops.services.live_rulebook import LiveRulebook
from leadops.settings import LeadsApiSettings

logger = Logger()
app = build_resolver(logger, unavailable_on=aws.unavailable_errors())
settings = LeadsApiSettings.from_env()
leads = Leads(settings.leads_table)
reps = Reps(settings.leads_table)
rules = LiveRulebook.of(settings.rulebook_table)
events = LeadEvents(settings.event_bus_name)


@app.get("/leads/<lead_id>", responses=answers(LeadAnswer, 404))
def get_lead(lead_id: str) -> dict[str, Any]:
    return leads_api.lead_view(leads.get(lead_id))


@app.post("/leads/<lead_id>/disqualify", responses=answers(DisqualifyAnswer, 404))
def disqualify(lead_id: str, body: leads_api.Disqualification) -> dict[str, Any]:
    now = datetime.now(UTC)
    lockout_days = rules.current().rulebook.demo_booking.lockout_days
    return leads_api.disqualify(leads, lead_id, body, now, lockout_days, events)


@app.post("/leads/<lead_id>/outcome", responses=answers(OutcomeAnswer, 404))
def outcome(lead_id: str, body: leads_api.OutcomeReport) -> dict[str, Any]:
    return leads_api.record_outcome(leads, lead_id, body, datetime.now(UTC), events)


@app.put("/reps/<rep_id>", responses=answers(RepAnswer))
def put_rep(rep_id: str, body: RepFields) -> dict[str, Any]:
    rep = Rep(rep_id=rep_id, **body.model_dump())
    reps.put(rep)
    return leads_api.rep_view(*reps.get(rep_id))


@app.get("/reps", responses=answers(RepsAnswer))
def list_reps() -> dict[str, Any]:
    return {"reps": [leads_api.rep_view(rep, count) for rep, count in reps.all()]}


@app.get("/reps/<rep_id>", responses=answers(RepAnswer, 404))
def get_rep(rep_id: str) -> dict[str, Any]:
    return leads_api.rep_view(*reps.get(rep_id))


@logger.inject_lambda_context(clear_state=True)
@guard_body(64 * 1024)
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(event, context)


coldstart.ready()  # set-up done: freeze what init loaded, collect normally from here
