"""`python -m leadops_local invoke FunctionId -e event.json`, or `... start-api`."""

from __future__ import annotations

import argparse
import contextlib
import json
import sys
import time
from pathlib import Path
from typing import Any

from leadops.signature import sign
from leadops_local.provision import provision
from leadops_local.runtime import LocalFunction
from leadops_local.server import moto_server, serve
from leadops_local.template import SamTemplate, TemplateError


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="leadops_local", description=__doc__)
    parser.add_argument("--template", "-t", type=Path, default=Path("template.yaml"))
    parser.add_argument(
        "--parameter-overrides", action="append", default=[], metavar="'KEY=VALUE ...'",
        help="template parameter values, as with sam (repeatable)",
    )  # fmt: skip
    parser.add_argument(
        "--env-vars", "-n", type=Path, help='JSON as with sam: {"FunctionId": {"VAR": "value"}}'
    )
    commands = parser.add_subparsers(dest="command", required=True)
    invoke = commands.add_parser("invoke", help="invoke one function once, like sam local invoke")
    invoke.add_argument("function", help="the function's logical id in the template")
    invoke.add_argument("--event", "-e", type=Path, help="event JSON file (default: {})")
    invoke.add_argument(
        "--moto", action="store_true", help="start moto's server with the template's resources"
    )
    signer = commands.add_parser(
        "sign", help="print the X-Leadops-Signature header value for a body file (for curl)"
    )
    signer.add_argument("body", type=Path, help="the exact bytes that will be sent")
    signer.add_argument("--secret", required=True, help="the webhook's shared secret")
    signer.add_argument("--timestamp", type=int, help="unix seconds (default: now)")
    api = commands.add_parser("start-api", help="serve the HTTP API, like sam local start-api")
    api.add_argument("--host", default="127.0.0.1")
    api.add_argument("--port", "-p", type=int, default=3000, help="0 picks a free port")
    return parser


def _env_overrides(path: Path | None) -> dict[str, Any]:
    if path is None:
        return {}
    loaded: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return loaded


def _invoke(template: SamTemplate, args: argparse.Namespace, extra: dict[str, Any]) -> int:
    function = LocalFunction(template.function(args.function), extra.get(args.function))
    event = json.loads(args.event.read_text(encoding="utf-8")) if args.event else {}
    # As with sam local invoke: the function's logs on stderr, its answer alone on stdout.
    with contextlib.redirect_stdout(sys.stderr):
        if args.moto:
            with moto_server() as endpoint:
                provision(template, endpoint)
                result = function.invoke(event)
        else:
            result = function.invoke(event)
    print(json.dumps(result, indent=2, default=str))
    return 0


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        pairs = [pair for item in args.parameter_overrides for pair in item.split()]
        overrides = dict(pair.split("=", 1) for pair in pairs)
        extra = _env_overrides(args.env_vars)
        overrides.update(extra.get("Parameters", {}))
        template = SamTemplate.load(args.template, overrides)
        if args.command == "sign":
            at = args.timestamp if args.timestamp is not None else int(time.time())
            print(sign(args.body.read_bytes(), args.secret, at))
            return 0
        if args.command == "invoke":
            return _invoke(template, args, extra)
        return serve(template, args.host, args.port, extra)
    except (TemplateError, FileNotFoundError, json.JSONDecodeError, ValueError) as error:
        print(f"leadops_local: {error}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
