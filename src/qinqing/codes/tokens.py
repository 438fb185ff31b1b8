"""The token a supervision code carries in its address, /c/<token>.

Twenty characters of lower-case base32 (a–z, 2–7): 100 random bits from `secrets`. A
guesser facing even a million live codes needs about 2^80 tries for one hit, and the
lookup limit (views.py) allows a few dozen wrong tries per address per quarter hour.
The address stays short and ASCII, so the QR code stays small (version 4 at error
correction M for a 40-character host) and legible on a table card.

Why random and stored rather than signed (django.core.signing): a signed token is tied
to SECRET_KEY, so rotating the key would void every plate on every window in the city;
it is also longer (payload + signature, over 40 characters). Revocation needs a database
row anyway. The token is no secret once printed on a wall, so it is stored as it is, in a
unique index: a forged token costs one index probe that finds nothing, like any other.
"""

from __future__ import annotations

import base64
import re
import secrets

LENGTH = 20
BITS = LENGTH * 5
FORMAT = re.compile(r"^[a-z2-7]{20}$")


def new_token() -> str:
    # 13 random bytes = 104 bits; base32 gives 21 characters before padding, cut to 20
    # (100 bits, each character 5 uniform bits).
    return base64.b32encode(secrets.token_bytes(13)).decode("ascii").lower()[:LENGTH]


def normalise(text: str) -> str | None:
    """The token as typed or scanned (some readers upper-case a URL), or None when it
    cannot be one: such text never reaches the database."""
    token = (text or "").strip().lower()
    return token if FORMAT.match(token) else None
