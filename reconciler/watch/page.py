"""The status page: one server-rendered HTML document, no script, refreshed by a ``<meta>`` tag.

Everything shown comes from configs, plans and error messages, and plans carry names the vendor returned
(test names, user names): untrusted text. Every value goes through ``html.escape`` (quotes included) and
the response's Content-Security-Policy allows no script at all, so a test named ``<script>`` is text.
"""

from __future__ import annotations

import datetime as dt
import html
from collections.abc import Iterable

from reconciler.redaction import redact
from reconciler.render import render_text
from reconciler.watch.scheduler import AccountStatus, Watcher

REFRESH_S = 10
CSP = "default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"

_STYLE = """
body{font:14px system-ui,sans-serif;margin:2em;color:#222}
table{border-collapse:collapse;width:100%}td,th{border-bottom:1px solid #ddd;padding:.4em;text-align:left;
vertical-align:top}pre{margin:0;white-space:pre-wrap}.drift{color:#a60}.error{color:#b00}.ok{color:#070}
"""


def _e(text: object) -> str:
    return html.escape(redact(str(text)), quote=True)


def _when(timestamp: float | None) -> str:
    if timestamp is None:
        return "never"
    return dt.datetime.fromtimestamp(timestamp, dt.UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


def _state(status: AccountStatus) -> tuple[str, str]:
    if status.error is not None:
        return "error", "error"
    if status.plan is None:
        return "", "not checked yet"
    pending = len(status.plan.changes)
    return ("drift", f"{pending} pending change(s)") if pending else ("ok", "in sync")


def _row(status: AccountStatus) -> str:
    css, state = _state(status)
    plan = render_text([status.plan]) if status.plan is not None else ""
    heal = status.heal
    heal_text = (
        f"<br>self-heal: {heal.applied} applied, {heal.failed} failed"
        + (f": {_e(heal.error)}" if heal.error else "")
        if heal is not None
        else ""
    )
    return (
        f'<tr class="account" data-provider="{_e(status.provider)}" data-account="{_e(status.account)}">'
        f"<td><b>{_e(status.provider)}</b> {_e(status.account)}<br><small>{_e(status.loaded.path)}</small></td>"
        f'<td class="{css}">{_e(state)}{heal_text}</td>'
        f"<td>{_e(_when(status.last_check))}<br><small>{status.checks} check(s), "
        f"last success {_e(_when(status.last_success))}</small></td>"
        f'<td><pre class="plan">{_e(plan)}</pre></td>'
        f'<td class="error">{_e(status.error or "")}</td></tr>'
    )


def render_page(watcher: Watcher, statuses: Iterable[AccountStatus]) -> str:
    """The whole document."""
    rows = "".join(_row(s) for s in sorted(statuses, key=lambda s: s.loaded.path))
    config = (
        f'<p class="error">The config files could not be re-read; the last good ones stay in use:</p>'
        f'<pre class="error">{_e(watcher.config_error)}</pre>'
        if watcher.config_error
        else ""
    )
    mode = "self-heal" if watcher.settings.self_heal else "detect only"
    return (
        "<!doctype html><html lang=en><head><meta charset=utf-8>"
        f'<meta http-equiv="refresh" content="{REFRESH_S}"><title>reconciler watch</title>'
        f"<style>{_STYLE}</style></head><body><h1>reconciler watch</h1>"
        f"<p>{_e(mode)}, every {watcher.interval:g} s; started {_e(_when(watcher.started))}. "
        f'<a href="/metrics">metrics</a></p>{config}'
        "<table><thead><tr><th>account</th><th>state</th><th>last check</th><th>pending changes</th>"
        f"<th>last error</th></tr></thead><tbody>{rows}</tbody></table></body></html>"
    )
