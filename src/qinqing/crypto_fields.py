"""The one field type for personal data kept encrypted, and the registry of its columns.

Every encrypted column of every app is an `EncryptedTextField`: a text column holding a
Fernet token made with `qinqing.cases.confidential` (MultiFernet over
QINQING_FIELD_KEYS). The model attribute named like the column (`phone_enc`) is the
token itself, so copying, bulk updates and `.only()` work on tokens without decrypting;
the attribute without the `_enc` suffix (`phone`) reads and writes the clear value,
unless the model defines that name itself (a duty phone normalises the number first).

`encrypted_columns()` finds the columns by field type over every installed model, so
`qinqing rotate-keys` (cases.services.rotate_keys) re-encrypts a column the moment it
is declared with this type: no list to keep up to date, none to forget.

Why not a library: django-fernet-fields is unmaintained (no release for Django 4 or 5)
and django-fernet-encrypted-fields derives its keys from SECRET_KEY and a salt, so it
cannot read the tokens already stored under QINQING_FIELD_KEYS.
"""

from __future__ import annotations

from django.apps import apps
from django.db import models

SUFFIX = "_enc"


class ClearValue:
    """The clear-text view of an encrypted column: decrypts on read, encrypts on write."""

    def __init__(self, attname: str):
        self.attname = attname

    def __get__(self, instance, owner=None):
        if instance is None:
            return self
        from qinqing.cases import confidential

        return confidential.decrypt(getattr(instance, self.attname))

    def __set__(self, instance, value: str) -> None:
        from qinqing.cases import confidential

        setattr(instance, self.attname, confidential.encrypt(value or ""))


class EncryptedTextField(models.TextField):
    """A Fernet token (text); the clear value is the attribute without `_enc`.

    The column's SQL type is TEXT like before: changing a TextField to this type needs
    no data migration, and values written before stay readable.
    """

    description = "Personal data encrypted with QINQING_FIELD_KEYS (a Fernet token)"

    def contribute_to_class(self, cls, name, private_only=False):
        super().contribute_to_class(cls, name, private_only=private_only)
        clear = name.removesuffix(SUFFIX)
        # A model's own property of that name wins (it may normalise the value first).
        if clear != name and not hasattr(cls, clear):
            setattr(cls, clear, ClearValue(self.attname))


def encrypted_columns() -> list[tuple[type[models.Model], tuple[str, ...]]]:
    """Every concrete model with encrypted columns, and those columns' attribute names.

    Proxy and unmanaged models are skipped: their rows are another model's rows, which
    are listed under that model.
    """
    found = []
    for model in apps.get_models():
        meta = model._meta
        if meta.proxy or not meta.managed:
            continue
        names = tuple(field.attname for field in meta.local_concrete_fields
                      if isinstance(field, EncryptedTextField))
        if names:
            found.append((model, names))
    return sorted(found, key=lambda item: item[0]._meta.label)
