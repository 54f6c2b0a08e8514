"""Providers: API endpoints and payload <-> model mapping."""
