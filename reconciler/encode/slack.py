"""Slack message text (mrkdwn): ``<`` opens a link or a special mention (``<!channel>``, ``<!here>``,
``<@U123>``, ``<https://x|label>``), so Slack asks for exactly three characters to be escaped as entities."""

from __future__ import annotations

from reconciler.core.text import escape_invisible


def text(value: str) -> str:
    """``value`` as Slack shows it literally: ``&``, ``<`` and ``>`` as entities, controls escaped."""
    return escape_invisible(value).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
