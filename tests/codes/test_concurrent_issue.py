"""Two managers print the same region at once: each missing code is issued once. The
database's partial unique index decides, not a check before the insert."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest
from django.db import OperationalError, connections

from qinqing.codes import queries, services
from qinqing.codes.models import SupervisionCode
from qinqing.org.models import Unit

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


def test_printing_one_hall_eight_times_at_once_issues_each_code_once(demo_org):
    hall = Unit.objects.get(code="990102-HALL")

    def print_it(_):
        try:
            return services.issue_missing(queries.sheet(hall).objects(), by=None)
        except OperationalError:  # SQLite: the database was busy; the caller tries again
            return None
        finally:
            connections.close_all()

    with ThreadPoolExecutor(max_workers=8) as pool:
        issued = list(pool.map(print_it, range(8)))
    done = [n for n in issued if n is not None]
    assert done and sum(done) == 3, issued
    assert SupervisionCode.objects.filter(revoked_at=None).count() == 3
    assert SupervisionCode.objects.count() == 3
