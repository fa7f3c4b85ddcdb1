"""The one error type the engine raises for bad input.

Every public engine function validates its arguments at the boundary and raises
:class:`EngineError` (a ``ValueError``) with a message of the form
"`name` must be <expected>, got <found>". Pages catch this one type and show it
with ``st.error``; anything else is a bug.
"""
from __future__ import annotations


class EngineError(ValueError):
    """Bad input to the engine: the message says what was expected and what was got."""


def expected(name: str, what: str, got) -> EngineError:
    """Build the house-style message: "`name` must be what, got got"."""
    return EngineError(f"`{name}` must be {what}, got {got!r}")
