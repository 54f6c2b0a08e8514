"""``${VAR}`` and ``${VAR:-default}`` in config strings.

Validation only checks the syntax (a CI validate job has no secrets); the commands that talk to an API
resolve the values. ``${VAR:-default}`` uses the default when VAR is unset or empty, as in the shell.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

_REF = re.compile(r"\$\{([^}]*)\}")
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


@dataclass(frozen=True)
class Reference:
    """One ``${NAME}`` or ``${NAME:-default}`` occurrence."""

    name: str
    default: str | None


class UnsetVariable(Exception):
    """Raised by ``interpolate`` with the name of the first unset variable."""

    def __init__(self, name: str) -> None:
        super().__init__(name)
        self.name = name


def syntax_error(text: str) -> str | None:
    """A message when ``text`` holds a malformed reference, else None."""
    for match in _REF.finditer(text):
        name = match.group(1).split(":-", 1)[0]
        if not _NAME.fullmatch(name):
            return f"bad variable reference {match.group(0)!r}: expected ${{NAME}} or ${{NAME:-default}}"
    if "${" in _REF.sub("", text):
        return "unclosed '${': expected ${NAME} or ${NAME:-default}"
    return None


def references(text: str) -> list[Reference]:
    """The well-formed references in ``text``, in order."""
    refs = []
    for match in _REF.finditer(text):
        name, sep, default = match.group(1).partition(":-")
        if _NAME.fullmatch(name):
            refs.append(Reference(name, default if sep else None))
    return refs


def is_pure_reference(text: str) -> bool:
    """True when ``text`` is exactly one reference with no literal part and no default."""
    match = _REF.fullmatch(text)
    return match is not None and _NAME.fullmatch(match.group(1)) is not None


def interpolate(text: str, env: Mapping[str, str]) -> str:
    """Substitute every reference from ``env``; raise ``UnsetVariable`` for one without a default."""

    def substitute(match: re.Match[str]) -> str:
        name, sep, default = match.group(1).partition(":-")
        value = env.get(name)
        if value:
            return value
        if sep:
            return default
        if value is None:
            raise UnsetVariable(name)
        return value

    return _REF.sub(substitute, text)
