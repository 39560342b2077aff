"""Errors that cross a process boundary whole.

A rebuild's or a benchmark's child process sends what it raised back to its parent pickled, and
pickle makes an exception again from ``args``: the message alone, once ``__init__`` has passed
only its message on. An error whose constructor takes its parts (a code and a reason, a path and
a mode) then fails to unpickle, and the parent learns only that a child "terminated abruptly".
"""

from __future__ import annotations

import functools
from typing import Any


class KeepsItsParts:
    """Mixin for an exception whose ``__init__`` takes more than its message: it is pickled as
    the call that made it, so it comes back with the same parts (put it before the exception
    base: ``class Refused(KeepsItsParts, ValueError)``)."""

    _made_with: tuple[tuple[Any, ...], dict[str, Any]]

    def __new__(cls, *args: Any, **kwargs: Any) -> Any:
        error = super().__new__(cls, *args)  # type: ignore[call-arg]
        error._made_with = (args, kwargs)
        return error

    def __reduce__(self) -> tuple[Any, tuple[Any, ...], dict[str, Any]]:
        args, kwargs = self._made_with
        remake = functools.partial(type(self), **kwargs) if kwargs else type(self)
        return remake, args, vars(self)  # and what was set on it since (notes, for one)
