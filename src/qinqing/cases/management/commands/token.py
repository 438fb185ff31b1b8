from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from qinqing.cases.queries import api_tokens
from qinqing.cases.services import issue_token, revoke_tokens
from qinqing.org.models import User


class Command(BaseCommand):
    help = ("API tokens: `token USER` creates one and prints it (shown only this once), "
            "`token --list [USER]` lists them, `token --revoke ID` revokes one. A revoked "
            "token is refused by running servers within QINQING_TOKEN_TTL seconds.")

    def add_arguments(self, parser):
        parser.add_argument("username", nargs="?")
        parser.add_argument("--days", type=int, default=None,
                            help="days the new token is valid (default QINQING_TOKEN_DAYS)")
        action = parser.add_mutually_exclusive_group()
        action.add_argument("--list", action="store_true", help="list tokens (of USER)")
        action.add_argument("--revoke", type=int, metavar="ID", help="revoke token ID")

    def handle(self, *args, username=None, days=None, list=False, revoke=None, **options):
        if list:
            return self._list(username)
        if revoke is not None:
            if username:
                raise CommandError("--revoke takes a token id, not an account")
            if not api_tokens().filter(pk=revoke).exists():
                raise CommandError(f"no API token with id {revoke}")
            if revoke_tokens([revoke]):
                self.stdout.write(f"token {revoke} revoked")
            else:
                self.stdout.write(f"token {revoke} was already revoked")
            return
        if not username:
            raise CommandError("give an account to issue a token for, or --list / --revoke ID")
        user = User.objects.filter(username=username, is_active=True).first()
        if user is None:
            raise CommandError(f"no active account named {username!r}")
        if days is not None and days < 1:
            raise CommandError("--days must be at least 1")
        self.stdout.write(issue_token(user, days=days))

    def _list(self, username):
        now = timezone.now()
        self.stdout.write(f"{'id':>5}  {'account':<20} {'prefix':<9} {'issued':<16} "
                          f"{'expires':<16} status")
        for token in api_tokens(username):
            if not token.is_active:
                status = "revoked" + (f" {_when(token.revoked_at)}" if token.revoked_at else "")
            elif token.expires_at <= now:
                status = "expired"
            else:
                status = "active"
            self.stdout.write(f"{token.pk:>5}  {token.user.username:<20} {token.prefix:<9} "
                              f"{_when(token.created_at):<16} {_when(token.expires_at):<16} "
                              f"{status}")


def _when(moment) -> str:
    return timezone.localtime(moment).strftime("%Y-%m-%d %H:%M")
