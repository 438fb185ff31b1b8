"""Every limit on the length of a text a person types, in one place.

Forms, API schemas and services read their limits from here, so the browser, the API and
the service refuse the same text with the same number. The long texts (what the caller
says, an answer, a result, a summary) share one setting, QINQING_CONTENT_MAX_CHARS.

A limit is never enforced by the browser's `maxlength`: that attribute silently cuts a
paste at the limit (a 20,000-character paste was saved as its first 5,000 characters
with no word). Form fields here drop it; the page counts the characters as they are
typed (web/static/web/counter.js) and the server refuses a longer text with a message,
keeping what was typed in the box.
"""

from __future__ import annotations

from django import forms
from django.core import validators
from django.conf import settings
from django.utils.translation import gettext, gettext_lazy as _


def content_chars() -> int:
    """What the caller says, answers and results: the one configurable limit."""
    return settings.QINQING_CONTENT_MAX_CHARS


TITLE = 120  # a case's title; Case.title is a 120-character column
ENTERPRISE = 120  # an enterprise's name; Case.enterprise_name is a 120-character column
PERSON_NAME = 60
PHONE = 30
ID_NUMBER = 18
CONTACT = 200
NOTE = 2000  # reasons, notes, what the caller was told
UNMASK_REASON = 500
SEARCH = 100

TOO_LONG = _("At most %(limit_value)s characters; this text has %(show_value)s. Shorten it "
             "and save again: what you typed is kept.")


class LimitedCharField(forms.CharField):
    """A CharField whose limit is checked on the server only (see the module's docstring).

    The widget gets `data-max-chars` instead of `maxlength`, for the live counter. Line
    breaks are counted as one character, as the counter and the API count them (a
    browser sends each as CR LF). `max_length` may be a function (`content_chars`): it
    is then read each time a form is built, so the setting is followed at once."""

    default_error_messages = {"max_length": TOO_LONG}

    def __init__(self, *, max_length=None, **kwargs):
        self._limit = max_length if callable(max_length) else None
        super().__init__(max_length=self._limit() if self._limit else max_length, **kwargs)

    def __deepcopy__(self, memo):
        result = super().__deepcopy__(memo)
        limit = self._limit() if self._limit else None
        if limit is not None and limit != result.max_length:
            result.max_length = limit
            result.validators = [v for v in result.validators
                                 if not isinstance(v, validators.MaxLengthValidator)]
            result.validators.append(validators.MaxLengthValidator(limit))
            result.widget.attrs.update(result.widget_attrs(result.widget))
        return result

    def widget_attrs(self, widget):
        attrs = super().widget_attrs(widget)
        if attrs.pop("maxlength", None) is not None:
            attrs["data-max-chars"] = str(self.max_length)
        return attrs

    def to_python(self, value):
        value = super().to_python(value)
        return value.replace("\r\n", "\n") if isinstance(value, str) else value


def too_long(limit: int) -> str:
    """The service's and the API's message for a text over its limit."""
    return gettext("At most %(n)s characters.") % {"n": limit}
