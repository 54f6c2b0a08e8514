"""Reading config files: each file names its provider, and the registry says which model validates it (so
this sits above the providers, and the config language below them never asks). Also the JSON Schema of every
installed provider's config (``schema``)."""

from reconciler.loading.load import expand_paths, load_configs, load_document_config, summary

__all__ = ["expand_paths", "load_configs", "load_document_config", "summary"]
