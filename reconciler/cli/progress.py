"""Progress on stderr: live bars on a terminal, a heartbeat line in CI, nothing with ``--quiet``.

rich draws the terminal display: one bar per account (pages read of pages known, then changes done of the
total), redrawn in place, width-aware, the cursor restored on exit; click's progress bar draws a single
bar and cannot show several accounts at once. Without a terminal nothing is redrawn: after
``HEARTBEAT_AFTER`` seconds a plain line every ``HEARTBEAT_EVERY`` seconds shows the run is alive.
"""

from __future__ import annotations

import sys
import threading
import time
from dataclasses import dataclass
from types import TracebackType
from typing import TYPE_CHECKING, Any, Self

import click

if TYPE_CHECKING:
    from reconciler.config.loaded import LoadedConfig

HEARTBEAT_AFTER = 10.0
HEARTBEAT_EVERY = 5.0


@dataclass
class AccountProgress:
    """One account's counters; the observer of its reads (``reconciler.http.observe``)."""

    label: str
    started_pages: int = 0
    pages: int = 0
    changes: int = 0
    changes_done: int = 0

    def started(self) -> None:
        """A page was asked for."""
        self.started_pages += 1

    def finished(self) -> None:
        """A page came back (or failed)."""
        self.pages += 1

    def line(self) -> str:
        """``abtasty account 41902: 3 of 5 pages, 2 of 4 changes``."""
        text = f"{self.label}: {self.pages} of {self.started_pages} pages"
        return text + (f", {self.changes_done} of {self.changes} changes" if self.changes else "")


class Progress:
    """The display for one command run (use as a context manager around the work)."""

    def __init__(self, quiet: bool) -> None:
        self.enabled = not quiet
        self.accounts: dict[str, AccountProgress] = {}
        self._live: Any = None
        self._tasks: dict[str, Any] = {}
        self._stop = threading.Event()
        self._ticker: threading.Thread | None = None

    def observer(self, loaded: LoadedConfig) -> AccountProgress:
        """The counters of ``loaded``'s account (``Session.observers``)."""
        if loaded.path not in self.accounts:
            self.accounts[loaded.path] = AccountProgress(_heading(loaded))
        return self.accounts[loaded.path]

    def reads(self, path: str) -> int:
        """How many pages were read for one config (0: it manages nothing that needs a read)."""
        found = self.accounts.get(path)
        return found.pages if found else 0

    def new_fetch(self) -> None:
        """Apply reads every account again under its lock after the confirmed plan read it: the bar counts
        this read alone (a 32-page account shows 32 of 32, not both reads' 41 of 64)."""
        for account in self.accounts.values():
            account.started_pages = account.pages = 0

    def set_changes(self, path: str, total: int) -> None:
        """Apply is about to make ``total`` changes for ``path``."""
        if path in self.accounts:
            self.accounts[path].changes = total

    def change_done(self, path: str) -> None:
        """One change of ``path`` has its outcome."""
        if path in self.accounts:
            self.accounts[path].changes_done += 1

    def __enter__(self) -> Self:
        if not self.enabled:
            return self
        if sys.stderr.isatty():
            self._start_live()
        self._ticker = threading.Thread(target=self._tick, name="reconciler-progress", daemon=True)
        self._ticker.start()
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.pause()

    def pause(self) -> None:
        """Stop drawing (before the plan is printed, or a question asked)."""
        self._stop.set()
        if self._ticker is not None:
            self._ticker.join(timeout=2)
            self._ticker = None
        if self._live is not None:
            self._live.stop()
            self._live = None

    def resume(self) -> None:
        """Draw again (apply, after the question)."""
        if self.enabled and self._ticker is None:
            self._stop = threading.Event()
            self._tasks = {}
            self.__enter__()

    def _start_live(self) -> None:
        from rich.console import Console
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

        console = Console(file=sys.stderr, force_terminal=True)
        self._live = Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            console=console,
            transient=True,  # the bars go when the work is done: the plan and the summary stay
            redirect_stdout=False,
            redirect_stderr=False,
        )
        self._live.start()

    def _tick(self) -> None:
        began = time.monotonic()
        last_line = began
        while not self._stop.wait(0.1):
            if self._live is not None:
                self._draw()
            elif (
                time.monotonic() - began >= HEARTBEAT_AFTER
                and time.monotonic() - last_line >= HEARTBEAT_EVERY
            ):
                last_line = time.monotonic()
                click.echo(f"still working ({time.monotonic() - began:.0f}s): {self.summary()}", err=True)

    def summary(self) -> str:
        """Every account's counters on one line."""
        return "; ".join(a.line() for a in self.accounts.values()) or "starting"

    def _draw(self) -> None:
        for path, account in list(self.accounts.items()):
            done, total, what = account.pages, account.started_pages, "pages"
            if account.changes:
                done, total, what = account.changes_done, account.changes, "changes"
            if path not in self._tasks:
                self._tasks[path] = self._live.add_task(account.label, total=None)
            self._live.update(
                self._tasks[path], description=f"{account.label} {what}", completed=done, total=total
            )

    def echo(self, line: str) -> None:
        """A line on stderr above the live display (apply's outcomes)."""
        if self._live is not None:
            self._live.console.print(line, markup=False, highlight=False, soft_wrap=True)
        else:
            click.echo(line, err=True)


def _heading(loaded: LoadedConfig) -> str:
    from reconciler.engine import provider_for

    provider = provider_for(loaded)
    return f"{provider.name} {provider.account_noun} {provider.account_of(loaded.config)}"
