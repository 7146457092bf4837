"""OpenAPI schema post-processing: every operation documents the problem-JSON errors
the API answers (``apps.core.api``), so clients — and the schema-driven tests — know
that 400, 401, 403, 404, 409 and 429 come with ``{"code", "message", "errors"}``."""

from __future__ import annotations

from typing import Any

PROBLEM = {
    "type": "object",
    "properties": {
        "code": {"type": "string", "description": "stable machine-readable code"},
        "message": {"type": "string"},
        "errors": {"type": "object", "additionalProperties": True},
        "retry_after": {"type": "integer"},
    },
    "required": ["code", "message"],
}

ERRORS = {
    "400": "invalid input (code: invalid, invalid_value, invalid_characters, …)",
    "401": "not signed in",
    "403": "not allowed for your role",
    "404": "not found, or not yours",
    "409": "conflict with the current state (illegal_transition, idempotency_key_reused, …)",
    "429": "throttled (retry_after seconds)",
}


def add_problem_responses(result: dict[str, Any], **_kwargs: Any) -> dict[str, Any]:
    result.setdefault("components", {}).setdefault("schemas", {})["Problem"] = PROBLEM
    ref = {"$ref": "#/components/schemas/Problem"}
    for methods in result.get("paths", {}).values():
        for method, operation in methods.items():
            if method not in ("get", "post", "put", "patch", "delete"):
                continue
            responses = operation.setdefault("responses", {})
            for status, description in ERRORS.items():
                responses.setdefault(
                    status,
                    {"description": description, "content": {"application/json": {"schema": ref}}},
                )
    return result
