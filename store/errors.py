"""What can go wrong when storing, in the two kinds the worker must tell apart."""

from __future__ import annotations

from eye.errors import EyeError


class StoreError(EyeError):
    """Base of the store's errors."""


class StoreUnavailable(StoreError):
    """The database cannot store the batch now, for a reason not in its rows (unreachable, a
    broken connection, a server fault); the same batch may succeed later."""


class RowsRejected(StoreError):
    """The database refused the rows themselves; retrying the same batch will not help."""


class ValueRejected(StoreError):
    """The database cannot take a value a read was given (text with a NUL character, a number
    out of its range): the caller's value is wrong, and asking again with it will not help."""
