"""Control characters in text people send: refused at every input, stripped on output.

A control character (a C0 code other than tab and line breaks, DEL, a C1 code, a lone
surrogate, U+FFFE/U+FFFF) has no business in a case, a name or a reason: it comes from a
bad copy and paste or from someone probing. XML 1.0, and so every Excel file, cannot hold
most of them (openpyxl refuses the cell, and the download answered 500); PostgreSQL
refuses NUL in text. So each input refuses them with a message that names the field
(`TextForm` for Django forms, `RefuseControlChars` for API bodies and queries), and the
Excel writers strip any stored before this check existed (`strip_control`).

Tab, line feed and carriage return stay allowed: browsers send a textarea's line breaks
as CR LF.
"""

from __future__ import annotations

import re
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext
from pydantic import BaseModel, ValidationInfo, field_validator
from pydantic_core import PydanticCustomError

# A mainland mobile number or an 18-character resident ID number inside a text: what a
# page warns about before a person sends it, and what is taken out before a text is
# published (the portal's mailbox list, Open311's request titles).
PERSONAL_NUMBER = re.compile(r"(?<![0-9])(?:1[3-9][0-9]{9}|[0-9]{17}[0-9Xx])(?![0-9A-Za-z])")

CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff]")


def has_control(text: str) -> bool:
    return CONTROL.search(text) is not None


def strip_control(text: str) -> str:
    return CONTROL.sub("", text)


def control_message(label: str) -> str:
    return gettext("“%(field)s” contains control characters (invisible characters, often "
                   "from a copy and paste); delete them and send again.") % {"field": label}


# ------------------------------------------------------------------ Django forms

class NoControlCharacters:
    """A field validator whose message names the field (its label)."""

    def __init__(self, label: str):
        self.label = label

    def __call__(self, value: Any) -> None:
        if isinstance(value, str) and has_control(value):
            raise ValidationError(control_message(str(self.label)), code="control_characters")

    def __eq__(self, other: object) -> bool:
        return isinstance(other, NoControlCharacters) and other.label == self.label


class TextForm(forms.Form):
    """A form whose every text field refuses control characters (fields are copied per
    form instance, so adding the validator here changes no class-level field)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name, field in self.fields.items():
            if isinstance(field, forms.CharField):
                field.validators.append(NoControlCharacters(field.label or name))


# ------------------------------------------------------------------ API (pydantic)

def _walk(value: Any) -> bool:
    if isinstance(value, str):
        return has_control(value)
    if isinstance(value, (list, tuple)):
        return any(_walk(v) for v in value)
    if isinstance(value, dict):
        return any(_walk(k) or _walk(v) for k, v in value.items())
    return False


class RefuseControlChars(BaseModel):
    """Base of request bodies and query parameters: a text value with a control character
    (at any depth: lists, the edit's dict of fields) is a 422 naming the field."""

    @field_validator("*", mode="after")
    @classmethod
    def _no_control_characters(cls, value: Any, info: ValidationInfo) -> Any:
        if _walk(value):
            raise PydanticCustomError("control_characters", "{field} contains control characters",
                                      {"field": info.field_name})
        return value
