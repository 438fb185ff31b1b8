"""Master data cached per process: categories, units, regions, time-limit policies and the
working calendar (`refdata`), and the cache class itself, also used for API tokens.

Every intake used to read five rows that almost never change (docs/performance.md). They
are now kept in the memory of each process, with two rules that keep them correct:

- **This process sees its own edits at once.** A save or delete of a watched model (see
  `ProcessCache.watch`, connected in `cases/signals.py` and `api/main.py`) empties the
  cache immediately and again when the transaction commits: the second time drops what
  another thread may have read between the edit and the commit. While the connection's
  transaction holds an uncommitted edit, lookups on it read through and store nothing,
  so a rolled-back edit can never be left in the cache.
- **Other processes see an edit within the TTL** (`QINQING_REFDATA_TTL` seconds, default
  5; 0 turns the cache off): each entry is loaded again when it is that old. Changes made
  behind the ORM's back (`QuerySet.update`, `bulk_create`, SQL) send no signal and are
  seen within the TTL too, in every process.

Only values that were found are stored, so callers cannot fill memory with unknown codes.
Model instances are handed out as copies: a caller that changes one (or caches a related
object on it) does not change what the next request gets.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Hashable
from typing import Any

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connections, models
from django.db.models.base import ModelState
from django.db.models.signals import post_delete, post_save

# Read through this name so tests can move time forward.
clock = time.monotonic

_instances: list[ProcessCache] = []


class ProcessCache:
    """A dict of loaded values per process, emptied by edits and expiring after a TTL."""

    def __init__(self, name: str, ttl_setting: str):
        self.name = name
        self.ttl_setting = ttl_setting
        self._entries: dict[Hashable, tuple[float, Any]] = {}
        # Bumped by every clear: a value loaded while an edit happened is not stored.
        self._generation = 0
        self._lock = threading.Lock()
        # Per connection (so per thread): the on-commit callbacks of edits not committed yet.
        self._pending_attr = f"_qinqing_pending_{name}"
        _instances.append(self)

    def ttl(self) -> float:
        return float(getattr(settings, self.ttl_setting))

    def get(self, key: Hashable, load: Callable[[], Any], *, refresh: bool = False) -> Any:
        """The value under `key`, from memory or from `load()` (stored unless None).

        refresh=True loads even when a value is held, and keeps the new one.
        """
        ttl = self.ttl()
        if ttl <= 0 or self._edit_pending():
            return _handed_out(load())
        now = clock()
        entry = self._entries.get(key)
        if entry is not None and entry[0] > now and not refresh:
            return _handed_out(entry[1])
        generation = self._generation
        value = load()
        if value is not None:
            with self._lock:
                if generation == self._generation and not self._edit_pending():
                    self._entries[key] = (now + ttl, value)
        return _handed_out(value)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
            self._generation += 1

    def invalidate(self, using: str = DEFAULT_DB_ALIAS,
                   then: Callable[[], None] | None = None) -> None:
        """An edit of a watched model on connection `using`: forget now and on commit.

        `then` runs on commit after the cache is emptied (the calendar's recompute of
        provisional deadlines uses it, so it sees the new calendar). Outside a
        transaction the edit is already committed and `then` runs at once.
        """
        self.clear()
        connection = connections[using]

        def committed():
            self.clear()
            if then is not None:
                then()

        if connection.in_atomic_block:
            pending = getattr(connection, self._pending_attr, None) or []
            setattr(connection, self._pending_attr, [*pending, committed])
        connection.on_commit(committed)  # outside a transaction: runs now

    def watch(self, *watched: type[models.Model], ignore_fields: frozenset[str] = frozenset()):
        """Invalidate on every save and delete of these models.

        A save that writes only `ignore_fields` (e.g. a user's last_login) does not count.
        """
        def changed(sender, using=DEFAULT_DB_ALIAS, update_fields=None, **kwargs):
            if update_fields and ignore_fields and set(update_fields) <= ignore_fields:
                return
            self.invalidate(using)

        for model in watched:
            for kind, signal in (("save", post_save), ("delete", post_delete)):
                signal.connect(changed, sender=model, weak=False,
                               dispatch_uid=f"{self.name}:{model._meta.label}:{kind}")

    def forget_pending_edits(self) -> None:
        """Treat this thread's uncommitted edits as committed (tests only: pytest-django
        never commits, and its fixtures' data stands for committed data)."""
        setattr(connections[DEFAULT_DB_ALIAS], self._pending_attr, [])

    def _edit_pending(self) -> bool:
        """True while this thread's connection holds an uncommitted edit of a watched model.

        An edit is pending while its on-commit callback is still queued: Django runs the
        queue on commit and drops it (or the part after a savepoint) on rollback.
        """
        connection = connections[DEFAULT_DB_ALIAS]
        pending = getattr(connection, self._pending_attr, None)
        if not pending:
            return False
        # run_on_commit is Django's queue behind transaction.on_commit(): not public API,
        # but it has been a list of (savepoint ids, callback, robust) since Django 4.2, and
        # tests/cases/test_refdata.py fails if that changes.
        queued = [entry[1] for entry in connection.run_on_commit]
        still = [callback for callback in pending if any(callback is q for q in queued)]
        if len(still) != len(pending):
            setattr(connection, self._pending_attr, still)
        return bool(still)


def _handed_out(value):
    if not isinstance(value, models.Model):
        return value
    # The shallow copy copy.copy() makes through Model.__reduce__ (its own __dict__ and
    # _state), built directly: the pickling route costs several times more, and every
    # intake takes half a dozen of these. (Cached models hold no memoryview fields,
    # which are the one thing __getstate__ treats specially.)
    clone = value.__class__.__new__(value.__class__)
    clone.__dict__.update(value.__dict__)
    state = clone._state = ModelState()
    state.__dict__.update(value._state.__dict__)
    # Related rows loaded with it (select_related, e.g. a user's unit) are copied too.
    state.fields_cache = {name: _handed_out(related) for name, related
                          in value._state.fields_cache.items()}
    return clone


def reset_all() -> None:
    """Empty every process cache and forget pending edits (between tests)."""
    for cache in _instances:
        cache.clear()
        cache.forget_pending_edits()


def forget_all_pending_edits() -> None:
    """forget_pending_edits() of every process cache (tests only)."""
    for cache in _instances:
        cache.forget_pending_edits()


refdata = ProcessCache("refdata", "QINQING_REFDATA_TTL")
