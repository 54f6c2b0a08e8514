"""The Flagship Remote Control API (AB Tasty Feature Experimentation), as its pages describe it.

Routes under ``/v1/accounts/{account_id}/...`` (the document's server is ``https://api.flagship.io/v1``) and
the token route, which the vendor serves on ``auth.flagship.io/{account_id}/token``, here under
``/flagship-auth/{account_id}/token`` on the same port. ``routes()`` is everything it serves.
"""

from __future__ import annotations

from starlette.routing import BaseRoute, Route

from reconciler.sandbox.flagship import auth
from reconciler.sandbox.flagship import routes as api

ACCOUNT = "/v1/accounts/{account_id}"
ENV = ACCOUNT + "/account_environments/{env_id}"


def routes() -> list[BaseRoute]:
    """The token route and the documented resources the provider reads or writes."""
    return [
        Route(auth.TOKEN_PREFIX + "/{account_id}/token", auth.token, methods=["POST"]),
        Route(ENV, api.get_environment, methods=["GET"]),
        Route(ENV + "/panic", api.set_panic, methods=["PATCH"]),
        Route(ENV + "/campaigns", api.list_campaigns, methods=["GET"]),
        Route(ENV + "/campaigns/{campaign_id}/toggle", api.toggle_campaign, methods=["PATCH"]),
        Route(ENV + "/users", api.list_users, methods=["GET"]),
        Route(ENV + "/users", api.put_users, methods=["PUT"]),
        Route(ENV + "/users", api.delete_users, methods=["DELETE"]),
        Route(ACCOUNT + "/flags", api.list_flags, methods=["GET"]),
        Route(ACCOUNT + "/flags", api.create_flag, methods=["POST"]),
        Route(ACCOUNT + "/flags/{flag_id}", api.update_flag, methods=["PATCH"]),
        Route(ACCOUNT + "/flags/{flag_id}", api.delete_flag, methods=["DELETE"]),
    ]
