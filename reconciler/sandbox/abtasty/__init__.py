"""The AB Tasty Public API, as the document describes it. ``routes()`` is everything it serves."""

from __future__ import annotations

from starlette.routing import BaseRoute, Route

from reconciler.sandbox.abtasty import manage, members, reads, stats

CORE = "/api/core/accounts/{account_id:int}"
TEST = CORE + "/tests/{test_id:int}"
INTERFACE = "/api/interface/accounts/{account_id:int}"


def routes() -> list[BaseRoute]:
    """The documented endpoints; ``\\d+`` ids as ``:int`` path parameters (anything else is a 404)."""
    return [
        Route(CORE + "/tests", reads.list_tests, methods=["GET"]),
        Route(TEST, reads.get_test, methods=["GET"]),
        Route(TEST + "/targetings", reads.list_targetings, methods=["GET"]),
        Route(TEST + "/targetings/{targeting_id}", reads.get_targeting, methods=["GET"]),
        Route(TEST + "/variations", reads.list_variations, methods=["GET"]),
        Route(TEST + "/variations/{variation_id:int}", reads.get_variation, methods=["GET"]),
        Route(
            TEST + "/variations/{variation_id:int}/modifications", reads.list_modifications, methods=["GET"]
        ),
        Route(
            TEST + "/variations/{variation_id:int}/modifications/{modification_id:int}",
            reads.get_modification,
            methods=["GET"],
        ),
        Route(TEST + "/toollinks", reads.list_toollinks, methods=["GET"]),
        Route(TEST + "/toollinks/{toollink_id:int}", reads.get_toollink, methods=["GET"]),
        Route(TEST + "/global_modifications", reads.list_global_modifications, methods=["GET"]),
        Route(
            TEST + "/global_modifications/{global_modification_id:int}",
            reads.get_global_modification,
            methods=["GET"],
        ),
        Route(CORE + "/general_statistics", stats.get_general_statistics, methods=["GET"]),
        Route(INTERFACE + "/tests/{test_id:int}/play", manage.play, methods=["PATCH"]),
        Route(INTERFACE + "/tests/{test_id:int}/pause", manage.pause, methods=["PATCH"]),
        Route(INTERFACE + "/tests/{test_id:int}/schedule", manage.schedule, methods=["PATCH"]),
        Route(INTERFACE + "/update_script", manage.update_script, methods=["PATCH"]),
        Route(INTERFACE + "/clear_script", manage.clear_script, methods=["PATCH"]),
        Route(CORE + "/membership", members.list_members, methods=["GET"]),
        Route(CORE + "/membership", members.add_member, methods=["POST"]),
        Route(CORE + "/membership/{membership_id:int}", members.get_member, methods=["GET"]),
        Route(CORE + "/membership/{membership_id:int}", members.update_member, methods=["PATCH"]),
        Route(CORE + "/membership/{membership_id:int}", members.delete_member, methods=["DELETE"]),
    ]
