"""The small HTML page ``GET /router`` answers with: the rep's booking page embedded, or the
neutral message. Server-side, no JavaScript, every value escaped (``html.escape`` with quotes),
and a Content-Security-Policy that allows no script at all."""

from __future__ import annotations

from html import escape

from leadops.router import VisitorAnswer

# No script, no plugin, frames only for the booking page, styles only inline.
PAGE_CSP = (
    "default-src 'none'; style-src 'unsafe-inline'; frame-src https: http:; img-src 'self'; "
    "base-uri 'none'; form-action 'none'; frame-ancestors *"
)

_STYLE = """
body{margin:0;font:16px/1.5 system-ui,-apple-system,"Segoe UI",sans-serif;color:#1d2330;
background:#f6f7f9}
main{max-width:960px;margin:0 auto;padding:32px 20px}
h1{font-size:1.4rem;margin:0 0 16px}
p.note{background:#fff;border:1px solid #dde1e7;border-radius:8px;padding:20px 24px}
iframe{width:100%;height:720px;border:1px solid #dde1e7;border-radius:8px;background:#fff}
a{color:#1f5fbf}
"""


def _page(title: str, body: str) -> str:
    return (
        "<!doctype html>\n"
        '<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        '<meta name="robots" content="noindex">'
        f"<title>{escape(title)}</title><style>{_STYLE}</style></head>"
        f"<body><main>{body}</main></body></html>\n"
    )


def booking_page(title: str, booking_path: str, owner_name: str | None) -> str:
    """The rep's booking page in an iframe (it follows ``/router/book/<token>``'s redirect), and
    a plain link for browsers that block third-party frames."""
    src = escape(booking_path, quote=True)
    who = f" with {escape(owner_name)}" if owner_name else ""
    return _page(
        title,
        f"<h1>{escape(title)}{who}</h1>"
        f'<iframe src="{src}" title="{escape(title, quote=True)}" '
        'referrerpolicy="no-referrer"></iframe>'
        f'<p>The calendar does not show? <a href="{src}" target="_blank" '
        'rel="noopener noreferrer">Open it in a new tab</a>.</p>',
    )


def message_page(message: str, title: str = "Thank you") -> str:
    return _page(title, f'<p class="note" role="status">{escape(message)}</p>')


def visitor_page(answer: VisitorAnswer, booking_title: str) -> str:
    """The page for a booking or a message answer (a redirect is a 303, not a page)."""
    if answer.booking_path:
        return booking_page(booking_title, answer.booking_path, answer.owner_name)
    return message_page(answer.message or "")
