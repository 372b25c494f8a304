"""The stack's floor, for the cold-start bench: the smallest handler written the way the
libraries' own documentation shows (a Powertools HTTP resolver validating a one-field pydantic
body, Powertools' Logger, a boto3 DynamoDB client created at init and one GetItem in the
route) and no leadops code at all. Timed like every function, beside the same boto3 baseline,
it shows how much of a function's ratio the libraries alone account for."""

from typing import Any

import boto3
from aws_lambda_powertools import Logger
from aws_lambda_powertools.event_handler import APIGatewayHttpResolver
from pydantic import BaseModel

logger = Logger(service="floor")
app = APIGatewayHttpResolver(enable_validation=True)
client = boto3.client("dynamodb")


class Lead(BaseModel):
    email: str


@app.post("/webhooks/demo-request")
def demo_request(lead: Lead) -> dict[str, Any]:
    client.get_item(TableName="leads", Key={"pk": {"S": f"LEAD#{lead.email}"}})
    return {}


@logger.inject_lambda_context
def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return app.resolve(event, context)
