"""Worker processes for work split by file or by unit: how many, and an order-keeping map.

A pool pays only when there are enough items and what comes back is light (plain data or bytes,
not large model trees), and only with more than one core; results always come back in input order,
so a parallel run gives the same bytes as a serial one.
"""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Callable, Iterator
from concurrent.futures import Executor, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from contextlib import contextmanager
from typing import Any, TypeVar

from engine.core.problems import InputError, Problem

T = TypeVar("T")
R = TypeVar("R")

POOL_MIN_ITEMS = 64
"""Below this a pool's start-up costs more than it saves (docs/performance.md)."""
MAX_WORKERS = 8


def cores() -> int:
    """The cores this process may run on (a container's limit, not the machine's)."""
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)


_limit: int | None = None


def limit_workers(workers: int | None) -> None:
    """Cap the workers of every later default (None: no cap). A threaded server sets 1: forking a process that
    runs request threads copies their locks mid-use."""
    global _limit
    _limit = workers


def default_workers(items: int) -> int:
    """A worker per core for enough items on several cores; 1 (no pool) otherwise."""
    workers = min(cores(), MAX_WORKERS) if items >= POOL_MIN_ITEMS else 1
    return workers if _limit is None else max(1, min(workers, _limit))


@contextmanager
def pool(workers: int, initializer: Callable[..., Any] | None = None, initargs: tuple = ()) -> Iterator[Executor]:
    """A process pool; forked where the system can (workers inherit what is loaded instead of importing it again).

    A worker killed under it (by the system when memory runs out, say) ends the run with a problem that says so,
    not with a traceback.
    """
    method = "fork" if "fork" in multiprocessing.get_all_start_methods() else "spawn"
    try:
        with ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context(method), initializer=initializer,
                                 initargs=initargs) as executor:
            yield executor
    except BrokenProcessPool:
        raise InputError([Problem(
            code="run.worker_stopped", file="(tiến trình chấm)", value=str(workers),
            message="một tiến trình chạy song song bị dừng đột ngột (thường do máy hết bộ nhớ); chưa ghi kết quả nào; "
                    "chạy lại với --jobs 1 hoặc trên máy nhiều bộ nhớ hơn")]) from None


def ordered_map(func: Callable[[T], R], items: list[T], workers: int) -> Iterator[R]:
    """func over items in input order; in `workers` processes when more than one (func must be module-level)."""
    if workers <= 1 or len(items) < 2:
        yield from map(func, items)
        return
    with pool(workers) as executor:
        yield from executor.map(func, items, chunksize=chunk_size(len(items), workers))


def chunk_size(items: int, workers: int) -> int:
    """Chunks small enough to balance the workers, large enough that sending them costs little."""
    return max(1, items // (workers * 8))

