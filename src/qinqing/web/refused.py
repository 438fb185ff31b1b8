"""A value the database refuses: 400 with the product's page, never a 500.

PostgreSQL refuses some values every form and filter lets through: text with a NUL
character (psycopg raises DataError before sending it), a number out of a column's
range. The request is at fault, the statement changed nothing (its transaction rolled
back), so the answer is "not understood", as the API answers 422 (api/main.py
`data_error`). Forms refuse control characters next to their field (qinqing/text.py);
this catches what reaches the database any other way: an address, a filter, a link.
"""

from __future__ import annotations

import logging

from django.db import DataError
from django.shortcuts import render

log = logging.getLogger(__name__)


class RefusedValueMiddleware:
    """A page whose view failed on a DataError answers 400 with the 400 page. The API
    answers for itself (JSON)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if not isinstance(exception, DataError) or request.path.startswith("/api/"):
            return None
        log.info("refused value on %s %s: %s", request.method, request.path, exception)
        return render(request, "400.html", {"refused_value": True}, status=400)
