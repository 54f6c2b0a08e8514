"""The JSON Schema of the config, generated from the models (``schema/reconciler.schema.json``)."""

from __future__ import annotations

import json
from typing import Annotated, Any, Union

from pydantic import Field, TypeAdapter

from reconciler.config.models import SCHEMA_ID


def json_schema() -> dict[str, Any]:
    """The schema as a dict, built from every registered provider's model; editors use it through the
    yaml-language-server modeline. One file is one provider's account: `provider` picks the model, so
    editors complete the right keys."""
    from reconciler.providers import registry  # the registry imports every provider: only when asked

    models = tuple(p.config_model for p in registry.providers())
    union: Any = models[0] if len(models) == 1 else Union[models]  # noqa: UP007 - built at run time
    body = TypeAdapter(Annotated[union, Field(discriminator="provider")]).json_schema()
    body["title"] = "reconciler config, version 1"
    return {"$schema": "https://json-schema.org/draft/2020-12/schema", "$id": SCHEMA_ID, **body}


def render_schema() -> str:
    """The schema as the exact text committed under schema/."""
    return json.dumps(json_schema(), indent=2) + "\n"
