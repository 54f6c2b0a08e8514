"""The vendor-free core: changes, plans, saved-plan checks, apply scheduling. Pure: it imports no HTTP
client, YAML parser, CLI or web framework (a test pins it), and names no vendor."""
