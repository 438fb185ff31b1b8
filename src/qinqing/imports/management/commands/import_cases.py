from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from qinqing.cases.errors import InvalidInput
from qinqing.imports.reading import ImportFileError
from qinqing.imports.services import LoadError, import_cases


class Command(BaseCommand):
    help = (
        "Import a city's case history from another system: an Excel .xlsx file (Chinese or "
        "English headers) or a JSON lines .jsonl file, columns as in docs/import-cases.md. "
        "Every row is checked first; any problem is listed with its row number and nothing "
        "is loaded. Otherwise each case is registered and moved at its original times, as "
        "the platform's services do (most cases replayed in bulk; see --through-services). "
        "Cases imported before (same external id) are left as they are."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", help="the .xlsx or .jsonl file")
        parser.add_argument("--dry-run", action="store_true",
                            help="check the file and report; load nothing")
        parser.add_argument("--batch", type=int, default=1000,
                            help="cases per transaction (default 1000; 0: one transaction)")
        parser.add_argument("--through-services", action="store_true",
                            help="register and move every case through the services one by "
                                 "one (slow) instead of replaying them in bulk")

    def handle(self, *args, file, dry_run, batch, through_services=False, **options):
        if batch < 0:
            raise CommandError(_("--batch must be 0 or more"))

        def report(row, reason):
            self.stderr.write(_("row %(row)s: %(reason)s") % {"row": row, "reason": reason})

        def progress(done):
            self.stderr.write(f"\r{done}", ending="")

        try:
            summary = import_cases(file, dry_run=dry_run, batch=batch, report=report,
                                   progress=progress if self.stderr.isatty() else None,
                                   through_services=through_services)
        except (ImportFileError, InvalidInput) as exc:  # unreadable file; no organisation
            raise CommandError(str(exc)) from None
        except LoadError as exc:
            raise CommandError(_(
                "row %(row)s was refused while loading: %(reason)s. %(loaded)s case(s) of "
                "earlier batches are loaded; correct the row and run the import again (it "
                "skips what is loaded)") % {"row": exc.row, "reason": exc.reason,
                                            "loaded": exc.loaded}) from None
        if summary.bad_rows:
            raise CommandError(_("%(n)s problem(s) in %(file)s; nothing was imported")
                               % {"n": summary.bad_rows, "file": file})
        counts = {"rows": summary.rows, "new": summary.new, "unchanged": summary.unchanged,
                  "moves": summary.moves}
        if dry_run:
            self.stdout.write(_("dry run, nothing loaded. %(rows)s row(s) read: %(new)s new "
                                "case(s) with %(moves)s move(s), %(unchanged)s imported "
                                "before") % counts)
        else:
            self.stdout.write(_("imported. %(rows)s row(s) read: %(new)s case(s) loaded with "
                                "%(moves)s move(s), %(unchanged)s imported before and left "
                                "unchanged") % counts)
