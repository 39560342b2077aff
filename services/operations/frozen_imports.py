"""Imported last by the rebuild's fork server, after everything its processes need: freezes the
objects the imports made, so that the processes it forks keep sharing those pages with it.

A forked process shares its parent's pages until it writes to one. Python's collector writes to
the header of every object it examines, and a full collection in a rebuild process, which a long
rebuild runs, examines every object the imports made: each such page is then copied into the
process. Frozen objects (``gc.freeze``) are left out of every collection; they are modules,
classes and functions that live as long as the process, so nothing is lost by not collecting
them. No collection first: the holes it would leave in the shared pages are where the
processes' first objects would go, copying those pages at once (the advice of ``gc.freeze``'s
documentation).
"""

from __future__ import annotations

import gc

gc.freeze()
