from django.utils.functional import SimpleLazyObject

from qinqing.notifications import queries


def unread_notifications(request):
    """The header's badge: the signed-in person's unread count, one COUNT on the partial
    index of unread notices, and only when a template shows it."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated or request.path.startswith("/admin/"):
        return {}
    return {"unread_notifications": SimpleLazyObject(lambda: queries.unread_count(user))}
