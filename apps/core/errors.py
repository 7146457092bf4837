"""Domain errors every app raises; the API turns them into problem-style JSON.

A service raises ``DomainError`` (or a subclass) with a stable machine-readable
``code``; pages show ``message``; the API answers ``{"code", "message", "errors"}``.
"""

from __future__ import annotations

from typing import Any


class DomainError(Exception):
    status_code = 400
    default_code = "invalid"

    def __init__(
        self, message: str, *, code: str | None = None, errors: dict[str, Any] | None = None
    ) -> None:
        super().__init__(message)
        self.message = str(message)
        self.code = code or self.default_code
        self.errors = errors or {}


class NotFoundError(DomainError):
    """Not found, or not yours: both answer the same so scope does not leak."""

    status_code = 404
    default_code = "not_found"


class PermissionDeniedError(DomainError):
    status_code = 403
    default_code = "permission_denied"


class ConflictError(DomainError):
    """The request is well-formed but the object's state does not allow it."""

    status_code = 409
    default_code = "conflict"
