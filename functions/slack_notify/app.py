"""SQS (fed by an EventBridge rule on lead.qualified and lead.mql): one Slack message per lead
(and per MQL crossing, issue 15) to its rep.

Records are processed one by one and only the failed ones are reported back (partial batch
failure), so SQS redelivers just those and, after maxReceiveCount, moves them to the DLQ
(``leadops dlq list|redrive slack``). A body that is neither a ``lead.qualified`` nor a
``lead.mql`` event fails too.
"""

from leadops import coldstart  # first: holds garbage collection off while the rest loads

# isort: split

from typing import Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.batch import process_partial_response
from aws_lambda_powertools.utilities.batch.types import PartialItemFailureResponse
from aws_lambda_powertools.utilities.typing import LambdaContext

from leadops.adapters import aws
from leadops.adapters import slack as slack_api
from leadops.adapters.leads_table.slack import SlackNotices
from leadops.services.queue_records import RecordProcessor
from leadops.services.slack_notify import SlackNotifier, SlackRecord
from leadops.settings import SlackNotifySettings

logger = Logger()
processor = RecordProcessor(SlackRecord, refused="invalid lead.qualified or lead.mql message")
settings = SlackNotifySettings.from_env()  # no AWS call: the token is read on first use


def slack() -> slack_api.SlackClient:
    token = str(aws.secret(settings.slack_bot_token_secret_arn, max_age=300))
    return slack_api.client(token, settings.slack_api_url)


notifier = SlackNotifier(SlackNotices(settings.leads_table), slack, settings.slack_channel)


@logger.inject_lambda_context(clear_state=True)
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> PartialItemFailureResponse:
    return process_partial_response(
        event=event, record_handler=notifier.notify, processor=processor, context=context
    )


coldstart.ready()  # set-up done: freeze what init loaded, collect normally from here
