"""The config files of PATHS, re-read when they change.

A change is noticed by polling each file's (mtime, size, inode) and the list of files (cheap enough every
second for hundreds of files, and it works on every filesystem, network mounts and git-sync's symlink swaps
included, where inotify does not). Loading is all or nothing, as ``plan`` does it (the cross-file checks
need every file): a bad edit keeps the last good configs and reports the error until the files load again.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from reconciler.config.loaded import LoadedConfig
from reconciler.errors import ConfigError, ReconcilerError
from reconciler.loading import expand_paths, load_configs
from reconciler.redaction import redact

Stamp = tuple[tuple[str, int, int, int], ...]


@dataclass(frozen=True)
class Reload:
    """The configs after a re-read (None when it failed) and the error that made it fail."""

    configs: list[LoadedConfig] | None
    error: str | None


class ConfigSource:
    """The files under ``paths``; ``load`` once at start (errors raise), ``poll`` after."""

    def __init__(self, paths: Sequence[str], env: Mapping[str, str]) -> None:
        self.paths = list(paths)
        self.env = env
        self.error: str | None = None
        self._stamp: Stamp = ()
        self.configs: list[LoadedConfig] = []

    def load(self) -> list[LoadedConfig]:
        """Read every file; a ``ConfigError`` (every problem of every file) when they are not valid."""
        self._stamp = self._current_stamp()
        self.configs = load_configs(self.paths, env=self.env)
        return self.configs

    def poll(self, force: bool = False) -> Reload | None:
        """Re-read when a file changed (or ``force``); None when nothing changed."""
        stamp = self._current_stamp()
        if stamp == self._stamp and not force:
            return None
        self._stamp = stamp
        try:
            self.configs = load_configs(self.paths, env=self.env)
        except ReconcilerError as err:
            self.error = redact(_message(err))
            return Reload(None, self.error)
        self.error = None
        return Reload(self.configs, None)

    def _current_stamp(self) -> Stamp:
        files, _missing = expand_paths(self.paths)
        out = []
        for file in files:
            try:
                st = os.stat(file)
            except OSError:
                continue  # gone between the listing and the stat: the next poll sees it
            out.append((str(file), st.st_mtime_ns, st.st_size, st.st_ino))
        return tuple(out)


def _message(err: ReconcilerError) -> str:
    if isinstance(err, ConfigError):
        return "\n".join(str(issue) for issue in err.issues)
    return str(err)
