"""Template helpers of the oversight pages: the burn-down chart, the case page's panel."""

from __future__ import annotations

import re

from django import template
from django.urls import reverse
from django.utils.html import escape, format_html
from django.utils.safestring import mark_safe

from qinqing.oversight import queries

register = template.Library()


@register.filter
def case_links(text, cases):
    """The text (escaped, line breaks kept) with each number of `cases` in it linked to
    that case's page: a meeting's minutes and decisions name the cases they discuss."""
    numbers = {case.number for case in cases}
    html = escape(text or "")
    if numbers:
        pattern = re.compile("|".join(re.escape(n) for n in sorted(numbers, key=len,
                                                                     reverse=True)))
        html = pattern.sub(lambda m: format_html('<a href="{}">{}</a>', reverse(
            "cases:detail", args=[m.group(0)]), m.group(0)), html)
    return mark_safe(html.replace("\n", "<br>"))

WIDTH, HEIGHT = 720, 240
LEFT, RIGHT, TOP, BOTTOM = 44, 12, 20, 34


@register.inclusion_tag("oversight/burndown.html")
def burndown(progress):
    """A bar per day: the cases still unresolved at the end of that day. Server-drawn SVG
    (no script); the table beside it carries the same figures for screen readers."""
    days = progress.days
    peak = max([progress.total] + [d.remaining for d in days]) or 1
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    slot = plot_w / max(len(days), 1)
    gap = min(6.0, slot * 0.25)
    every = max(1, round(len(days) / 12))  # at most about a dozen date labels
    bars = []
    for i, day in enumerate(days):
        h = plot_h * day.remaining / peak
        x = LEFT + i * slot + gap / 2
        bars.append({"x": round(x, 1), "y": round(TOP + plot_h - h, 1),
                     "w": round(max(slot - gap, 1), 1), "h": round(h, 1),
                     "cx": round(x + (slot - gap) / 2, 1), "vy": round(TOP + plot_h - h - 4, 1),
                     "day": day,
                     "label": i % every == 0 or i == len(days) - 1,
                     "value": len(days) <= 31})
    return {"bars": bars, "width": WIDTH, "height": HEIGHT, "left": LEFT, "tick_x": LEFT - 6,
            "right": WIDTH - RIGHT, "top": TOP, "base": TOP + plot_h, "peak": peak,
            "mid": TOP + plot_h / 2, "half": peak / 2, "total": progress.total,
            "remaining": progress.remaining, "label_y": HEIGHT - 10}


@register.inclusion_tag("oversight/case_panel.html", takes_context=True)
def case_oversight(context, case):
    """Meetings, accountability records (never a name), campaigns and the inspection of
    a case, for the case page; nothing for roles without oversight pages."""
    from qinqing.oversight import services

    request = context.get("request")
    user = getattr(request, "user", None)
    panel = queries.case_panel(case, user) if user is not None else None
    return {"panel": panel, "case": case,
            "can_meet": panel is not None and user.role in services.MEETING_ROLES,
            "can_record": panel is not None and user.role in services.ACCOUNTABILITY_ROLES}
