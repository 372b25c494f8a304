"""leadops: the shared layer of the leadops Lambda functions (rulebook, normalisation, scoring).

Domain modules here are pure Python and never import boto3; AWS access lives in one adapter
module per resource kind.
"""
