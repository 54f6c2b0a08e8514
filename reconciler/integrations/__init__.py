"""Where reconciler reports besides the terminal: GitHub (PR plan comments, the reviewed-plan check at merge,
drift issues), on reconciler's own HTTP stack (retries, redaction, bounds)."""
