"""The ratings of a period in GB/T 39046's layout, as an Excel file (issue 17 §3):
`qinqing ratings export` and the managers' download (/ratings/export/).

Columns: first the nine fields of GB/T 39046-2020 Table 9 in its order — 办件编号,
评价渠道, 评价人, 评价时间 (YYYYMMDDThhmmss), 评价次数, 满意度, 满意度代码, 文字评价,
行政区划 — then what the provincial interfaces add and Qinqing keeps: 事项编码/名称,
评价对象, 受理部门 (the unit answering), 差评原因, 整改办件编号, 默认评价 (是/否).

- 满意度代码 as GB/T 39046 Annex A.8 numbers it (1 = 非常满意); `reversed_levels` writes
  levels.to_reversed (1 = 非常不满意) for interfaces numbering the other way, and says so
  in the column's header.
- 评价渠道 is the interface code (levels.GBT_CHANNEL: 二维码 = 3, 短信 = 7).
- 评价人: the phone masked (138****5678), blank for an anonymous rater; whole numbers
  only with `full_phones`, which only the command line offers. Names are not exported.
- A default rating is flagged in 默认评价: counted apart from the real ones.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from io import BytesIO
from typing import BinaryIO

from django.conf import settings
from django.utils import timezone, translation
from openpyxl import Workbook

from qinqing import xlsx
from qinqing.cases import confidential
from qinqing.ratings.levels import GBT_CHANNEL, Level, Reason, to_reversed
from qinqing.ratings.models import Rating

HEADERS = ("办件编号", "评价渠道", "评价人", "评价时间", "评价次数", "满意度", "满意度代码",
           "文字评价", "行政区划", "事项编码/名称", "评价对象", "受理部门", "差评原因",
           "整改办件编号", "默认评价")
REVERSED_HEADER = "满意度代码（1=非常不满意）"
MAX_DAYS = 366  # one export covers at most a year


@dataclass(frozen=True)
class Period:
    start: date
    end: date  # inclusive

    def bounds(self) -> tuple[datetime, datetime]:
        return (timezone.make_aware(datetime.combine(self.start, time.min)),
                timezone.make_aware(datetime.combine(self.end + timedelta(days=1), time.min)))


def period(start: date, end: date) -> Period:
    """The period, checked: ValueError (in Chinese, for the page and the command)."""
    if end < start:
        raise ValueError("结束日期不能早于开始日期。")
    if (end - start).days >= MAX_DAYS:
        raise ValueError(f"一次最多导出 {MAX_DAYS} 天的评价。")
    return Period(start, end)


def ratings(span: Period, units=None):
    """The ratings of the period (by 评价时间), oldest first; within `units` (the unit
    answering) when given."""
    low, high = span.bounds()
    rows = (Rating.objects.select_related("rated_case", "unit", "staff", "enterprise",
                                          "answerable_unit", "region", "case")
            .filter(rated_at__gte=low, rated_at__lt=high).order_by("rated_at", "pk"))
    if units is not None:
        rows = rows.filter(answerable_unit__in=units)
    return rows


def row(rating: Rating, *, reversed_levels: bool = False, full_phones: bool = False) -> list:
    phone = confidential.decrypt(rating.rater_phone_enc) if rating.rater_phone_enc else ""
    rater = phone if full_phones else confidential.mask_phone(phone) if phone else ""
    at = timezone.localtime(rating.rated_at)
    return [
        rating.rated_case.number if rating.rated_case_id else "",
        GBT_CHANNEL[rating.channel],
        rater,
        f"{at:%Y%m%dT%H%M%S}",
        rating.round,
        str(Level(rating.level).label),
        to_reversed(rating.level) if reversed_levels else rating.level,
        rating.text,
        rating.region.code,
        rating.service_item,
        _object(rating),
        rating.answerable_unit.name,
        str(Reason(rating.reason).label) if rating.reason else "",
        rating.case.number if rating.case_id else "",
        "是" if rating.is_default else "否",
    ]


def _object(rating: Rating) -> str:
    if rating.rated_case_id:
        return f"办件 {rating.rated_case.number}"
    if rating.unit_id:
        return rating.unit.name
    if rating.staff_id:
        return rating.staff.get_full_name() or rating.staff.username
    return rating.enterprise.name


def write(out: BinaryIO, span: Period, *, units=None, reversed_levels: bool = False,
          full_phones: bool = False) -> int:
    """Write the period's ratings to `out` as .xlsx; return how many rows."""
    book = Workbook()  # not write-only: xlsx.append builds its own cells
    sheet = book.active
    sheet.title = "评价"
    headers = list(HEADERS)
    if reversed_levels:
        headers[6] = REVERSED_HEADER
    sheet.append(headers)
    count = 0
    with translation.override(settings.LANGUAGE_CODE):  # 满意度, 差评原因 as the site reads
        for rating in ratings(span, units).iterator(chunk_size=1000):
            xlsx.append(sheet, row(rating, reversed_levels=reversed_levels,
                                   full_phones=full_phones))
            count += 1
    book.save(out)
    return count


def as_bytes(span: Period, **kwargs) -> bytes:
    buffer = BytesIO()
    write(buffer, span, **kwargs)
    return buffer.getvalue()
