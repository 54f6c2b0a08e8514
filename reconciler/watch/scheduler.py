"""The loop: one task per account checks it every interval, or at once when woken (a webhook, an edited
file); one more task re-reads the config files when they change.

Timing, per account:

- the first check starts within a tenth of the interval (at most 1 s), at random, so a hundred accounts do
  not all hit the APIs in the same second;
- then every interval, times a random factor in [0.9, 1.1] (jitter: accounts drift apart instead of lining
  up again);
- after a failed check, or one the API throttled (any 429, even one the client waited out), the wait
  doubles, up to 64 intervals or an hour (whichever is longer than the interval), and comes back to the
  interval after the next clean check (exponential backoff: a failing API is not hammered);
- a wake-up (webhook, changed file, push) checks at once, but never sooner than ``MIN_GAP`` after the
  previous check ended, so a burst of webhooks costs one or two checks, not one each; and never while the
  account backs off (its last check failed, a 5xx or a timeout, or was throttled): the wake-up is
  remembered and the check waits for the back-off (a flood of webhooks, or a push, while an API fails or
  throttles costs no request; a wake-up that cut the back-off short would make it a check every ``MIN_GAP``).
  A change to the account's own file is the exception: it is checked at once.

Each account's task catches everything its check raises: one account's failure never stops another's.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import time
from collections.abc import Iterable
from dataclasses import dataclass, field

from reconciler.config.loaded import LoadedConfig
from reconciler.core.plan import AccountPlan
from reconciler.engine import provider_for
from reconciler.http.limits import Limits
from reconciler.redaction import redact
from reconciler.watch.checks import CheckResult, CheckSettings, Heal, run_check
from reconciler.watch.events import Event, EventTracker
from reconciler.watch.metrics import WatchMetrics
from reconciler.watch.notify import Notifier
from reconciler.watch.reload import ConfigSource

logger = logging.getLogger("reconciler.watch")

MIN_GAP = 0.25  # seconds between the end of a check and a woken check of the same account
MAX_BACKOFF_DOUBLINGS = 6
MAX_BACKOFF_S = 3600.0
FIRST_CHECK_SPREAD = 0.1  # of the interval, at most 1 s


@dataclass
class AccountStatus:
    """What the watch knows about one account (the status page reads it)."""

    loaded: LoadedConfig
    provider: str
    account: str
    webhook: str | None
    tracker: EventTracker
    wake: asyncio.Event = field(default_factory=asyncio.Event)
    plan: AccountPlan | None = None
    error: str | None = None
    heal: Heal | None = None
    held: tuple[str, ...] = ()  # what a sync window kept the last self-heal from applying (health.py)
    last_check: float | None = None  # wall-clock time of the last check's end
    last_success: float | None = None
    last_duration: float = 0.0
    next_check: float | None = None
    checks: int = 0
    streak: int = 0  # consecutive failed or throttled checks
    checking_since: float | None = None  # monotonic, while a check runs
    retired: bool = False
    unsettled: bool = False  # the last check found drift but the files were being written
    throttled: bool = False  # the last check met a 429 (the log line of a deferred wake-up says so)
    deferred: bool = False  # a wake-up was held by the back-off (logged once per back-off)
    ended_at: float = 0.0  # monotonic, end of the last check

    @classmethod
    def of(cls, loaded: LoadedConfig) -> AccountStatus:
        """A new account, not checked yet."""
        provider = provider_for(loaded)
        account = provider.account_of(loaded.config)
        tracker = EventTracker(provider.name, account, loaded.path)
        return cls(loaded, provider.name, account, provider.webhook, tracker)

    def absorb(self, result: CheckResult, now: float) -> None:
        """Keep what ``result`` says."""
        self.checks += 1
        self.last_check, self.last_duration = now, result.duration
        self.error = result.error
        self.heal = result.heal or self.heal
        if result.error is None and result.plan is not None:
            self.plan, self.last_success, self.held = result.plan, now, result.held
        self.streak = self.streak + 1 if result.error is not None or result.throttled else 0
        self.unsettled = result.unsettled is not None
        self.throttled, self.deferred = result.throttled, False


class Watcher:
    """Every account of a ``ConfigSource``, checked on time and on demand."""

    def __init__(
        self,
        source: ConfigSource,
        settings: CheckSettings,
        interval: float,
        metrics: WatchMetrics,
        notifier: Notifier,
        *,
        poll_s: float = 1.0,
        rng: random.Random | None = None,
    ) -> None:
        self.source, self.settings, self.interval = source, settings, interval
        self.metrics, self.notifier = metrics, notifier
        self.poll_s = poll_s
        self.accounts: dict[str, AccountStatus] = {}
        self.config_error: str | None = None
        self.started = time.time()
        self.heartbeat = time.monotonic()
        # A self-heal plans, applies and plans again, each with its own client and deadline.
        self.check_timeout = 3 * Limits.resolve().deadline + 60
        self._rng = rng or random.Random()
        self._stop = asyncio.Event()
        self._reload_now = asyncio.Event()
        self._tasks: dict[str, asyncio.Task[None]] = {}
        self._retiring: set[asyncio.Task[None]] = set()  # tasks of removed accounts, ending their last check

    # -- control (from the web routes and the signal handlers, on the same loop) ------------------------

    def stop(self) -> None:
        """Finish the checks under way, start no other, and let ``run`` return."""
        self._stop.set()
        self._reload_now.set()
        for status in self.accounts.values():
            status.wake.set()

    def cancel(self) -> None:
        """A second signal: abandon the checks under way."""
        for task in [*self._tasks.values(), *self._retiring]:
            task.cancel()

    def trigger_webhook(self, name: str, account: str | None = None) -> int:
        """Check now every account whose provider receives webhooks at ``name`` (only ``account``, when
        the sender's URL names it); how many."""
        concerned = [s for s in self.accounts.values() if s.webhook == name and account in (None, s.account)]
        for status in concerned:
            status.wake.set()
        return len(concerned)

    def reload_and_check(self) -> None:
        """Re-read the files now (a push), then check every account."""
        self._reload_now.set()

    def health(self) -> tuple[bool, str]:
        """Alive: the loop beats, no account task died, no check runs past its timeout."""
        now = time.monotonic()
        if now - self.heartbeat > max(10.0, 5 * self.poll_s):
            return False, f"the loop has not beaten for {now - self.heartbeat:.0f} s"
        dead = [p for p, t in self._tasks.items() if t.done() and not self._stop.is_set()]
        if dead:
            return False, f"the check task of {dead[0]} ended"
        for status in self.accounts.values():
            since = status.checking_since
            if since is not None and now - since > self.check_timeout + 30:
                return False, f"the check of {status.loaded.path} is stuck"
        return True, "ok"

    # -- the loop ---------------------------------------------------------------------------------------

    async def run(self) -> None:
        """Until ``stop``: beat, re-read changed files, keep one task per account."""
        self._sync(self.source.configs, wake=False)
        while not self._stop.is_set():
            self.heartbeat = time.monotonic()
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(self.poll_s):
                    await self._reload_now.wait()
            if self._stop.is_set():
                break
            forced = self._reload_now.is_set()
            self._reload_now.clear()
            self._reload(forced)
        await asyncio.gather(*self._tasks.values(), *self._retiring, return_exceptions=True)

    def _reload(self, forced: bool) -> None:
        reloaded = self.source.poll(force=forced)
        if reloaded is not None and reloaded.error is not None:
            self.metrics.config_errors.inc()
            if reloaded.error != self.config_error:
                logger.error("config not reloaded, the last good one stays in use:\n%s", reloaded.error)
                where = ", ".join(self.source.paths)
                self.notifier.publish(Event("config_error", "", "", where, error=reloaded.error))
            self.config_error = reloaded.error
        elif reloaded is not None:
            if self.config_error is not None:
                logger.info("config reloaded: the files are valid again")
            self.config_error = None
            self._sync(reloaded.configs or [], wake=True)
        settled = self.source.settled()
        for status in self.accounts.values():
            if forced or (settled and status.unsettled):  # the drift held for the files is applied now
                status.unsettled = status.unsettled and not settled
                status.wake.set()

    def _sync(self, configs: Iterable[LoadedConfig], wake: bool) -> None:
        """Start, update or retire account tasks to match ``configs``."""
        fresh = {c.path: c for c in configs}
        for path in [p for p in self.accounts if p not in fresh]:
            self._retire(path)
        for path, loaded in fresh.items():
            status = self.accounts.get(path)
            if status is None:
                self._start(AccountStatus.of(loaded))
            elif status.loaded.digest != loaded.digest:
                self._update(status, loaded, wake)

    def _update(self, status: AccountStatus, loaded: LoadedConfig, wake: bool) -> None:
        renamed = AccountStatus.of(loaded)
        if (renamed.provider, renamed.account) != (status.provider, status.account):
            self._retire(status.loaded.path)  # another account now: its series and events start afresh
            self._start(renamed)
            return
        status.loaded = loaded
        if wake:
            # Its own file changed: a new config is a new situation (the fix of what failed, perhaps), so
            # it is checked now, back-off or not. A push or a webhook alone waits for the back-off.
            status.streak = 0
            status.wake.set()

    def _retire(self, path: str) -> None:
        status = self.accounts.pop(path)
        status.retired = True
        status.wake.set()
        task = self._tasks.pop(path)
        self._retiring.add(task)
        task.add_done_callback(self._retiring.discard)

    def _start(self, status: AccountStatus) -> None:
        path = status.loaded.path
        self.accounts[path] = status
        self._tasks[path] = asyncio.get_running_loop().create_task(self._account_loop(status))

    async def _account_loop(self, status: AccountStatus) -> None:
        delay = self._rng.uniform(0, min(self.interval * FIRST_CHECK_SPREAD, 1.0))
        while True:
            await self._sleep(status, delay)
            if self._stop.is_set() or status.retired:
                break
            await self._check(status)
            delay = self.next_delay(status.streak)
        if status.retired:
            self.metrics.forget(status.provider, status.account)

    async def _sleep(self, status: AccountStatus, delay: float) -> None:
        status.next_check = time.time() + delay
        deadline = time.monotonic() + delay
        while True:
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(max(0.0, deadline - time.monotonic())):
                    await status.wake.wait()
            woken = status.wake.is_set()
            status.wake.clear()
            if not woken or self._stop.is_set() or status.retired or status.streak == 0:
                break
            self._defer(status, deadline - time.monotonic())
        gap = MIN_GAP - (time.monotonic() - status.ended_at)
        if woken and gap > 0 and not self._stop.is_set():
            await asyncio.sleep(gap)

    def _defer(self, status: AccountStatus, left: float) -> None:
        """A wake-up during a back-off: the check keeps its time (one log line per back-off)."""
        if not status.deferred:
            status.deferred = True
            where = f"{status.provider} {status.account} ({status.loaded.path})"
            why = "a 429 back-off" if status.throttled else "the back-off after a failed check"
            logger.info(f"check {where} woken during {why}: it waits {left:.0f} s more, as planned")

    def next_delay(self, streak: int) -> float:
        """The wait before the next check: the interval, doubled per failed or throttled check, jittered."""
        base = self.interval * float(2 ** min(streak, MAX_BACKOFF_DOUBLINGS))
        return min(base, max(self.interval, MAX_BACKOFF_S)) * self._rng.uniform(0.9, 1.1)

    async def _check(self, status: AccountStatus) -> None:
        status.checking_since = time.monotonic()
        try:
            async with asyncio.timeout(self.check_timeout):
                result = await run_check(status.loaded, self.settings, self.source.unsettled)
        except TimeoutError:
            result = CheckResult(error=f"the check did not finish within {self.check_timeout:.0f} s")
        finally:
            status.checking_since = None
            status.ended_at = time.monotonic()
        now = time.time()
        status.absorb(result, now)
        self.metrics.record(status.provider, status.account, result, now)
        for event in status.tracker.events(result):
            self.notifier.publish(event)
        _log(status, result)


def _log(status: AccountStatus, result: CheckResult) -> None:
    where = f"{status.provider} {status.account} ({status.loaded.path})"
    requests = sum(result.requests.values())
    if result.error is not None:
        logger.warning(redact(f"check {where} failed: {result.error}"))
    elif result.plan is not None:
        pending = len(result.plan.changes)
        logger.info(
            f"check {where}: {pending} pending change(s), {requests} request(s), {result.duration * 1000:.0f} ms"
        )
    if result.held:
        logger.info(redact(f"self-heal {where} waits for a sync window: {result.held[0]}"))
    if result.unsettled:
        logger.info(redact(f"self-heal {where} waits: {result.unsettled}"))
    if result.heal is not None:
        heal = result.heal
        logger.log(
            logging.WARNING if heal.error else logging.INFO,
            redact(f"self-heal {where}: {heal.applied} applied, {heal.failed} failed, {heal.skipped} skipped")
            + (f": {redact(heal.error)}" if heal.error else ""),
        )
