from django import template

from qinqing.supervision import queries, services

register = template.Library()


@register.inclusion_tag("supervision/case_panel.html", takes_context=True)
def supervision_panel(context, case):
    """The case page's part about supervision: the open listing, the reminder letters,
    and the supervisor's form to list the case."""
    user = context["request"].user
    data = queries.case_supervision(case)
    return {**data, "case": case, "csrf_token": context.get("csrf_token"),
            "can_list": (user.is_active and user.role in services.LISTING_ROLES
                         and case.is_open and data["listing"] is None)}
