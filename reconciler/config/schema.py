"""The JSON Schema of the config, generated from the models (``schema/reconciler.schema.json``)."""

from __future__ import annotations

import json
from typing import Any

from reconciler.config.models import AbTastyConfig

SCHEMA_ID = "https://github.com/reconciler/reconciler/schema/reconciler.schema.json"


def json_schema() -> dict[str, Any]:
    """The schema as a dict; editors use it through the yaml-language-server modeline."""
    body = AbTastyConfig.model_json_schema()
    body["title"] = "reconciler config, version 1"
    return {"$schema": "https://json-schema.org/draft/2020-12/schema", "$id": SCHEMA_ID, **body}


def render_schema() -> str:
    """The schema as the exact text committed under schema/."""
    return json.dumps(json_schema(), indent=2) + "\n"
