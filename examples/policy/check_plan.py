"""An example policy over reconciler's JSON plan (schema/plan.schema.json): run it in CI after plan.

    reconciler plan accounts/ -o plan.json
    python examples/policy/check_plan.py plan.json     # exit 1 with one line per broken rule

The rules are examples to adapt: no member revoked, no admin granted, no test played in prod on a Friday
plan. Only the standard library: it reads the documented format, not reconciler's code.
"""

from __future__ import annotations

import datetime as dt
import json
import sys
from typing import Any

SUPPORTED = "2."  # the plan's format_version major this policy was written for


def violations(plan: dict[str, Any], today: dt.date) -> list[str]:
    """One line per change the policy refuses."""
    if not str(plan.get("format_version", "")).startswith(SUPPORTED):
        return [f"format_version {plan.get('format_version')!r}: this policy reads {SUPPORTED}x"]
    found = []
    for account in plan["accounts"]:
        where = f"{account['file']} ({account['provider']} {account['account']})"
        for change in account["changes"]:
            resource = f"{change['resource']['type']} {change['resource']['id']}"
            if change["kind"] == "member_revoke":
                found.append(f"{where}: {resource}: revoking members needs a second reviewer")
            if change["after"].get("role") == "admin":
                found.append(f"{where}: {resource}: granting admin needs a second reviewer")
            if change["after"].get("state") == "play" and change["after"].get("mode") == "prod":
                if today.weekday() == 4:
                    found.append(f"{where}: {resource}: no test goes live in prod on a Friday")
    return found


def main(argv: list[str]) -> int:
    """``check_plan.py PLAN.json``: 0 when every rule holds, 1 otherwise."""
    with open(argv[1], encoding="utf-8") as handle:
        plan = json.load(handle)
    found = violations(plan, dt.date.today())
    for line in found:
        print(line)
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
