"""Language: pages are Chinese first; the API follows the caller's Accept-Language."""

from __future__ import annotations

from django.conf import settings
from django.middleware.locale import LocaleMiddleware
from django.utils import translation


class ChineseFirstLocaleMiddleware(LocaleMiddleware):
    """Staff pages open in zh-Hans whatever the browser says, until the person picks
    another language with the switch (kept in the language cookie). A county office's
    browser set to English must not turn the workbench English by surprise; integrations
    calling the API still get errors in the language they ask for."""

    def process_request(self, request):
        if request.path.startswith("/api/") or settings.LANGUAGE_COOKIE_NAME in request.COOKIES:
            return super().process_request(request)
        translation.activate(settings.LANGUAGE_CODE)
        request.LANGUAGE_CODE = translation.get_language()
