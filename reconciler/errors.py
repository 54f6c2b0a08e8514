"""The exception tree.

Every error a user can cause is a ``ReconcilerError``: the CLI prints its message (which names the
file:line or the resource and says what to do) and exits 1 without a traceback. Anything else is a bug
and exits 3.

::

    ReconcilerError
    ├── ConfigError             bad YAML / config; carries one or more located ConfigIssue
    ├── EnvironmentVariableError  a ${VAR} the command needs is unset
    ├── ResolveError            a test id or name in the config does not exist / is ambiguous
    ├── TransportError          refused before sending (http:// to a non-loopback host, ...)
    ├── ApiError                the API answered an error (method, path, status, server message)
    │   ├── AuthError           401 / token endpoint refused the credentials
    │   ├── ForbiddenError      403
    │   ├── NotFoundError       404
    │   │   └── TokenUrlError   404 / 405 from the token URL: the auth URL is wrong, not the credentials
    │   ├── RequestFailedError  402 (Taplytics: valid request that failed) and other 4xx
    │   └── ServerError         5xx / 429 after retries ran out, or the connection kept dropping
    ├── PlanError               a saved plan is stale, from another version, or for another config
    ├── UnsafePlanError         a safety rail refused the plan
    ├── ApplyError              some changes failed during apply (the summary says which)
    └── DeadlineError           the run's or one request's deadline passed (which, how long, how to raise it)
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass


class ReconcilerError(Exception):
    """An error the user can act on. ``str(err)`` is the complete, secret-free message."""


@dataclass(frozen=True, order=True)
class ConfigIssue:
    """One problem at one place of one file; sorts by file, line, column."""

    file: str
    line: int
    column: int
    message: str

    def __str__(self) -> str:
        return f"{self.file}:{self.line}:{self.column}: {self.message}"


class ConfigError(ReconcilerError):
    """One or more problems in config files, each located as FILE:LINE:COL."""

    def __init__(self, issues: list[ConfigIssue]) -> None:
        self.issues = sorted(issues)
        super().__init__("\n".join(str(i) for i in self.issues))


class EnvironmentVariableError(ReconcilerError):
    """A ``${VAR}`` the command needs is not set."""

    @classmethod
    def require(cls, env: Mapping[str, str], names: Sequence[str], fix: str) -> None:
        """Raise, naming each of ``names`` that ``env`` leaves unset or empty, with ``fix``."""
        missing = [name for name in names if not env.get(name)]
        if missing:
            raise cls.unset(missing, fix)

    @classmethod
    def unset(cls, names: Sequence[str], fix: str) -> EnvironmentVariableError:
        """``environment variable A is not set: FIX``, or ``environment variables A, B and C are not set``."""
        if isinstance(names, str) or not names:  # a bare string would be listed letter by letter
            raise ValueError(f"unset() takes a non-empty list of variable names, not {names!r}")
        if len(names) == 1:
            return cls(f"environment variable {names[0]} is not set: {fix}")
        listed = ", ".join(names[:-1]) + " and " + names[-1]
        return cls(f"environment variables {listed} are not set: {fix}")


class ResolveError(ReconcilerError):
    """A test named in the config does not exist in the account, or its name is ambiguous."""


class TransportError(ReconcilerError):
    """A request refused before it was sent (insecure URL, ...)."""


class ApiError(ReconcilerError):
    """The API answered with an error status."""

    def __init__(self, method: str, path: str, status: int, detail: str) -> None:
        self.method = method
        self.path = path
        self.status = status
        self.detail = detail
        super().__init__(f"{method} {path} -> {status}: {detail}")


class AuthError(ApiError):
    """The credentials were refused (401)."""


class ForbiddenError(ApiError):
    """The credentials do not cover this resource (403)."""


class NotFoundError(ApiError):
    """The resource does not exist (404)."""


class TokenUrlError(NotFoundError):
    """No token endpoint at the auth URL (404 / 405): the URL is wrong; the credentials were never judged."""


class RequestFailedError(ApiError):
    """A client error other than 401/403/404, e.g. 400 or Taplytics' 402."""


class ServerError(ApiError):
    """A 5xx / 429 that outlived the retries, or a connection that kept failing."""


class PlanError(ReconcilerError):
    """A saved plan cannot be applied (stale, other version, other config)."""


class UnsafePlanError(ReconcilerError):
    """A safety rail refused the plan; the message carries the numbers and the way out."""


class ApplyError(ReconcilerError):
    """Some changes failed; what succeeded and what failed was already reported."""


class DeadlineError(ReconcilerError):
    """A deadline passed: the whole run's (``which="run"``) or one request's (``which="request"``).

    Not an ``ApiError``: no answer came, so there is no status to report. The message names the request it
    cut, the limit in seconds, and the environment variable that raises it.
    """

    def __init__(self, which: str, seconds: float, message: str) -> None:
        self.which = which
        self.seconds = seconds
        super().__init__(message)
