"""Pure core: changes, diff, plan. No I/O here."""
