"""Errors the app turns into HTTP responses: one shape everywhere.

``{"error": {"code": "not_found", "message": "..."}}`` with a matching status; the code is
machine-readable and stable, the message is for people.
"""

from __future__ import annotations


class HttpError(Exception):
    def __init__(
        self,
        status: int,
        code: str,
        message: str,
        *,
        headers: dict[str, str] | None = None,
        details: dict[str, object] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.headers = dict(headers or {})  # response headers the status requires
        self.details = dict(details or {})  # more machine-readable fields of the error body

    def body(self) -> dict[str, object]:
        error: dict[str, object] = {"code": self.code, "message": self.message}
        error.update(self.details)
        return {"error": error}


def not_found(message: str = "Not found") -> HttpError:
    return HttpError(404, "not_found", message)


def method_not_allowed(allowed: list[str]) -> HttpError:
    # RFC 9110 §15.5.6: a 405 response MUST carry Allow with the target's methods.
    listed = ", ".join(allowed)
    return HttpError(405, "method_not_allowed", f"Allowed methods: {listed}", headers={"allow": listed})


def bad_request(code: str, message: str) -> HttpError:
    return HttpError(400, code, message)


def unauthorized(code: str, message: str) -> HttpError:
    return HttpError(401, code, message)


def forbidden(code: str, message: str) -> HttpError:
    return HttpError(403, code, message)


def conflict(code: str, message: str, **details: object) -> HttpError:
    return HttpError(409, code, message, details=details)


def payload_too_large(max_bytes: int) -> HttpError:
    return HttpError(413, "payload_too_large", f"The request body is larger than {max_bytes} bytes.")


def validation_error(field: str, message: str) -> HttpError:
    return HttpError(422, "validation_error", message, details={"field": field})


def unavailable(code: str, message: str, retry_after_s: int) -> HttpError:
    """A 503 for a dependency that could not answer just now, with when to try again."""
    return HttpError(503, code, message, headers={"retry-after": str(retry_after_s)})
