"""``jsonschema.validate`` with the schema checked and compiled once per worker, not once per call.

``jsonschema.validate(instance, schema)`` first checks ``schema`` against its metaschema (0.15 s of CPU for
reconciler.schema.json) and builds a new validator, whose resolved ``$ref``s are then lost: the export tests
paid that for every file they checked. The same check, the same error (the best match, as validate raises).
"""

from __future__ import annotations

import functools
import json
from typing import Any

import jsonschema
from jsonschema.protocols import Validator


@functools.cache
def _validator(schema_text: str) -> Validator:
    schema = json.loads(schema_text)
    cls = jsonschema.validators.validator_for(schema)
    cls.check_schema(schema)
    return cls(schema)


def validate(instance: Any, schema_text: str) -> None:
    """Raise what ``jsonschema.validate(instance, json.loads(schema_text))`` would raise, if anything."""
    error = jsonschema.exceptions.best_match(_validator(schema_text).iter_errors(instance))
    if error is not None:
        raise error
