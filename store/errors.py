"""What can go wrong when storing, in the two kinds the worker must tell apart; and psycopg's
errors under the names the other packages catch them by."""

from __future__ import annotations

from psycopg import Error as DatabaseError
from psycopg import OperationalError as DatabaseUnreachable
from psycopg.errors import QueryCanceled as StatementTimeout
from psycopg.errors import UndefinedTable as NoSuchTable
from psycopg_pool import PoolTimeout

from base.errors import EyeError

__all__ = ["DatabaseError", "DatabaseUnreachable", "NO_ANSWER", "NoSuchTable", "PoolTimeout",
           "RowsRejected", "StatementTimeout", "StoreError", "StoreUnavailable", "ValueRejected"]

# What a caller outside store/ catches when the database gave no answer: any of psycopg's
# errors, or no pool connection free in time.
NO_ANSWER = (DatabaseError, PoolTimeout)


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
