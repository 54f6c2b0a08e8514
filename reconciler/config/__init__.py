"""Configuration: loading (with file:line:col on every node), models, ${ENV} interpolation."""

from reconciler.config.load import LoadedConfig, load_configs, summary
from reconciler.config.models import (
    AbTastyConfig,
    Config,
    Member,
    Memberships,
    Schedule,
    TaplyticsConfig,
    Test,
    User,
)

__all__ = [
    "AbTastyConfig",
    "Config",
    "LoadedConfig",
    "Member",
    "Memberships",
    "Schedule",
    "TaplyticsConfig",
    "Test",
    "User",
    "load_configs",
    "summary",
]
