"""The AB Tasty demo account: the document's examples verbatim, plus tests and members enough to page through.

Only 365111 and 367659 are active tests of type ab/mastersegment, so the document's filtered list example
(``filter[type][]=ab&filter[type][]=mastersegment&filter[active]=1``) comes back exactly as printed.
"""

from __future__ import annotations

import json
from typing import Any

from reconciler.sandbox.store import Record

LAB_URL = "http://abtastylab.com/60511af14f5e48764b83d36ddb8ece5a/"
BRUSSELS = "Europe/Brussels"


def _doc_tests() -> list[Record]:
    return [
        {"id": 365111, "name": "Gil Test", "type": "mastersegment", "url": "master", "traffic": 100,
         "state": "play", "labels": ["silviya", "Gil"], "tz": BRUSSELS, "played": 1542811579,
         "created": "2018-11-21T15:43:18+0100", "creator": 47121, "test_visitors": 9,
         "report_token": "c2ff5d513d9f78c7087cf53263d6ba53"},
        {"id": 367659, "name": "test", "type": "ab", "url": LAB_URL, "traffic": 50, "state": "play",
         "labels": ["arthur.charbit"], "tz": BRUSSELS, "played": 1545921356,
         "created": "2018-11-26T11:57:12+0100", "creator": 43571,
         "report_token": "0bb21bc01326175ec51e16c17e0e396f",
         "audience_id": "c82c4865-e2d0-49b9-b0b9-7c74c59a826f", "global_modifications": [
             {"id": 162010, "type": "plugin", "config": "scroll", "value": "{\"depth\":50}"},
             {"id": 162011, "type": "actionTracking", "config": "CTA", "value": "{\"name\":\"CTA\"}"}]},
        {"id": 381296, "name": "Public API Test", "type": "ab", "url": LAB_URL, "traffic": 50,
         "state": "pause", "labels": ["arthur.charbit"], "tz": BRUSSELS,
         "created": "2018-12-28T16:18:29+0100", "creator": 43571,
         "report_token": "3b5975f6df992ae275129514bde82a9f",
         "audience_id": "987a7647-e378-487a-bbb1-6353a4501db1"},
        {"id": 381301, "name": "Public API Test 2", "type": "ab", "url": LAB_URL, "traffic": 50,
         "state": "pause", "labels": ["arthur.charbit", "api"], "tz": BRUSSELS,
         "created": "2018-12-28T17:02:11+0100", "creator": 43571, **_test_381301_children()},
    ]  # fmt: skip


def _test_381301_children() -> dict[str, Any]:
    action = {"name": "AT ", "event": "mousedown", "data": "",
              "elementSelector": "#main .text-center:nth-child(4) H1"}  # fmt: skip
    return {
        "targetings": [
            {"type": "url", "sector": "", "data": [
                {"id": "url-983605", "format": "https://abtastylab.com/60511af14f5e48764b83d36ddb8ece5a/",
                 "condition": "simplematch", "include": True}]},
            {"type": "ip", "sector": "", "data": [
                {"id": "ip-1106739", "condition": "88.190.117.61", "format": "", "include": False},
                {"id": "ip-1106740", "condition": "88.190.117.65|88.190.117.69", "format": "",
                 "include": False}]},
        ],
        "variations": [
            {"id": 0, "name": "Original", "type": "onthefly", "traffic": 50},
            {"id": 491035, "name": "Variation 1", "traffic": 50, "type": "onthefly", "description": None},
        ],
        "modifications": {"491035": [
            {"use_modification_engine": True, "id": 2064015, "selector": "#myCarousel .active IMG",
             "type": "hideCSS", "value": "#myCarousel .active IMG {display:none!important;}", "name": "",
             "recursive": "no", "value_engine": ""}]},
        "toollinks": [
            {"id": 114112, "name": "Universal Analytics", "value": "12", "from_account": 1,
             "custom_tracker": None},
            {"id": 114115, "name": "ATInternetSmartTag", "value": "10", "from_account": 0,
             "custom_tracker": None},
        ],
        "global_modifications": [
            {"id": 162007, "type": "actionTracking", "config": "AT",
             "value": json.dumps(action, separators=(",", ":"))},
        ],
    }  # fmt: skip


def _more_tests() -> list[Record]:
    """Tests that give every filter something to find (folders, parents, preprod, schedules, tags)."""
    rows: list[tuple[int, str, str, str, Record]] = [
        (381310, "Homepage hero banner", "multipage", "play", {"labels": ["homepage", "q1"], "folder": 1001}),
        (381311, "Checkout CTA color", "ab", "pause", {"labels": ["checkout"], "folder": 1002}),
        (381312, "Checkout funnel", "multipage", "play", {"folder": 1002}),
        (381313, "Checkout funnel step 2", "multipage", "pause", {"parent": 381312, "folder": 1002}),
        (381314, "Pricing page MVT", "multivariate", "play", {"preprod": True, "labels": ["pricing"]}),
        (381315, "Search ranking", "predictive", "play", {"url": "https://shop.example.com/search"}),
        (381316, "Black Friday", "ab", "pause",
         {"labels": ["promo"], "start": 1574982000, "stop": 1575241200, "tz": "Europe/Paris"}),
        (381317, "Summer sale", "ab", "pause", {"labels": ["promo", "q3"], "start": 1561932000}),
        (381318, "Loyalty segment", "subsegment", "pause", {"parent": 365111}),
        (381319, "Mobile app onboarding", "mobileapp", "pause", {"url": "app://onboarding"}),
        (381320, "Heatmap homepage", "heatmap", "play", {"folder": 1001}),
        (381321, "Navigation menu", "ab", "pause", {"labels": ["navigation"], "preprod": True}),
        (381322, "Segmentation returning visitors", "segmentation", "pause", {}),
    ]  # fmt: skip
    tests = [
        {"id": i, "name": n, "type": t, "url": f"https://shop.example.com/{i}", "traffic": 50, "state": s,
         "created": "2019-01-15T10:00:00+0100", "creator": 43571, **extra}
        for i, n, t, s, extra in rows
    ]  # fmt: skip
    for k in range(12):
        tests.append(
            {"id": 381330 + k, "name": f"Archive test {k + 1:02d}", "type": "ab",
             "url": f"https://shop.example.com/archive/{k}", "traffic": 50, "state": "pause",
             "labels": ["archive"] if k % 2 else [], "created": f"2019-02-{k + 1:02d}T09:00:00+0100",
             "creator": 47121, "paused": 1549000000 + k}
        )  # fmt: skip
    return tests


def demo_tests() -> list[Record]:
    tests = _doc_tests() + _more_tests()
    for test in tests:
        if not test.get("labels"):
            test.pop("labels", None)
    return tests


def demo_folders() -> dict[int, str]:
    return {1001: "Homepage", 1002: "Checkout"}


def demo_members() -> list[Record]:
    members: list[Record] = [
        {"id": 80397, "role": "admin", "user_id": 2021, "email": "remi@abtasty.com", "firstname": "Remi",
         "lastname": "Aubert", "created": "2012-07-24T18:10:33+0200", "connections": 49708,
         "last_login": "2019-02-14T09:50:39+0100", "mfa": True, "mfa_phone": "688142865",
         "mfa_indicative": "33", "multi": True},
        {"id": 132419, "role": "admin", "user_id": 43571, "email": "arthur.charbit@abtasty.com",
         "firstname": "Arthur", "lastname": "Charbit", "created": "2016-10-10T11:43:06+0200",
         "connections": 1161, "last_login": "2019-02-20T10:13:55+0100", "mfa": True, "multi": True},
    ]  # fmt: skip
    people = [("Julie", "Martin", "user"), ("Paul", "Durand", "creator"), ("Lea", "Bernard", "viewer"),
              ("Hugo", "Petit", "user"), ("Emma", "Robert", "admin"), ("Louis", "Richard", "creator"),
              ("Chloe", "Moreau", "viewer"), ("Jules", "Simon", "user"), ("Ines", "Laurent", "user"),
              ("Adam", "Michel", "creator"), ("Zoe", "Garcia", "viewer"), ("Nathan", "David", "user"),
              ("Sarah", "Bertrand", "creator")]  # fmt: skip
    for k, (first, last, role) in enumerate(people):
        members.append(
            {"id": 132420 + k, "role": role, "user_id": 50000 + k,
             "email": f"{first.lower()}.{last.lower()}@example.com", "firstname": first, "lastname": last,
             "created": "2018-03-01T10:00:00+0100", "connections": 10 * k,
             "last_login": "2019-02-01T10:00:00+0100", "mfa": k % 3 == 0}
        )  # fmt: skip
    return members
