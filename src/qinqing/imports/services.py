"""Loading a city's case history: validate the whole file, then load it through the services.

`import_cases(path)` reads the file twice, streaming both times:

1. validation: every record becomes a CasePlan (qinqing.imports.rows) or a reported
   problem with its row number; an external id given twice, or already imported with
   other case data, is a problem too. Only the set of external ids is kept.
2. loading, only if no row has a problem: each new case is registered at its received
   time and moved at each step's time, as the hotline and the units would have done, so
   its timeline, hash chain, deadlines (by the working calendar of those dates), facts
   and rollups are what the platform's own path writes. Most cases are replayed in bulk
   (qinqing.imports.replay: the same rows built in memory, written a table at a time);
   a case with a move the replay does not make, or every case with `through_services`,
   is registered with cases.services.create_case and moved with cases.services.perform.
   A case is never half-written: it and its moves are in one transaction with the other
   cases of its batch.

The reporters of historic cases are not texted: no number-and-code SMS, no SMS at a
step (create_case's `notify_reporter=False`; a replayed case goes out on the timeline's
hook as an intake, which qinqing.notifications does not text). tests/imports check it.

Re-importing a file changes nothing: a case carries its external id in its idempotency
key (create_case's `idempotency_key`, stored in Case.intake_key), and a case found by it
is skipped. A load interrupted between batches is resumed by running it again.
"""

from __future__ import annotations

from contextlib import nullcontext
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Callable

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from qinqing.cases import services as case_services
from qinqing.cases.errors import Forbidden, InvalidInput, NotAllowedInState, NotFound
from qinqing.cases.models import Case
from qinqing.imports.reading import records
from qinqing.imports.replay import ROLL_EVERY, Refused, Replayer, replayable
from qinqing.imports.rows import CasePlan, Masters, RowError, plan
from qinqing.org.models import Role, User
from qinqing.org.services import ensure_system_account

# The system accounts that make the imported moves, one per kind of desk (a move is
# allowed to one role). At the top unit, so that every case and unit is in their charge.
# They cannot sign in (no usable password); the timeline names them as the actors.
ACCOUNTS = {Role.DISPATCHER: ("import-hotline", "历史数据导入（热线）"),
            Role.HANDLER: ("import-unit", "历史数据导入（承办单位）"),
            Role.CALLBACK_AGENT: ("import-callback", "历史数据导入（回访）")}
KEY_PREFIX = "import:"
CHECK_CHUNK = 1000  # plans whose external ids are looked up in the database at once

Report = Callable[[int, str], None]


class LoadError(Exception):
    """A move the services refused although the file was validated (master data changed
    meanwhile): its batch is rolled back; earlier batches stay, and a re-run resumes."""

    def __init__(self, row: int, reason: str, loaded: int):
        super().__init__(reason)
        self.row, self.reason, self.loaded = row, reason, loaded


@dataclass
class Summary:
    rows: int = 0
    bad_rows: int = 0
    new: int = 0  # cases the file adds (validated) / added (loaded)
    unchanged: int = 0  # already imported from this file or an earlier one
    moves: int = 0
    loaded: bool = False


def import_cases(path: str | Path, *, dry_run: bool = False, batch: int = 1000,
                 now: datetime | None = None, report: Report = lambda row, reason: None,
                 progress: Callable[[int], None] | None = None,
                 through_services: bool = False, proposals: dict | None = None) -> Summary:
    """Validate the file; unless dry_run or a row is bad, load it. See the module."""
    now = now or timezone.now()
    proposals: dict = {}
    summary = validate(path, now=now, report=report, proposals=proposals)
    if summary.bad_rows or dry_run:
        return summary
    # The catalogue's proposals read while validating serve the load too (reading one
    # costs a few queries; a history names a few hundred category-region pairs).
    return load(path, now=now, batch=batch, progress=progress,
                through_services=through_services, proposals=proposals)


def validate(path: str | Path, *, now: datetime, report: Report,
             proposals: dict | None = None) -> Summary:
    masters = Masters(proposals)
    importer = User.objects.filter(username=ACCOUNTS[Role.DISPATCHER][0]).first()
    summary = Summary()
    seen: set[str] = set()
    chunk: list[CasePlan] = []

    def bad(row: int, reason: str) -> None:
        summary.bad_rows += 1
        report(row, reason)

    def check(chunk: list[CasePlan]) -> None:
        known = _imported(importer, chunk)
        for case_plan in chunk:
            fingerprint = known.get(case_plan.external_id)
            if fingerprint is None:
                summary.new += 1
                summary.moves += len(case_plan.steps)
            elif fingerprint == _fingerprint(case_plan):
                summary.unchanged += 1
            else:
                bad(case_plan.row, _("external_id %(id)s was imported before with other case "
                                     "data; it is not changed by an import")
                    % {"id": case_plan.external_id})

    for row, record in records(path):
        summary.rows += 1
        try:
            case_plan = plan(row, record, masters, now)
        except RowError as exc:
            for reason in exc.reasons:
                bad(row, reason)
            continue
        if case_plan.external_id in seen:
            bad(row, _("external_id %(id)s: given twice in this file")
                % {"id": case_plan.external_id})
            continue
        seen.add(case_plan.external_id)
        chunk.append(case_plan)
        if len(chunk) >= CHECK_CHUNK:
            check(chunk)
            chunk = []
    check(chunk)
    return summary


def load(path: str | Path, *, now: datetime, batch: int = 1000,
         progress: Callable[[int], None] | None = None,
         through_services: bool = False, proposals: dict | None = None) -> Summary:
    """Load a validated file; `batch` cases per transaction (0: the whole file in one).
    Cases are replayed in bulk (qinqing.imports.replay) unless `through_services` or a
    case has a move the replay does not make: those go through the services, in file
    order with the others."""
    masters = Masters(proposals)
    actors = import_accounts()
    replayer = None if through_services else Replayer(actors, masters, KEY_PREFIX)
    summary = Summary(loaded=True)
    size = batch or CHECK_CHUNK
    pending: list[CasePlan] = []
    committed: list[int] = []  # replayed cases that moved, committed, facts still pending

    def settle() -> None:
        # Their facts rolled up (replay.replayed), in a transaction of its own (or in
        # the file's one with batch 0). Also after a refusal: what is committed is whole.
        if replayer is not None and committed:
            with transaction.atomic():
                replayer.settle(committed)
            committed.clear()

    try:
        with transaction.atomic() if batch == 0 else nullcontext():
            for row, record in records(path):
                summary.rows += 1
                try:
                    pending.append(plan(row, record, masters, now))
                except RowError as exc:
                    raise LoadError(row, "; ".join(exc.reasons), summary.new) from None
                if len(pending) >= size:
                    _load_batch(pending, actors, summary, replayer, committed,
                                atomic=batch != 0)
                    pending = []
                    if batch != 0 and len(committed) >= ROLL_EVERY:
                        settle()
                    if progress:
                        progress(summary.new + summary.unchanged)
            _load_batch(pending, actors, summary, replayer, committed, atomic=batch != 0)
            if batch == 0:
                settle()
    finally:
        if batch != 0:
            settle()
    return summary


def _load_batch(plans: list[CasePlan], actors: dict[str, User], summary: Summary,
                replayer: Replayer | None, committed: list[int], *, atomic: bool) -> None:
    importer = actors[Role.DISPATCHER]
    loaded_before, moves_before = summary.new, summary.moves
    try:
        with transaction.atomic() if atomic else nullcontext():
            known = _imported(importer, plans)
            group: list[CasePlan] = []  # consecutive cases to replay in bulk
            moved: list[int] = []
            for case_plan in plans:
                if case_plan.external_id in known:
                    summary.unchanged += 1
                    continue
                summary.new += 1
                summary.moves += len(case_plan.steps)
                if replayer is not None and replayable(case_plan):
                    group.append(case_plan)
                    continue
                # Written before this one: the numbers follow the file's order.
                moved += _replay(replayer, group)
                group = []
                _load_case(case_plan, actors)
            moved += _replay(replayer, group)
        committed.extend(moved)  # (with batch 0: in the file's one transaction)
    except _Refused as exc:
        summary.moves = moves_before
        summary.new = loaded_before
        raise LoadError(exc.row, exc.reason, loaded_before if atomic else 0) from None


def _replay(replayer: Replayer | None, group: list[CasePlan]) -> list[int]:
    if not group:
        return []
    try:
        return replayer.write(group)
    except Refused as exc:
        raise _Refused(exc.row, exc.reason) from None


class _Refused(Exception):
    def __init__(self, row: int, reason: str):
        self.row, self.reason = row, reason


def _load_case(case_plan: CasePlan, actors: dict[str, User]) -> None:
    try:
        # A historic case: its reporter is not texted its number, nor any step of the
        # history replayed below (notify_reporter=False also leaves sms_updates off).
        intake = case_services.create_case(actors[Role.DISPATCHER], case_plan.data,
                                           idempotency_key=KEY_PREFIX + case_plan.external_id,
                                           now=case_plan.received_at, notify_reporter=False)
        for step in case_plan.steps:
            case_services.perform(intake.case.number, step.action, actors[step.role],
                                  step.payload, now=step.at)
    except (InvalidInput, NotAllowedInState, Forbidden, NotFound) as exc:
        fields = getattr(exc, "fields", None) or {}
        detail = "; ".join(f"{k}: {v}" for k, v in fields.items())
        raise _Refused(case_plan.row, f"{exc} {detail}".strip()) from None


def _imported(importer: User | None, plans: list[CasePlan]) -> dict[str, str]:
    """External id → intake fingerprint of the plans' cases already imported."""
    if importer is None or not plans:
        return {}
    prefix = f"{importer.pk}:{KEY_PREFIX}"
    keys = [prefix + p.external_id for p in plans]
    return {key[len(prefix):]: fingerprint for key, fingerprint in
            Case.objects.filter(intake_key__in=keys)
            .values_list("intake_key", "intake_fingerprint")}


def _fingerprint(case_plan: CasePlan) -> str:
    # The intake's own fingerprint of its data, as create_case stores it.
    return case_services._fingerprint(case_plan.data)


def import_accounts() -> dict[str, User]:
    """The import's system accounts, created at the top unit the first time."""
    accounts = {}
    for role, (username, full_name) in ACCOUNTS.items():
        user = ensure_system_account(username, full_name, role)
        if user is None:
            raise InvalidInput(_("No organisation has been set up yet."))
        accounts[role] = user
    return accounts
