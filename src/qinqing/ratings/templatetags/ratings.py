"""The rating's parts of other apps' pages: the case page's panel (the rating, its
outcome, its appeals, the rater for the hotline office, the forms each role may use) and
the tracking page's (the outcome and the follow-up form)."""

from __future__ import annotations

from django import template
from django.utils import timezone

from qinqing.cases.models.case import Channel as CaseChannel
from qinqing.ratings import appeals, callback, followup, outcomes
from qinqing.ratings.appeal_models import Decision
from qinqing.ratings.followup_forms import AppealForm, DecisionForm, FollowUpForm
from qinqing.ratings.levels import Status
from qinqing.ratings.models import Rating

register = template.Library()


@register.inclusion_tag("ratings/case_panel.html", takes_context=True)
def rating_panel(context, case):
    if case.channel != CaseChannel.RATING:
        return {"rating": None}
    rating = outcomes.first_rating_for(case)
    if rating is None:
        return {"rating": None}
    user = context["request"].user
    listed = outcomes.appeals_of(rating)
    open_appeal = next((a for a in listed if a.decision == Decision.OPEN), None)
    has_follow_up = Rating.objects.filter(follow_up_of=rating).exists()
    may_record = (user.role in followup.PHONE_ROLES and callback.may_see_rater(user, case)
                  and not has_follow_up and rating.status != Status.INVALID
                  and followup.callback_clock(case) is not None)
    return {
        "case": case, "rating": rating, "outcome": outcomes.outcome(rating, case),
        "appeals": listed, "csrf_token": context.get("csrf_token"),
        "rater": callback.masked_rater(user, case, rating),
        "can_reveal": callback.may_reveal_rater(user, case),
        "can_appeal": appeals.may_appeal(user, case) and rating.status == Status.VALID,
        "appeal_form": AppealForm(),
        "open_appeal": open_appeal,
        "can_decide": open_appeal is not None and appeals.may_review(user, case),
        "decision_form": DecisionForm(),
        "can_record": may_record, "follow_up_form": FollowUpForm(),
    }


@register.inclusion_tag("ratings/track_panel.html", takes_context=True)
def rating_on_track(context, number):
    shown = outcomes.on_track(number, timezone.now())
    return {"shown": shown, "number": number, "csrf_token": context.get("csrf_token"),
            "form": context.get("follow_up_form") or FollowUpForm()}
