"""One shared thread pool for nogil numba kernels that split independent chains or replicas.

A kernel that owns disjoint rows (its own spins, fields and random stream per chain or replica)
can run on row ranges side by side: the numbers are the same whatever the thread count. The
pool is created on first use and shared by the whole process (every Streamlit session), so the
lab never starts more threads than cores.
"""
from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor

_POOL: ThreadPoolExecutor | None = None


def pool() -> ThreadPoolExecutor:
    """The process-wide pool (``os.cpu_count()`` workers)."""
    global _POOL
    if _POOL is None:
        _POOL = ThreadPoolExecutor(max_workers=os.cpu_count() or 1, thread_name_prefix="nn-lab")
    return _POOL


def thread_count(n_rows: int, requested: int | None = None) -> int:
    """Threads for ``n_rows`` independent rows: ``requested`` or one per core, never more than rows."""
    cap = (os.cpu_count() or 1) if requested is None else int(requested)
    return max(1, min(int(n_rows), cap))


def run_rows(kernel, n_rows: int, n_threads: int, *args) -> None:
    """``kernel(lo, hi, *args)`` over contiguous row ranges covering ``range(n_rows)``, in parallel."""
    if n_threads <= 1:
        kernel(0, n_rows, *args)
        return
    cuts = [round(i * n_rows / n_threads) for i in range(n_threads + 1)]
    jobs = [pool().submit(kernel, a, b, *args) for a, b in zip(cuts[:-1], cuts[1:]) if b > a]
    for job in jobs:
        job.result()
