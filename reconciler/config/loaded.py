"""The type a loaded config file has: what providers, the engine and the CLI pass around. Reading files into
it is ``reconciler.loading``'s job (it asks the provider registry); this is the config language's side."""

from __future__ import annotations

from dataclasses import dataclass

from pydantic import BaseModel

from reconciler.config.yaml import Loc, Positions


@dataclass(frozen=True)
class LoadedConfig:
    """A valid config file: the model, where each node is, and a digest of the file's bytes."""

    path: str
    config: BaseModel  # the model of the provider the file names (``provider.config_model``)
    positions: Positions
    digest: str

    @property
    def provider(self) -> str:
        """The provider the file names (``provider:``)."""
        return str(getattr(self.config, "provider", ""))

    def where(self, loc: Loc) -> str:
        """FILE:LINE for messages about a node of this file."""
        line, _ = self.positions.at(loc)
        return f"{self.path}:{line}"
