"""The Taplytics demo users."""

from __future__ import annotations

from reconciler.sandbox.store import Record


def demo_users() -> list[Record]:
    """30 Taplytics users, in creation order: a QA cohort (``qa-001``...), beta users with richer custom
    data, and plain users with no custom data (some without an email or a name), so a list at
    ``per_page=10`` spans three pages."""
    users: list[Record] = []
    for k in range(1, 13):
        users.append({"user_id": f"qa-{k:03d}", "email": f"qa+{k:03d}@example.com", "name": f"QA Tester {k}",
                      "custom_data": {"cohort": "qa"}})  # fmt: skip
    for k in range(1, 9):
        users.append({"user_id": f"beta-{k:03d}", "email": f"beta{k}@example.com", "name": f"Beta User {k}",
                      "custom_data": {"cohort": "beta", "plan": "pro" if k % 2 else "free",
                                      "score": 10 * k, "early_access": k <= 4}})  # fmt: skip
    for k in range(1, 11):
        user: Record = {"user_id": f"user-{k:03d}"}
        if k % 4:
            user["email"] = f"user{k}@example.com"
        if k % 3:
            user["name"] = f"User {k}"
        users.append(user)
    for n, user in enumerate(users, start=1):
        user["n"] = n
    return users
