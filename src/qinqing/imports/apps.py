from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ImportsConfig(AppConfig):
    """Loading a city's case history from another system (`qinqing import-cases`).

    Sits above `cases`: it drives cases only through cases.services, as the hotline and the
    units would have, and owns no table."""

    name = "qinqing.imports"
    verbose_name = _("Case history import")
