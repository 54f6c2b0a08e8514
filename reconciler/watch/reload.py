"""The config files of PATHS, re-read when they change.

A change is noticed by polling the list of files and a hash of each one's content (cheap enough every
second for hundreds of small files, and it works on every filesystem, network mounts and git-sync's symlink
swaps included, where inotify does not; a content hash also sees a rewrite within one mtime tick). Loading is
all or nothing, as ``plan`` does it (the cross-file checks need every file): a bad edit keeps the last good
configs and reports the error until the files load again.

**Settled**: an editor, a ``cp`` or a script may write a file in several steps, and a half-written file can
be valid YAML that drops members. So self-heal acts only on configs whose files have not changed for
``settle`` seconds (``--settle``, 10 s by default) and at least ``MIN_STEADY_POLLS`` polls, and re-hashes
the account's file right before applying (``unsettled``): a file caught mid-write is reported, never
applied. On time, not on polls alone: two polls are two seconds, and a script that writes a file in two
steps 2.5 s apart would be healed half-way. The clock is injectable (tests move it).
"""

from __future__ import annotations

import hashlib
import os
import stat
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from reconciler.config.loaded import LoadedConfig
from reconciler.errors import ConfigError, ReconcilerError
from reconciler.loading import expand_paths, load_configs
from reconciler.redaction import redact

Stamp = tuple[tuple[str, str], ...]  # (file, sha256 of its bytes), in the order of expand_paths
MIN_STEADY_POLLS = 2  # however short --settle is: one poll may have read a file its writer had just begun
DEFAULT_SETTLE_S = 10.0


@dataclass(frozen=True)
class Reload:
    """The configs after a re-read (None when it failed) and the error that made it fail."""

    configs: list[LoadedConfig] | None
    error: str | None


class ConfigSource:
    """The files under ``paths``; ``load`` once at start (errors raise), ``poll`` after."""

    def __init__(
        self,
        paths: Sequence[str],
        env: Mapping[str, str],
        settle: float = DEFAULT_SETTLE_S,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.paths = list(paths)
        self.env = env
        self.settle, self._clock = settle, clock
        self._changed_at = clock()  # when the files were last found changed (or first read)
        self.error: str | None = None
        self._stamp: Stamp = ()
        self.configs: list[LoadedConfig] = []
        self.steady_polls = 0  # consecutive polls that found the files as they were last read
        self._edited = False  # a poll found them changed: else "changed" is only watch having started

    def load(self) -> list[LoadedConfig]:
        """Read every file; a ``ConfigError`` (every problem of every file) when they are not valid."""
        self._stamp = self._current_stamp()
        self._changed_at = self._clock()
        self.configs = load_configs(self.paths, env=self.env)
        return self.configs

    def poll(self, force: bool = False) -> Reload | None:
        """Re-read when a file changed (or ``force``); None when nothing changed."""
        stamp = self._current_stamp()
        if stamp == self._stamp and not force:
            self.steady_polls += 1
            return None
        if stamp != self._stamp:
            self.steady_polls = 0
            self._changed_at = self._clock()
            self._edited = True
        self._stamp = stamp
        try:
            self.configs = load_configs(self.paths, env=self.env)
        except ReconcilerError as err:
            self.error = redact(_message(err))
            return Reload(None, self.error)
        self.error = None
        return Reload(self.configs, None)

    def settled(self) -> bool:
        """Whether the files have stayed as last read for ``settle`` seconds and ``MIN_STEADY_POLLS`` polls
        (and loaded)."""
        steady_for = self._clock() - self._changed_at
        return self.error is None and self.steady_polls >= MIN_STEADY_POLLS and steady_for >= self.settle

    def unsettled(self, loaded: LoadedConfig) -> str | None:
        """Why ``loaded`` must not be applied now (None: it may): the files changed too recently, or its
        file differs from what was read. Called right before a self-heal applies."""
        if not self.settled():
            if not self._edited:  # no file was edited since the start: "changed" would send one looking
                return (
                    f"watch started less than {self.settle:g} s ago, and its first read of the config files "
                    "counts as a change: waiting for them to settle"
                )
            return f"the config files changed less than {self.settle:g} s ago: waiting for them to settle"
        current = {c.path: c.digest for c in self.configs}.get(loaded.path)
        read = dict(self._stamp).get(loaded.path)
        if current != loaded.digest or read is None or read != _hash(loaded.path):
            return f"{loaded.path} changed since it was read: waiting for it to settle"
        return None

    def _current_stamp(self) -> Stamp:
        files, _missing = expand_paths(self.paths)
        out = []
        for file in files:
            digest = _hash(str(file))
            if digest is not None:  # gone between the listing and the read: the next poll sees it
                out.append((str(file), digest))
        return tuple(out)


def _hash(path: str) -> str | None:
    """The file's sha256, or None when it is gone or not a regular file. Opened non-blocking and checked
    with fstat: a FIFO swapped in after the listing would otherwise hang the poll (and every check) for ever."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
    except OSError:
        return None
    with os.fdopen(fd, "rb") as handle:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            return None
        try:
            return hashlib.sha256(handle.read()).hexdigest()
        except OSError:
            return None


def _message(err: ReconcilerError) -> str:
    if isinstance(err, ConfigError):
        return "\n".join(str(issue) for issue in err.issues)
    return str(err)
