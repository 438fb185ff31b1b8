"""The assignment catalogue (派单目录): category × region → lead unit and co-units."""

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from qinqing.cases.models.case import Category
from qinqing.org.models import Unit


class AssignmentRule(models.Model):
    category = models.ForeignKey(Category, verbose_name=_("Category"), on_delete=models.PROTECT,
                                 related_name="assignment_rules")
    region = models.ForeignKey(
        Unit, verbose_name=_("Region"), null=True, blank=True, on_delete=models.PROTECT,
        related_name="+", help_text=_("Empty: any region without a rule of its own."),
    )
    lead_unit = models.ForeignKey(Unit, verbose_name=_("Lead unit"), on_delete=models.PROTECT,
                                  related_name="+")
    co_units = models.ManyToManyField(Unit, verbose_name=_("Co-units"), blank=True,
                                      related_name="+")
    basis = models.CharField(_("Basis"), max_length=200, blank=True,
                             help_text=_("The list of powers and duties this rule comes from."))
    is_active = models.BooleanField(_("Active"), default=True)

    class Meta:
        verbose_name = _("Assignment rule")
        verbose_name_plural = _("Assignment catalogue")
        constraints = [
            models.UniqueConstraint(fields=["category", "region"], condition=Q(is_active=True),
                                    name="one_active_rule_per_category_region"),
        ]

    def __str__(self) -> str:
        return f"{self.category} → {self.lead_unit}"
