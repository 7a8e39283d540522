"""The JSON Schema of a config file (``salessheet config schema``), for editors.

It is generated from the models that validate configs (salessheet.settings.profile), so it
cannot drift from what ``load_profile`` accepts, with three additions the models cannot say
alone: the 2020-12 dialect, each key's expected value as its description, and that ``name``,
``columns``, ``stages`` and each stage's ``label`` are required only in a file that does not
``extends:`` another (a file that extends states only what differs).
"""

from typing import Any

from salessheet.settings.profile import ProfileFile

DIALECT = "https://json-schema.org/draft/2020-12/schema"


def config_schema() -> dict[str, Any]:
    schema = ProfileFile.model_json_schema(mode="validation")
    defs = schema.get("$defs", {})
    for sub in (schema, *defs.values()):
        for prop in sub.get("properties", {}).values():
            prop.pop("title", None)
    schema.pop("required")  # required below, unless the file extends another
    defs["StageModel"]["required"] = ["id"]  # a file that extends may update a stage by id
    complete = {
        "required": ["name", "columns", "stages"],
        "properties": {
            "stages": {"items": {"required": ["id", "label"]}},
            "columns": {"additionalProperties": {"required": ["aliases"]}},
        },
    }
    out: dict[str, Any] = {
        "$schema": DIALECT,
        **schema,
        "title": "salessheet pipeline config",
        "if": {"not": {"required": ["extends"]}},
        "then": complete,
    }
    return out
