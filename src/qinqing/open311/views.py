"""Open311 GeoReport v2 endpoints: parse, call queries or services, render (render.py)."""

from __future__ import annotations

from datetime import datetime
from functools import wraps

from django.urls import reverse
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt

from qinqing.cases.errors import CaseError, Forbidden, InvalidInput
from qinqing.cases.events import stage_label
from qinqing.cases.models import Case, State
from qinqing.open311 import queries, render, services
from qinqing.text import has_control

SPECIFICATION = "http://wiki.open311.org/GeoReport_v2"
CHANGESET = "2026-12-07T00:00:00+08:00"  # when this implementation last changed its output
MAX_IDS = 200

# Intake's field names as Open311 names them, for error messages.
PARAM = {"content": "description", "category": "service_code", "kind": "attribute[kind]",
         "title": "attribute[title]", "region": "attribute[region]",
         "enterprise_name": "attribute[enterprise_name]", "reporter.phone": "phone",
         "reporter.name": "last_name", "reporter.contact": "email"}


class BadRequest(Exception):
    def __init__(self, *messages: str, status: int = 400):
        self.messages, self.status = list(messages), status


def endpoint(methods: tuple[str, ...] = ("GET",)):
    """Method check, refusal of control characters, and the specification's error format
    for every failure (so a client parses one shape whatever went wrong)."""
    def decorate(view):
        @csrf_exempt  # called by other systems, which authenticate with an API key
        @wraps(view)
        def wrapper(request, *args, fmt: str = "json", **kwargs):
            try:
                if request.method not in methods:
                    raise BadRequest(_("This address answers %(methods)s only.")
                                     % {"methods": ", ".join(methods)}, status=405)
                values = [*args, *kwargs.values(), *request.GET.values(),
                          *request.POST.values()]
                if any(has_control(str(v)) for v in values):
                    raise BadRequest(_("The request contains control characters."))
                return view(request, *args, fmt=fmt, **kwargs)
            except BadRequest as exc:
                response = render.errors(fmt, exc.status, exc.messages)
                if exc.status == 405:
                    response["Allow"] = ", ".join(methods)
                return response
        return wrapper
    return decorate


@endpoint()
def discovery(request, fmt="json"):
    root = request.build_absolute_uri(reverse("open311:services", kwargs={"fmt": "json"}))
    return render.respond({
        "changeset": CHANGESET,
        "contact": _("The platform's administrators (the 12345 hotline's office)."),
        "key_service": _("API keys are issued by the platform's administrators to the "
                         "account of the app that files matters."),
        "endpoints": [{"specification": SPECIFICATION, "url": root.rsplit("/", 1)[0],
                       "changeset": CHANGESET, "type": "production",
                       "formats": ["application/json", "text/xml"]}],
    }, fmt, "discovery")


@endpoint()
def services_list(request, fmt):
    return render.respond([{
        "service_code": c.code, "service_name": c.name,
        "description": str(c), "metadata": True, "type": "realtime",
        "keywords": "", "group": c.parent.name if c.parent_id else "",
    } for c in queries.services()], fmt, "services")


@endpoint()
def service_definition(request, code, fmt):
    if queries.service(code) is None:
        raise BadRequest(_("No service has the code “%(code)s”.") % {"code": code}, status=404)
    return render.respond({"service_code": code, "attributes": [{
        "variable": True, "code": a.code, "datatype": a.datatype, "required": a.required,
        "datatype_description": "", "order": order, "description": a.description,
        **({"values": [{"key": k, "name": str(n)} for k, n in a.values]} if a.values else {}),
    } for order, a in enumerate(queries.attributes(), start=1)]}, fmt, "service_definition")


@endpoint(methods=("GET", "POST"))
def requests(request, fmt):
    if request.method == "POST":
        return _file(request, fmt)
    f = _filter(request.GET)
    extensions = request.GET.get("extensions") == "true"
    return render.respond([_request(c, extensions) for c in queries.requests(f)], fmt,
                          "service_requests")


@endpoint()
def request_detail(request, number, fmt):
    case = queries.request(number)
    if case is None:
        raise BadRequest(_("No published request has the id %(id)s.") % {"id": number},
                         status=404)
    return render.respond([_request(case, request.GET.get("extensions") == "true")], fmt,
                          "service_requests")


@endpoint()
def token(request, token, fmt):
    number = queries.token_case_number(token)
    if number is None:
        raise BadRequest(_("No request was filed with this token."), status=404)
    return render.respond([{"service_request_id": number, "token": token}], fmt,
                          "service_requests")


def _file(request, fmt):
    owner, expired = queries.key_owner(request.POST.get("api_key", ""))
    if owner is None:
        raise BadRequest(_("The api_key is missing or not valid."), status=403)
    if expired:
        raise BadRequest(_("The api_key has expired; ask the administrators for a new one."),
                         status=403)
    try:
        filed = services.file_request(owner, request.POST,
                                      idempotency_key=request.headers.get("Idempotency-Key", ""))
    except Forbidden as exc:
        raise BadRequest(exc.message, status=403) from exc
    except InvalidInput as exc:
        fields = exc.fields or {}
        raise BadRequest(*([f"{PARAM.get(k, k)}: {m}" for k, m in fields.items()]
                           or [exc.message])) from exc
    except CaseError as exc:
        raise BadRequest(exc.message) from exc
    return render.respond([{
        "service_request_id": filed.number, "token": filed.token,
        "service_notice": _("Registered. Follow it with its number at GET requests."),
        "account_id": None,
    }], fmt, "service_requests", status=201 if filed.created else 200)


def _filter(params) -> queries.RequestFilter:
    def listed(key):
        return tuple(v.strip() for v in params.get(key, "").split(",") if v.strip())

    numbers = tuple(n.upper() for n in listed("service_request_id"))
    if len(numbers) > MAX_IDS:
        raise BadRequest(_("At most %(n)s ids at once.") % {"n": MAX_IDS})
    statuses = listed("status")
    if set(statuses) - {"open", "closed"}:
        raise BadRequest(_("status is open, closed, or both separated by a comma."))
    start, end = _moment(params, "start_date"), _moment(params, "end_date")
    if start and end and end < start:
        raise BadRequest(_("end_date is before start_date."))
    if start and end and (end - start).days > queries.DEFAULT_DAYS:
        raise BadRequest(_("A search may span at most %(n)s days.") % {"n": queries.DEFAULT_DAYS})
    if start and not end:
        end = min(start + timezone.timedelta(days=queries.DEFAULT_DAYS), timezone.now())
    page, size = _number(params, "page", 1, 10**6), _number(
        params, "page_size", queries.DEFAULT_PAGE_SIZE, queries.MAX_PAGE_SIZE)
    return queries.RequestFilter(numbers=numbers, service_codes=listed("service_code"),
                                 start=start, end=end, statuses=statuses, page=page,
                                 page_size=size)


def _moment(params, key) -> datetime | None:
    raw = params.get(key, "").strip()
    if not raw:
        return None
    try:
        value = parse_datetime(raw.replace(" ", "+"))  # a '+' sent unescaped arrives as ' '
    except ValueError:
        value = None
    if value is None:
        raise BadRequest(_("%(key)s is not a W3C date and time, e.g. 2026-12-01T00:00:00+08:00.")
                         % {"key": key})
    return value if timezone.is_aware(value) else timezone.make_aware(value)


def _number(params, key, default: int, highest: int) -> int:
    raw = params.get(key, "").strip()
    if not raw:
        return default
    if not raw.isdigit() or not 1 <= int(raw) <= highest:
        raise BadRequest(_("%(key)s is a whole number from 1 to %(n)s.")
                         % {"key": key, "n": highest})
    return int(raw)


def _w3c(moment: datetime | None) -> str | None:
    return timezone.localtime(moment).isoformat(timespec="seconds") if moment else None


def _request(case: Case, extensions: bool) -> dict:
    closed = case.state == State.CLOSED
    unit = case.lead_unit.name if case.lead_unit_id else ""
    notes = [case.get_state_display()]
    if unit:
        notes.append(_("Handled by %(unit)s") % {"unit": unit})
    if case.open_stage_due:
        notes.append(_("%(stage)s due %(due)s") % {
            "stage": stage_label(case.open_stage),
            "due": timezone.localtime(case.open_stage_due).strftime("%Y-%m-%d %H:%M")})
    document = {
        "service_request_id": case.number, "status": "closed" if closed else "open",
        "status_notes": _("; ").join(notes), "service_name": case.category.name,
        "service_code": case.category.code, "description": case.category.name,
        "agency_responsible": unit, "service_notice": "",
        "requested_datetime": _w3c(case.received_at),
        "updated_datetime": _w3c(case.updated_at),
        "expected_datetime": _w3c(case.open_stage_due),
        "address": case.region.name, "address_id": None, "zipcode": None,
        "lat": None, "long": None, "media_url": None,
    }
    if extensions:
        document["extended_attributes"] = {
            "state": case.state, "state_name": case.get_state_display(),
            "kind": case.kind, "kind_name": case.get_kind_display(),
            "channel": case.channel, "channel_name": case.get_channel_display(),
            "stage": case.open_stage or None,
            "stage_name": stage_label(case.open_stage) if case.open_stage else None,
            "stage_due": _w3c(case.open_stage_due),
            "lead_unit_code": case.lead_unit.code if case.lead_unit_id else None,
            "closed_datetime": _w3c(case.closed_at),
        }
    return document
