from qinqing.worktime.queries import current_calendar, missing_year_warning, missing_years


def calendar_warnings(request):
    """Warn administrators, on admin pages, about years with no holiday data."""
    if not request.path.startswith("/admin/") or not getattr(request, "user", None):
        return {}
    if not request.user.is_authenticated or not request.user.is_staff:
        return {}
    return {"calendar_warnings": [missing_year_warning(y) for y in missing_years(current_calendar())]}
