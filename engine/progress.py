"""How long engine work reports progress and is asked to stop.

Every long-running engine function takes ``callback=None``. It is called now and
then with a :class:`Progress`; if it returns ``True`` the work stops early and
returns what it has (like SciPy's ``minimize`` callbacks). Pages turn this into
``st.progress`` plus a stop button, the CLI into tqdm.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable, Optional


@dataclass
class Progress:
    """``done`` of ``total`` units of work, a short message and optional partial results."""

    done: float
    total: float
    message: str = ""
    data: Any = field(default=None, repr=False)

    @property
    def fraction(self) -> float:
        return 0.0 if self.total <= 0 else min(1.0, max(0.0, self.done / self.total))


Callback = Optional[Callable[[Progress], Optional[bool]]]


def report(callback: Callback, done, total, message: str = "", data=None) -> bool:
    """Call ``callback`` (if any); return True when it asks the work to stop."""
    if callback is None:
        return False
    return bool(callback(Progress(done, total, message, data)))
