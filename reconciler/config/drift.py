"""The ``drift:`` key of a config file: what happens when someone changes the account outside the config.

In the config (not a flag), so the choice is reviewed like any other change::

    drift: accept     # revert (the default) | accept | report

- ``revert``: apply (the merge job, ``watch --self-heal``) sets the account back to the config;
- ``accept``: the nightly drift job opens or updates a pull request that writes the live values into this
  file (``export --update``), so the config follows the account once a person merges it;
- ``report``: the drift issue only; no automatic actor (``watch --self-heal``) writes the account.

Whatever the policy, an apply of a reviewed plan applies that plan in full: the policy governs what
reconciler does *on its own*, never what a person approved (docs/gitops.md, "Drift as a choice").
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field

from reconciler.core.plan import Setting

DriftPolicy = Literal["revert", "accept", "report"]
DEFAULT: DriftPolicy = "revert"
POLICIES: tuple[DriftPolicy, ...] = ("revert", "accept", "report")


def drift_field() -> Any:
    """The field a provider's top-level model declares: ``drift: DriftPolicy = drift_field()``."""
    return Field(
        DEFAULT,
        description="When the account drifts from this file: revert it (apply), accept it (the drift job "
        "opens a pull request that updates this file), or report it (the drift issue only).",
    )


def drift_of(config: Any) -> DriftPolicy:
    """The policy of a provider's config model (``revert`` when its model has no ``drift``)."""
    value = getattr(config, "drift", DEFAULT)
    return value if value in POLICIES else DEFAULT


def drift_settings(config: Any) -> list[Setting]:
    """The plan's line for a policy other than the default (``drift: revert -> accept``), as a safety
    setting is shown: in every plan of the account, so the pull request that changes it shows it."""
    policy = drift_of(config)
    return [] if policy == DEFAULT else [Setting("drift", DEFAULT, policy)]


def heals(config: Any) -> bool:
    """Whether an automatic actor (``watch --self-heal``) may revert the account's drift."""
    return drift_of(config) == "revert"
