"""A friendly 503 page when the database cannot be reached, instead of a 500."""

import logging

from django.db import InterfaceError, OperationalError
from django.http import HttpResponse, JsonResponse
from django.template.loader import render_to_string

logger = logging.getLogger(__name__)


class DatabaseUnavailableMiddleware:
    """Wraps everything below it (sessions, auth, views) so a lost database answers 503, not 500."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        try:
            return self.get_response(request)
        except (OperationalError, InterfaceError) as exc:
            return self.unavailable(request, exc)

    def process_exception(self, request, exception):
        if isinstance(exception, OperationalError | InterfaceError):
            return self.unavailable(request, exception)
        return None

    @staticmethod
    def unavailable(request, exc):
        logger.error("Database unavailable: %s", exc.__class__.__name__)
        if request.path.startswith("/api/"):
            response = JsonResponse({"message": "The service is temporarily unavailable. Try again later."}, status=503)
        else:
            # Rendered without the request context: the context processors would touch the database.
            response = HttpResponse(render_to_string("503.html"), status=503)
        response["Retry-After"] = "60"
        return response
