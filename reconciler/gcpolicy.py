"""When the cyclic garbage collector runs in a one-shot command (``plan``, ``apply``, ``validate``, ...).

A 10,000-test plan allocates millions of objects that live until the process ends (the imported modules,
the YAML data, the model, the fetched state), and almost none of them are cyclic garbage:
reference counting frees the rest. With the default thresholds the collector still ran some 600 times
over them, each pass walking everything alive, about 0.4 s of a 3 s plan and the one cost that grew faster
than the data (issue 29). So a one-shot command:

- runs with the collector off from its start until its config is loaded (imports and the YAML builder
  make no garbage worth a pass);
- then freezes everything alive (``gc.freeze``: moved where no pass looks) and turns the collector back
  on with a first threshold 100 times the default, so the reads and the diff still have a collector for
  what they leave cyclic, at a fraction of the passes;
- freezes again before exit, so the interpreter's shutdown does not walk the heap once more.

Long-running commands (``watch``, ``sandbox``) keep Python's defaults: a process that lives for days needs a
collector that keeps up. In-process callers (tests, ``run``) are never affected: only the console entry
point turns this on. Figures: bench/results.md.
"""

from __future__ import annotations

import gc
from collections.abc import Sequence

# The first generation's threshold after the load (Python's default is 700); the older two as Python's.
THRESHOLD = (70_000, 10, 10)
LONG_RUNNING = frozenset({"watch", "sandbox"})

_active = False


def command_of(argv: Sequence[str]) -> str | None:
    """The command ``argv`` runs: its first word that is not an option."""
    return next((word for word in argv if not word.startswith("-")), None)


def start(argv: Sequence[str]) -> bool:
    """At the console entry point: a one-shot command turns the collector off until its config is loaded.
    Returns whether this policy is in force."""
    global _active
    command = command_of(argv)
    _active = command is not None and command not in LONG_RUNNING
    if _active:
        gc.disable()
    return _active


def loaded() -> None:
    """The config is loaded: freeze what is alive and collect again, rarely (a no-op unless ``start``)."""
    if _active:
        gc.freeze()
        gc.set_threshold(*THRESHOLD)
        gc.enable()


def exiting() -> None:
    """Just before the process exits: nothing alive is worth walking again."""
    if _active:
        gc.freeze()


def stop() -> None:
    """Back to Python's defaults (for tests of this module)."""
    global _active
    _active = False
    gc.unfreeze()
    gc.set_threshold(700, 10, 10)
    gc.enable()
