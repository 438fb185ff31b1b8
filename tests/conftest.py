import pytest


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    # The real hasher takes ~0.3 s per password by design; tests need many accounts.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _empty_process_caches(settings):
    # The master-data and token caches live as long as the process: a test must not see
    # rows (or ids) another test created and rolled back.
    from qinqing import refdata

    # The API tests compare the statements of a test's first request with a later one's
    # (a list page of 5 and of 50, say); with the token cache only the first would look
    # the token up. So the token cache is off unless a test turns it on (the tests that
    # pin it: tests/api/test_intake_statements.py). The master-data cache stays on.
    settings.QINQING_TOKEN_TTL = 0
    refdata.reset_all()
    yield
    refdata.reset_all()


@pytest.fixture(autouse=True)
def _platform_language():
    # LocaleMiddleware activates each request's language in the thread and never
    # deactivates it, so one test's English request (the admin's, say) left every later
    # test of the process reading English labels and formulas.
    from django.utils import translation

    translation.deactivate()
    yield
    translation.deactivate()


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_call(item):
    # pytest-django never commits, so the caches would take every master-data row the
    # fixtures created for an uncommitted edit and read around themselves for the whole
    # test. Fixture data stands for committed data: count it as committed, so tests run
    # with the caches as production does. Edits a test makes itself still count.
    from qinqing import refdata

    refdata.forget_all_pending_edits()


@pytest.fixture
def demo_org(db):
    from qinqing.demo.city import build_demo_organisation

    build_demo_organisation()


@pytest.fixture
def users(demo_org):
    """Demo username → that login's account (unit loaded), in the demo organisation."""
    from qinqing.demo.city import DEMO_LOGINS
    from qinqing.org.models import User

    return {u.username: u for u in User.objects.filter(
        username__in=[login.username for login in DEMO_LOGINS]).select_related("unit")}
