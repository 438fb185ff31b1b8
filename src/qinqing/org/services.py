"""Writes to the organisation: units and staff accounts.

The admin edits master data through the models' own invariants (Unit.save keeps the
path); code that builds or imports an organisation comes through here.
"""

from __future__ import annotations

from django.db import transaction

from qinqing.org.models import Role, Unit, UnitKind, User


def ensure_unit(
    *, code: str, name: str, kind: UnitKind, parent: Unit | None = None,
    region_code: str = "", short_name: str = "", sort_order: int = 0,
) -> Unit:
    """Create the unit with this code, or bring an existing one up to date."""
    unit = Unit.objects.filter(code=code).first() or Unit(code=code)
    unit.name = name
    unit.short_name = short_name
    unit.kind = kind
    unit.parent = parent
    unit.region_code = region_code or (parent.region_code if parent else "")
    unit.sort_order = sort_order
    unit.full_clean()
    unit.save()
    return unit


@transaction.atomic
def ensure_staff(
    *, username: str, full_name: str, unit: Unit, role: Role, password: str,
    superuser: bool = False,
) -> tuple[User, bool]:
    """Create a staff account, or update its unit and role. Returns (user, created).

    An existing account keeps its password: re-running the demo must not undo a
    password someone changed.
    """
    user = User.objects.filter(username=username).first()
    created = user is None
    if created:
        user = User(username=username)
        user.set_password(password)
    user.full_name = full_name
    user.unit = unit
    user.role = role
    # The Django admin is where administrators keep master data.
    user.is_staff = role == Role.ADMINISTRATOR or superuser
    user.is_superuser = superuser
    user.save()
    return user, created


def ensure_system_account(username: str, full_name: str, role: Role) -> User | None:
    """An account the platform acts under (history imports, online judgements): at the
    top unit, active, with no usable password (nobody signs in as it); the timeline names
    it. Made the first time, put right if its role or unit changed. None before any
    organisation exists."""
    import secrets

    top = Unit.objects.filter(parent=None).order_by("pk").first()
    if top is None:
        return None
    user = User.objects.select_related("unit").filter(username=username).first()
    if user is None or user.role != role or user.unit_id != top.pk or not user.is_active:
        user, created = ensure_staff(username=username, full_name=full_name, unit=top,
                                     role=role, password=secrets.token_urlsafe(32))
        if created:
            user.set_unusable_password()
        user.is_active = True
        user.save(update_fields=["password", "is_active"])
        user = User.objects.select_related("unit").get(pk=user.pk)
    return user
