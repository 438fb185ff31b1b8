"""API tokens for integrations. Only a hash is stored; the token is shown once.

A token is valid until `expires_at` (QINQING_TOKEN_DAYS after its issue) unless revoked
before: revoking sets `is_active` off and records when and by whom.
"""

import hashlib

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class ApiToken(models.Model):
    user = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("Account"),
                             on_delete=models.CASCADE, related_name="api_tokens")
    key_hash = models.CharField(max_length=64, unique=True)
    prefix = models.CharField(_("Prefix"), max_length=8)
    created_at = models.DateTimeField(_("Issued"), auto_now_add=True)
    expires_at = models.DateTimeField(_("Expires"))
    is_active = models.BooleanField(_("Active"), default=True)
    revoked_at = models.DateTimeField(_("Revoked"), null=True, blank=True)
    revoked_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("Revoked by"),
                                   null=True, blank=True, on_delete=models.PROTECT,
                                   related_name="+")

    class Meta:
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")

    def __str__(self) -> str:
        return f"{self.prefix}… ({self.user})"

    @staticmethod
    def hash_key(key: str) -> str:
        return hashlib.sha256(key.encode()).hexdigest()
