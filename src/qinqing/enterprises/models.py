"""The registry of enterprises: the businesses a supervision code can be put up in.

Deliberately small (name, unified social credit code, region, active): the enterprise
ledgers (issue 19) grow from this table rather than beside it, so every other app — the
supervision codes today, cases and visits later — points at one Enterprise.
"""

from __future__ import annotations

import re

from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _
from stdnum.cn import uscc
from stdnum.exceptions import ValidationError as NumberError

from qinqing.org.models import Unit


def normalise_credit_code(raw: str) -> str:
    """The code as printed on the licence, spaces and dashes dropped, upper case."""
    return re.sub(r"[\s-]", "", raw or "").upper()


def validate_credit_code(value: str) -> None:
    """GB 32100: 18 characters, the last one a check character (python-stdnum checks it)."""
    try:
        uscc.validate(value)
    except NumberError:
        raise ValidationError(_(
            "This is not a valid unified social credit code: it has 18 characters and its "
            "last one is a check character. Copy it again from the business licence."),
            code="invalid") from None


class Enterprise(models.Model):
    name = models.CharField(_("Name"), max_length=120)
    credit_code = models.CharField(_("Unified social credit code"), max_length=18, unique=True,
                                   validators=[validate_credit_code])
    region = models.ForeignKey(
        Unit, verbose_name=_("Region"), on_delete=models.PROTECT, related_name="enterprises",
        help_text=_("The city, county or zone the enterprise is registered in."))
    is_active = models.BooleanField(_("Active"), default=True)

    class Meta:
        verbose_name = _("Enterprise")
        verbose_name_plural = _("Enterprises")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def clean_fields(self, exclude=None) -> None:
        # Normalised before the fields are checked: a code copied with spaces is still right.
        self.credit_code = normalise_credit_code(self.credit_code)
        self.name = (self.name or "").strip()
        super().clean_fields(exclude=exclude)
