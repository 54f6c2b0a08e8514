"""The AB Tasty provider (Public API: OAuth2 client credentials, HAL collections, tests, memberships, the
tag script). Registered as ``abtasty`` in ``pyproject.toml``'s ``reconciler.providers`` entry points."""
