"""leadops_local: run the leadops SAM functions on a laptop without Docker (dev only).

`python -m leadops_local invoke FunctionLogicalId -e events/x.json` behaves like
`sam local invoke`; `python -m leadops_local start-api` like `sam local start-api`, with every
resource of template.yaml created in moto's server on 127.0.0.1.
"""
