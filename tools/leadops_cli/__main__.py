"""leadops: the operator's command line for a leadops API (dev-only tooling, never deployed).

By default it talks to the local runner (`make run`, http://127.0.0.1:3000, no auth). With
--url https://<id>.execute-api.<region>.amazonaws.com (or LEADOPS_URL) every request is signed
with SigV4 using your AWS credentials (--profile, AWS_PROFILE, env, SSO, ...).

`leadops dlq list|redrive <destination> --stack NAME` reads the stack's queues with your AWS
credentials instead (CloudFormation outputs, SQS).

Global options (--url, --region, --profile, --json) go before or after the command.
Exit codes: 0 done, 1 the API or the connection failed, 2 bad arguments or input files.
"""

from __future__ import annotations

import argparse
import json
import os
import shlex
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date
from functools import cached_property
from pathlib import Path
from typing import Any

import httpx
from rich.console import Console
from rich.text import Text

from leadops_cli import render
from leadops_cli.api import LOCAL_URL, Api, CliError, InputError, connect, path
from leadops_cli.diff import diff
from leadops_cli.documents import looks_like_file, read_bytes, read_json, read_rulebook

POLL_INTERVAL_S = 1.0
SECRET_ENV = "LEADOPS_WEBHOOK_SECRET"  # noqa: S105 (a variable name, not a secret)
URL_ENV = "LEADOPS_URL"


@dataclass
class Context:
    """What a command works with: the parsed arguments, the consoles, and the API (opened on
    first use, so `sign` and a diff of two files need neither a server nor credentials)."""

    args: argparse.Namespace
    out: Console
    err: Console
    transport: httpx.BaseTransport | None = None
    sleep: Callable[[float], None] = time.sleep
    _opened: list[Api] = field(default_factory=list)

    @cached_property
    def api(self) -> Api:
        url = self.args.url or os.environ.get(URL_ENV) or LOCAL_URL
        api = connect(
            url, region=self.args.region, profile=self.args.profile, transport=self.transport
        )
        self._opened.append(api)
        return api

    def close(self) -> None:
        for api in self._opened:
            api.client.close()

    def show(self, answer: Any, renderer: Callable[[Console, Any], None]) -> int:
        """The answer as raw JSON with ``--json``, else rendered for a terminal; exit code 0."""
        if self.args.json:
            self.emit_json(answer)
        else:
            renderer(self.out, answer)
        return 0

    def emit_json(self, value: Any) -> None:
        """Raw JSON on stdout, unwrapped and uncoloured (for jq and scripts)."""
        self.write(json.dumps(value, indent=2, ensure_ascii=False))

    def write(self, line: str) -> None:
        self.out.file.write(line + "\n")
        self.out.file.flush()


# --- commands ---------------------------------------------------------------------------------
def cmd_score(ctx: Context) -> int:
    body = read_bytes(ctx.args.file)
    read_json(ctx.args.file)  # a local syntax error is reported as such, before any request
    answer = ctx.api.call("POST", "/score", content=body).body
    return ctx.show(answer, render.score)


def cmd_explain(ctx: Context) -> int:
    view = ctx.api.get(path("leads", ctx.args.lead_id))
    if view.get("person_id"):  # the person's behaviour score, grade and MQL status (issue 15)
        view["engagement"] = ctx.api.get(path("people", view["person_id"], "score"))
    return ctx.show(view, render.lead)


def cmd_sign(ctx: Context) -> int:
    from leadops.http.signature import sign

    secret = ctx.args.secret or os.environ.get(SECRET_ENV)
    if not secret:
        raise InputError(f"no webhook secret: pass --secret or set {SECRET_ENV}")
    body = read_bytes(ctx.args.file)
    at = ctx.args.timestamp if ctx.args.timestamp is not None else int(time.time())
    header = sign(body, secret, at)
    curl = None
    if ctx.args.curl is not None:
        base = ctx.args.url or os.environ.get(URL_ENV) or LOCAL_URL
        url = ctx.args.curl or f"{base.rstrip('/')}/webhooks/demo-request"
        curl = shlex.join(
            ["curl", "-sS", url, "-H", "content-type: application/json",
             "-H", f"X-Leadops-Signature: {header}", "--data-binary", f"@{ctx.args.file}"]
        )  # fmt: skip
    if ctx.args.json:
        signed: dict[str, Any] = {"header": "X-Leadops-Signature", "value": header, "timestamp": at}
        ctx.emit_json({**signed, "curl": curl} if curl else signed)
    else:
        ctx.write(curl or header)
    return 0


def _rulebook_from(ctx: Context, spec: str) -> tuple[str, dict[str, Any]]:
    """A file (TOML or JSON), or a version of the API: ``current`` or a version name."""
    if looks_like_file(spec):
        return spec, read_rulebook(Path(spec))
    if spec == "current":
        answer = ctx.api.get("/rulebook")
    else:
        answer = ctx.api.get(path("rulebook", "versions", spec))
    document = answer.get("rulebook") if isinstance(answer, dict) else None
    if not isinstance(document, dict):
        raise CliError(f"the API's answer for rulebook {spec!r} has no document")
    version = answer.get("version")
    return (f"{spec} ({version})" if spec == "current" else str(version or spec)), document


def canonical(document: dict[str, Any]) -> dict[str, Any]:
    """A valid rulebook as the API writes it (defaults filled in, numbers typed, sets sorted),
    so a TOML file and a stored version differ only where their rules do; an invalid document
    is compared as written."""
    from pydantic import ValidationError

    from leadops.rulebook import Rulebook

    try:
        return Rulebook.model_validate(document).model_dump(mode="json")
    except ValidationError:
        return document


def cmd_rulebook_diff(ctx: Context) -> int:
    old_name, old = _rulebook_from(ctx, ctx.args.old)
    new_name, new = _rulebook_from(ctx, ctx.args.new)
    found = diff(canonical(old), canonical(new))
    if ctx.args.json:
        ctx.emit_json({"old": old_name, "new": new_name, "changes": [c.as_dict() for c in found]})
    else:
        render.changes(ctx.out, old_name, new_name, found)
    return 0


def cmd_rulebook_show(ctx: Context) -> int:
    answer = ctx.api.get("/rulebook")
    return ctx.show(answer, render.rulebook)


def cmd_rulebook_versions(ctx: Context) -> int:
    answer = ctx.api.get("/rulebook/versions")
    return ctx.show(answer, render.versions)


def cmd_rulebook_push(ctx: Context) -> int:
    document = read_rulebook(ctx.args.file)
    answer = ctx.api.call("PUT", "/rulebook", json=document).body
    return ctx.show(answer, render.activated)


def cmd_rulebook_rollback(ctx: Context) -> int:
    answer = ctx.api.call("POST", "/rulebook/rollback", json={"version": ctx.args.version}).body
    return ctx.show(answer, render.activated)


def cmd_dry_run(ctx: Context) -> int:
    _, candidate = _rulebook_from(ctx, ctx.args.candidate)
    body: dict[str, Any] = {"rulebook": candidate}
    if ctx.args.lead is not None:
        if ctx.args.date_from or ctx.args.date_to:
            raise InputError("--lead replays one lead: it takes no --from/--to window")
        body["lead"] = read_json(ctx.args.lead)
    else:
        body.update(
            {k: v for k, v in (("from", ctx.args.date_from), ("to", ctx.args.date_to)) if v}
        )
    answer = ctx.api.call("POST", "/rulebook/dry-run", json=body).body
    if isinstance(answer, dict) and answer.get("status") == "running":
        answer = _poll(ctx, answer)
    if not isinstance(answer, dict) or answer.get("status") != "complete":
        status = answer.get("status") if isinstance(answer, dict) else answer
        message = answer.get("message") if isinstance(answer, dict) else None
        raise CliError(
            f"dry run ended with status {status!r}" + (f": {message}" if message else "")
        )
    return ctx.show(answer, render.dry_run)


def _poll(ctx: Context, answer: dict[str, Any]) -> Any:
    """GET the job every second, with a progress bar on stderr, until it is no longer running."""
    from rich.progress import BarColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

    job = str(answer.get("job_id"))
    columns = (
        SpinnerColumn(),
        TextColumn("dry run {task.fields[job]}"),
        BarColumn(),  # no total: a pulsing bar
        TextColumn("{task.fields[leads]} leads, {task.fields[accounts]} accounts evaluated"),
        TimeElapsedColumn(),
    )
    current: Any = answer
    try:
        with Progress(*columns, console=ctx.err, transient=True) as progress:
            task = progress.add_task("dry-run", total=None, job=job, leads=0, accounts=0)
            while isinstance(current, dict) and current.get("status") == "running":
                done = current.get("progress") or {}
                progress.update(
                    task,
                    leads=done.get("leads_evaluated", 0),
                    accounts=done.get("accounts_evaluated", 0),
                )
                ctx.sleep(POLL_INTERVAL_S)
                current = ctx.api.get(path("rulebook", "dry-run", job))
    except KeyboardInterrupt:
        ctx.err.print(Text(f"stopped waiting; dry run {job} goes on on the server", "yellow"))
        raise
    return current


def _dlq(ctx: Context) -> tuple[Any, Any]:
    from leadops_cli import dlq

    sqs, cloudformation = dlq.clients(ctx.args.region, ctx.args.profile)
    stack = ctx.args.stack or os.environ.get(dlq.STACK_ENV)
    return sqs, dlq.resolve(ctx.args.destination, stack, sqs, cloudformation)


def cmd_dlq_list(ctx: Context) -> int:
    from leadops_cli import dlq

    sqs, queues = _dlq(ctx)
    rows = dlq.parked(sqs, queues)
    answer = {"destination": queues.destination, "queue": queues.dlq_url, "messages": rows}
    return ctx.show(answer, render.parked)


def cmd_dlq_redrive(ctx: Context) -> int:
    from leadops_cli import dlq

    sqs, queues = _dlq(ctx)

    def report(progress: dlq.Progress) -> None:
        done = f"moved {progress.moved} of ~{progress.parked}, failed {progress.failed}"
        ctx.err.print(Text(done, "dim"))

    done = dlq.redrive(sqs, queues, report, ctx.args.limit)
    answer = {"destination": queues.destination, "to": queues.source_url,
              "moved": done.moved, "failed": done.failed}  # fmt: skip
    ctx.show(answer, render.redriven)
    return 1 if done.failed else 0


def cmd_report_conversion(ctx: Context) -> int:
    params = {"by": ctx.args.by}
    params.update({k: v for k, v in (("from", ctx.args.date_from), ("to", ctx.args.date_to)) if v})
    answer = ctx.api.get("/reports/conversion", params=params)
    if ctx.args.plot is not None:
        from leadops_cli.plot import conversion_chart

        conversion_chart(answer, ctx.args.plot)
    if ctx.args.json:
        ctx.emit_json(answer)
    else:
        render.conversion_report(ctx.out, answer)
        if ctx.args.plot is not None:
            ctx.err.print(Text(f"chart written to {ctx.args.plot}", "dim"))
    return 0


# --- the parser -------------------------------------------------------------------------------
def _day(value: str) -> str:
    try:
        date.fromisoformat(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{value!r} is not a date (YYYY-MM-DD)") from None
    if len(value) != 10:
        raise argparse.ArgumentTypeError(f"{value!r} is not a date (YYYY-MM-DD)")
    return value


def _shared(parser: argparse.ArgumentParser, top: bool) -> None:
    """Options valid before and after the command; a command's copy has no default, so it
    overrides the top-level value only when given."""

    def default(value: Any) -> Any:
        return value if top else argparse.SUPPRESS

    parser.add_argument(
        "--url", default=default(None),
        help=f"the API's base URL (default: ${URL_ENV}, else {LOCAL_URL}); https is SigV4-signed",
    )  # fmt: skip
    parser.add_argument(
        "--region", default=default(None),
        help="AWS region for signing (default: from the execute-api host name, else AWS_REGION)",
    )  # fmt: skip
    parser.add_argument("--profile", default=default(None), help="AWS profile for signing")
    parser.add_argument(
        "--json", action="store_true", default=default(False), help="print the raw JSON answer"
    )


def _command(
    commands: Any, name: str, handler: Callable[[Context], int], help_text: str
) -> argparse.ArgumentParser:
    parser: argparse.ArgumentParser = commands.add_parser(
        name, help=help_text, description=help_text
    )
    _shared(parser, top=False)
    parser.set_defaults(handler=handler)
    return parser


def _window(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--from", dest="date_from", type=_day, metavar="YYYY-MM-DD")
    parser.add_argument("--to", dest="date_to", type=_day, metavar="YYYY-MM-DD")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="leadops", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    _shared(parser, top=True)
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    score = _command(commands, "score", cmd_score, "score a lead: POST /score with a JSON file")
    score.add_argument("file", type=Path, help="the form body (JSON)")

    explain = _command(commands, "explain", cmd_explain, "a stored decision and its reasons")
    explain.add_argument("lead_id")

    sign = _command(commands, "sign", cmd_sign, "the X-Leadops-Signature value for a body file")
    sign.add_argument("file", type=Path, help="the exact bytes that will be sent")
    sign.add_argument("--secret", help=f"the webhook's shared secret (default: ${SECRET_ENV})")
    sign.add_argument("--timestamp", type=int, help="unix seconds (default: now)")
    sign.add_argument(
        "--curl", nargs="?", const="", metavar="URL",
        help="print a whole curl command (URL default: <api>/webhooks/demo-request)",
    )  # fmt: skip

    rulebook = commands.add_parser("rulebook", help="show, compare, change the rulebook")
    actions = rulebook.add_subparsers(dest="action", required=True, metavar="ACTION")
    _command(actions, "show", cmd_rulebook_show, "the active rulebook: GET /rulebook")
    _command(actions, "versions", cmd_rulebook_versions, "every stored version, newest first")
    push = _command(actions, "push", cmd_rulebook_push, "validate, store and activate a rulebook")
    push.add_argument("file", type=Path, help="the rulebook document (TOML or JSON)")
    rollback = _command(actions, "rollback", cmd_rulebook_rollback, "activate a stored version")
    rollback.add_argument("version")
    compare = _command(
        actions, "diff", cmd_rulebook_diff, "every changed leaf between two rulebooks"
    )
    for name in ("old", "new"):
        compare.add_argument(
            name, metavar=name.upper(),
            help="a rulebook file (TOML/JSON), `current`, or a stored version name",
        )  # fmt: skip

    dry = _command(commands, "dry-run", cmd_dry_run, "what a candidate rulebook would change")
    dry.add_argument("candidate", help="a rulebook file (TOML/JSON) or a stored version name")
    _window(dry)
    dry.add_argument("--lead", type=Path, help="replay this one form body (JSON) instead")

    report = commands.add_parser("report", help="reports")
    reports = report.add_subparsers(dest="report", required=True, metavar="REPORT")
    conversion = _command(reports, "conversion", cmd_report_conversion, "conversion by group")
    conversion.add_argument(
        "--by", choices=("rule", "outcome", "owner", "icp_tier", "grade"), default="rule"
    )
    _window(conversion)
    conversion.add_argument("--plot", type=Path, metavar="FILE.png", help="write a bar chart")
    _dlq_commands(commands)
    return parser


def _dlq_commands(commands: Any) -> None:
    from leadops_cli.dlq import DESTINATIONS, STACK_ENV

    dead = commands.add_parser("dlq", help="what a destination's dead-letter queue holds")
    actions = dead.add_subparsers(dest="action", required=True, metavar="ACTION")
    listing = _command(actions, "list", cmd_dlq_list, "the parked messages, as ids (no PII)")
    again = _command(actions, "redrive", cmd_dlq_redrive, "send them back to be processed")
    again.add_argument("--limit", type=int, metavar="N", help="move at most N messages")
    for parser in (listing, again):
        parser.add_argument("destination", help=f"one of: {', '.join(DESTINATIONS)}")
        parser.add_argument("--stack", help=f"the stack's name (default: ${STACK_ENV})")


def main(
    argv: Sequence[str] | None = None,
    *,
    transport: httpx.BaseTransport | None = None,
    out: Console | None = None,
    err: Console | None = None,
    sleep: Callable[[float], None] = time.sleep,
) -> int:
    """The command line; returns the exit code. ``transport``, the consoles and ``sleep`` are
    for tests (an in-process API, captured output, no waiting)."""
    args = build_parser().parse_args(argv)
    ctx = Context(args, out or Console(), err or Console(stderr=True), transport, sleep)
    try:
        return int(args.handler(ctx))
    except CliError as error:
        ctx.err.print(Text(f"leadops: {error.message}", "bold red"), soft_wrap=True)
        for detail in error.details:
            ctx.err.print(Text(f"  {detail}", "red"), soft_wrap=True)
        return error.exit_code
    except KeyboardInterrupt:
        ctx.err.print(Text("leadops: interrupted", "yellow"))
        return 130
    finally:
        ctx.close()


if __name__ == "__main__":
    sys.exit(main())
