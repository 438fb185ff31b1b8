"""One record of a history file → the case it describes and its moves, or the reasons why not.

`plan(record, masters, now)` returns a CasePlan (what cases.services.create_case receives
and each move for cases.services.perform, with its moment and the role that makes it) or
raises RowError with every problem of the row. It reads no table itself: master data
comes from `Masters`, a per-run cache. The moves are checked against the transition table
(their states, and the conditions the services add: a direct answer only for a
consultation, a request only when none is pending and the policy's cap allows it, a
reply not while suspended, an upheld objection cannot be returned again, a report never
routed to the unit it accuses), so a file that passes validation loads without a refusal.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime
from zoneinfo import ZoneInfo

from django.utils import translation
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _

from qinqing import limits
from qinqing.cases import confidential, deadlines
from qinqing.cases.models import Category, ChangeRequest, Kind, Outcome, State, Urgency
from qinqing.cases.models.case import Channel, Satisfaction
from qinqing.cases.queries import propose_assignment
from qinqing.cases.transitions import TABLE
from qinqing.imports.reading import COLUMNS
from qinqing.org.models import REGION_KINDS, Role, Unit
from qinqing.text import has_control
from qinqing.worktime.limits import LimitFormatError, parse_limit

SHANGHAI = ZoneInfo("Asia/Shanghai")
EXTERNAL_ID = 100  # characters; the key is kept in Case.intake_key (200) with a prefix
# What a routing that departs from the catalogue records when the file gives no reason:
# the platform asks for one, and the truth is that the previous system routed it so.
ROUTED_AS_RECORDED = "按原系统派单记录导入"
# Moves a history may contain. Not `edit` (a file gives the final fields) nor `merge`
# (it names another case of the platform, which a file cannot know before it is loaded).
MOVES = ("answer", "not_accept", "reject", "dispatch", "redispatch", "sign", "return",
         "request_extension", "approve_extension", "deny_extension", "request_suspension",
         "approve_suspension", "deny_suspension", "resume", "reply", "review", "send_back",
         "callback", "close_unrated", "reopen")
# Outcomes of the one-row format that end a case without routing it, and their move.
SHORT_LIVES = {Outcome.DIRECT_ANSWER: "answer", Outcome.REJECTED: "reject",
               Outcome.NOT_ACCEPTED: "not_accept"}
UNRATED = "unrated"  # closed after review without a callback (close_unrated)
_STEP_FIELDS = ("dispatched_at", "lead_unit", "co_units", "signed_at", "replied_at",
                "reviewed_at", "called_back_at", "satisfaction")


class RowError(Exception):
    def __init__(self, reasons: list[str]):
        super().__init__("; ".join(reasons))
        self.reasons = reasons


@dataclass
class Step:
    action: str
    at: datetime
    role: str  # which import account makes it: Role.DISPATCHER, HANDLER or CALLBACK_AGENT
    payload: dict


@dataclass
class CasePlan:
    row: int
    external_id: str
    data: dict  # for services.create_case
    received_at: datetime
    steps: list[Step] = field(default_factory=list)


class Masters:
    """Categories, units, catalogue proposals and policies, read once per run."""

    def __init__(self, proposals: dict | None = None):
        self.categories = {c.code: c for c in Category.objects.filter(is_active=True)}
        self.units = {u.code: u for u in Unit.objects.filter(is_active=True)}
        # (category code, region code) -> the proposed lead unit's code; may be shared by
        # the validation and the load of one import
        self._proposals: dict = {} if proposals is None else proposals
        self._choices: dict = {}

    def proposal(self, category: str, region: str) -> str | None:
        key = (category, region)
        if key not in self._proposals:
            rule = propose_assignment(self.categories[category], self.units.get(region))
            self._proposals[key] = rule.lead_unit.code if rule else None
        return self._proposals[key]

    def choice(self, choices, value) -> str | None:
        """A choice given as its code, or its label in Chinese or English."""
        if choices not in self._choices:
            accepted = {}
            for code, label in choices.choices:
                accepted[code] = code
                for language in ("zh-hans", "en"):
                    with translation.override(language):
                        accepted[str(label).strip().lower()] = code
            if choices is Outcome:
                accepted.update({UNRATED: UNRATED, "未回访办结": UNRATED,
                                 "closed unrated": UNRATED})
            self._choices[choices] = accepted
        return self._choices[choices].get(str(value).strip().lower())


# The Chinese names of a JSON lines step's keys (the columns' are their Excel headers).
_STEP_KEYS = {"at": "时间", "action": "步骤", "reason": "说明", "told": "告知内容",
              "note": "回访说明", "limit": "延期时限", "steps": "步骤列表"}


def _label(key: str) -> str:
    """A column's name in the reader's language: in Chinese its documented Excel header
    (the header the reader's file has), otherwise the English key."""
    if not (translation.get_language() or "").startswith("zh"):
        return key
    return COLUMNS[key][0] if key in COLUMNS else _STEP_KEYS.get(key, key)


def _role_of(action: str) -> str:
    roles = TABLE[action].roles
    if Role.DISPATCHER in roles:
        return Role.DISPATCHER
    return Role.HANDLER if Role.HANDLER in roles else Role.CALLBACK_AGENT


class _Row:
    """The checks of one record, collecting every problem before giving up."""

    def __init__(self, record: dict, masters: Masters, now: datetime):
        self.record, self.masters, self.now = record, masters, now
        self.reasons: list[str] = []

    def fail(self, reason: str) -> None:
        self.reasons.append(reason)

    def text(self, key: str, limit: int, *, required: bool = False, source=None) -> str:
        raw = (source if source is not None else self.record).get(key)
        value = "" if raw is None else str(raw).strip()
        if isinstance(raw, (dict, list)):
            self.fail(_("%(field)s: give a text") % {"field": _label(key)})
            return ""
        if required and not value:
            self.fail(_("%(field)s: required") % {"field": _label(key)})
        elif len(value) > limit:
            self.fail(_("%(field)s: at most %(n)s characters, this one has %(has)s")
                      % {"field": _label(key), "n": limit, "has": len(value)})
        elif has_control(value):
            self.fail(_("%(field)s: contains control characters") % {"field": _label(key)})
        return value.replace("\r\n", "\n")

    def choice(self, key: str, choices, *, required: bool = True, source=None) -> str:
        raw = (source if source is not None else self.record).get(key)
        if raw in (None, ""):
            if required:
                self.fail(_("%(field)s: required") % {"field": _label(key)})
            return ""
        code = self.masters.choice(choices, raw)
        if code is None:
            self.fail(_("%(field)s: unknown value %(value)s") % {"field": _label(key), "value": raw})
            return ""
        return code

    def moment(self, key: str, *, required: bool = False, source=None) -> datetime | None:
        raw = (source if source is not None else self.record).get(key)
        if raw in (None, ""):
            if required:
                self.fail(_("%(field)s: required") % {"field": _label(key)})
            return None
        value = None
        if isinstance(raw, datetime):
            value = raw
        elif isinstance(raw, str):
            try:
                value = parse_datetime(raw.strip().replace("/", "-"))
            except ValueError:
                value = None
        if value is None or (isinstance(raw, date) and not isinstance(raw, datetime)):
            self.fail(_("%(field)s: not a date and time (%(value)s); write 2024-03-05 14:30")
                      % {"field": _label(key), "value": raw})
            return None
        if value.tzinfo is None:
            value = value.replace(tzinfo=SHANGHAI)  # the platform's local time
        if value > self.now:
            self.fail(_("%(field)s: in the future (%(value)s)") % {"field": _label(key), "value": raw})
        return value

    def unit(self, key: str, code, *, region: bool = False) -> Unit | None:
        if code in (None, ""):
            return None
        unit = self.masters.units.get(str(code).strip())
        if unit is None:
            self.fail(_("%(field)s: unknown unit code %(code)s") % {"field": _label(key), "code": code})
        elif region and unit.kind not in REGION_KINDS:
            self.fail(_("%(field)s: %(code)s is not a region (the city, a county or a "
                        "development zone)") % {"field": _label(key), "code": code})
        return unit


def plan(row: int, record: dict, masters: Masters, now: datetime) -> CasePlan:
    if "_error" in record:
        raise RowError([record["_error"]])
    r = _Row(record, masters, now)
    external_id = r.text("external_id", EXTERNAL_ID, required=True)
    kind = r.choice("kind", Kind)
    channel = r.choice("channel", Channel)
    urgency = r.choice("urgency", Urgency, required=False) or Urgency.NORMAL
    category = str(record.get("category") or "").strip().upper()
    if not category:
        r.fail(_("%(field)s: required") % {"field": _label("category")})
    elif category not in masters.categories:
        r.fail(_("category: unknown category code %(code)s") % {"code": category})
    region = r.unit("region", record.get("region"), region=True)
    subject = r.unit("subject_unit", record.get("subject_unit"))
    data = {"kind": kind, "channel": channel, "urgency": urgency, "category": category,
            "title": r.text("title", limits.TITLE),
            "content": r.text("content", limits.content_chars(), required=True),
            "enterprise_name": r.text("enterprise_name", limits.ENTERPRISE)}
    if region is not None:
        data["region"] = region.code
    if subject is not None:
        data["subject_unit"] = subject.code
    name = r.text("reporter_name", limits.PERSON_NAME)
    phone = r.text("reporter_phone", limits.PHONE)
    if phone and not 7 <= len(confidential.normalise_phone(phone)) <= 15:
        r.fail(_("reporter_phone: give a phone number of 7 to 15 digits"))
    if name or phone:
        data["reporter"] = {"name": name, "phone": phone}
    else:
        data["anonymous"] = True
    received_at = r.moment("received_at", required=True)
    if "steps" in record:
        steps = _listed_steps(r, record["steps"])
    else:
        steps = _row_steps(r)
    if not r.reasons:
        _check_life(r, data, region, subject, received_at, steps)
    if r.reasons:
        raise RowError(r.reasons)
    return CasePlan(row, external_id, data, received_at, steps)


def _row_steps(r: _Row) -> list[Step]:
    """The steps of the one-row format: a normal life, or a short one (see the docs)."""
    record, steps = r.record, []
    outcome = r.choice("outcome", Outcome, required=False)
    closed_at = r.moment("closed_at")
    answer = r.text("answer", limits.content_chars())
    if outcome in SHORT_LIVES:
        given = [k for k in _STEP_FIELDS if record.get(k) not in (None, "")]
        if given:
            r.fail(_("outcome %(outcome)s ends the case at intake: leave %(fields)s empty")
                   % {"outcome": outcome, "fields": ", ".join(given)})
        if closed_at is None:
            r.fail(_("%(field)s: required") % {"field": _label("closed_at")})
        action = SHORT_LIVES[outcome]
        reason = r.text("close_reason", limits.NOTE)
        payload = ({"answer": answer} if action == "answer" else {"reason": reason}
                   if action == "reject" else {"reason": reason, "told": answer})
        steps.append(Step(action, closed_at, _role_of(action), payload))
        return steps
    dispatched_at = r.moment("dispatched_at")
    if dispatched_at is not None:
        payload = {"lead_unit": str(record.get("lead_unit") or "").strip(),
                   "co_units": _codes(record.get("co_units"))}
        reason = r.text("dispatch_reason", limits.NOTE)
        if reason:
            payload["reason"] = reason
        steps.append(Step("dispatch", dispatched_at, Role.DISPATCHER, payload))
    elif record.get("lead_unit"):
        r.fail(_("%(field)s: required") % {"field": _label("dispatched_at")})
    for key, action, payload in (("signed_at", "sign", {}),
                                 ("replied_at", "reply", {"answer": answer}),
                                 ("reviewed_at", "review", {})):
        at = r.moment(key)
        if at is not None:
            steps.append(Step(action, at, _role_of(action), payload))
    called_back_at = r.moment("called_back_at")
    note = r.text("callback_note", limits.NOTE)
    if called_back_at is not None:
        satisfaction = r.choice("satisfaction", Satisfaction)
        if satisfaction == Satisfaction.DISSATISFIED:
            steps.append(Step("reopen", called_back_at, Role.CALLBACK_AGENT,
                              {"satisfaction": satisfaction, "reason": note}))
        else:
            steps.append(Step("callback", called_back_at, Role.CALLBACK_AGENT,
                              {"satisfaction": satisfaction, "note": note}))
        if outcome == UNRATED:
            r.fail(_("outcome unrated means no callback: leave called_back_at empty"))
        if closed_at is not None and closed_at != called_back_at:
            r.fail(_("closed_at: a case called back satisfied closes at called_back_at"))
    elif outcome == UNRATED:
        if closed_at is None:
            r.fail(_("%(field)s: required") % {"field": _label("closed_at")})
        steps.append(Step("close_unrated", closed_at, Role.CALLBACK_AGENT,
                          {"reason": r.text("close_reason", limits.NOTE)}))
    elif closed_at is not None or outcome:
        r.fail(_("closed_at/outcome: a routed case closes by its callback "
                 "(called_back_at) or as unrated"))
    elif record.get("satisfaction"):
        r.fail(_("%(field)s: required") % {"field": _label("called_back_at")})
    return steps


def _codes(value) -> list[str]:
    """Co-unit codes: a JSON list, or a cell with codes separated by , ， 、 ; or ；."""
    if isinstance(value, list):
        return [str(c).strip() for c in value if str(c).strip()]
    return [c.strip() for c in re.split(r"[,，、;；]", str(value or "")) if c.strip()]


def _listed_steps(r: _Row, listed) -> list[Step]:
    """The steps of a JSON lines record's "steps" list, in order."""
    given = [k for k in (*_STEP_FIELDS, "closed_at", "outcome") if r.record.get(k)]
    if given:
        r.fail(_("give the steps either as a steps list or as columns, not both (%(fields)s)")
               % {"fields": ", ".join(given)})
    if not isinstance(listed, list):
        r.fail(_("steps: give a list"))
        return []
    steps = []
    for i, item in enumerate(listed, start=1):
        where = _("step %(n)s") % {"n": i}
        if not isinstance(item, dict):
            r.fail(_("%(where)s: give an object") % {"where": where})
            continue
        action = item.get("action")
        if action not in MOVES:
            r.fail(_("%(where)s: unknown action %(action)s") % {"where": where, "action": action})
            continue
        at = r.moment("at", required=True, source=item)
        payload = {}
        for key, limit in (("reason", limits.NOTE), ("told", limits.NOTE), ("note", limits.NOTE),
                           ("answer", limits.content_chars()), ("limit", 20),
                           ("lead_unit", 32)):
            if item.get(key) not in (None, ""):
                payload[key] = r.text(key, limit, source=item)
        if action in ("dispatch", "redispatch"):
            payload["co_units"] = _codes(item.get("co_units"))
        if action in ("callback", "reopen"):
            payload["satisfaction"] = (Satisfaction.DISSATISFIED if action == "reopen" else
                                       r.choice("satisfaction", Satisfaction, source=item))
            if payload["satisfaction"] == Satisfaction.DISSATISFIED:
                action = "reopen"
                payload.setdefault("reason", payload.pop("note", ""))
        if at is not None:
            steps.append(Step(action, at, _role_of(action), payload))
    return steps


def _check_life(r: _Row, data: dict, region: Unit | None, subject: Unit | None,
                received_at: datetime, steps: list[Step]) -> None:
    """Walk the moves through the transition table as the services would."""
    masters = r.masters
    state, previous_at, lead = State.RECEIVED, received_at, None
    suspended = locked = False
    pending: str | None = None
    used = {ChangeRequest.Type.EXTENSION: 0, ChangeRequest.Type.SUSPENSION: 0}
    policy = deadlines.policy_for(data["kind"], data["urgency"])
    caps = {ChangeRequest.Type.EXTENSION: policy.max_extensions,
            ChangeRequest.Type.SUSPENSION: policy.max_suspensions}
    region_code = region.code if region else None
    for i, step in enumerate(steps, start=1):
        move = TABLE[step.action]
        where = _Where(i, step.action)
        if step.at < previous_at:
            r.fail(_("%(where)s: at %(at)s, before the step before it (%(before)s): times out "
                     "of order") % {"where": where, "at": _show(step.at),
                                    "before": _show(previous_at)})
            return
        previous_at = step.at
        if state not in move.sources:
            r.fail(_("%(where)s: not possible when the case is %(state)s")
                   % {"where": where, "state": State(state).label})
            return
        missing = [f for f in move.requires if step.payload.get(f) in (None, "", [])]
        if missing:
            r.fail(_("%(where)s: required: %(fields)s") % {"where": where,
                                                           "fields": ", ".join(missing)})
            return
        problem = None
        if step.action == "answer" and data["kind"] != Kind.CONSULTATION:
            problem = _("only a consultation can be answered directly")
        elif step.action in ("dispatch", "redispatch"):
            problem = _routing(masters, data, region_code, subject, step, lead, state)
            if problem is None:
                code = step.payload["lead_unit"]
                locked = state == State.RETURNED and lead == code
                lead = code
        elif step.action == "return" and (locked or data["channel"] == Channel.RATING):
            problem = _("this case may not be returned (objection already decided, or a "
                        "bad-rating rectification)")
        elif step.action in ("request_extension", "request_suspension"):
            type_ = step.action.split("_")[1]
            if pending or used[type_] >= caps[type_] or (suspended and type_ == "suspension"):
                problem = _("a request is pending, the policy's cap is reached, or the case "
                            "is suspended")
            elif type_ == "extension":
                try:
                    parse_limit(str(step.payload.get("limit")))
                except LimitFormatError as exc:
                    problem = str(exc)
            if problem is None:
                pending = type_
        elif step.action.startswith(("approve_", "deny_")):
            type_ = step.action.split("_")[1]
            if pending != type_:
                problem = _("no %(type)s request is waiting") % {"type": type_}
            else:
                pending = None
                if step.action.startswith("approve_"):
                    used[type_] += 1
                    suspended = suspended or type_ == "suspension"
        elif step.action == "resume":
            problem = None if suspended else _("the case is not suspended")
            suspended = False
        elif step.action == "reply":
            problem = _("resume the case before replying") if suspended else None
            pending = None
        if problem:
            r.fail(f"{where}: {problem}")
            return
        state = move.target or state


class _Where:
    """"step 3 (reply)", translated only when a problem is reported."""

    def __init__(self, n: int, action: str):
        self.n, self.action = n, action

    def __str__(self) -> str:
        return _("step %(n)s (%(action)s)") % {"n": self.n, "action": self.action}


def _routing(masters: Masters, data: dict, region_code, subject: Unit | None, step: Step,
             lead: str | None, state: str) -> str | None:
    code = step.payload.get("lead_unit")
    units = [masters.units.get(c) for c in [code, *step.payload.get("co_units", [])]]
    unknown = [c for c, u in zip([code, *step.payload.get("co_units", [])], units) if u is None]
    if unknown:
        return _("unknown unit code %(codes)s") % {"codes": ", ".join(map(str, unknown))}
    if data["kind"] == Kind.REPORT and subject is not None and any(
            u.path.startswith(subject.path) for u in units):
        return _("a report of misconduct cannot be routed to the unit it is about")
    if step.action == "dispatch" and not step.payload.get("reason"):
        region = region_code or _default_region(masters)
        proposed = masters.proposal(data["category"], region) if region else None
        if proposed is not None and proposed != code:
            step.payload["reason"] = ROUTED_AS_RECORDED
    return None


def _default_region(masters: Masters) -> str | None:
    # create_case's default: the region of the hotline that registers it (the top unit,
    # where the import accounts are).
    tops = [u for u in masters.units.values() if u.parent_id is None]
    return min(tops, key=lambda u: u.pk).code if tops else None


def _show(moment: datetime) -> str:
    return f"{moment.astimezone(SHANGHAI):%Y-%m-%d %H:%M:%S}"
