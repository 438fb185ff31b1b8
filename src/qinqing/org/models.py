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
    CITY_GOVERNMENT = "city_government", _("市人民政府")
    COUNTY = "county", _("县（市、区）")
    DEPARTMENT = "department", _("职能部门")
    DISCIPLINE_COMMISSION = "discipline_commission", _("纪委监委")
    DEVELOPMENT_ZONE = "development_zone", _("开发区")
    SERVICE_HALL = "service_hall", _("政务服务大厅")
    WINDOW = "window", _("服务窗口")


# Kinds that stand for a place (a region a case can belong to).
REGION_KINDS = (UnitKind.CITY_GOVERNMENT, UnitKind.COUNTY, UnitKind.DEVELOPMENT_ZONE)

unit_code_validator = RegexValidator(
    r"^[0-9A-Za-z_-]{1,32}$",
    _("编码只能包含字母、数字、下划线和连字符，最长 32 位。"),
)


class UnitQuerySet(models.QuerySet):
    def subtree(self, unit: "Unit") -> "UnitQuerySet":
        """The unit and every unit below it."""
        return self.filter(path__startswith=unit.path)

    def active(self) -> "UnitQuerySet":
        return self.filter(is_active=True)


class Unit(models.Model):
    code = models.CharField(
        _("编码"), max_length=32, unique=True, validators=[unit_code_validator],
        help_text=_("单位的唯一编码，如统一社会信用代码或行政区划代码。"),
    )
    name = models.CharField(_("名称"), max_length=100)
    short_name = models.CharField(_("简称"), max_length=40, blank=True)
    kind = models.CharField(_("类型"), max_length=32, choices=UnitKind.choices)
    parent = models.ForeignKey(
        "self", verbose_name=_("上级单位"), null=True, blank=True,
        on_delete=models.PROTECT, related_name="children",
    )
    path = models.CharField(_("路径"), max_length=700, editable=False, blank=True, db_index=True)
    region_code = models.CharField(
        _("行政区划代码"), max_length=12, blank=True,
        help_text=_("单位所在的县（市、区）或市的区划代码，用于按地区统计。"),
    )
    phone = models.CharField(_("联系电话"), max_length=40, blank=True)
    sort_order = models.PositiveIntegerField(_("排序"), default=0)
    is_active = models.BooleanField(_("启用"), default=True)

    objects = UnitQuerySet.as_manager()

    class Meta:
        verbose_name = _("单位")
        verbose_name_plural = _("单位")
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
            raise ValidationError({"parent": _("单位不能以自己为上级。")})
        if self.pk and self.parent.path.startswith(self._stored_path()):
            raise ValidationError({"parent": _("不能把单位移到它自己的下级单位之下。")})
        if self.kind == UnitKind.WINDOW and self.parent.kind != UnitKind.SERVICE_HALL:
            raise ValidationError({"parent": _("服务窗口必须隶属于政务服务大厅。")})

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
    INTAKE_AGENT = "intake_agent", _("受理员")
    DISPATCHER = "dispatcher", _("派单员")
    HANDLER = "handler", _("承办人")
    UNIT_LEADER = "unit_leader", _("单位负责人")
    CALLBACK_AGENT = "callback_agent", _("回访员")
    SUPERVISOR = "supervisor", _("督查")
    DISCIPLINE_INSPECTOR = "discipline_inspector", _("纪委监委")
    ANALYST = "analyst", _("领导")
    ADMINISTRATOR = "administrator", _("管理员")


class User(AbstractUser):
    """A staff account. Every staff member belongs to one unit and has one role.

    Enterprises and residents do not log in: they track their cases with a query code.
    """

    full_name = models.CharField(_("姓名"), max_length=60, blank=True)
    unit = models.ForeignKey(
        Unit, verbose_name=_("所属单位"), null=True, blank=True,
        on_delete=models.PROTECT, related_name="members",
    )
    role = models.CharField(_("角色"), max_length=32, choices=Role.choices, blank=True)
    phone = models.CharField(_("工作电话"), max_length=40, blank=True)

    class Meta:
        verbose_name = _("工作人员")
        verbose_name_plural = _("工作人员")

    def __str__(self) -> str:
        return self.full_name or self.username

    def clean(self) -> None:
        super().clean()
        if self.role and self.unit_id is None:
            raise ValidationError({"unit": _("有角色的工作人员必须属于一个单位。")})

    def has_role(self, *roles: str) -> bool:
        return self.is_active and self.role in roles
