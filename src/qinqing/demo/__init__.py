"""The fictional demo city and its story (`qinqing demo`), above every domain app.

It drives the apps only through their services, at back-dated moments, so a demo is
what the platform would have recorded had the city used it; nothing below imports it
(the import layers in pyproject.toml, checked by `make test`).

- `city`: the organisation 示范市 and one login per role;
- `cases`, `case_texts`: the assignment catalogue and N cases with full histories;
- `supervision`: the escalation ladder replayed as the cases happen, duty phones;
- `oversight`: sweeps, a joint meeting, accountability records, inspections;
- `insights`: last month's bulletin with typical cases;
- `build`: all of it at one moment (`build_demo(now=…)`), what the command runs.
"""
