"""The Taplytics provider (REST API: token auth, page / per_page with a Link header, users and their
custom_data). Registered as ``taplytics`` in ``pyproject.toml``'s ``reconciler.providers`` entry points."""
