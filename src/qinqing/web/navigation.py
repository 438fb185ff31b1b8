"""Which workbench pages each role's menu shows (the pages check permissions themselves)."""

from __future__ import annotations

from dataclasses import dataclass

from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from qinqing.org.models import Role


@dataclass(frozen=True)
class NavItem:
    url_name: str
    label: str
    roles: frozenset[str]

    @property
    def url(self) -> str:
        return reverse(self.url_name)


ALL = frozenset(Role.values)
NAV = [
    NavItem("web:home", _("My work"), ALL),
    NavItem("intake:new", _("New case"), frozenset({Role.INTAKE_AGENT, Role.DISPATCHER})),
    NavItem("cases:dispatch", _("Dispatch"), frozenset({Role.DISPATCHER})),
    NavItem("cases:inbox", _("Unit inbox"), frozenset({Role.HANDLER, Role.UNIT_LEADER})),
    NavItem("cases:callbacks", _("Callbacks"), frozenset({Role.CALLBACK_AGENT})),
    NavItem("supervision:board", _("Supervision"), frozenset({Role.SUPERVISOR, Role.DISPATCHER,
                                                       Role.DISCIPLINE_INSPECTOR, Role.ANALYST,
                                                       Role.ADMINISTRATOR})),
    NavItem("oversight:index", _("Oversight"), frozenset({
        Role.SUPERVISOR, Role.DISPATCHER, Role.HANDLER, Role.UNIT_LEADER,
        Role.DISCIPLINE_INSPECTOR, Role.ANALYST, Role.ADMINISTRATOR})),
    NavItem("insights:bulletin", _("Bulletins"), frozenset({
        Role.ANALYST, Role.SUPERVISOR, Role.ADMINISTRATOR, Role.DISPATCHER,
        Role.DISCIPLINE_INSPECTOR})),
    NavItem("insights:typical", _("Typical cases"), frozenset({
        Role.ANALYST, Role.SUPERVISOR, Role.ADMINISTRATOR})),
    NavItem("insights:dashboard", _("Dashboard"), frozenset({Role.ANALYST, Role.SUPERVISOR,
                                                        Role.ADMINISTRATOR})),
    NavItem("insights:ranking", _("Unit ranking"), frozenset({Role.ANALYST, Role.SUPERVISOR,
                                                          Role.ADMINISTRATOR,
                                                          Role.UNIT_LEADER})),
    NavItem("portal:posters", _("Window posters"), frozenset({Role.SUPERVISOR,
                                                             Role.ADMINISTRATOR})),
    NavItem("codes:manage", _("Supervision codes"), frozenset({Role.SUPERVISOR,
                                                               Role.ADMINISTRATOR})),
    NavItem("ratings:export", _("Ratings export"), frozenset({Role.SUPERVISOR,
                                                             Role.ADMINISTRATOR})),
    NavItem("portal:review-letters", _("Mailbox letters"), frozenset({Role.DISPATCHER,
                                                                     Role.ADMINISTRATOR})),
    NavItem("cases:search", _("Find cases"), ALL),
    NavItem("audit:unmask", _("Unmasking audit"), frozenset({Role.DISCIPLINE_INSPECTOR,
                                                            Role.ADMINISTRATOR})),
]
ADMIN = NavItem("admin:index", _("Administration"), ALL)


def items_for(user) -> list[NavItem]:
    """By role only: a superuser's account still has a role, and offering pages whose
    services refuse that role would only lead to "forbidden"."""
    if not user.is_authenticated:
        return []
    items = [item for item in NAV if user.role in item.roles]
    if user.is_staff:
        items.append(ADMIN)
    return items
