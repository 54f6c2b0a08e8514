"""The JSON Schema of the config, generated from the models (``schema/reconciler.schema.json``)."""

from __future__ import annotations

import json
from typing import Annotated, Any

from pydantic import Field, TypeAdapter

from reconciler.config.models import AbTastyConfig, TaplyticsConfig

SCHEMA_ID = "https://github.com/reconciler/reconciler/schema/reconciler.schema.json"

# One file is one provider's account: `provider` picks the model, so editors complete the right keys.
_ANY_PROVIDER = TypeAdapter(Annotated[AbTastyConfig | TaplyticsConfig, Field(discriminator="provider")])


def json_schema() -> dict[str, Any]:
    """The schema as a dict; editors use it through the yaml-language-server modeline."""
    body = _ANY_PROVIDER.json_schema()
    body["title"] = "reconciler config, version 1"
    return {"$schema": "https://json-schema.org/draft/2020-12/schema", "$id": SCHEMA_ID, **body}


def render_schema() -> str:
    """The schema as the exact text committed under schema/."""
    return json.dumps(json_schema(), indent=2) + "\n"
