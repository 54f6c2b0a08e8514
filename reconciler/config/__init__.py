"""The config language: YAML with file:line:col on every node (``yaml``), the shared model building blocks
(``models``), ``${ENV}`` references (``env``) and the ``LoadedConfig`` type (``loaded``). It sits below the
providers and never imports them; reading files and asking which provider each names is ``reconciler.loading``.
Each provider's own model lives in its package."""

from reconciler.config.loaded import LoadedConfig

__all__ = ["LoadedConfig"]
