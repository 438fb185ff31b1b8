"""`qinqing demo`: build the demo city, its assignment catalogue and, on request, cases."""

from argparse import SUPPRESS, ArgumentTypeError
from datetime import datetime

from django.core.management.base import BaseCommand, CommandError

from qinqing.demo.city import DEMO_LOGINS, DEMO_PASSWORD


class Command(BaseCommand):
    help = (
        "Create (or refresh) the fictional demo city 示范市 with one login per role and its "
        "assignment catalogue. With --cases N, also file N fictional cases with full "
        "histories over the last four months (through the case services, as the demo "
        "staff would have handled them; handler accounts h-<unit code> are added for the "
        "units they are routed to). The organisation and catalogue are refreshed in place, "
        "but cases are not: every run with --cases N adds another N cases (the same ones again "
        "for the same --seed; pass another seed for different ones). The first time cases are "
        "added, the oversight story is added too: sweep campaigns, a joint meeting, "
        "accountability records and inspections, with cases of their own; the escalation ladder "
        "replayed over the cases' past; the last finished month's bulletin."
    )

    def add_arguments(self, parser):
        parser.add_argument("--cases", type=int, default=0, metavar="N",
                            help="also add N demo cases (default 0: organisation only)")
        parser.add_argument("--if-empty", action="store_true",
                            help="add the --cases only when there are no cases yet (make run)")
        parser.add_argument("--seed", type=int, default=2024,
                            help="random seed of the demo cases (same seed, same cases)")
        # Hidden: build the demo as it would be at another moment (tests, and to look at
        # the demo of a holiday); every part of the demo uses this one moment.
        parser.add_argument("--now", type=_moment, default=None, help=SUPPRESS)

    def handle(self, *args, cases, seed, if_empty, now, **options):
        from qinqing.demo.build import build_demo

        if cases < 0:
            raise CommandError("--cases must be 0 or more")
        report = build_demo(now=now, cases=cases, seed=seed, if_empty=if_empty)
        counts, catalogue = report["organisation"], report["catalogue"]
        self.stdout.write(
            f"demo organisation: {counts['units']} units, {counts['logins']} logins "
            f"({counts['logins_created']} new). All data is fictional (region codes 99xxxx)."
        )
        self.stdout.write(
            f"demo assignment catalogue: {catalogue['rules']} rules ({catalogue['created']} new, "
            f"{catalogue['replaced']} replaced, {catalogue['unchanged']} unchanged)."
        )
        if report["skipped"]:
            self.stdout.write("demo cases: cases exist already, none added (--if-empty).")
        elif not cases:
            self.stdout.write("demo cases: none added (qinqing demo --cases N adds N cases "
                              "with histories).")
        else:
            self.stdout.write(self._cases_line(report["cases"], seed))
            self.stdout.write(self._oversight_line(report["oversight"]))
            self.stdout.write(self._public_line(report["public"]))
            codes = report["codes"]
            self.stdout.write(f"demo supervision codes: {codes['codes']} issued (every service "
                              f"hall and window, and {codes['enterprises']} enterprises); "
                              "managers print them at /codes/.")
            result = report["supervision"]
            self.stdout.write(
                f"demo supervision: the escalation ladder replayed at {result.pop('sweeps')} "
                "moments, each working day's office start as the cases happened ("
                + ", ".join(f"{k} {v}" for k, v in result.items()) + ").")
            self.stdout.write(f"demo hot topics: the words of {report['hot_topics']} recent "
                              f"cases stored (the worker reads new ones each minute).")
            bulletin = report["bulletin"]
            self.stdout.write(f"demo bulletins: last month's bulletin published with "
                              f"{bulletin['typical']} typical cases ({bulletin['bulletins']} "
                              f"published in all).")
        self.stdout.write("")
        self.stdout.write(f"Demo logins (password for each: {DEMO_PASSWORD}):")
        for login in DEMO_LOGINS:
            self.stdout.write(f"  {login.username:<11} {login.role.label}  {login.full_name}")
        self.stdout.write("Change these passwords before anyone else can reach the server.")

    def _oversight_line(self, made) -> str:
        if made is None:
            return "demo oversight: there are campaigns already, none added."
        return (f"demo oversight: {made['campaigns']} sweep campaigns, {made['meetings']} joint "
                f"meeting with {made['decisions']} decisions, {made['accountability_records']} "
                f"accountability records on {made['reports']} reports, {made['inspections']} "
                f"inspections with {made['problems']} problems ({made['cases']} cases of its own).")

    def _public_line(self, made) -> str:
        if made is None:
            return "demo public side: there are mailbox letters already, none added."
        return (f"demo public side: {made['matters']} matters ({made['portal']} filed at "
                f"/submit/, {made['hall']} at a hall's couldn't-get-it-done window, "
                f"{made['letters']} mayor's mailbox letters of which {made['published']} "
                f"published on /mailbox/letters/ and {made['to_review']} awaiting review, "
                f"{made['open311']} Open311 requests); {made['judged_online']} judged online "
                f"on /track/.")

    def _cases_line(self, result, seed) -> str:
        states = ", ".join(f"{state} {count}" for state, count in result["by_state"].items())
        outcomes = ", ".join(f"{k} {v}" for k, v in sorted(result["by_outcome"].items()))
        handlers = (f"; {result['handlers_created']} handler accounts h-<unit> added"
                    if result["handlers_created"] else "")
        return (f"demo cases: {result['cases']} added in {result['seconds']:.1f} s "
                f"(seed {seed}; {states}; closed as: {outcomes}; {result['overdue']} open "
                f"overdue{handlers}).")


def _moment(text: str) -> datetime:
    """An ISO 8601 moment; without a UTC offset, Beijing time (the demo city's)."""
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise ArgumentTypeError(f"not an ISO 8601 moment: {text!r}") from None
    if moment.tzinfo is None:
        from qinqing.worktime.calendar import SHANGHAI

        moment = moment.replace(tzinfo=SHANGHAI)
    return moment
