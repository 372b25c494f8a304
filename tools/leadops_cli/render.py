"""Answers of the API as rich tables for a terminal. Every value from the API goes in as a
``Text`` (never as markup), so a ``[`` in a reason or a path prints as itself."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from rich import box
from rich.console import Console, Group
from rich.json import JSON
from rich.table import Table
from rich.text import Text

from leadops_cli.diff import Change

DASH = "-"
VS_TARGET_STYLE = {"above": "bold green", "below": "bold red", "at": "yellow", "unknown": "dim"}
_KIND_STYLE = {"changed": "yellow", "added": "green", "removed": "red"}


def text(value: Any, style: str = "") -> Text:
    """A cell: None as ``-``, booleans as yes/no, anything else as its string."""
    if value is None:
        return Text(DASH, style="dim")
    if isinstance(value, bool):
        return Text("yes" if value else "no", style=style)
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return Text(str(value), style=style)


def percent(rate: Any) -> Text:
    if not isinstance(rate, int | float) or isinstance(rate, bool):
        return Text("n/a", style="dim")
    return Text(f"{rate * 100:.1f}%")


def _fields(rows: Iterable[tuple[str, Any]], title: str | None = None) -> Table:
    """A two-column name/value grid."""
    grid = Table(title=title, title_justify="left", show_header=False, box=None, padding=(0, 2))
    grid.add_column(style="bold")
    grid.add_column(overflow="fold")
    for name, value in rows:
        grid.add_row(Text(name), value if isinstance(value, Text) else text(value))
    return grid


# --- scores -----------------------------------------------------------------------------------
def score_card(card: dict[str, Any], title: str) -> Table:
    table = Table(title=title, title_justify="left", box=box.SIMPLE_HEAVY, show_footer=True)
    table.add_column("metric", footer=Text("total", style="bold"))
    table.add_column("value", overflow="fold")
    table.add_column("band")
    out_of = f"/{card['max']}" if card.get("max") is not None else ""  # behaviour: no max
    table.add_column("points", justify="right", footer=Text(f"{card.get('total')}{out_of}", "bold"))
    items = card.get("items") or []
    # Where each value came from (issue 13), shown once a value came from elsewhere than the form.
    sourced = any(item.get("source") not in (None, "form") for item in items)
    if sourced:
        table.add_column("source")
    for item in items:
        points = item.get("points")
        style = "green" if isinstance(points, int) and points > 0 else ""
        style = "red" if isinstance(points, int) and points < 0 else style
        cells = [text(item.get("metric")), text(item.get("value")), text(item.get("band")),
                 text(points, style)]  # fmt: skip
        if sourced:
            cells.append(text(item.get("source"), "cyan"))
        table.add_row(*cells)
    return table


def scores(answer: dict[str, Any]) -> Group:
    """Both breakdowns of a /score answer (or a stored lead's ``scores``)."""
    parts: list[Any] = []
    lead = answer.get("lead_score")
    if isinstance(lead, dict):
        parts.append(score_card(lead, f"Lead score {lead.get('total')}/{lead.get('max')}"))
    icp = answer.get("icp_score")
    if isinstance(icp, dict):
        title = f"ICP score {icp.get('total')}/{icp.get('max')}, tier {icp.get('tier')}"
        parts.append(score_card(icp, title))
    return Group(*parts)


def score(console: Console, answer: dict[str, Any]) -> None:
    console.print(scores(answer))
    console.print(Text(f"rulebook {answer.get('rulebook_version')}", style="dim"))


# --- a stored lead ----------------------------------------------------------------------------
def _scheduler(scheduler: Any) -> list[tuple[str, Any]]:
    """Rows: eligible or not, the criteria met, the account's lockout."""
    if not isinstance(scheduler, dict):
        return [("scheduler", None)]
    eligible = bool(scheduler.get("eligible"))
    met = scheduler.get("criteria_met") or []
    until = scheduler.get("locked_out_until")
    return [
        (
            "scheduler",
            Text("eligible" if eligible else "not eligible", "green" if eligible else "red"),
        ),
        ("criteria met", Text(", ".join(map(str, met)) if met else "none")),
        ("locked out until", Text(str(until), "bold red") if until else Text("not locked out")),
    ]


def _owner(owner: Any) -> Text:
    if not isinstance(owner, dict):
        return Text("nobody assigned", "dim")
    line = Text(f"{owner.get('name')} ({owner.get('id')}, {owner.get('role')})")
    if owner.get("booking_url"):
        line.append(f" {owner['booking_url']}", "cyan")
    return line


def _out_of(total: Any, card: str, stored: dict[str, Any]) -> str:
    """``40/70`` when the stored breakdown says what the maximum is."""
    maximum = (stored.get(card) or {}).get("max")
    return f"{total}/{maximum}" if maximum is not None else str(total)


def lead(console: Console, view: dict[str, Any]) -> None:
    """``GET /leads/{id}``: the decision, why, and what happened since."""
    outcome = view.get("outcome")
    stored: dict[str, Any] = view.get("scores") or {}
    rows: list[tuple[str, Any]] = [
        ("lead", view.get("lead_id")),
        ("received", view.get("received_at")),
        ("classification", Text(str(view.get("classification")), "bold")),
        ("outcome", Text(str(outcome), "bold green" if outcome == "instant_scheduler" else "")),
        ("lead score", _out_of(view.get("lead_score"), "lead_score", stored)),
        (
            "ICP score",
            f"{_out_of(view.get('icp_score'), 'icp_score', stored)} (tier {view.get('icp_tier')})",
        ),
        *_scheduler(view.get("scheduler")),
        ("owner", _owner(view.get("owner"))),
        ("decided by", view.get("rule") or "-"),
        ("rulebook", view.get("rulebook_version")),
        *_enrichment(view),
    ]
    disqualified = view.get("disqualified")
    if isinstance(disqualified, dict):
        line = Text(f"{disqualified.get('at')}: {disqualified.get('reason')}", "red")
        rows.append(("disqualified", line))
    deal = view.get("deal")
    if isinstance(deal, dict):
        line = Text(str(deal.get("outcome")), "bold")
        if deal.get("amount") is not None:
            line.append(f", amount {float(deal['amount']):,.2f}")
        line.append(f", at {deal.get('at')}")
        rows.append(("deal", line))
    console.print(_fields(rows))
    reasons = view.get("reasons") or []
    console.print(Text("\nReasons", style="bold"))
    for number, reason in enumerate(reasons, 1):
        console.print(Text(f"{number:>3}. {reason}"))
    if not reasons:
        console.print(Text("  (none recorded)", "dim"))
    if stored:
        console.print()
        console.print(scores(stored))
    engagement = view.get("engagement")
    if isinstance(engagement, dict) and isinstance(engagement.get("behaviour"), dict):
        console.print()
        console.print(behaviour(engagement))


def behaviour(view: dict[str, Any]) -> Group:
    """``GET /people/{id}/score``: the behaviour points, the grade and the MQL status."""
    card = view["behaviour"]
    threshold = card.get("threshold")
    title = f"Behaviour score {card.get('total')} (MQL from {threshold})"
    table = score_card({**card, "max": None}, title)
    grade = view.get("grade") or {}
    mql = view.get("mql") or {}
    lines = [Text(f"grade {grade.get('grade')}", "bold")]
    lines += [
        Text(f"  {reason}") for reason in [*grade.get("reasons", []), *mql.get("reasons", [])]
    ]
    lines.append(Text(f"last activity {card.get('last_activity')}", "dim"))
    return Group(table, *lines)


def _enrichment(view: dict[str, Any]) -> list[tuple[str, Any]]:
    """Issue 13: the lead's enrichment and, once re-scored, its first decision's scores."""
    state = view.get("enrichment")
    if not isinstance(state, dict):
        return []
    providers = ", ".join(state.get("providers") or []) or "no provider answered"
    rows: list[tuple[str, Any]] = [("enrichment", f"{state.get('status')} ({providers})")]
    for earlier in view.get("history") or []:
        line = (f"lead score {earlier.get('lead_score')}, ICP {earlier.get('icp_score')} "
                f"(tier {earlier.get('icp_tier')}), {earlier.get('outcome')}")  # fmt: skip
        rows.append(("first decided", line))
    return rows


# --- rulebook ---------------------------------------------------------------------------------
def rulebook(console: Console, answer: dict[str, Any]) -> None:
    console.print(
        _fields(
            [
                ("version", answer.get("version")),
                ("source", answer.get("source")),
                ("activated at", answer.get("activated_at")),
            ]
        )
    )
    console.print(JSON.from_data(answer.get("rulebook"), indent=2))


def versions(console: Console, answer: dict[str, Any]) -> None:
    table = Table(title=f"Rulebook versions (current {answer.get('current')})", box=box.SIMPLE)
    table.title_justify = "left"
    for name in ("", "version", "source", "stored at", "description"):
        table.add_column(name, overflow="fold")
    for version in answer.get("versions") or []:
        active = bool(version.get("active"))
        table.add_row(
            Text("*" if active else "", "bold green"),
            text(version.get("version"), "bold" if active else ""),
            text(version.get("source")),
            text(version.get("stored_at")),
            text(version.get("description")),
        )
    console.print(table)


def activated(console: Console, answer: dict[str, Any]) -> None:
    """The answer of ``PUT /rulebook`` and ``POST /rulebook/rollback``."""
    line = Text("active rulebook: ")
    line.append(str(answer.get("version")), "bold green")
    line.append(f" ({answer.get('source')}, activated {answer.get('activated_at')}")
    line.append(f"; previous {answer.get('previous_version')})")
    console.print(line)


def changes(console: Console, old: str, new: str, found: list[Change]) -> None:
    header = Text(f"{old} → {new}: ", "bold")
    header.append(f"{len(found)} change{'' if len(found) == 1 else 's'}" if found else "identical")
    console.print(header, soft_wrap=True)
    for change in found:
        console.print(Text(change.line(), _KIND_STYLE[change.kind]), soft_wrap=True)


# --- dry run ----------------------------------------------------------------------------------
def _counts(title: str, section: dict[str, Any]) -> Table:
    """Evaluated, then each kind of change the API counted (in its order, ``any`` last)."""
    evaluated = section.get("evaluated")
    changed = section.get("changed") or {}
    names = [name for name in changed if name != "any"] + ["any"]
    table = Table(title=title, title_justify="left", box=box.SIMPLE)
    table.add_column("")
    table.add_column("count", justify="right")
    table.add_column("share", justify="right")
    table.add_row(Text("evaluated"), text(evaluated), Text(""))
    for name in names:
        count = changed.get(name)
        share = (
            percent(count / evaluated)
            if isinstance(count, int) and isinstance(evaluated, int) and evaluated
            else Text("")
        )
        style = "yellow" if count else ""
        table.add_row(Text(f"changed: {name}"), text(count, style), share)
    return table


def _conversion(conversion: dict[str, Any]) -> Table:
    current, candidate = conversion.get("current") or {}, conversion.get("candidate") or {}
    table = Table(title="Conversion", title_justify="left", box=box.SIMPLE)
    for name, justify in (("", "left"), ("current", "right"), ("candidate", "right")):
        table.add_column(name, justify=justify)  # type: ignore[arg-type]
    for name in ("leads", "booked", "won", "lost"):
        table.add_row(Text(name), text(current.get(name)), text(candidate.get(name)))
    table.add_row(
        Text("conversion (won / leads)", "bold"),
        percent(current.get("conversion_rate")),
        percent(candidate.get("conversion_rate")),
    )
    table.add_row(
        Text("booked conversion (won / booked)", "bold"),
        percent(current.get("booked_conversion_rate")),
        percent(candidate.get("booked_conversion_rate")),
    )
    return table


def _examples(title: str, id_field: str, examples: list[dict[str, Any]]) -> Table:
    table = Table(title=title, title_justify="left", box=box.SIMPLE)
    for name in (id_field.replace("_", " "), "field", "before", "after"):
        table.add_column(name, overflow="fold")
    for example in examples:
        before, after = example.get("before") or {}, example.get("after") or {}
        fields = example.get("changed") or []
        for index, name in enumerate(fields):
            table.add_row(
                text(example.get(id_field)) if index == 0 else Text(""),
                text(name),
                text(before.get(name), "red"),
                text(after.get(name), "green"),
                end_section=index == len(fields) - 1,
            )
    return table


def dry_run(console: Console, answer: dict[str, Any]) -> None:
    window = answer.get("window")
    span = f"{window.get('from')} to {window.get('to')}" if isinstance(window, dict) else "one lead"
    header = Text("Dry run: ", "bold")
    header.append(f"current {answer.get('current_version')} → ")
    header.append(f"candidate {answer.get('candidate_version')}", "bold")
    header.append(f" over {span}")
    console.print(header)
    for one, id_field in (("lead", "lead_id"), ("account", "account_id")):
        if isinstance(answer.get(one), dict):  # a dry run of one body: every field side by side
            pair = answer[one]
            before = pair.get("before") or {}
            example = {id_field: one, **pair, "changed": list(before)}
            console.print(_examples(f"{one.title()}: current vs candidate", id_field, [example]))
            console.print(f"changed: {', '.join(pair.get('changed') or []) or 'nothing'}")
            if pair.get("score_items"):
                console.print(_score_items(id_field, [{id_field: one, **pair}]))
    leads = answer.get("leads")
    if isinstance(leads, dict):
        console.print(_counts("Leads", leads))
        if leads.get("skipped"):
            console.print(f"{leads['skipped']} lead(s) stored before dry runs existed: skipped")
        if isinstance(leads.get("conversion"), dict):
            console.print(_conversion(leads["conversion"]))
        if leads.get("examples"):
            console.print(_examples("Lead examples", "lead_id", leads["examples"]))
            if any(example.get("score_items") for example in leads["examples"]):
                console.print(_score_items("lead_id", leads["examples"]))
    accounts = answer.get("accounts")
    if isinstance(accounts, dict):
        console.print(_counts("Accounts", accounts))
        if accounts.get("examples"):
            console.print(_examples("Account examples", "account_id", accounts["examples"]))


def _score_items(id_field: str, examples: list[dict[str, Any]]) -> Table:
    """The score items a candidate changes, each with where its value came from (issue 13)."""
    table = Table(title="Score items changed", title_justify="left", box=box.SIMPLE)
    for name in (id_field.replace("_", " "), "score", "metric", "value", "source", "before",
                 "after"):  # fmt: skip
        table.add_column(name, overflow="fold")
    for example in examples:
        for index, item in enumerate(example.get("score_items") or []):
            table.add_row(
                text(example.get(id_field)) if index == 0 else Text(""),
                text(item.get("score")),
                text(item.get("metric")),
                text(item.get("value")),
                text(item.get("source"), "cyan"),
                text(item.get("before"), "red"),
                text(item.get("after"), "green"),
            )
    return table


# --- reports ----------------------------------------------------------------------------------
def conversion_report(console: Console, answer: dict[str, Any]) -> None:
    target = answer.get("target")
    title = (
        f"Conversion by {answer.get('by')}, {answer.get('from')} to {answer.get('to')} "
        f"(target {percent(target).plain})"
    )
    table = Table(title=title, title_justify="left", box=box.SIMPLE_HEAVY, show_footer=True)
    total = answer.get("total") or {}
    numbers = ("leads", "booked", "won", "lost", "no_show", "open")
    widest = max((len(str(g.get("group"))) for g in answer.get("groups") or []), default=5)
    table.add_column(
        str(answer.get("by") or "group"),
        footer=Text("total", "bold"),
        overflow="fold",
        min_width=min(widest, 40),  # rule names whole, as far as the terminal allows
    )
    for name in numbers:
        table.add_column(name.replace("_", "-"), justify="right", footer=text(total.get(name)))
    table.add_column("conversion", justify="right", footer=percent(total.get("conversion_rate")))
    table.add_column("vs target", footer=_vs(total.get("vs_target")))
    table.add_column(
        "won/booked", justify="right", footer=percent(total.get("booked_conversion_rate"))
    )
    for group in answer.get("groups") or []:
        vs = group.get("vs_target")
        table.add_row(
            text(group.get("group")),
            *(text(group.get(name)) for name in numbers),
            Text(percent(group.get("conversion_rate")).plain, VS_TARGET_STYLE.get(str(vs), "")),
            _vs(vs),
            percent(group.get("booked_conversion_rate")),
        )
    console.print(table)


def _vs(vs: Any) -> Text:
    if vs is None:
        return Text("")
    return Text(str(vs), VS_TARGET_STYLE.get(str(vs), ""))


# --- dead-letter queues -----------------------------------------------------------------------
def parked(console: Console, answer: dict[str, Any]) -> None:
    from leadops_cli.dlq import age

    rows = answer.get("messages") or []
    console.print(Text(f"{answer.get('destination')} DLQ: {len(rows)} message(s) parked", "bold"))
    if not rows:
        return
    table = Table(box=box.SIMPLE_HEAVY)
    for column in ("message id", "age", "receives", "event", "event id", "lead id", "other ids"):
        table.add_column(column, overflow="fold")
    for row in rows:
        known = ("message_id", "age_s", "receive_count", "event", "event_id", "lead_id")
        others = ", ".join(f"{k}={v}" for k, v in row.items() if k not in known)
        table.add_row(
            text(row.get("message_id")),
            Text(age(row.get("age_s"))),
            text(row.get("receive_count")),
            text(row.get("event")),
            text(row.get("event_id")),
            text(row.get("lead_id")),
            text(others or None),
        )
    console.print(table)


def redriven(console: Console, answer: dict[str, Any]) -> None:
    style = "bold red" if answer.get("failed") else "bold green"
    console.print(
        Text(
            f"{answer.get('destination')}: {answer.get('moved')} message(s) sent back to "
            f"{answer.get('to')}, {answer.get('failed')} failed (left in the DLQ)",
            style,
        ),
        soft_wrap=True,
    )
