"""``reconciler export``: write a live account out as config (``render``), refresh a config in place
without losing its comments (``update``). The click command is in ``command``; the fetching is the
provider's (``providers.abtasty.fetch_account``)."""
