"""Error types raised by services. Views and the API turn them into messages and status codes."""

from __future__ import annotations


class DomainError(Exception):
    """A business rule said no. `fields` maps a field name to the reason, in the user's language."""

    status_code = 422
    code = "invalid"

    def __init__(
        self, message: str, *, fields: dict[str, str] | None = None, code: str | None = None
    ):
        super().__init__(message)
        self.message = str(message)
        self.fields = {k: str(v) for k, v in (fields or {}).items()}
        if code:
            self.code = code


class ValidationFailed(DomainError):
    status_code = 422
    code = "validation_error"


class Conflict(DomainError):
    status_code = 409
    code = "conflict"


class NotFound(DomainError):
    status_code = 404
    code = "not_found"


class PermissionDenied(DomainError):
    status_code = 403
    code = "permission_denied"
