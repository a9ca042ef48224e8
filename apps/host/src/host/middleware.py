"""``ApiMiddleware``: a request id on every request, and JSON answers under ``/api/`` for
what happens outside the API's own code.

- ``request.request_id``: the caller's ``X-Request-Id`` when it is a plain token (letters,
  digits, ``._-``, at most 64), else a new one; sent back as ``X-Request-Id`` and written
  in the log line of a failure, so a report and the log meet.
- A 404 or 405 that the stack answers in HTML or plain text under ``/api/`` (a path no
  URL pattern matches, such as one with a newline in it; a method django-ninja's path does
  not have) becomes the API's JSON error, a 405's ``Allow`` header kept.
- An exception that escapes a view outside django-ninja (which answers its own) is logged
  with its traceback and the request id, and answered as the API's JSON 500.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

from host.http import error_response, server_error

_REQUEST_ID = re.compile(r"[A-Za-z0-9._-]{1,64}")
_API = "/api/"


class ApiMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        given = request.headers.get("X-Request-Id", "")
        request.request_id = given if _REQUEST_ID.fullmatch(given) else uuid.uuid4().hex  # type: ignore[attr-defined]
        response = self.get_response(request)
        if request.path.startswith(_API) and not _is_json(response):
            if response.status_code == 404:
                response = error_response("request.not_found", "no API endpoint at this path")
            elif response.status_code == 405:
                response = _method_not_allowed(response)
        response["X-Request-Id"] = request.request_id  # type: ignore[attr-defined]
        return response

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if not request.path.startswith(_API):
            return None  # Django's own 500 handling and logging
        return server_error(request, exception)


def _is_json(response: HttpResponse) -> bool:
    return response.get("Content-Type", "").startswith("application/json")


def _method_not_allowed(plain: HttpResponse) -> HttpResponse:
    allowed = sorted(m.strip() for m in plain.get("Allow", "").split(",") if m.strip())
    response = error_response("request.method_not_allowed", f"use {' or '.join(allowed)}")
    response["Allow"] = ", ".join(allowed)
    return response
