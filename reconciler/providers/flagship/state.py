"""What the Flagship provider fetched (plain, immutable data). A campaign by its id (names resolved at
fetch), a user by lower-cased email, a flag by key; ``None`` for a part the config does not manage."""

from __future__ import annotations

from dataclasses import dataclass, field

from reconciler.core.state import ABSENT, digest


@dataclass(frozen=True)
class ExistingCampaign:
    id: str
    name: str
    status: str  # active | paused | interrupted (or what the server answered)


@dataclass(frozen=True)
class ExistingUser:
    email: str
    role: str


@dataclass(frozen=True)
class ExistingFlag:
    id: str
    key: str
    type: str
    description: str


@dataclass(frozen=True)
class PanicMode:
    mode: str  # on | off


@dataclass(frozen=True)
class Existing:
    """One account environment as fetched."""

    account: str
    environment: str
    campaigns: dict[str, ExistingCampaign] = field(default_factory=dict)
    names: dict[str, str] = field(default_factory=dict)  # resolved `name:` entries -> campaign id
    users: dict[str, ExistingUser] | None = None
    flags: dict[str, ExistingFlag] | None = None
    panic: str | None = None  # on | off, None when not managed

    def fingerprint(self, resource: str) -> str:
        """A digest of one resource's existing state (``ABSENT`` when it does not exist)."""
        kind, _, key = resource.partition(":")
        if kind == "campaign":
            return digest(self.campaigns.get(key))
        if kind == "user":
            return digest(self.users.get(key)) if self.users is not None else ABSENT
        if kind == "flag":
            return digest(self.flags.get(key)) if self.flags is not None else ABSENT
        if kind == "panic":
            return digest(PanicMode(self.panic)) if self.panic is not None else ABSENT
        return ABSENT
