"""``reconciler sandbox ...`` commands (placeholder until the sandbox lands)."""

import click


@click.group()
def sandbox() -> None:
    """Run the local API emulator."""
