from django.core.management.base import BaseCommand, CommandError

from qinqing.cases.services import issue_token
from qinqing.org.models import User


class Command(BaseCommand):
    help = "Create an API token for a staff account and print it (shown only this once)."

    def add_arguments(self, parser):
        parser.add_argument("username")

    def handle(self, *args, username, **options):
        user = User.objects.filter(username=username, is_active=True).first()
        if user is None:
            raise CommandError(f"no active account named {username!r}")
        self.stdout.write(issue_token(user))
