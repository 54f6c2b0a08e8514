"""Configuration: loading (with file:line:col on every node), shared model building blocks, ${ENV}
interpolation. Each provider's own model lives in its package."""

from reconciler.config.load import LoadedConfig, load_configs, summary

__all__ = ["LoadedConfig", "load_configs", "summary"]
