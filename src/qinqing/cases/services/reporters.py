"""Who filed a case: unmasking with a reason, the discipline commission's corrections
of a report of misconduct, and the rotation of the encryption keys."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from qinqing.cases import access, confidential, timeline
from qinqing.cases.errors import Forbidden, InvalidInput, NotAllowedInState, NotFound
from qinqing.cases.models import Case, Kind, Reporter, State, UnmaskLog
from qinqing.cases.services.intake import _unit, _values
from qinqing.cases.services.handlers import _protect_reporters
from qinqing.org.models import User


def unmask_reporters(case_number: str, actor: User, reason: str) -> list[dict]:
    """Decrypt a case's reporters for an allowed role, with a reason, logged."""
    from qinqing.cases.queries import visible_cases

    reason = (reason or "").strip()
    if not reason:
        raise InvalidInput(_("Some fields need correcting."),
                           fields={"reason": _("Say why you need to see the reporter.")})
    with transaction.atomic():
        case = (visible_cases(actor).filter(number=case_number)
                .select_related("lead_unit", "subject_unit").first())
        if case is None:
            raise NotFound(_("No case %(number)s.") % {"number": case_number})
        # Only the reporters this actor may reveal (qinqing.cases.access): a protected
        # reporter merged into a complaint stays hidden from the complaint's handlers.
        reporters = [r for r in case.reporters.order_by("pk")
                     if access.may_unmask_reporter(actor, case, r)]
        if not reporters:
            raise Forbidden(_("Your role may not see who filed this case."))
        now = timezone.now()
        UnmaskLog.objects.bulk_create(
            UnmaskLog(reporter=r, case=case, user=actor, reason=reason, at=now) for r in reporters)
        timeline.append(case, "unmask", actor, now, case.state, case.state, reason=reason,
                        data={"reporters": [r.pk for r in reporters]})
    return [{"id": r.pk, "name": confidential.decrypt(r.name_enc),
             "phone": confidential.decrypt(r.phone_enc),
             "id_number": confidential.decrypt(r.id_number_enc),
             "contact": confidential.decrypt(r.contact_enc),
             "enterprise": confidential.decrypt(r.enterprise_enc),
             "merged_from": r.merged_from_id and r.merged_from.number} for r in reporters]


def reclassify_report(case_number: str, actor: User, *, reason: str, kind: str | None = None,
                      subject_unit: str | None = None, clear_subject: bool = False) -> Case:
    """The discipline commission changes a protected case's kind or accused unit, with a
    reason, on the timeline. Its reporters stay protected whatever the new kind: the
    protection belongs to the reporter (qinqing.cases.access). A new accused unit may not
    be one that already holds the case."""
    from qinqing.cases.queries import visible_cases

    if not access.may_reclassify(actor):
        raise Forbidden(_("Only the discipline commission may change the kind or the accused "
                          "unit of a report of misconduct."), code="protected_reporter")
    reason = (reason or "").strip()
    errors = {}
    if not reason:
        errors["reason"] = _("This field is required.")
    if kind is not None and kind not in _values(Kind):
        errors["kind"] = _("Choose one of: %(values)s.") % {"values": ", ".join(Kind.values)}
    unit = _unit(subject_unit, "subject_unit", errors) if subject_unit else None
    if kind is None and unit is None and not clear_subject:
        errors["kind"] = _("Give a new kind or accused unit.")
    if errors:
        raise InvalidInput(_("Some fields need correcting."), fields=errors)
    now = timezone.now()
    with transaction.atomic():
        case = (visible_cases(actor).select_for_update(of=("self",))
                .select_related("lead_unit", "subject_unit").filter(number=case_number).first())
        if case is None:
            raise NotFound(_("No case %(number)s.") % {"number": case_number})
        if not access.is_protected(case):
            raise NotAllowedInState(_("This case is not a report of misconduct."),
                                    code="not_protected")
        if case.state == State.CLOSED:
            raise NotAllowedInState(_("A closed case cannot be changed."), code="closed")
        changes = {}
        if kind is not None and kind != case.kind:
            changes["kind"] = {"from": case.kind, "to": kind}
            case.kind = kind
        if (unit is not None or clear_subject) and unit != case.subject_unit:
            changes["subject_unit"] = {"from": case.subject_unit and case.subject_unit.code,
                                       "to": unit and unit.code}
            case.subject_unit = unit
            if unit is not None:
                # The reporters of this report now protect against the corrected unit;
                # clearing it keeps the unit they named (a protection is never lost).
                Reporter.objects.filter(case=case, protected=True,
                                        merged_from__isnull=True).update(accused_unit=unit)
        if case.kind == Kind.REPORT:
            _protect_reporters(case)
        holders = [u for u in [case.lead_unit, *case.co_units.all()] if u is not None]
        access.check_routing(case, holders, "subject_unit")
        case.save()
        timeline.append(case, "reclassify", actor, now, case.state, case.state,
                        reason=reason, data={"changes": changes})
    return case


def rotate_keys(batch: int = 500) -> dict[str, int]:
    """Re-encrypt every encrypted column of every app with the newest key.

    The columns are found by field type (qinqing.crypto_fields.encrypted_columns), so
    a personal column declared as an EncryptedTextField is rotated without anyone
    remembering to add it here; afterwards the older keys can be dropped. Each batch
    is one transaction with its rows locked, so a concurrent edit is not overwritten
    with an older value. Returns rows rewritten per model label.
    """
    from qinqing.crypto_fields import encrypted_columns

    done: dict[str, int] = {}
    for model, fields in encrypted_columns():
        count, last_pk = 0, None
        while True:
            with transaction.atomic():
                rows = model._default_manager.select_for_update().order_by("pk")
                if last_pk is not None:
                    rows = rows.filter(pk__gt=last_pk)
                rows = list(rows.only("pk", *fields)[:batch])
                if not rows:
                    break
                for row in rows:
                    for name in fields:
                        setattr(row, name, confidential.rotate(getattr(row, name)))
                model._default_manager.bulk_update(rows, fields)
                count += len(rows)
                last_pk = rows[-1].pk
        done[model._meta.label] = count
    return done
