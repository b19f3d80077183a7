"""The official descriptions as a test oracle: every JSON body the HTTP tests receive is validated
against the response schema that the description of the version it was answered in (spec/
intercom-<shape>.yaml; 2.10 unless a test asks for another) gives for that operation and status."""

from __future__ import annotations

import functools
import re
from importlib import resources
from typing import Any

import yaml
from jsonschema import ValidationError
from openapi_schema_validator import OAS30Validator
from referencing import Registry
from referencing.jsonschema import DRAFT4

DEFAULT = "2.10"


def _uri(shape: str) -> str:
    return f"urn:intercom-{shape}"


@functools.cache
def spec(shape: str = DEFAULT) -> dict[str, Any]:
    """The description of ``shape`` (a name of domain/versions.py SHAPES, or "preview")."""
    text = resources.files("inboxd").joinpath(f"spec/intercom-{shape}.yaml").read_text(encoding="utf-8")
    data: dict[str, Any] = yaml.load(text, Loader=_Loader)
    # Some descriptions have a dangling $ref (2.10's custom_attributes): give it a permissive
    # target so that tools can resolve the document at all. Where a description's schema
    # contradicts its own examples and Intercom, the examples win (docs/fuzzing.md).
    data["components"]["schemas"].setdefault("custom_attributes", {"type": "object"})
    _customers_as_the_examples_show(data)
    return _honour_nullable_refs(data)


# Attaching a contact to a conversation and detaching one answer the conversation's customers in
# every description's example (and in Intercom), while the schema says `conversation`: harmless
# where that requires nothing, wrong in 2.11, whose `conversation` requires its id, source...
_CUSTOMERS = {
    "type": "object",
    "required": ["customers"],
    "properties": {
        "customers": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["type", "id"],
                "properties": {"type": {"type": "string"}, "id": {"type": "string"}},
            },
        }
    },
}


def _customers_as_the_examples_show(data: dict[str, Any]) -> None:
    for item in data["paths"].values():
        for operation in item.values():
            if isinstance(operation, dict) and operation.get("operationId") in (
                "attachContactToConversation",
                "detachContactFromConversation",
            ):
                answer = operation["responses"]["200"]["content"]["application/json"]
                if all("customers" in example["value"] for example in answer.get("examples", {}).values()):
                    answer["schema"] = _CUSTOMERS


# The C loader when PyYAML has it: the newest descriptions are over 1 MB each.
_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


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
def _registry(shape: str) -> Registry:
    return Registry().with_resource(_uri(shape), DRAFT4.create_resource(spec(shape)))


@functools.cache
def _routes(shape: str = DEFAULT) -> list[tuple[re.Pattern[str], str]]:
    out = []
    for template in spec(shape)["paths"]:
        pattern = re.sub(r"\{[^}]+\}", r"[^/]+", template)
        out.append((re.compile(f"^{pattern}$"), template))
    # Literal segments win over parameters: /conversations/search before /conversations/{id}.
    out.sort(key=lambda item: item[1].count("{"))
    return out


def operation(method: str, path: str, shape: str = DEFAULT) -> dict[str, Any] | None:
    path = path.split("?", 1)[0]
    for pattern, template in _routes(shape):
        if pattern.match(path):
            return spec(shape)["paths"][template].get(method.lower())
    return None


@functools.cache
def _validator(shape: str, ref: str) -> OAS30Validator:
    return OAS30Validator({"$ref": f"{_uri(shape)}{ref}"}, registry=_registry(shape))


def response_schema_ref(method: str, path: str, status: int, shape: str = DEFAULT) -> str:
    """The JSON pointer of the schema the spec documents for this response; errors always use
    `error` even when the spec did not list that status for the operation."""
    op = operation(method, path, shape)
    if op is None:
        raise AssertionError(f"{method} {path} is not an operation of intercom-{shape}.yaml")
    documented = op.get("responses", {}).get(str(status))
    if documented is not None:
        schema = documented["content"]["application/json"]["schema"]
        if "$ref" in schema:
            return str(schema["$ref"])
        # Inline schemas (e.g. allOf) are addressed by their position in the document.
        template = next(t for p, t in _routes(shape) if p.match(path.split("?", 1)[0]))
        escaped = template.replace("~", "~0").replace("/", "~1")
        return f"#/paths/{escaped}/{method.lower()}/responses/{status}/content/application~1json/schema"
    if status >= 400:
        return "#/components/schemas/error"
    raise AssertionError(f"intercom-{shape}.yaml documents no {status} response for {method} {path}")


def errors(method: str, path: str, status: int, body: Any, shape: str = DEFAULT) -> list[ValidationError]:
    """Where ``body`` departs from the schema the description of ``shape`` documents for this
    response, in document order (empty when it validates)."""
    ref = response_schema_ref(method, path, status, shape)
    return sorted(_validator(shape, ref).iter_errors(body), key=lambda e: list(e.absolute_path))


def validate(method: str, path: str, status: int, body: Any, shape: str = DEFAULT) -> None:
    found = errors(method, path, status, body, shape)
    if found:
        ref = response_schema_ref(method, path, status, shape)
        details = "\n".join(f"  at {'/'.join(map(str, e.absolute_path)) or '(root)'}: {e.message}" for e in found[:10])
        raise AssertionError(f"{method} {path} → {status} does not match intercom-{shape}.yaml {ref}:\n{details}")


def validate_error(body: Any, shape: str = DEFAULT) -> None:
    """``body`` is an error in the shape of the description of ``shape``, whatever the operation."""
    found = next(_validator(shape, "#/components/schemas/error").iter_errors(body), None)
    if found is not None:
        raise AssertionError(f"{body} is not an error of intercom-{shape}.yaml: {found.message}")
