from django.core.management.base import BaseCommand, CommandError

from qinqing.cases.routing_import import (
    ImportFileError, InvalidCatalogue, import_assignment_rules, read_rules, validate,
)


class Command(BaseCommand):
    help = (
        "Import the assignment catalogue (派单目录) from an Excel .xlsx file. Columns, by "
        "header: 类别编码/category, 区划代码/region (empty: any region), 主办单位编码/lead_unit, "
        "协办单位编码/co_units (separated by , ， 、 or ;), 依据/basis (optional). Every row is "
        "checked first; any problem is listed with its row number and nothing is changed. "
        "Otherwise each (category, region) in the file gets the new rule (the old one is kept "
        "as inactive history); rules the file does not mention stay as they are."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", help="the .xlsx workbook")
        parser.add_argument("--dry-run", action="store_true",
                            help="check the file and print what would change; write nothing")

    def handle(self, *args, file, dry_run, **options):
        try:
            rows = read_rules(file)
        except ImportFileError as exc:
            raise CommandError(str(exc)) from None
        errors = validate(rows)
        if not errors:
            try:
                counts = import_assignment_rules(rows, dry_run=dry_run)
            except InvalidCatalogue as exc:  # changed by someone else in between
                errors = exc.errors
        if errors:
            for line in errors:
                self.stderr.write(line)
            raise CommandError(f"{len(errors)} problem(s) in {file}; nothing was imported")
        summary = (f"{len(rows)} rule(s) read: {counts['created']} created, "
                   f"{counts['replaced']} replaced, {counts['unchanged']} unchanged")
        if dry_run:
            self.stdout.write(f"dry run, nothing written. {summary}")
        else:
            self.stdout.write(f"assignment catalogue imported. {summary}")
