"""The ground floor: ``Secret``, the process-wide redactor, and what "this machine" means (loopback).

Everything that prints or logs (render, config errors, the CLI, watch, the audit log, the HTTP client)
redacts through here, and nothing here imports the rest of the project: the standard library only.
"""

from __future__ import annotations

from reconciler.redaction.loopback import is_loopback
from reconciler.redaction.redactor import (
    MASK,
    REDACTOR,
    RedactingFilter,
    Redactor,
    install_redaction,
    redact,
    register_secret,
)
from reconciler.redaction.secret import Secret, reveal

__all__ = [
    "MASK",
    "REDACTOR",
    "RedactingFilter",
    "Redactor",
    "Secret",
    "install_redaction",
    "is_loopback",
    "redact",
    "register_secret",
    "reveal",
]
