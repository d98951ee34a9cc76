"""GitHub's published response schemas for the endpoints the Action uses: what the fake must answer.

``tests/support/github/rest-responses-2022-11-28.json`` is an excerpt of GitHub's REST description
(``github/rest-api-description``, api.github.com 2022-11-28; the file names the commit): each
operation's JSON response schema per status, and the ``components.schemas`` they reference. The
description is OpenAPI 3.0, whose ``nullable: true`` JSON Schema does not know: it is read as
"or null" here. :func:`response_problems` says why an answer is not one GitHub's description
allows; :func:`skeleton` is the smallest answer it allows (every required field), which the fake
fills in with what it knows.
"""

from __future__ import annotations

import copy
import functools
import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any, cast

import jsonschema

# where GitHub's answers are known to differ from its description: an outdated review comment's
# ``line`` and ``position`` are null (GitHub's REST docs for review comments), typed integer there
_NULL_IN_PRACTICE = {"pull-request-review-comment": ("line", "position")}
_PLACEHOLDER = {"uri": "https://github.com/", "date-time": "2026-01-01T00:00:00Z", "email": "nobody@example.com"}


@functools.cache
def _document() -> dict[str, Any]:
    text = Path(__file__).with_name("github").joinpath("rest-responses-2022-11-28.json").read_text("utf-8")
    return cast(dict[str, Any], json.loads(text))


@functools.cache
def _json_schema_document() -> dict[str, Any]:
    """The excerpt with OpenAPI's ``nullable`` turned into JSON Schema's ``null`` (and :data:`_NULL_IN_PRACTICE`)."""
    doc = copy.deepcopy(_document())
    for name, keys in _NULL_IN_PRACTICE.items():
        for key in keys:
            doc["components"]["schemas"][name]["properties"][key]["nullable"] = True
    return cast(dict[str, Any], _nullable(doc))


def _nullable(node: Any) -> Any:
    if isinstance(node, list):
        return [_nullable(n) for n in node]
    if not isinstance(node, dict):
        return node
    out = {k: _nullable(v) for k, v in node.items()}
    if out.pop("nullable", False) is not True:
        return out
    if isinstance(out.get("type"), str) and "$ref" not in out:
        out["type"] = [out["type"], "null"]
        if "enum" in out:
            out["enum"] = [*out["enum"], None]
        return out
    return {"anyOf": [{"type": "null"}, out]}


def operations() -> Mapping[str, Any]:
    return cast(Mapping[str, Any], _document()["operations"])


def response_problems(op: str, status: int, payload: Any) -> list[str]:
    """Why ``payload`` is not an answer GitHub's description allows for ``op`` with ``status`` (empty: it is).

    A status the description does not list for the operation (401, a rate limit's 403 or 429) is not checked."""
    responses = operations()[op]["responses"]
    if str(status) not in responses:
        return []
    root = {**_json_schema_document(), "$ref": f"#/operations/{op.replace('/', '~1')}/responses/{status}"}
    validator = jsonschema.Draft4Validator(root)
    return [f"{'/'.join(map(str, e.absolute_path)) or '(top)'}: {e.message}" for e in validator.iter_errors(payload)]


def skeleton(name: str) -> dict[str, Any]:
    """The smallest value of ``components.schemas[name]`` (never null): every required field, placeholder values."""
    return cast(dict[str, Any], _sample({k: v for k, v in _schema(name).items() if k != "nullable"}))


def _schema(name: str) -> dict[str, Any]:
    return cast(dict[str, Any], _document()["components"]["schemas"][name])


def _sample(schema: Mapping[str, Any]) -> Any:
    if "$ref" in schema:
        return _sample(_schema(str(schema["$ref"]).rsplit("/", 1)[-1]))
    if schema.get("nullable"):
        return None
    for key in ("oneOf", "anyOf", "allOf"):
        if key in schema:
            return _sample(schema[key][0])
    if "enum" in schema:
        return schema["enum"][0]
    kind = schema.get("type")
    if kind == "object" or "properties" in schema:
        props = schema.get("properties", {})
        return {k: _sample(props.get(k, {})) for k in schema.get("required", [])}
    return {"array": [], "integer": 0, "number": 0, "boolean": False}.get(
        str(kind), _PLACEHOLDER.get(str(schema.get("format")), "")
    )
