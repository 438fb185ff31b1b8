"""PROTOTYPE ONLY — the intake fixes proposed in docs/performance.md, as monkeypatches.

Nothing here is applied to src/: these patches replace private functions of
qinqing.cases.services, qinqing.cases.deadlines and qinqing.api.main in the process that
imports them, so the proposals can be measured before anyone changes the code (and they
will break when those functions change). Levels, each including the previous ones:

  cache_ref_data             category, unit, region, time-limit policy and calendar looked
                             up once per process (a real fix needs invalidation)
  +no_precheck_no_lastevent  no idempotency pre-check (the unique intake_key and the existing
                             IntegrityError fallback already answer a retry); a new case's
                             first event written with seq 1 and the genesis hash, no query
  +token_cache               API token -> user cached per process (a real fix needs expiry)
  +late_number               the case number taken last, just before COMMIT, so the row
                             lock on cases_casenumbersequence is held for two statements
                             instead of the whole intake

Used by ab_intake.py (in-process A/B) and wsgi_fixes.py (served by bench/server_load.py
--wsgi-app wsgi_fixes:application --pythonpath bench/prototype).
"""
import secrets

from django.db import IntegrityError, transaction
from django.utils import timezone

from qinqing.api import main as apimain
from qinqing.cases import confidential, deadlines, services
from qinqing.cases.models import Case, CaseEvent, Reporter, Stage
from qinqing.cases.models.ledger import GENESIS

ORIG = dict(cat=services._category, unit=services._unit, region=services._region_of,
            policy=deadlines.policy_for, cal=services.current_calendar,
            append=services._append,
            auth=apimain.TokenAuth.authenticate, create=services._create,
            create_case=services.create_case)
_cache: dict = {}


def _memo(key, fn):
    if key not in _cache:
        _cache[key] = fn()
    return _cache[key]


def p_category(code, errors):
    return _memo(("cat", code), lambda: ORIG["cat"](code, errors))


def p_unit(code, key, errors):
    return _memo(("unit", code, key), lambda: ORIG["unit"](code, key, errors))


def p_region(unit):
    return _memo(("region", unit.pk), lambda: ORIG["region"](unit))


def p_policy(kind, urgency):
    return _memo(("policy", kind, urgency), lambda: ORIG["policy"](kind, urgency))


def p_calendar():
    return _memo(("calendar",), ORIG["cal"])


def p_create_case(actor, data, *, idempotency_key="", now=None):
    """services.create_case without the pre-check: a retry hits the unique intake_key and
    the IntegrityError path (already there) returns the first case."""
    if actor is not None and not actor.has_role(*services.INTAKE_ROLES):
        return ORIG["create_case"](actor, data, idempotency_key=idempotency_key, now=now)
    fingerprint = services._fingerprint(data)
    intake_key = (f"{actor.pk if actor else 'public'}:{idempotency_key}"
                  if idempotency_key else None)
    fields = services._clean_intake(actor, data)
    try:
        with transaction.atomic():
            return services._create(actor, fields, intake_key, fingerprint,
                                    now or timezone.now())
    except IntegrityError:
        existing = intake_key and services._existing_intake(intake_key, fingerprint)
        if existing:
            return existing
        raise


def p_append(case, action, actor, now, from_state, to_state, *, reason="", data=None):
    if action != "create":
        return ORIG["append"](case, action, actor, now, from_state, to_state, reason=reason,
                              data=data)
    event = CaseEvent(case=case, seq=1, action=action, at=now, actor=actor,
                      actor_role=actor.role if actor else "",
                      actor_unit_id=actor.unit_id if actor else None, from_state=from_state,
                      to_state=to_state, reason=reason, data=data or {}, prev_hash=GENESIS)
    event.hash = event.compute_hash()
    event.save()
    return event


def p_authenticate(self, request, token):
    user = _memo(("token", token), lambda: ORIG["auth"](self, request, token))
    request.user = user
    return user


def p_create(actor, fields, intake_key, fingerprint, now):
    """services._create with the number taken last (a placeholder until then)."""
    reporter = fields.pop("reporter")
    code = confidential.new_query_code()
    case = Case.objects.create(
        number="T" + secrets.token_hex(9), query_code_enc=confidential.encrypt(code),
        query_code_hash="", received_at=now, created_by=actor, intake_key=intake_key,
        intake_fingerprint=fingerprint, **fields)
    if reporter:
        Reporter.objects.create(case=case, **services._encrypted_reporter(reporter))
    policy = services.deadlines.policy_for(case.kind, case.urgency)
    started = [services.deadlines.start(case, Stage.DISPATCH, policy,
                                        services.current_calendar(), now)]
    services._append(case, "create", actor, now, "", "received", data={
        "kind": case.kind, "channel": case.channel, "category": case.category.code,
        "region": case.region.code, "anonymous": case.is_anonymous,
        "clocks": {"started": started}})
    number = services._next_number(timezone.localtime(now).year)
    Case.objects.filter(pk=case.pk).update(
        number=number, query_code_hash=confidential.query_code_hash(number, code))
    case.number = number
    return services.Intake(case, code, created=True)


REF = dict(cat=p_category, unit=p_unit, region=p_region, policy=p_policy, cal=p_calendar)
NOQ = dict(REF, create_case=p_create_case, append=p_append)
TOK = dict(NOQ, auth=p_authenticate)
LATE = dict(TOK, create=p_create)
LEVELS = {"baseline": {}, "cache_ref_data": REF, "+no_precheck_no_lastevent": NOQ,
          "+token_cache": TOK, "+late_number": LATE}


def apply(patches=LATE) -> None:
    """Install one level's patches (an empty dict restores the originals)."""
    services._category = patches.get("cat", ORIG["cat"])
    services._unit = patches.get("unit", ORIG["unit"])
    services._region_of = patches.get("region", ORIG["region"])
    deadlines.policy_for = patches.get("policy", ORIG["policy"])
    services.current_calendar = patches.get("cal", ORIG["cal"])
    services.create_case = patches.get("create_case", ORIG["create_case"])
    services._append = patches.get("append", ORIG["append"])
    services._create = patches.get("create", ORIG["create"])
    apimain.TokenAuth.authenticate = patches.get("auth", ORIG["auth"])
