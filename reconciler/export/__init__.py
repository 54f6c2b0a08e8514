"""Vendor-free parts of ``reconciler export``: editing YAML text in place without losing its comments
(``splice``, ``text``) and what an export produces (``result``). Each provider's exporter (for AB Tasty,
``providers.abtasty.export``) decides what a file holds; the command is ``cli.export``."""
