"""Async HTTP client: auth, pagination, retries, redaction."""
