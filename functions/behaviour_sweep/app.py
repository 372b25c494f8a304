"""Daily schedule: apply behaviour-score decay ("No activity in 30 days -10", seed 004) to every
person with a score, and drop the MQL status of those who fell below the threshold, so a later
crossing emits lead.mql again (leadops.services.engagement.Engagement.sweep)."""

from leadops import coldstart  # first: holds garbage collection off while the rest loads

# isort: split

from typing import Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.typing import LambdaContext

from leadops.adapters.leads_table import People
from leadops.services.engagement import DecaySweep
from leadops.services.live_rulebook import LiveRulebook
from leadops.settings import BehaviourSweepSettings

logger = Logger()
settings = BehaviourSweepSettings.from_env()
sweep = DecaySweep(LiveRulebook.of(settings.rulebook_table), People(settings.leads_table))


@logger.inject_lambda_context(clear_state=True)
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return sweep.run(lambda: context.get_remaining_time_in_millis() < settings.sweep_reserve_ms)


coldstart.ready()  # set-up done: freeze what init loaded, collect normally from here
