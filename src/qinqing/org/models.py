"""Organisation: the tree of units and the staff who work in them.

Scoping rule: a member of a unit sees that unit and every unit below it. The tree is
stored as a materialised path of unit codes ("/990000/990100/990101/") so "this unit
and below" is one indexed prefix query, whatever the depth.
"""

from __future__ import annotations

from django.contrib.auth.models import AbstractUser
from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.db import models, transaction
from django.db.models.functions import Concat, Substr, Length
from django.db.models import Value
from django.utils.translation import gettext_lazy as _


class UnitKind(models.TextChoices):
    CITY_GOVERNMENT = "city_government", _("City government")
    COUNTY = "county", _("County or district")
    DEPARTMENT = "department", _("Department")
    DISCIPLINE_COMMISSION = "discipline_commission", _("Discipline commission")
    DEVELOPMENT_ZONE = "development_zone", _("Development zone")
    SERVICE_HALL = "service_hall", _("Government service hall")
    WINDOW = "window", _("Service window")


# Kinds that stand for a place (a region a case can belong to).
REGION_KINDS = (UnitKind.CITY_GOVERNMENT, UnitKind.COUNTY, UnitKind.DEVELOPMENT_ZONE)

unit_code_validator = RegexValidator(
    r"^[0-9A-Za-z_-]{1,32}$",
    _("A code may contain only letters, digits, underscores and hyphens, at most 32 characters."),
)


class UnitQuerySet(models.QuerySet):
    def subtree(self, unit: "Unit") -> "UnitQuerySet":
        """The unit and every unit below it."""
        return self.filter(path__startswith=unit.path)

    def active(self) -> "UnitQuerySet":
        return self.filter(is_active=True)


class Unit(models.Model):
    code = models.CharField(
        _("Code"), max_length=32, unique=True, validators=[unit_code_validator],
        help_text=_("Unique code of the unit, e.g. its unified social credit code or division code."),
    )
    name = models.CharField(_("Name"), max_length=100)
    short_name = models.CharField(_("Short name"), max_length=40, blank=True)
    kind = models.CharField(_("Kind"), max_length=32, choices=UnitKind.choices)
    parent = models.ForeignKey(
        "self", verbose_name=_("Parent unit"), null=True, blank=True,
        on_delete=models.PROTECT, related_name="children",
    )
    path = models.CharField(_("Path"), max_length=700, editable=False, blank=True, db_index=True)
    region_code = models.CharField(
        _("Division code"), max_length=12, blank=True,
        help_text=_("Administrative division code of the county or city the unit belongs to; used for figures by region."),
    )
    phone = models.CharField(_("Phone"), max_length=40, blank=True)
    sort_order = models.PositiveIntegerField(_("Order"), default=0)
    is_active = models.BooleanField(_("Active"), default=True)

    objects = UnitQuerySet.as_manager()

    class Meta:
        verbose_name = _("Unit")
        verbose_name_plural = _("Units")
        ordering = ["path"]

    def __str__(self) -> str:
        return self.name

    @property
    def depth(self) -> int:
        return self.path.count("/") - 1

    def is_within(self, other: "Unit") -> bool:
        """True if this unit is `other` or below it."""
        return self.path.startswith(other.path)

    def clean(self) -> None:
        if self.parent_id is None:
            return
        if self.pk and self.parent_id == self.pk:
            raise ValidationError({"parent": _("A unit cannot be its own parent.")})
        if self.pk and self.parent.path.startswith(self._stored_path()):
            raise ValidationError({"parent": _("A unit cannot be moved below one of its own sub-units.")})
        if self.kind == UnitKind.WINDOW and self.parent.kind != UnitKind.SERVICE_HALL:
            raise ValidationError({"parent": _("A service window must belong to a government service hall.")})

    def _stored_path(self) -> str:
        return Unit.objects.filter(pk=self.pk).values_list("path", flat=True).first() or ""

    def save(self, *args, **kwargs) -> None:
        # The path is derived from the parent and the code; keeping it right here, and
        # for every descendant when it moves, is the invariant the scoping rule rests on.
        new_path = f"{self.parent.path if self.parent_id else '/'}{self.code}/"
        old_path = self._stored_path() if self.pk else ""
        self.path = new_path
        if "update_fields" in kwargs and kwargs["update_fields"] is not None:
            kwargs["update_fields"] = set(kwargs["update_fields"]) | {"path"}
        with transaction.atomic():
            super().save(*args, **kwargs)
            if old_path and old_path != new_path:
                Unit.objects.filter(path__startswith=old_path).exclude(pk=self.pk).update(
                    path=Concat(Value(new_path), Substr("path", len(old_path) + 1))
                )


class Role(models.TextChoices):
    INTAKE_AGENT = "intake_agent", _("Intake agent")
    DISPATCHER = "dispatcher", _("Dispatcher")
    HANDLER = "handler", _("Unit handler")
    UNIT_LEADER = "unit_leader", _("Unit leader")
    CALLBACK_AGENT = "callback_agent", _("Callback agent")
    SUPERVISOR = "supervisor", _("Supervisor")
    DISCIPLINE_INSPECTOR = "discipline_inspector", _("Discipline commission")
    ANALYST = "analyst", _("Leader")
    ADMINISTRATOR = "administrator", _("Administrator")


class User(AbstractUser):
    """A staff account. Every staff member belongs to one unit and has one role.

    Enterprises and residents do not log in: they track their cases with a query code.
    """

    full_name = models.CharField(_("Full name"), max_length=60, blank=True)
    unit = models.ForeignKey(
        Unit, verbose_name=_("Member of unit"), null=True, blank=True,
        on_delete=models.PROTECT, related_name="members",
    )
    role = models.CharField(_("Role"), max_length=32, choices=Role.choices, blank=True)
    phone = models.CharField(_("Work phone"), max_length=40, blank=True)

    class Meta:
        verbose_name = _("Staff member")
        verbose_name_plural = _("Staff")

    def __str__(self) -> str:
        return self.full_name or self.username

    def clean(self) -> None:
        super().clean()
        if self.role and self.unit_id is None:
            raise ValidationError({"unit": _("A staff member with a role must belong to a unit.")})

    def has_role(self, *roles: str) -> bool:
        return self.is_active and self.role in roles
