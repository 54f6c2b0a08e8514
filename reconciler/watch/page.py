"""The status page: one server-rendered HTML document, no script, refreshed by a ``<meta>`` tag.

Layout: a summary line (how many accounts are synced, out of sync, unknown, degraded), the watch's mode,
version and config revision, then one row per account, **worst first** (``health.Health.rank``): its sync
and health states with the reasons, its last and next check, and its pending changes one entry per line.
An entry never wraps in its middle (``white-space: pre``): a long one scrolls sideways inside its cell, so
a reader always sees where one change ends and the next begins.

Everything shown comes from configs, plans and error messages, and plans carry names the vendor returned
(test names, user names): untrusted text. Every value goes through the HTML encoder
(``reconciler.encode.html``, quotes and controls included) after the redactor, and the response's
Content-Security-Policy allows no script at all, so a test named ``<script>`` is text.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from reconciler import __version__
from reconciler.encode import html
from reconciler.redaction import redact
from reconciler.watch.events import plan_lines
from reconciler.watch.health import Condition, Health, Sync, assess, summary
from reconciler.watch.revision import revision_of
from reconciler.watch.scheduler import AccountStatus, Watcher

REFRESH_S = 10
CSP = "default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"

_STYLE = """
body{font:14px system-ui,sans-serif;margin:2em;color:#222}
.summary{font-size:1.25em;font-weight:600;margin:.2em 0}.meta{color:#555;margin:.2em 0 1em}
table{border-collapse:collapse;width:100%;table-layout:fixed}td,th{border-bottom:1px solid #ddd;padding:.5em;
text-align:left;vertical-align:top}th{background:#f4f4f4}small{color:#666}.path{overflow-wrap:anywhere}
.time{white-space:nowrap}
.badge{display:inline-block;padding:.1em .5em;border-radius:.8em;font-size:.9em;white-space:nowrap}
.synced,.healthy{background:#e3f4e3;color:#075e07}.out_of_sync{background:#fff0d6;color:#8a4b00}
.unknown{background:#eee;color:#444}.degraded{background:#fde2e2;color:#9b0000}
ul{margin:.3em 0 0;padding-left:1.2em}.reasons li{margin:.15em 0;overflow-wrap:anywhere}
.plan{overflow-x:auto}.plan ul{list-style:none;padding:0;margin:0}
.plan li{white-space:pre;font:12px ui-monospace,monospace;line-height:1.5}
.error{color:#b00}pre{white-space:pre-wrap;margin:0}
"""
# Fixed widths: the pending changes never wrap, so in an automatic layout they would widen the table past
# the window instead of scrolling inside their own cell.
_COLUMNS = "<colgroup>" + "".join(f'<col style="width:{w}%">' for w in (16, 8, 24, 17, 35)) + "</colgroup>"
_SYNC_WORDS = {Sync.SYNCED: "synced", Sync.OUT_OF_SYNC: "out of sync", Sync.UNKNOWN: "unknown"}


def _e(text: object) -> str:
    return html.text(redact(str(text)))


def _when(timestamp: float | None) -> str:
    if timestamp is None:
        return "never"
    return dt.datetime.fromtimestamp(timestamp, dt.UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


def _badge(css: str, words: str) -> str:
    return f'<span class="badge {_e(css)}">{_e(words)}</span>'


def _states(status: AccountStatus, state: Health) -> str:
    sync = _badge(state.sync.value, _SYNC_WORDS[state.sync])
    if state.sync is Sync.OUT_OF_SYNC and status.plan is not None:
        sync += f"<br><small>{len(status.plan.changes)} pending change(s)</small>"
    reasons = "".join(f"<li>{_e(r)}</li>" for r in state.reasons)
    health = _badge(state.condition.value, state.condition.value)
    if state.condition is Condition.DEGRADED:
        health += f'<ul class="reasons">{reasons}</ul>'
    return f'<td class="sync">{sync}</td><td class="health">{health}{_heal(status)}</td>'


def _heal(status: AccountStatus) -> str:
    heal = status.heal
    if heal is None:
        return ""
    error = f": {_e(heal.error)}" if heal.error else ""
    return f"<br><small>last self-heal: {heal.applied} applied, {heal.failed} failed{error}</small>"


def _time(label: str, timestamp: float | None) -> str:
    return f'<span class="time">{_e(label)} {_e(_when(timestamp))}</span>'


def _checks(status: AccountStatus) -> str:
    upcoming = (
        '<span class="time">checking now</span>'
        if status.checking_since is not None
        else _time("next", status.next_check)
    )
    return (
        f"<td><small>{_time('last', status.last_check)}<br>{upcoming}<br>"
        f"{_time('last success', status.last_success)}<br>{status.checks} check(s)</small></td>"
    )


def _plan(status: AccountStatus) -> str:
    if status.plan is None or not status.plan.changes:
        return "<td></td>"
    entries = "".join(f"<li>{_e(line)}</li>" for line in plan_lines(status.plan))
    return f'<td><div class="plan"><ul>{entries}</ul></div></td>'


def _row(status: AccountStatus, state: Health) -> str:
    return (
        f'<tr class="account" data-provider="{_e(status.provider)}" data-account="{_e(status.account)}" '
        f'data-sync="{_e(state.sync.value)}" data-health="{_e(state.condition.value)}">'
        f"<td><b>{_e(status.provider)}</b> {_e(status.account)}<br>"
        f'<small class="path">{_e(status.loaded.path)}</small></td>'
        f"{_states(status, state)}{_checks(status)}{_plan(status)}</tr>"
    )


def render_page(watcher: Watcher, statuses: Iterable[AccountStatus]) -> str:
    """The whole document."""
    assessed = sorted(((assess(s), s) for s in statuses), key=lambda p: (p[0].rank, p[1].loaded.path))
    rows = "".join(_row(status, state) for state, status in assessed)
    config = (
        f'<p class="error">The config files could not be re-read; the last good ones stay in use:</p>'
        f'<pre class="error">{_e(watcher.config_error)}</pre>'
        if watcher.config_error
        else ""
    )
    mode = "self-heal" if watcher.settings.self_heal else "detect only"
    revision = revision_of(tuple(watcher.source.paths), tuple(s.loaded.digest for _, s in assessed))
    return (
        "<!doctype html><html lang=en><head><meta charset=utf-8>"
        f'<meta http-equiv="refresh" content="{REFRESH_S}"><title>reconciler watch</title>'
        f"<style>{_STYLE}</style></head><body><h1>reconciler watch</h1>"
        f'<p class="summary">{_e(summary(state for state, _ in assessed))}</p>'
        f'<p class="meta">{_e(mode)}, every {watcher.interval:g} s; started {_e(_when(watcher.started))}; '
        f"reconciler {_e(__version__)}; config revision <code>{_e(revision)}</code>. "
        f'<a href="/metrics">metrics</a></p>{config}'
        f"<table>{_COLUMNS}<thead><tr><th>account</th><th>sync</th><th>health</th><th>checks</th>"
        f"<th>pending changes</th></tr></thead><tbody>{rows}</tbody></table></body></html>"
    )
