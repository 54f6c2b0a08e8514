"""The endpoint type every provider subclasses: its own module, so the exporter contract can name it
without importing the provider contract that names the exporter."""

from __future__ import annotations


class Endpoint:
    """Where and as whom to talk to one account; each provider subclasses it (a frozen dataclass). Secrets
    stay in ``Secret`` wrappers. ``api_url`` is where its requests go (the account lock is keyed by it when
    it is not one of the provider's trusted hosts: a sandbox on another port is another account)."""

    api_url: str
