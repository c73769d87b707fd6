"""The auth routes as declared for the OpenAPI document: every contract route is there, the
public ones are marked public, and the schemas are camelCase and closed to unknown fields."""

from __future__ import annotations

from hintro_auth.routes import OPERATIONS
from hintro_shared.openapi import build_openapi


def test_every_auth_route_is_declared_with_its_access() -> None:
    declared = {(op.method, op.path): op.public for op in OPERATIONS}
    assert declared == {
        ("POST", "/api/auth/register"): True,
        ("POST", "/api/auth/login"): True,
        ("POST", "/api/auth/refresh"): True,
        ("POST", "/api/auth/logout"): True,
        ("GET", "/api/auth/.well-known/jwks.json"): True,
        ("GET", "/api/auth/me"): False,
        ("PATCH", "/api/auth/me"): False,
        ("POST", "/api/auth/password-reset"): True,
        ("POST", "/api/auth/password-reset/confirm"): True,
    }


def test_document_has_camel_case_closed_request_schemas_and_no_hash() -> None:
    document = build_openapi(OPERATIONS, title="auth", version="test")
    schemas = document["components"]["schemas"]
    assert schemas["RegisterRequest"]["additionalProperties"] is False
    assert set(schemas["RefreshRequest"]["properties"]) == {"refreshToken"}
    assert set(schemas["TokenPairOut"]["properties"]) == {
        "accessToken",
        "refreshToken",
        "tokenType",
        "expiresIn",
    }
    assert set(schemas["UserOut"]["properties"]) == {"id", "email", "name", "createdAt"}
    assert "hash" not in str(document).lower()
    for path in ("/api/auth/refresh", "/api/auth/logout"):  # {} or no body: the cookie
        assert document["paths"][path]["post"]["requestBody"]["required"] is False
    register = document["paths"]["/api/auth/register"]["post"]
    assert register["security"] == []
    assert set(register["responses"]) >= {"201", "409", "422"}
