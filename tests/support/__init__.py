"""What tests share: the end-to-end harness (``e2e``), the in-memory provider (``memory``), fakes of the
servers we talk to (``fake_http``, ``fake_github``, ``hostile_http``), and each topic's helpers and fixtures.

Fixtures defined here reach a test directory through its conftest.py, which imports them by name."""
