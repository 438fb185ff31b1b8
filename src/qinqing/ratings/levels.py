"""The five levels of a rating, the reasons of a bad one, the channels: as GB/T 39046
codes them, with the explicit mapping for interfaces that number the other way.

GB/T 39046-2020 Annex A.8 codes 满意度 as 1 = 非常满意 (very satisfied) … 5 = 非常不满意
(very dissatisfied): 1 is the BEST end. Qinqing stores that number. Some provincial
upload interfaces (a Zhejiang one, for instance) number 1 = very dissatisfied … 5 = very
satisfied; `to_reversed` / `from_reversed` convert, and nothing else may compute 6 − n.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class Level(models.IntegerChoices):
    """GB/T 39046 满意度代码: 1 is very satisfied, 5 very dissatisfied."""

    VERY_SATISFIED = 1, _("Very satisfied")
    SATISFIED = 2, _("Satisfied")
    BASICALLY_SATISFIED = 3, _("Basically satisfied")
    DISSATISFIED = 4, _("Dissatisfied")
    VERY_DISSATISFIED = 5, _("Very dissatisfied")


# 差评 (国办发〔2019〕51号): dissatisfied and very dissatisfied.
BAD_LEVELS = frozenset({Level.DISSATISFIED, Level.VERY_DISSATISFIED})
FIRST_BAD = Level.DISSATISFIED


def is_bad(level: int) -> bool:
    return level >= FIRST_BAD


def to_reversed(level: int) -> int:
    """GB/T 39046 level → an interface's number where 1 is very dissatisfied, 5 very
    satisfied."""
    return 6 - Level(level).value  # Level() refuses anything but 1..5


def from_reversed(number: int) -> Level:
    """An interface's number where 1 is very dissatisfied, 5 very satisfied → Level."""
    if number not in (1, 2, 3, 4, 5):
        raise ValueError(f"a rating is numbered 1 to 5, not {number!r}")
    return Level(6 - number)


class Reason(models.TextChoices):
    """What a bad rating is about: the 差评 classes of the Anhui halls (办件 / 事项 /
    窗口人员 / 大厅网站)."""

    MATTER = "matter", _("The matter I came for")
    SERVICE_ITEM = "service_item", _("The service item (its rules, papers, time limits)")
    STAFF = "staff", _("The staff member")
    HALL_OR_WEBSITE = "hall_or_website", _("The hall or the website")


class Channel(models.TextChoices):
    """评价渠道. Only SCAN is used so far (issue 17 §2); the others are GB/T 39046's."""

    WEB = "web", _("Website")
    MOBILE = "mobile", _("Mobile app")
    SCAN = "scan", _("QR code scan")
    HALL_TABLET = "hall_tablet", _("Hall tablet")
    HALL_TERMINAL = "hall_terminal", _("Other hall terminal")
    PHONE = "phone", _("Phone")
    SMS_LINK = "sms_link", _("SMS link")


# The 评价渠道 codes of the provincial interfaces (field `pf`), for exports.
GBT_CHANNEL = {Channel.WEB: 1, Channel.MOBILE: 2, Channel.SCAN: 3, Channel.HALL_TABLET: 4,
               Channel.HALL_TERMINAL: 5, Channel.PHONE: 6, Channel.SMS_LINK: 7}


class Round(models.IntegerChoices):
    """评价次数: the first rating, or the rating of the fix (ratings/followup.py)."""

    FIRST = 1, _("First rating")
    FOLLOW_UP = 2, _("Follow-up rating")


class Status(models.TextChoices):
    """Whether a rating counts: an answering unit's appeal (申诉复核) puts it under appeal;
    an upheld appeal marks it invalid (never deleted), a rejected one valid again."""

    VALID = "valid", _("Valid")
    UNDER_APPEAL = "under_appeal", _("Under appeal")
    INVALID = "invalid", _("Invalid")
