"""Supervision codes (监督码): one QR code per window, unit, service hall, staff member or
enterprise, opening /c/<token> on a phone.

Invariants the database keeps, not the code:
- a code is for exactly one object (a unit, a staff member or an enterprise);
- an object has at most one live (unrevoked) code: issuing "the missing codes" for a
  whole region twice at once cannot print two codes for one window;
- only a revoked code has a replacement, and only a revoked code has a revoker.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from qinqing.enterprises.models import Enterprise
from qinqing.org.models import Unit

_UNIT = Q(unit__isnull=False, staff__isnull=True, enterprise__isnull=True)
_STAFF = Q(unit__isnull=True, staff__isnull=False, enterprise__isnull=True)
_ENTERPRISE = Q(unit__isnull=True, staff__isnull=True, enterprise__isnull=False)
LIVE = Q(revoked_at__isnull=True)


class ObjectKind(models.TextChoices):
    UNIT = "unit", _("Unit")
    STAFF = "staff", _("Staff member")
    ENTERPRISE = "enterprise", _("Enterprise")


class SupervisionCode(models.Model):
    token = models.CharField(_("Token"), max_length=20, unique=True, editable=False)
    unit = models.ForeignKey(Unit, verbose_name=_("Unit"), null=True, blank=True,
                             on_delete=models.PROTECT, related_name="supervision_codes")
    staff = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("Staff member"),
                              null=True, blank=True, on_delete=models.PROTECT,
                              related_name="supervision_codes")
    enterprise = models.ForeignKey(Enterprise, verbose_name=_("Enterprise"), null=True,
                                   blank=True, on_delete=models.PROTECT,
                                   related_name="supervision_codes")
    issued_at = models.DateTimeField(_("Issued at"))
    issued_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("Issued by"),
                                  null=True, blank=True, on_delete=models.PROTECT,
                                  related_name="+")
    revoked_at = models.DateTimeField(_("Withdrawn on"), null=True, blank=True)
    revoked_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("Withdrawn by"),
                                   null=True, blank=True, on_delete=models.PROTECT,
                                   related_name="+")
    revoke_reason = models.CharField(_("Reason for withdrawal"), max_length=500, blank=True)
    replaced_by = models.OneToOneField("self", verbose_name=_("Replaced by"), null=True,
                                       blank=True, on_delete=models.PROTECT,
                                       related_name="replaces")

    class Meta:
        verbose_name = _("Supervision code")
        verbose_name_plural = _("Supervision codes")
        ordering = ["-issued_at", "-pk"]
        constraints = [
            models.CheckConstraint(condition=_UNIT | _STAFF | _ENTERPRISE,
                                   name="code_for_exactly_one_object"),
            models.CheckConstraint(
                condition=Q(revoked_at__isnull=False) | Q(revoked_by__isnull=True,
                                                          replaced_by__isnull=True),
                name="code_only_revoked_has_revoker_or_replacement"),
            models.UniqueConstraint(fields=["unit"], condition=LIVE & Q(unit__isnull=False),
                                    name="code_one_live_per_unit"),
            models.UniqueConstraint(fields=["staff"], condition=LIVE & Q(staff__isnull=False),
                                    name="code_one_live_per_staff"),
            models.UniqueConstraint(fields=["enterprise"],
                                    condition=LIVE & Q(enterprise__isnull=False),
                                    name="code_one_live_per_enterprise"),
        ]

    def __str__(self) -> str:
        return f"{self.object_name} · {self.token}"

    @property
    def kind(self) -> str:
        if self.unit_id:
            return ObjectKind.UNIT
        return ObjectKind.STAFF if self.staff_id else ObjectKind.ENTERPRISE

    @property
    def object(self):
        return self.unit or self.staff or self.enterprise

    @property
    def object_name(self) -> str:
        return str(self.object)

    @property
    def belongs_to(self) -> str:
        """Where the object is: a unit's parent (a window's hall), a staff member's unit,
        an enterprise's region."""
        if self.unit_id:
            return self.unit.parent.name if self.unit.parent_id else ""
        if self.staff_id:
            return self.staff.unit.name if self.staff.unit_id else ""
        return self.enterprise.region.name

    @property
    def object_active(self) -> bool:
        """False once the window closed, the staff member left, the enterprise was struck off."""
        return bool(self.object.is_active)

    @property
    def is_live(self) -> bool:
        return self.revoked_at is None


class ScanDay(models.Model):
    """How many times a code's page was opened on a local day (a scan: the page a phone's
    camera opens; the rating form's own submissions are not counted again). One row per
    code and day, incremented in one statement (services.count_scan)."""

    code = models.ForeignKey(SupervisionCode, verbose_name=_("Supervision code"),
                             on_delete=models.CASCADE, related_name="scan_days")
    day = models.DateField(_("Day"))
    scans = models.PositiveIntegerField(_("Scans"), default=0)

    class Meta:
        verbose_name = _("Scans of a day")
        verbose_name_plural = _("Scans by day")
        constraints = [models.UniqueConstraint(fields=["code", "day"],
                                               name="scan_day_one_row_per_code_and_day")]
