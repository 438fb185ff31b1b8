"""`qinqing demo`: build the demo city and print its logins."""

from django.core.management.base import BaseCommand

from qinqing.org.demo import DEMO_LOGINS, DEMO_PASSWORD, build_demo_organisation


class Command(BaseCommand):
    help = "Create (or refresh) the fictional demo city 示范市 with one login per role."

    def handle(self, *args, **options):
        counts = build_demo_organisation()
        self.stdout.write(
            f"demo organisation: {counts['units']} units, {counts['logins']} logins "
            f"({counts['logins_created']} new). All data is fictional (region codes 99xxxx)."
        )
        self.stdout.write("")
        self.stdout.write(f"Demo logins (password for each: {DEMO_PASSWORD}):")
        for login in DEMO_LOGINS:
            self.stdout.write(f"  {login.username:<11} {login.role.label}  {login.full_name}")
        self.stdout.write("Change these passwords before anyone else can reach the server.")
