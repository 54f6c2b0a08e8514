"""The exporter contract: a provider that can write a live account as config implements ``Exporter``.

``export`` has no config file: the exporter fetches the whole account (``fetch_all`` in the provider
contract's words) through the provider's ``default_endpoint``. ``export --update`` has one: it fetches what
the file could declare and edits only the drifted values of the file's text.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol, TypeVar

if TYPE_CHECKING:
    from reconciler.config.loaded import LoadedConfig
    from reconciler.providers.endpoint import Endpoint
    from reconciler.yamledit.result import Exported, UpdateResult


@dataclass(frozen=True)
class ExportRequest:
    """What the user asked for. ``resources`` selects the main resources ("all", "playing", "none": AB
    Tasty's tests); ``members``, whether the account's people are written; ``prune``, the value written for
    their ``prune``; ``schema_ref``, the modeline's schema; ``add_new`` (--update), append what the file
    lacks."""

    resources: str = "all"
    members: bool = True
    prune: bool = False
    schema_ref: str = ""
    add_new: bool = False


#: The endpoint type of the provider an exporter belongs to (it only takes endpoints: contravariant).
EndpointT_contra = TypeVar("EndpointT_contra", bound="Endpoint", contravariant=True)


class Exporter(Protocol[EndpointT_contra]):
    """How a provider writes and refreshes config files, through its provider's endpoints."""

    def parse_account(self, raw: str) -> str:
        """The account as the provider spells it; a ``ReconcilerError`` saying what is expected otherwise."""
        ...

    async def export(
        self, endpoint: EndpointT_contra, account: str, request: ExportRequest, parallelism: int
    ) -> Exported:
        """The text of a config file declaring what the account has, and notes on what it left out."""
        ...

    async def update(
        self,
        loaded: LoadedConfig,
        text: str,
        endpoint: EndpointT_contra,
        request: ExportRequest,
        parallelism: int,
    ) -> UpdateResult:
        """``text`` (the file of ``loaded``) with only its drifted values changed, and the report."""
        ...
