"""``report conversion --plot``: a PNG bar chart of conversion by group with the target as a
dashed line. matplotlib is imported here only, and only when a plot is asked for; the Agg
canvas is used directly (no pyplot, no GUI backend, no global figure state)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from leadops_cli.api import CliError

COLOURS = {"above": "#2e7d32", "below": "#c62828", "at": "#f9a825", "unknown": "#9e9e9e"}


def conversion_chart(answer: dict[str, Any], destination: Path) -> None:
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    groups = [group for group in answer.get("groups") or [] if isinstance(group, dict)]
    labels = [str(group.get("group")) for group in groups]
    rates = [_rate(group.get("conversion_rate")) for group in groups]
    colours = [COLOURS.get(str(group.get("vs_target")), COLOURS["unknown"]) for group in groups]

    figure = Figure(figsize=(max(6.0, 0.8 * len(groups) + 2), 4.5), layout="constrained")
    FigureCanvasAgg(figure)
    axes = figure.add_subplot()
    positions = list(range(len(groups)))
    bars = axes.bar(positions, [rate or 0.0 for rate in rates], color=colours)
    for bar, rate in zip(bars, rates, strict=True):
        label = "n/a" if rate is None else f"{rate:.1f}%"
        axes.annotate(
            label,
            (bar.get_x() + bar.get_width() / 2, bar.get_height()),
            ha="center",
            va="bottom",
            fontsize=8,
            xytext=(0, 2),
            textcoords="offset points",
        )
    rotated = len(groups) > 6
    axes.set_xticks(
        positions, labels, rotation=30 if rotated else 0, ha="right" if rotated else "center"
    )
    target = _rate(answer.get("target"))
    if target is not None:
        axes.axhline(target, linestyle="--", color="#424242", label=f"target {target:.1f}%")
        axes.legend(loc="upper right")
    axes.set_ylabel("conversion (%)")
    axes.set_ylim(0, max([rate or 0.0 for rate in rates] + [target or 0.0, 1.0]) * 1.2)
    axes.set_title(f"Conversion by {answer.get('by')}, {answer.get('from')} to {answer.get('to')}")
    try:
        figure.savefig(destination, format="png", dpi=120)
    except OSError as error:
        raise CliError(f"cannot write {destination}: {error.strerror or error}") from None


def _rate(value: Any) -> float | None:
    """A 0-1 rate as a percentage (None when the API has none)."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value) * 100
