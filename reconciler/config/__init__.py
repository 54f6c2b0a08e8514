"""Configuration: loading, models, interpolation."""
