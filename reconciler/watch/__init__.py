"""``reconciler watch``: the long-running mode (Argo CD's and Flux's shape, for A/B-testing accounts).

::

    ConfigSource (reload.py)   the files of PATHS, re-read when they change; a bad edit keeps the last good
    Watcher (scheduler.py)     one task per account: check every interval (jitter, backoff), on a trigger
    run_check (checks.py)      engine.Session.plan, and with --self-heal engine.Session.apply (rails enforced)
    WatchMetrics (metrics.py)  Prometheus gauges and counters; API requests through reconciler.http.attempts
    Notifier (notify.py)       drift found / cleared, failures: JSON or Slack POSTs, deduplicated
    hooks.py, web.py, page.py  /hooks/{provider webhook}, /hooks/github, /metrics, /healthz, the status page
    serve.py                   one event loop: uvicorn, the watcher, SIGTERM / SIGINT

No vendor is named here: a provider declares the webhook route that concerns it (``Provider.webhook``).
"""

from reconciler.watch.duration import parse_duration
from reconciler.watch.serve import WatchOptions, run_watch

__all__ = ["WatchOptions", "parse_duration", "run_watch"]
