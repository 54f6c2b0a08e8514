"""Process-wide redaction of secrets from text and log records.

Secrets (client secrets, issued access tokens, API keys) are registered here the moment they enter the
process. Every message this package builds, and every log record passing a :class:`RedactingFilter`, goes
through :func:`redact` so that a registered value can never reach a terminal, a log file or a CI artifact.
"""

from __future__ import annotations

import json
import logging
import re
import threading
from collections.abc import Callable, Iterable

MASK = "***"

# Values shorter than this are not registered: redacting "a" or "1" everywhere would shred every message
# while protecting nothing (no real credential is that short).
_MIN_SECRET_LENGTH = 4


# A variable's name: words, each letters with at most a number after them (``ABTASTY_API2_URL``, ``S3_BUCKET``).
# A digit between letters (``X7K9_Q2M4_ZP8R4T``) is a token's shape, not a name's: it is masked.
_VARIABLE_NAME = re.compile(r"[A-Z]+[0-9]*(?:_(?:[A-Z]+[0-9]*|[0-9]+))+|[a-z]+(?:[_-][a-z]+)+")


def _ordinary_word(value: str) -> bool:
    """A short plain word (``check``, ``Set``) or a variable's name (``ABTASTY_CLIENT_SECRET``): what follows
    "client_secret:" in a sentence, not a secret. Credentials have digits, symbols or mixed case, or are long;
    registered ones are masked whatever they are. A sentence's punctuation after it does not count."""
    value = value.rstrip(":;.,!?)")
    if value.startswith("${") and value.endswith("}"):  # a reference names a variable, it holds no value
        value = value[2:-1]
    if _VARIABLE_NAME.fullmatch(value):
        return True
    return value.isascii() and value.isalpha() and len(value) <= 12 and (value.islower() or value.istitle())


def _mask_value(match: re.Match[str]) -> str:
    return match.group(0) if _ordinary_word(match.group(2)) else match.group(1) + MASK


# Shapes that are secret whatever their value, even if it was never registered (a token echoed back by a
# server in a pagination link, an Authorization header quoted in an error body). Group 2 is the value: it is
# masked unless it is an ordinary word; a value never takes a backtick or another Markdown delimiter (the
# renderings are redacted whole, and eating a span's closing backtick let config text out of it);
# masked unless it is an ordinary word ("ABTASTY_CLIENT_SECRET: check they are set" stays readable).
_PATTERNS: tuple[tuple[re.Pattern[str], Callable[[re.Match[str]], str]], ...] = (
    (re.compile(r"(?i)(api_token=)([^&\s#'\"<>`|*\[\]]+)"), _mask_value),
    (
        re.compile(
            r"(?i)(\"?(?:access_token|client_secret|api_token)\"?\s*[:=]\s*\"?)([^\"&\s,}`|<>*\[\]]+)"
        ),
        _mask_value,
    ),
    (re.compile(r"(?i)(bearer\s+)([A-Za-z0-9._~+/=-]+)"), _mask_value),
    (re.compile(r"(?i)(x-access-token\"?\s*[:=]\s*\"?)([^\"\s,}`|<>*\[\]]+)"), _mask_value),
)
# Each shape needs one of these words, in any case: a text without them is not searched (a 5 MB JSON plan
# took 0.25 s through the four case-insensitive searches). Checked against ``text.casefold()``, which maps
# every character ``(?i)`` equates with one of these letters to it (the words have no "i": re also equates
# it with dotless and dotted capital I, which casefold keeps apart).
_SHAPE_WORDS = ("token", "secret", "bearer")


def _spellings(value: str) -> set[str]:
    """The value and the ways it is written back when it holds whitespace or escapes: as JSON or a repr
    quote it (``\\n``), and as text folded onto one line (error messages fold whitespace)."""
    found = {value, json.dumps(value)[1:-1], repr(value)[1:-1], " ".join(value.split())}
    return {s for s in found if len(s) >= _MIN_SECRET_LENGTH}


class Redactor:
    """A set of secret strings, and the function that masks them in any text.

    Thread-safe: registration may happen from any thread (the uvicorn test server runs in one).
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._secrets: set[str] = set()
        self._pattern: re.Pattern[str] | None = None
        self._ordered: tuple[str, ...] = ()  # the secrets the pattern was built from, longest first

    def register(self, *values: str) -> None:
        """Remember ``values`` as secrets: from now on :meth:`redact` masks them."""
        with self._lock:
            for value in values:
                if len(value) >= _MIN_SECRET_LENGTH:
                    self._secrets.update(_spellings(value))
            # Rebuilt lazily; longest first so a secret containing another is masked whole.
            self._pattern = None

    def forget(self, *values: str) -> None:
        """Stop masking ``values``: an access token once its client is closed. A long-running process
        (``reconciler watch``) would otherwise keep every token it was ever issued, its pattern growing
        without end. Secret-shaped fragments (``Bearer ...``) stay masked whatever is forgotten."""
        with self._lock:
            self._secrets.difference_update(values)
            self._pattern = None

    def secrets(self) -> Iterable[str]:
        """The registered values (for tests that grep outputs for them)."""
        with self._lock:
            return tuple(self._secrets)

    def redact(self, text: str) -> str:
        """Return ``text`` with every registered secret and every secret-shaped fragment masked."""
        pattern, secrets = self._compiled()
        # Plain substring checks first (fast): the regular expressions then run only where they can match.
        if pattern is not None and any(secret in text for secret in secrets):
            text = pattern.sub(MASK, text)
        folded = text.casefold()
        if any(word in folded for word in _SHAPE_WORDS):
            for shape, replacement in _PATTERNS:
                text = shape.sub(replacement, text)
        return text

    def _compiled(self) -> tuple[re.Pattern[str] | None, tuple[str, ...]]:
        with self._lock:
            if self._pattern is None and self._secrets:
                self._ordered = tuple(sorted(self._secrets, key=len, reverse=True))
                self._pattern = re.compile("|".join(re.escape(s) for s in self._ordered))
            return self._pattern, self._ordered


#: The one redactor of the process: secrets are process-wide, so is their masking.
REDACTOR = Redactor()


def redact(text: str) -> str:
    """Mask every registered secret in ``text`` (shortcut for ``REDACTOR.redact``)."""
    return REDACTOR.redact(text)


def register_secret(*values: str) -> None:
    """Register ``values`` with the process-wide redactor."""
    REDACTOR.register(*values)


class RedactingFilter(logging.Filter):
    """A logging filter that masks secrets in a record's message and arguments.

    The message is formatted once, redacted, and stored back with ``args`` cleared, so that neither a
    handler's formatter nor a test's ``caplog.records[i].args`` can see the raw value. Exception text is
    redacted too (``exc_text`` is pre-rendered for the same reason).
    """

    def __init__(self, redactor: Redactor | None = None) -> None:
        super().__init__()
        self._redactor = redactor or REDACTOR

    def filter(self, record: logging.LogRecord) -> bool:
        """Redact ``record`` in place; never drops it."""
        try:
            message = record.getMessage()
        except Exception:  # a broken format string must not hide the record (or crash the app)
            message = f"{record.msg!s} {record.args!r}"
        record.msg = self._redactor.redact(message)
        record.args = None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = self._redactor.redact(record.exc_text)
        return True


def install_redaction(target: logging.Logger | logging.Handler) -> None:
    """Attach a :class:`RedactingFilter` to ``target`` once (idempotent).

    A filter on a logger only sees records logged *to that logger*, not those propagating from children;
    the CLI should install it on its handlers as well.
    """
    if not any(isinstance(f, RedactingFilter) for f in target.filters):
        target.addFilter(RedactingFilter())
