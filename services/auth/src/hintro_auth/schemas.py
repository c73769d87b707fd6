"""Request and response bodies of the auth API (camelCase on the wire).

Requests forbid unknown fields; responses are explicit models, so a password hash can never
reach a client by accident.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    model_validator,
)
from pydantic.alias_generators import to_camel

from hintro_auth.domain import (
    EMAIL_MAX_LENGTH,
    NAME_MAX_LENGTH,
    NAME_MIN_LENGTH,
    PASSWORD_MAX_LENGTH,
    PASSWORD_MIN_LENGTH,
    parse_email,
)

Email = Annotated[
    str,
    StringConstraints(max_length=EMAIL_MAX_LENGTH + 32),  # room for surrounding whitespace
    AfterValidator(parse_email),
]
Password = Annotated[str, Field(min_length=PASSWORD_MIN_LENGTH, max_length=PASSWORD_MAX_LENGTH)]
# Login accepts any length up to the maximum: a too-short password is simply wrong, and a
# different status would tell an attacker something about the policy-violating input.
LoginPassword = Annotated[str, Field(min_length=1, max_length=PASSWORD_MAX_LENGTH)]
Name = Annotated[
    str,
    StringConstraints(
        strip_whitespace=True, min_length=NAME_MIN_LENGTH, max_length=NAME_MAX_LENGTH
    ),
]
RefreshTokenText = Annotated[str, Field(min_length=1, max_length=512)]
Session = Annotated[
    Literal["cookie"],
    Field(
        description='"cookie": the refresh token goes in an HttpOnly cookie, not the body '
        "(browser sessions; docs/api.md)."
    ),
]


class Request(BaseModel):
    """A request body: camelCase, unknown fields rejected, strict types."""

    model_config = ConfigDict(
        alias_generator=to_camel, populate_by_name=True, extra="forbid", strict=True
    )


class Response(BaseModel):
    """A response body: camelCase on the wire."""

    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True)


class RegisterRequest(Request):
    """``POST /api/auth/register``."""

    email: Email
    password: Password
    name: Name
    session: Session | None = None


class LoginRequest(Request):
    """``POST /api/auth/login``."""

    email: Email
    password: LoginPassword
    session: Session | None = None


class RefreshRequest(Request):
    """``POST /api/auth/refresh`` and ``POST /api/auth/logout``: the refresh token, or nothing
    (``{}`` or no body) to use the browser's session cookie."""

    refresh_token: RefreshTokenText | None = None


class MePatch(Request):
    """``PATCH /api/auth/me``: a new name and/or a new password (with the current one)."""

    name: Name | None = None
    current_password: LoginPassword | None = None
    new_password: Password | None = None

    @model_validator(mode="after")
    def _consistent(self) -> MePatch:
        for field, alias in (
            ("name", "name"),
            ("current_password", "currentPassword"),
            ("new_password", "newPassword"),
        ):
            if field in self.model_fields_set and getattr(self, field) is None:
                raise ValueError(f"{alias} cannot be null")
        if self.name is None and self.new_password is None:
            raise ValueError("give name and/or newPassword")
        if self.new_password is not None and self.current_password is None:
            raise ValueError("currentPassword is required to change the password")
        if self.current_password is not None and self.new_password is None:
            raise ValueError("currentPassword goes only with newPassword")
        return self


class UserOut(Response):
    """The caller's own account."""

    id: str
    email: str
    name: str
    created_at: datetime


class TokenPairOut(Response):
    """A new session: a short-lived access token and the refresh token to renew it."""

    access_token: str
    refresh_token: str
    token_type: Literal["Bearer"] = "Bearer"  # noqa: S105
    expires_in: int = Field(description="Seconds until the access token expires.")


class AccessTokenOut(Response):
    """A browser session's answer: the access token only (the refresh token is in the
    ``hintro_refresh`` cookie)."""

    access_token: str
    token_type: Literal["Bearer"] = "Bearer"  # noqa: S105
    expires_in: int = Field(description="Seconds until the access token expires.")


class Jwks(BaseModel):
    """A JSON Web Key Set (RFC 7517)."""

    keys: list[dict[str, Any]]


# --- password reset ---------------------------------------------------------------------------


class PasswordResetRequest(Request):
    """``POST /api/auth/password-reset``: the address to mail a link to."""

    email: Email


class PasswordResetConfirm(Request):
    """``POST /api/auth/password-reset/confirm``: the token from the link and the new password."""

    token: Annotated[str, Field(min_length=16, max_length=256)]
    password: Password


class PasswordResetAccepted(BaseModel):
    """The one answer to a reset request, whether or not the address has an account."""

    detail: str
