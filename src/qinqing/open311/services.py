"""Filing a matter through Open311: a POST becomes a case through the intake service."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal, InvalidOperation
from urllib.parse import urlsplit

from django.utils.translation import gettext as _

from qinqing.cases import services as case_services
from qinqing.cases.errors import InvalidInput
from qinqing.cases.models import Channel
from qinqing.open311 import queries
from qinqing.org.models import User

MAX_URL = 500
MAX_ADDRESS = 200


@dataclass
class Filed:
    number: str
    token: str
    created: bool


def file_request(owner: User, params, *, idempotency_key: str = "",
                 now: datetime | None = None) -> Filed:
    """Register the matter a POST describes, as `owner` (the API key's account) on the web
    channel. A retry with the same Idempotency-Key header returns the first case.

    `params` is the request's form data (a QueryDict or a dict of strings). The
    specification's fields map onto the intake's: description to content; first and last
    name, phone and email to the reporter (encrypted as every reporter is); the location
    and media link, which Qinqing keeps no fields for, to lines of the content, so nothing
    sent is lost. Raises InvalidInput with one message per field. `now`: the moment of
    receipt (the demo city files its requests in the past).
    """
    get = lambda key: (params.get(key) or "").strip()  # noqa: E731
    errors: dict[str, str] = {}
    kind = get("attribute[kind]")
    if kind not in {k.value for k in queries.FILED_KINDS}:
        errors["attribute[kind]"] = _("Choose one of: %(values)s.") % {
            "values": ", ".join(k.value for k in queries.FILED_KINDS)}
    code = get("service_code")
    if queries.service(code) is None:
        errors["service_code"] = _("No service has the code “%(code)s”.") % {"code": code}
    lines = [get("description")]
    location = _location(get, errors)
    if location:
        lines.append(_("Location: %(place)s") % {"place": location})
    media = get("media_url")
    if media:
        parts = urlsplit(media)
        if parts.scheme not in ("http", "https") or not parts.netloc or len(media) > MAX_URL:
            errors["media_url"] = _("Give an http or https address of at most %(n)s "
                                    "characters.") % {"n": MAX_URL}
        lines.append(_("Photo or file: %(url)s") % {"url": media})
    if errors:
        raise InvalidInput(_("Some fields need correcting."), fields=errors)
    name = get("last_name") + get("first_name")
    reporter = {"name": name, "phone": get("phone"), "contact": get("email")}
    data = {"kind": kind, "channel": Channel.WEB, "category": code,
            "title": get("attribute[title]"), "region": get("attribute[region]"),
            "enterprise_name": get("attribute[enterprise_name]"),
            # Only the description counts as "describe the matter": the lines added to it
            # are not a matter by themselves.
            "content": "\n".join(lines) if lines[0] else "",
            "reporter": reporter, "anonymous": not any(reporter.values())}
    key = idempotency_key or secrets.token_urlsafe(18)
    token = f"{owner.pk}-{key}"
    if queries.intake_key(token) is None:
        raise InvalidInput(_("An Idempotency-Key is 8 to 80 letters, digits, - or _."),
                           fields={"Idempotency-Key": _("Invalid key.")})
    intake = case_services.create_case(owner, data, idempotency_key=f"open311:{key}", now=now)
    return Filed(intake.case.number, token, intake.created)


def _location(get, errors) -> str:
    address = get("address_string")
    if len(address) > MAX_ADDRESS:
        errors["address_string"] = _("At most %(n)s characters.") % {"n": MAX_ADDRESS}
    lat, long = get("lat"), get("long")
    if not (lat or long):
        return address
    try:
        lat_value, long_value = Decimal(lat), Decimal(long)
        valid = -90 <= lat_value <= 90 and -180 <= long_value <= 180
    except InvalidOperation:
        valid = False
    if not valid:
        errors["lat"] = _("Give both lat and long, in decimal degrees.")
        return address
    return " ".join(filter(None, [address, f"({lat_value}, {long_value})"]))
