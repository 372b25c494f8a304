"""`python -m leadops_local invoke FunctionId -e event.json`, or `... start-api`.

The shared options (--template, --parameter-overrides, --env-vars) go before or after the
subcommand, as with sam.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import sys
import time
import traceback
from pathlib import Path
from typing import Any

from leadops_local.runtime import LocalFunction, env_overrides
from leadops_local.template import SamTemplate, TemplateError

# boto3 and moto are imported where needed: `invoke` without --moto starts faster, and a
# Ctrl-C while starting stops it quietly.


def _shared_options(parser: argparse.ArgumentParser, top: bool) -> None:
    """Options valid before and after the subcommand; a subcommand's copy has no defaults,
    so it overrides the top-level value only when given."""

    def default(value: Any) -> Any:
        return value if top else argparse.SUPPRESS

    parser.add_argument(
        "--template", "-t", type=Path, default=default(Path("template.yaml")),
        help="the SAM template (default: template.yaml)",
    )  # fmt: skip
    parser.add_argument(
        "--parameter-overrides", action="append", default=default([]),
        metavar="'KEY=VALUE ...'", help="template parameter values, as with sam (repeatable)",
    )  # fmt: skip
    parser.add_argument(
        "--env-vars", "-n", type=Path, default=default(None),
        help='variables as with sam: {"FunctionId": {"VAR": "v"}, "Parameters": {"VAR": "v"}}'
        " (Parameters: every function)",
    )  # fmt: skip


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="leadops_local", description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    _shared_options(parser, top=True)
    commands = parser.add_subparsers(dest="command", required=True)
    invoke = commands.add_parser("invoke", help="invoke one function once, like sam local invoke")
    _shared_options(invoke, top=False)
    invoke.add_argument("function", help="the function's logical id in the template")
    invoke.add_argument("--event", "-e", help="event JSON file, - for stdin (default: {})")
    invoke.add_argument(
        "--moto", action="store_true", help="start moto's server with the template's resources"
    )
    signer = commands.add_parser(
        "sign", help="print the X-Leadops-Signature header value for a body file (for curl)"
    )
    signer.add_argument("body", type=Path, help="the exact bytes that will be sent")
    signer.add_argument("--secret", required=True, help="the webhook's shared secret")
    signer.add_argument("--timestamp", type=int, help="unix seconds (default: now)")
    openapi = commands.add_parser("openapi", help="write the HTTP API's OpenAPI document")
    _shared_options(openapi, top=False)
    openapi.add_argument("--output", "-o", type=Path, help="the file to write (default: stdout)")
    api = commands.add_parser("start-api", help="serve the HTTP API, like sam local start-api")
    _shared_options(api, top=False)
    api.add_argument("--host", default="127.0.0.1")
    api.add_argument("--port", "-p", type=int, default=3000, help="0 picks a free port")
    api.add_argument(
        "--enrichment-stub", type=Path, metavar="DIR",
        help="serve canned enrichment answers from DIR (events/enrichment) on 127.0.0.1 and\n"
        "point the stack's providers at it (EnrichmentProviders defaults to clearbit)",
    )  # fmt: skip
    return parser


def _env_vars(path: Path | None) -> dict[str, Any]:
    """The ``--env-vars`` document: {"FunctionId": {...}, "Parameters": {...}}."""
    if path is None:
        return {}
    if not path.is_file():
        raise UsageError(f"--env-vars file not found: {path}")
    loaded = _json(path.read_text(encoding="utf-8"), path)
    if not isinstance(loaded, dict):
        raise UsageError(f"{path}: --env-vars must be a JSON object of objects")
    return loaded


def _event(name: str | None) -> Any:
    if name is None:
        return {}
    if name == "-":
        return _json(sys.stdin.read(), "stdin")
    path = Path(name)
    if not path.is_file():
        raise UsageError(f"event file not found: {path}")
    return _json(path.read_text(encoding="utf-8"), path)


def _json(text: str, source: object) -> Any:
    try:
        return json.loads(text)
    except json.JSONDecodeError as error:
        raise UsageError(f"{source}: not valid JSON ({error})") from None


class UsageError(ValueError):
    """A command-line mistake: reported in one line, exit code 2."""


def _invoke(template: SamTemplate, args: argparse.Namespace, extra: dict[str, Any]) -> int:
    function = LocalFunction(template.function(args.function), env_overrides(extra, args.function))
    event = _event(args.event)
    out = sys.stdout
    # As with sam local invoke: the function's logs on stderr, its answer alone on stdout.
    with contextlib.redirect_stdout(sys.stderr):
        try:
            if args.moto:
                from leadops_local.provision import provision
                from leadops_local.server import moto_server

                with moto_server() as endpoint:
                    provision(template, endpoint)
                    result = function.invoke(event)
            else:
                result = function.invoke(event)
        except Exception as error:  # the handler raised: Lambda's error document, exit 1
            traceback.print_exc()
            result = {
                "errorMessage": str(error),
                "errorType": type(error).__name__,
                "stackTrace": traceback.format_tb(error.__traceback__),
            }
            print(json.dumps(result, indent=2), file=out)
            return 1
    print(json.dumps(result, indent=2, default=str), file=out)
    return 0


def _openapi(template: SamTemplate, output: Path | None) -> int:
    from leadops_local.openapi import document_json, http_functions

    text = document_json(http_functions(template))
    if output is None:
        sys.stdout.write(text)
    else:
        output.write_text(text, encoding="utf-8")
        print(f"written to {output}", file=sys.stderr)
    return 0


def main(argv: list[str] | None = None) -> int:
    """The command line; returns the exit code (2: a usage or template error)."""
    args = _parser().parse_args(argv)
    try:
        return _run(args)
    except KeyboardInterrupt:  # Ctrl-C before the server took over its signals
        print("leadops_local: interrupted", file=sys.stderr)
        return 0 if args.command == "start-api" else 130


def _run(args: argparse.Namespace) -> int:
    try:
        pairs = [pair for item in args.parameter_overrides for pair in item.split()]
        if bad := [pair for pair in pairs if "=" not in pair]:
            raise UsageError(f"--parameter-overrides wants KEY=VALUE, not {bad[0]!r}")
        overrides = dict(pair.split("=", 1) for pair in pairs)
        if args.command == "sign":
            from leadops.http.signature import sign

            at = args.timestamp if args.timestamp is not None else int(time.time())
            print(sign(args.body.read_bytes(), args.secret, at))
            return 0
        extra = _env_vars(args.env_vars)
        if not args.template.is_file():
            raise UsageError(f"template not found: {args.template}")
        if args.command == "start-api" and args.enrichment_stub is not None:
            overrides = _with_enrichment_stub(args.enrichment_stub, overrides)
        template = SamTemplate.load(args.template, overrides)
        if args.command == "invoke":
            return _invoke(template, args, extra)
        if args.command == "openapi":
            return _openapi(template, args.output)
        from leadops_local.server import serve

        return serve(
            template,
            args.host,
            args.port,
            {function.logical_id: env_overrides(extra, function.logical_id)
             for function in template.functions()},
        )  # fmt: skip
    except (TemplateError, UsageError, FileNotFoundError) as error:
        print(f"leadops_local: {error}", file=sys.stderr)
        return 2


def _with_enrichment_stub(root: Path, overrides: dict[str, str]) -> dict[str, str]:
    """Start the enrichment stand-in; the parameters (and local keys) that point the stack at it."""
    from leadops_local import enrichment_stub

    if not root.is_dir():
        raise UsageError(f"--enrichment-stub: no folder {root}")
    url, _ = enrichment_stub.start(root)
    os.environ.setdefault("LEADOPS_LOCAL_SECRET_EnrichmentKeysSecret",
                          json.dumps(enrichment_stub.LOCAL_KEYS))  # fmt: skip
    print(f"leadops_local: enrichment stand-in on {url} ({root})", file=sys.stderr)
    return {"EnrichmentProviders": "clearbit", **overrides, "EnrichmentBaseUrl": url}


if __name__ == "__main__":
    sys.exit(main())
