"""`qinqing demo`: build the demo city, its assignment catalogue and, on request, cases."""

import time

from django.core.management.base import BaseCommand, CommandError

from qinqing.org.demo import DEMO_LOGINS, DEMO_PASSWORD, build_demo_organisation


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
        "accountability records and inspections, with cases of their own."
    )

    def add_arguments(self, parser):
        parser.add_argument("--cases", type=int, default=0, metavar="N",
                            help="also add N demo cases (default 0: organisation only)")
        parser.add_argument("--if-empty", action="store_true",
                            help="add the --cases only when there are no cases yet (make run)")
        parser.add_argument("--seed", type=int, default=2024,
                            help="random seed of the demo cases (same seed, same cases)")

    def handle(self, *args, cases, seed, if_empty, **options):
        from qinqing.cases.demo import build_demo_cases, build_demo_catalogue
        from qinqing.cases.models import Case

        if cases < 0:
            raise CommandError("--cases must be 0 or more")
        counts = build_demo_organisation()
        self.stdout.write(
            f"demo organisation: {counts['units']} units, {counts['logins']} logins "
            f"({counts['logins_created']} new). All data is fictional (region codes 99xxxx)."
        )
        catalogue = build_demo_catalogue()
        self.stdout.write(
            f"demo assignment catalogue: {catalogue['rules']} rules ({catalogue['created']} new, "
            f"{catalogue['replaced']} replaced, {catalogue['unchanged']} unchanged)."
        )
        if if_empty and cases and Case.objects.exists():
            self.stdout.write("demo cases: cases exist already, none added (--if-empty).")
        else:
            self.stdout.write(self._cases_line(cases, seed, build_demo_cases))
            if cases:
                self.stdout.write(self._oversight_line(seed))
                from qinqing.supervision.demo import escalate_demo

                result = escalate_demo()
                self.stdout.write(
                    "demo supervision: the escalation ladder ran once over the cases ("
                    + ", ".join(f"{k} {v}" for k, v in result.items()) + ").")
                from django.utils import timezone

                from qinqing.insights.hot_topics import segment_all

                self.stdout.write(f"demo hot topics: the words of {segment_all(now=timezone.now())} "
                                  f"recent cases stored (the worker reads new ones each minute).")
        self.stdout.write("")
        self.stdout.write(f"Demo logins (password for each: {DEMO_PASSWORD}):")
        for login in DEMO_LOGINS:
            self.stdout.write(f"  {login.username:<11} {login.role.label}  {login.full_name}")
        self.stdout.write("Change these passwords before anyone else can reach the server.")

    def _oversight_line(self, seed) -> str:
        from qinqing.oversight.demo import build_demo_oversight, demo_exists

        if demo_exists():
            return "demo oversight: there are campaigns already, none added."
        made = build_demo_oversight(seed=seed)
        return (f"demo oversight: {made['campaigns']} sweep campaigns, {made['meetings']} joint "
                f"meeting with {made['decisions']} decisions, {made['accountability_records']} "
                f"accountability records on {made['reports']} reports, {made['inspections']} "
                f"inspections with {made['problems']} problems ({made['cases']} cases of its own).")

    def _cases_line(self, n, seed, build) -> str:
        if n == 0:
            return "demo cases: none added (qinqing demo --cases N adds N cases with histories)."
        started = time.monotonic()
        result = build(n, seed=seed)
        states = ", ".join(f"{state} {count}" for state, count in result["by_state"].items())
        outcomes = ", ".join(f"{k} {v}" for k, v in sorted(result["by_outcome"].items()))
        handlers = (f"; {result['handlers_created']} handler accounts h-<unit> added"
                    if result["handlers_created"] else "")
        return (f"demo cases: {result['cases']} added in {time.monotonic() - started:.1f} s "
                f"(seed {seed}; {states}; closed as: {outcomes}; {result['overdue']} open "
                f"overdue{handlers}).")
