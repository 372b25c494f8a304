"""Operating the rules (IAM auth): GET/PUT /rulebook, GET /rulebook/versions[/{version}],
POST /rulebook/rollback, POST /rulebook/dry-run, GET /rulebook/dry-run/{job_id},
GET /reports/conversion."""

from leadops import coldstart  # first: holds garbage collection off while the rest loads

# isort: split

from typing import Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.event_handler import Response, content_types
from aws_lambda_powertools.utilities.typing import LambdaContext

from leadops.adapters import aws
from leadops.http.answers import answers
from leadops.http.answers.rulebook import (
    ActivationAnswer,
    ConversionReportAnswer,
    DryRunAnswer,
    RulebookAnswer,
    VersionsAnswer,
)
from leadops.http.resolver import build_resolver, guard_body
from leadops.rulebook import Rulebook
from leadops.services.dry_runs import DryRunRequest
from leadops.services.rule_reports import ReportQuery
from leadops.services.rulebook_ops import RulebookOps
from leadops.services.rulebook_versions import Rollback
from leadops.settings import RulebookSettings

logger = Logger()
app = build_resolver(logger, unavailable_on=aws.unavailable_errors())
settings = RulebookSettings.from_env()
ops = RulebookOps.from_settings(settings)


@app.get("/rulebook", responses=answers(RulebookAnswer))
def get_rulebook() -> dict[str, Any]:
    return ops.versions.live()


@app.put("/rulebook", responses=answers(ActivationAnswer, 409))
def put_rulebook(rulebook: Rulebook) -> dict[str, Any]:
    return ops.versions.put(rulebook)


@app.get("/rulebook/versions", responses=answers(VersionsAnswer))
def list_versions() -> dict[str, Any]:
    return ops.versions.versions()


@app.get("/rulebook/versions/<version>", responses=answers(RulebookAnswer, 404))
def get_version(version: str) -> dict[str, Any]:
    return ops.versions.version(version)


@app.post("/rulebook/rollback", responses=answers(ActivationAnswer, 404))
def rollback(body: Rollback) -> dict[str, Any]:
    return ops.versions.rollback(body.version)


@app.post("/rulebook/dry-run", responses=answers(DryRunAnswer, also=(202,)))
def dry_run(body: DryRunRequest) -> Response[dict[str, Any]]:
    context = app.lambda_context
    status, answer = ops.dry_runs.start(body, context.get_remaining_time_in_millis)
    return Response(status, content_types.APPLICATION_JSON, answer)


@app.get("/rulebook/dry-run/<job_id>", responses=answers(DryRunAnswer, 404))
def get_dry_run(job_id: str) -> dict[str, Any]:
    return ops.dry_runs.read(job_id)


@app.get("/reports/conversion", responses=answers(ConversionReportAnswer))
def conversion_report() -> dict[str, Any]:
    query = ReportQuery.model_validate(app.current_event.query_string_parameters or {})
    return ops.reports.conversion_report(query)


@logger.inject_lambda_context(clear_state=True)
@guard_body(128 * 1024)
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(event, context)


coldstart.ready()  # set-up done: freeze what init loaded, collect normally from here
