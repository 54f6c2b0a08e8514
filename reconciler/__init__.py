"""reconciler: manage A/B-testing accounts (AB Tasty, Taplytics) like infrastructure."""

from reconciler.errors import ConfigError, ReconcilerError

__version__ = "0.1.0"

__all__ = ["ConfigError", "ReconcilerError", "__version__"]
