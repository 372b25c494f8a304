"""Small helpers shared by tests (fixtures live in conftest.py)."""

from leadops.scoring import ScoreCard, ScoreItem


def item_of(card: ScoreCard, metric: str) -> ScoreItem:
    """The one item of ``card`` for ``metric``."""
    (item,) = (item for item in card.items if item.metric == metric)
    return item
