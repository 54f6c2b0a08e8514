"""The Flagship provider: AB Tasty Feature Experimentation through its Remote Control API (client
credentials on auth.flagship.io, ``https://api.flagship.io/v1``, page-numbered list bodies). Registered as
``flagship`` in ``pyproject.toml``'s ``reconciler.providers`` entry points."""
