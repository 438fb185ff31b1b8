"""The aggregates of the rating figures (好差评, registry.py's families "ratings" and
"sms"), counted from the ratings and the SMS themselves: one aggregate query per family,
whatever the number of ratings (plus one for the staff members' names when broken down
by staff member).

As they stood at the end of the period, like the case figures: a rating is invalid when
an appeal was upheld before the end (an appeal decided later does not change a past
period), a bad rating is answered or rectified on time by its case's resolve clocks
stopped before the end, a follow-up counts when given before the end. Each rating is
attributed to the answering unit, the region and the channel recorded on it at the
moment of rating, never to its object's unit today.
"""

from __future__ import annotations

from django.db.models import Count, Exists, OuterRef, Q
from django.db.models.functions import TruncMonth, TruncWeek
from django.utils.translation import gettext as _

from qinqing.cases.models.clocks import Stage, StageClock
from qinqing.insights.metrics.groupings import Grouping, make_grouping, rows_by_group
from qinqing.insights.metrics.masters import Masters
from qinqing.insights.metrics.scope import InvalidScope, Scope
from qinqing.notifications.models import SmsMessage, SmsStatus
from qinqing.org.models import REGION_KINDS, User
from qinqing.ratings.appeal_models import Appeal, Decision
from qinqing.ratings.levels import FIRST_BAD, Channel, Level, Round
from qinqing.ratings.models import Rating

# How the rating figures break down: by the day, week or month of rating, by the
# answering unit, the region, the channel, the window or unit rated (the rating's object
# when it is a unit), the staff member rated, the service item.
RATING_BREAKDOWNS = ("day", "week", "month", "unit", "region", "channel", "window", "staff",
                     "service_item")
# The SMS of the ratings, by their event keys (ratings/invitations.py, followup.py).
SMS_KEYS = ("rating-invite:", "rating-follow-up:")


def count_ratings(families: set[str], scope: Scope, by: str | None, masters: Masters,
                  result) -> Grouping:
    """The rating families' aggregates per group into `result`; returns the grouping."""
    if by is not None and by not in RATING_BREAKDOWNS:
        raise InvalidScope({"by": _("Rating figures are broken down by one of: %(values)s.")
                            % {"values": ", ".join(RATING_BREAKDOWNS)}})
    grouping = rating_grouping(by, scope, masters)
    until = scope.until
    if "ratings" in families:
        qs = (Rating.objects.filter(_dimensions(scope, masters), round=Round.FIRST,
                                    visit_day__gte=scope.start, visit_day__lte=scope.end)
              .annotate(_invalid=Exists(Appeal.objects.filter(
                  rating=OuterRef("pk"), decision=Decision.UPHELD, decided_at__lt=until)),
                  _replied=Exists(StageClock.objects.filter(
                      case=OuterRef("case_id"), stage=Stage.RESOLVE, ended_by="reply",
                      done_at__lt=until)),
                  _late=Exists(StageClock.objects.filter(
                      Q(done_at__lt=until, on_time=False)
                      | Q(due_at__lt=until) & (Q(done_at__isnull=True) | Q(done_at__gte=until)),
                      case=OuterRef("case_id"), stage=Stage.RESOLVE)),
                  _followed=Exists(Rating.objects.filter(follow_up_of=OuterRef("pk"),
                                                         rated_at__lt=until)),
                  _followed_ok=Exists(Rating.objects.filter(
                      follow_up_of=OuterRef("pk"), rated_at__lt=until,
                      level__lt=FIRST_BAD))))
        valid = Q(_invalid=False)
        bad = valid & Q(level__gte=FIRST_BAD, is_default=False)
        aggregates = {
            "ratings": Count("pk", filter=valid),
            "active": Count("pk", filter=valid & Q(is_default=False)),
            "default": Count("pk", filter=valid & Q(is_default=True)),
            "bad": Count("pk", filter=bad),
            "rectified": Count("pk", filter=bad & Q(_replied=True)),
            "rectified_on_time": Count("pk", filter=bad & Q(_replied=True, _late=False)),
            "follow_ups": Count("pk", filter=bad & Q(_followed=True)),
            "follow_ups_satisfied": Count("pk", filter=bad & Q(_followed_ok=True)),
            "invalid": Count("pk", filter=Q(_invalid=True)),
            **{f"level_{level}": Count("pk", filter=valid & Q(level=level))
               for level in Level.values},
        }
        for key, agg in rows_by_group(qs, grouping, **aggregates):
            result[key].update(agg)
    if "sms" in families:
        if by is not None and by not in ("day", "week", "month"):
            raise InvalidScope({"by": _("The SMS figures are broken down by time only.")})
        sms = SmsMessage.objects.filter(
            Q(event_key__startswith=SMS_KEYS[0]) | Q(event_key__startswith=SMS_KEYS[1]),
            created_at__gte=scope.since, created_at__lt=until)
        sms_grouping = make_grouping(by, scope, masters, "created_at")
        if by in ("day", "week", "month"):
            sms_grouping.expression = {"day": _local_day("created_at"),
                                       "week": TruncWeek("created_at"),
                                       "month": TruncMonth("created_at")}[by]
        for key, agg in rows_by_group(
                sms, sms_grouping, sms_queued=Count("pk"),
                sms_sent=Count("pk", filter=Q(status=SmsStatus.SENT, sent_at__lt=until))):
            result[key].update(agg)
    return grouping


def _local_day(field: str):
    from django.db.models.functions import TruncDate

    return TruncDate(field)  # in the current time zone (Asia/Shanghai)


def _dimensions(scope: Scope, masters: Masters) -> Q:
    """The scope's region and unit, on the rating's recorded region and answering unit;
    the case dimensions (kind, channel, category) do not apply to ratings."""
    q = Q()
    if scope.region:
        region = masters.unit_by_code[scope.region]
        q &= Q(region_id__in=[pk for pk in masters.subtree(region)
                              if masters.units[pk].kind in REGION_KINDS])
    if scope.unit:
        q &= Q(answerable_unit_id__in=masters.subtree(masters.unit_by_code[scope.unit]))
    return q


def rating_grouping(by: str | None, scope: Scope, masters: Masters) -> Grouping:
    if by in (None, "day", "week", "month"):
        return make_grouping(by, scope, masters, "visit_day")
    if by == "unit":
        return Grouping(by, "answerable_unit_id", lambda pk: masters.units[pk].code,
                        lambda code: masters.unit_by_code[code].label)
    if by == "region":
        return Grouping(by, "region_id", lambda pk: masters.units[pk].code,
                        lambda code: masters.unit_by_code[code].label)
    if by == "window":
        # The rating's object when it is a unit (a window, or a hall rated as a whole);
        # ratings of a staff member, an enterprise or a case are the "" group.
        return Grouping(by, "unit_id",
                        lambda pk: masters.units[pk].code if pk is not None else "",
                        lambda code: masters.unit_by_code[code].label if code
                        else _("Not a window or unit"))
    if by == "staff":
        names: dict[str, str] = {}

        def label(key: str) -> str:
            if not key:
                return _("Not a staff member")
            if not names:  # one query, on the first label asked for
                names.update((str(pk), full or username) for pk, full, username in
                             User.objects.filter(ratings__isnull=False).distinct()
                             .values_list("pk", "full_name", "username"))
            return names.get(key, key)

        return Grouping(by, "staff_id", lambda pk: str(pk) if pk is not None else "", label)
    if by == "channel":
        return Grouping(by, "channel", str,
                        lambda k: str(Channel(k).label) if k in Channel.values else k)
    if by == "service_item":
        return Grouping(by, "service_item", str,
                        lambda k: k or _("No service item given"))
    raise InvalidScope({"by": _("Rating figures are broken down by one of: %(values)s.") % {
        "values": ", ".join(RATING_BREAKDOWNS)}})
