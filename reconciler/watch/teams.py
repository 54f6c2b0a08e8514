"""The Microsoft Teams shape of a notification: a Workflows webhook ("Post to a channel when a webhook
request is received") takes a message whose ``attachments`` hold an Adaptive Card
(``contentType: application/vnd.microsoft.card.adaptive``). Teams' retired Office 365 connectors took
MessageCards; this is their replacement.

Teams renders Markdown in a card's ``TextBlock`` and ``FactSet`` values, so every text that came from a
config, a server or an error goes through ``reconciler.encode.teams`` (Markdown that would act, escaped): a test
named ``[Approve](https://evil.example)`` is shown, never a link. The one link is the status page's
``Action.OpenUrl``, whose URL is the operator's ``--public-url``.
"""

from __future__ import annotations

from typing import Any

from reconciler.encode import teams
from reconciler.redaction import redact
from reconciler.watch.delivery import Delivery

CARD_TYPE = "application/vnd.microsoft.card.adaptive"
CARD_VERSION = "1.4"  # what Teams renders in channels and chats


def _text(value: str, **style: Any) -> dict[str, Any]:
    return {"type": "TextBlock", "text": teams.text(redact(value)), "wrap": True, **style}


def teams_card(delivery: Delivery) -> dict[str, Any]:
    """The Workflows webhook body: a message with one Adaptive Card (headline, changes, stamp, page link)."""
    event = delivery.event
    body: list[dict[str, Any]] = [_text(event.headline(), weight="Bolder", size="Medium")]
    body += [_text(line, fontType="Monospace", spacing="None") for line in event.changes]
    if event.total > len(event.changes):
        body.append(_text(f"... and {event.total - len(event.changes)} more change(s)", isSubtle=True))
    facts = [
        {"title": teams.text(name), "value": teams.text(redact(value))} for name, value in delivery.facts()
    ]
    body.append({"type": "FactSet", "facts": facts})
    card: dict[str, Any] = {
        "$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
        "type": "AdaptiveCard",
        "version": CARD_VERSION,
        "body": body,
    }
    if delivery.page:
        card["actions"] = [{"type": "Action.OpenUrl", "title": "Status page", "url": redact(delivery.page)}]
    return {
        "type": "message",
        "attachments": [{"contentType": CARD_TYPE, "contentUrl": None, "content": card}],
    }
