"""Encryption, blind index and masking of reporters' personal data (domain.md §5a).

MultiFernet: the first key encrypts, every key decrypts, so a new key can be put in
front and old rows re-encrypted at leisure (`qinqing rotate-keys`). The phone number's
keyed hash (HMAC-SHA256 over the normalised number) lets staff find earlier cases of a
caller without decrypting; it uses a separate key that is not rotated with the others,
because rotating it would mean rehashing from decrypted numbers.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
import unicodedata
from functools import lru_cache

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings

QUERY_CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I/L: read over a phone
# 11 of 31 symbols: 54 bits, so that guessing stays hopeless even past the per-address
# limit of wrong tries (a botnet has many addresses). Codes given out when they were 8
# long (40 bits) still open their cases: a code is checked by its keyed hash, whatever
# its length.
QUERY_CODE_LENGTH = 11


@lru_cache(maxsize=4)
def _fernet(keys: tuple[str, ...]) -> MultiFernet:
    return MultiFernet([Fernet(key.encode()) for key in keys])


def fernet() -> MultiFernet:
    return _fernet(tuple(settings.QINQING_FIELD_KEYS))


def encrypt(text: str) -> str:
    return fernet().encrypt(text.encode()).decode() if text else ""


def decrypt(token: str) -> str:
    if not token:
        return ""
    try:
        return fernet().decrypt(token.encode()).decode()
    except InvalidToken:
        # A missing key must be loud: silently showing nothing would look like no data.
        raise RuntimeError("cannot decrypt personal data: the key that encrypted it is not "
                           "in QINQING_FIELD_KEYS") from None


def rotate(token: str) -> str:
    return fernet().rotate(token.encode()).decode() if token else ""


def keyed_hash(text: str) -> str:
    return hmac.new(settings.QINQING_INDEX_KEY.encode(), text.encode(), hashlib.sha256).hexdigest()


def normalise_phone(raw: str) -> str:
    digits = re.sub(r"\D", "", raw or "")
    for prefix in ("0086", "86"):
        if digits.startswith(prefix) and len(digits) - len(prefix) == 11:
            digits = digits[len(prefix):]
    return digits


def phone_index(raw: str) -> str:
    digits = normalise_phone(raw)
    return keyed_hash(f"phone:{digits}") if digits else ""


def new_query_code() -> str:
    return "".join(secrets.choice(QUERY_CODE_ALPHABET) for _ in range(QUERY_CODE_LENGTH))


def code_groups(code: str) -> list[str]:
    """A query code as shown, in fours: "ABCD EFGH JKM" is easier to say and to write
    down than eleven characters at once."""
    return [code[i:i + 4] for i in range(0, len(code), 4)]


def normalise_query_code(raw: str) -> str:
    """A query code as typed back: the code is shown in groups ("ZRBG VV2R"), read out over
    the phone and copied from SMS, so spaces, dashes and other separators, letter case
    and full-width characters (a Chinese input method) are not part of it."""
    text = unicodedata.normalize("NFKC", raw or "")
    return "".join(ch for ch in text if ch.isascii() and ch.isalnum()).upper()


def query_code_hash(case_id: int, code: str) -> str:
    """The keyed hash that checks a query code. It covers the case's id, so a code opens
    only the case it was given for (the id, unlike the number, is known before the
    intake's single statement takes the number: cases/services.py)."""
    return keyed_hash(f"query-case:{case_id}:{normalise_query_code(code)}")


def mask_phone(phone: str) -> str:
    digits = normalise_phone(phone)
    if len(digits) >= 7:
        return f"{digits[:3]}{'*' * (len(digits) - 7)}{digits[-4:]}"
    return "*" * len(digits)


def mask_name(name: str) -> str:
    name = name.strip()
    return f"{name[0]}{'*' * (len(name) - 1)}" if name else ""


def mask_id_number(id_number: str) -> str:
    value = id_number.strip()
    if len(value) <= 7:
        return "*" * len(value)
    return f"{value[:3]}{'*' * (len(value) - 7)}{value[-4:]}"


def mask_text(text: str) -> str:
    """Contact details and enterprise names: show only the first character."""
    return mask_name(text)
