"""Configuration: loading (with file:line:col on every node), models, ${ENV} interpolation."""

from reconciler.config.load import LoadedConfig, load_configs, summary
from reconciler.config.models import AbTastyConfig, Member, Memberships, Schedule, Test

__all__ = [
    "AbTastyConfig",
    "LoadedConfig",
    "Member",
    "Memberships",
    "Schedule",
    "Test",
    "load_configs",
    "summary",
]
