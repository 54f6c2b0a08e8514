"""Locks that hold across pull requests and machines, and the drift policy (docs/locking.md)."""
