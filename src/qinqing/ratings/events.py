"""The timeline event kinds ratings appends to a rectification case (registered in
RatingsConfig.ready()). None changes a figure by itself: the follow-up's callback is
the case's own `callback` / `reopen` move, which does."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from qinqing.cases.timeline import EventKind
from qinqing.ratings.levels import Level


def follow_up_detail(event, unit) -> dict:
    level = (event.data or {}).get("level")
    return {"satisfaction": Level(level).label if level in Level.values else ""}


KINDS = [
    # The rater sees on /track/ that the fix was rated.
    EventKind("rated_again", _("Fix rated again"), public=True, changes_figures=False,
              detail=follow_up_detail),
    EventKind("rating_appealed", _("Rating appealed by the unit"), public=False,
              changes_figures=False),
    EventKind("rating_appeal_upheld", _("Appeal upheld: rating invalid"), public=False,
              changes_figures=False),
    EventKind("rating_appeal_rejected", _("Appeal rejected: rating stands"), public=False,
              changes_figures=False),
    EventKind("rater_revealed", _("Rater's details revealed"), public=False,
              changes_figures=False),
]
