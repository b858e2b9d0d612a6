"""OpenAPI: every operation documents the errors it can answer (400, 401, 403, 404)."""

from __future__ import annotations

from drf_spectacular import openapi

ERROR_SCHEMA = {
    "type": "object",
    "description": "An error: `detail` for the request as a whole, or one entry per field.",
    "properties": {"detail": {"type": "string"}},
    "additionalProperties": {
        "oneOf": [
            {"type": "array", "items": {"type": "string"}},
            {"type": "string"},
            {"type": "object"},
        ]
    },
}
ERRORS = {
    "400": "Bad input: field messages say what is wrong; nothing was written.",
    "401": "No valid credentials (a JWT in `Authorization: Bearer ...`, or a session).",
    "403": "Your role may not do this.",
    "404": "Not found, or not yours to see.",
}


ERROR_REF = {"$ref": "#/components/schemas/Error"}


class AutoSchema(openapi.AutoSchema):
    def _get_response_bodies(self, direction="response"):
        responses = super()._get_response_bodies(direction)
        if direction == "response" and getattr(self.view, "throttle_classes", None):
            responses.setdefault(
                "429",
                {
                    "description": "Too many requests, or too many failed logins: wait and retry.",
                    "content": {"application/json": {"schema": ERROR_REF}},
                },
            )
        return responses


def add_error_responses(result, generator, request, public):
    result.setdefault("components", {}).setdefault("schemas", {})["Error"] = ERROR_SCHEMA
    for operations in result.get("paths", {}).values():
        for operation in operations.values():
            responses = operation.setdefault("responses", {})
            for code, description in ERRORS.items():
                content = {"application/json": {"schema": ERROR_REF}}
                responses.setdefault(code, {"description": description, "content": content})
    return result


def query_param(name: str, schema: dict, description: str = "") -> dict:
    """An optional query parameter, for filter backends' get_schema_operation_parameters."""
    return {
        "name": name,
        "in": "query",
        "required": False,
        "schema": schema,
        "description": description,
    }
