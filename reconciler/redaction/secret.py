"""A string wrapper that does not show its value."""

from __future__ import annotations

import hmac
from typing import Any

from reconciler.redaction.redactor import MASK, register_secret


class Secret:
    """A secret string: ``str()``, ``repr()`` and ``format()`` all give ``'***'``.

    Constructing one registers the value with the process-wide redactor, so the value is also masked if it
    ever leaks through another path (a server echoing it in an error body, a URL). Use :meth:`reveal` at
    the one place the real value is needed (the request body or header).
    """

    __slots__ = ("_value",)

    def __init__(self, value: str | Secret) -> None:
        # Wrapping twice is harmless.
        plain = value.reveal() if isinstance(value, Secret) else value
        self._value = plain
        register_secret(plain)

    def reveal(self) -> str:
        """The actual value. Only for putting it on the wire."""
        return self._value

    def __str__(self) -> str:
        return MASK

    def __repr__(self) -> str:
        return MASK

    def __format__(self, format_spec: str) -> str:
        return MASK

    def __eq__(self, other: object) -> bool:
        # Constant-time, so comparing tokens leaks nothing through timing.
        return isinstance(other, Secret) and hmac.compare_digest(other._value, self._value)

    def __hash__(self) -> int:
        return hash(self._value)

    def __bool__(self) -> bool:
        return bool(self._value)

    def __reduce__(self) -> Any:
        # Pickling would write the value out; refuse rather than leak it into a plan file or a cache.
        raise TypeError("a Secret cannot be pickled")


def reveal(value: str | Secret) -> str:
    """The value of a ``Secret``, or the plain string itself."""
    return value.reveal() if isinstance(value, Secret) else value
