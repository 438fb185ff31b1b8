from qinqing.web.navigation import items_for


def navigation(request):
    """The menu of the signed-in person's role, and the page it is on."""
    user = getattr(request, "user", None)
    if user is None or request.path.startswith("/admin/"):
        return {}
    items = items_for(user)
    return {"nav_items": items, "nav_current": request.resolver_match.view_name
            if request.resolver_match else ""}
