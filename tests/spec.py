"""The official spec as a test oracle: every JSON body the HTTP tests receive is validated against
the response schema that intercom-2.10.yaml gives for that operation and status."""

from __future__ import annotations

import functools
import re
from importlib import resources
from typing import Any

import yaml
from openapi_schema_validator import OAS30Validator
from referencing import Registry
from referencing.jsonschema import DRAFT4

SPEC_URI = "urn:intercom-2.10"


@functools.cache
def spec() -> dict[str, Any]:
    text = resources.files("inboxd").joinpath("spec/intercom-2.10.yaml").read_text(encoding="utf-8")
    data: dict[str, Any] = yaml.safe_load(text)
    # The shipped spec has one dangling $ref: give it a permissive
    # target so that tools can resolve the document at all.
    data["components"]["schemas"].setdefault("custom_attributes", {"type": "object"})
    return _honour_nullable_refs(data)


def _honour_nullable_refs(node: Any) -> Any:
    """The spec marks references nullable by writing ``nullable: true`` beside ``$ref`` (or beside an
    ``allOf`` of one reference), e.g. ``conversation_part.assigned_to``, and its own examples then
    show ``null`` there. JSON Schema ignores keywords beside ``$ref``, so a validator would reject
    the spec's own examples; say what the authors meant: the reference, or null."""
    if isinstance(node, list):
        return [_honour_nullable_refs(item) for item in node]
    if not isinstance(node, dict):
        return node
    node = {key: _honour_nullable_refs(value) for key, value in node.items()}
    if node.get("nullable") is True and ("$ref" in node or "allOf" in node):
        inner = {key: value for key, value in node.items() if key != "nullable"}
        return {"anyOf": [inner, {"enum": [None]}]}
    return node


@functools.cache
def _registry() -> Registry:
    return Registry().with_resource(SPEC_URI, DRAFT4.create_resource(spec()))


@functools.cache
def _routes() -> list[tuple[re.Pattern[str], str]]:
    out = []
    for template in spec()["paths"]:
        pattern = re.sub(r"\{[^}]+\}", r"[^/]+", template)
        out.append((re.compile(f"^{pattern}$"), template))
    # Literal segments win over parameters: /conversations/search before /conversations/{id}.
    out.sort(key=lambda item: item[1].count("{"))
    return out


def operation(method: str, path: str) -> dict[str, Any] | None:
    path = path.split("?", 1)[0]
    for pattern, template in _routes():
        if pattern.match(path):
            return spec()["paths"][template].get(method.lower())
    return None


def _validator(ref: str) -> OAS30Validator:
    return OAS30Validator({"$ref": f"{SPEC_URI}{ref}"}, registry=_registry())


def response_schema_ref(method: str, path: str, status: int) -> str:
    """The JSON pointer of the schema the spec documents for this response; errors always use
    `error` even when the spec did not list that status for the operation."""
    op = operation(method, path)
    if op is None:
        raise AssertionError(f"{method} {path} is not an operation of intercom-2.10.yaml")
    documented = op.get("responses", {}).get(str(status))
    if documented is not None:
        schema = documented["content"]["application/json"]["schema"]
        if "$ref" in schema:
            return str(schema["$ref"])
        # Inline schemas (e.g. allOf) are addressed by their position in the document.
        template = next(t for p, t in _routes() if p.match(path.split("?", 1)[0]))
        escaped = template.replace("~", "~0").replace("/", "~1")
        return f"#/paths/{escaped}/{method.lower()}/responses/{status}/content/application~1json/schema"
    if status >= 400:
        return "#/components/schemas/error"
    raise AssertionError(f"intercom-2.10.yaml documents no {status} response for {method} {path}")


def validate(method: str, path: str, status: int, body: Any) -> None:
    ref = response_schema_ref(method, path, status)
    errors = sorted(_validator(ref).iter_errors(body), key=lambda e: list(e.absolute_path))
    if errors:
        details = "\n".join(f"  at {'/'.join(map(str, e.absolute_path)) or '(root)'}: {e.message}" for e in errors[:10])
        raise AssertionError(f"{method} {path} → {status} does not match {ref}:\n{details}")
