"""The one error hierarchy. Each error carries Intercom's ``code`` and HTTP status;
api/errors.py alone turns them into an ``error.list`` body."""

from __future__ import annotations


class IntercomError(Exception):
    status = 400
    code = "client_error"

    def __init__(self, message: str, field: str | None = None, code: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field
        if code is not None:
            self.code = code


class Unauthorized(IntercomError):
    status = 401
    code = "unauthorized"


class NotFound(IntercomError):
    status = 404
    code = "not_found"


class Forbidden(IntercomError):
    status = 403
    code = "action_forbidden"


class ParameterInvalid(IntercomError):
    status = 400
    code = "parameter_invalid"


class ParameterNotFound(IntercomError):
    status = 400
    code = "parameter_not_found"


class UnprocessableEntity(IntercomError):
    """A well-formed request the current state refuses (the spec answers these with 422)."""

    status = 422
    code = "parameter_invalid"


class Conflict(IntercomError):
    status = 409
    code = "conflict"


class VersionInvalid(IntercomError):
    status = 400
    code = "intercom_version_invalid"


class PayloadTooLarge(IntercomError):
    status = 413
    code = "request_too_large"


class RateLimited(IntercomError):
    status = 429
    code = "rate_limit_exceeded"


class RequestTimeout(IntercomError):
    """A read that ran past its time budget and was ended (store/budget.py). A 504:
    what Intercom's own gateway answers a request that runs too long (docs/decisions.md)."""

    status = 504
    code = "request_timeout"
