"""OpenAPI schema generation: the shared error body, the bearer-token scheme, and every error status an
operation can answer added to each operation, so generated clients and Schemathesis know them."""

from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.openapi import AutoSchema
from rest_framework import serializers
from rest_framework.permissions import AllowAny


class ErrorSerializer(serializers.Serializer):
    detail = serializers.CharField(help_text="What went wrong, for a person to read.")
    field = serializers.CharField(required=False, help_text="The input field at fault, when there is one.")
    errors = serializers.DictField(
        child=serializers.JSONField(), help_text="Messages per input field (`non_field_errors` for the rest)."
    )
    extra = serializers.DictField(required=False, help_text="Structured details some errors carry.")

    class Meta:
        ref_name = "Error"


ERROR_DESCRIPTIONS = {
    "400": "Invalid input: malformed JSON, a field error, a bad filter or cursor, or an unmet business rule.",
    "401": "No credentials, or an invalid or revoked API token.",
    "403": "Authenticated, but not allowed (for example a stakeholder trying to act).",
    "404": "No such object, or it belongs to a team you cannot see.",
    "406": "The Accept header asks for something other than JSON.",
    "409": "The object's state forbids this, or a concurrent change won.",
    "415": "The request body is not JSON.",
}
UNSAFE = {"POST", "PUT", "PATCH", "DELETE"}


class ApiAutoSchema(AutoSchema):
    def _error_statuses(self, operation: dict) -> list[str]:
        public = all(isinstance(p, AllowAny) for p in self.view.get_permissions())
        codes = [] if public else ["401", "403"]
        if "{" in self.path:
            codes.append("404")
        has_query = any(p.get("in") == "query" for p in operation.get("parameters", []))
        if self.method in UNSAFE or has_query:
            codes.append("400")
        if self.method in UNSAFE:
            codes.append("409")
        if "requestBody" in operation or self.method in UNSAFE:
            codes.append("415")
        codes.append("406")
        codes.extend(getattr(self.view, "extra_error_statuses", ()))
        return sorted(set(codes))

    def get_operation(self, *args, **kwargs):
        operation = super().get_operation(*args, **kwargs)
        if operation is None:
            return None
        for code in self._error_statuses(operation):
            if code not in operation["responses"]:
                response = self._get_response_for_code(ErrorSerializer, code)
                response["description"] = ERROR_DESCRIPTIONS[code]
                operation["responses"][code] = response
        return operation


class BearerTokenScheme(OpenApiAuthenticationExtension):
    target_class = "config.api.authentication.BearerTokenAuthentication"
    name = "bearerAuth"

    def get_security_definition(self, auto_schema):
        return {
            "type": "http",
            "scheme": "bearer",
            "description": "A personal API token (`wk_…`) from /oncall/tokens/ or `manage.py create_api_token`.",
        }
