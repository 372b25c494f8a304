"""The accounts API (IAM auth): POST /accounts/{id}/signals, GET /accounts/{id}."""

from leadops import coldstart  # first: holds garbage collection off while the rest loads

# isort: split

from datetime import UTC, datetime
from typing import Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.typing import LambdaContext

from leadops.adapters import aws
from leadops.adapters.accounts_table import AccountsTable
from leadops.adapters.events import LeadEvents
from leadops.adapters.leads_table import Pools
from leadops.http.answers import answers
from leadops.http.answers.accounts import AccountAnswer
from leadops.http.resolver import build_resolver, guard_body
from leadops.services import accounts as accounts_api
from leadops.services.account_routing import AccountRouting
from leadops.services.live_rulebook import LiveRulebook
from leadops.settings import AccountsApiSettings

logger = Logger()
app = build_resolver(logger, unavailable_on=aws.unavailable_errors())
settings = AccountsApiSettings.from_env()
rules = LiveRulebook.of(settings.rulebook_table)
accounts = AccountsTable(settings.accounts_table)
leads = Pools(settings.leads_table)
events = LeadEvents(settings.event_bus_name)


def routing() -> AccountRouting:
    live = rules.current()
    return AccountRouting(live.rulebook, live.scorer, leads, datetime.now(UTC))


@app.post("/accounts/<account_id>/signals", responses=answers(AccountAnswer))
def add_signal(account_id: str, body: accounts_api.SignalInput) -> dict[str, Any]:
    router = routing()
    window = router.rulebook.routing.signal_window_days
    return accounts_api.record_signal(accounts, router, account_id, body, window, events)


@app.get("/accounts/<account_id>", responses=answers(AccountAnswer, 404))
def get_account(account_id: str) -> dict[str, Any]:
    return accounts_api.read_account(accounts, routing().decider, account_id)


@logger.inject_lambda_context(clear_state=True)
@guard_body(16 * 1024)
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(event, context)


coldstart.ready()  # set-up done: freeze what init loaded, collect normally from here
