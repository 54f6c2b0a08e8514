"""The YAML text editor: editing a config's text in place without losing its comments or layout
(``splice``, ``text``, ``refresh``) and what an export or a refresh produces (``result``). Vendor-free; each
provider's exporter (for AB Tasty, ``providers.abtasty.export``) decides what a file holds, and the command
is ``cli.export``."""
