"""Local worker processes that never outlive the process that started them.

``mhsim run``, ``compare``, ``sweep``, ``psa`` and the dashboard spread
replications over local processes. If the parent dies, however it dies
(Ctrl-C, a crash, SIGKILL from an out-of-memory killer or a closing laptop),
its workers must go too: left alone they would hold gigabytes for hours.
Python's pools only notice a dead parent when they next talk to it, and a
``forkserver`` outlives it, so every worker here is bound to its parent twice:

- on Linux, the kernel sends it SIGKILL when the thread that started it ends
  (``PR_SET_PDEATHSIG``), which also covers a parent killed with SIGKILL;
  used only when the pool is made and fed by one long-lived thread, as the
  signal follows the starting *thread*;
- everywhere, a watchdog thread in the worker checks twice a second that
  its parent is still the process that started it, and exits if not.

Workers are started with ``spawn`` (a fresh interpreter whose parent is this
process), never ``fork`` (unsafe beside the dashboard's threads) nor
``forkserver`` (whose server is the workers' parent and survives a SIGKILL).
"""

from __future__ import annotations

import itertools
import multiprocessing
import os
import signal
import sys
import threading
import time
from concurrent.futures import FIRST_COMPLETED, Executor, ProcessPoolExecutor, ThreadPoolExecutor, wait
from typing import Any, Callable, Iterable, Sequence

WATCH_SECONDS = 0.5
"""How often a worker checks that its parent is alive (it exits within about this long of its death)."""

_PR_SET_PDEATHSIG = 1


def context() -> multiprocessing.context.BaseContext:
    """The start method for every worker: spawn (the worker's parent is this process)."""
    return multiprocessing.get_context("spawn")


def bind_to_parent(parent_pid: int, kernel: bool, initializer: Callable[..., Any] | None = None,
                   initargs: Iterable[Any] = ()) -> None:
    """Worker initializer: exit when ``parent_pid`` dies, then run ``initializer``."""
    if kernel and sys.platform.startswith("linux"):
        try:
            import ctypes

            libc = ctypes.CDLL(None, use_errno=True)
            libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
        except (OSError, AttributeError):  # pragma: no cover - no prctl: the watchdog still works
            pass
    if os.getppid() != parent_pid:  # the parent died before the binding was in place
        os._exit(1)
    threading.Thread(target=_watch, args=(parent_pid,), daemon=True, name="mhsim-parent-watch").start()
    if initializer is not None:
        initializer(*initargs)


def _watch(parent_pid: int) -> None:
    while True:
        time.sleep(WATCH_SECONDS)
        if os.getppid() != parent_pid:  # re-parented: the parent is gone
            os._exit(1)


def worker_pool(workers: int, initializer: Callable[..., Any] | None = None, initargs: Iterable[Any] = ()) -> ProcessPoolExecutor:
    """A process pool whose workers exit when this process dies.

    Make it, submit to it and shut it down from one thread (``run_experiment``
    and ``run_sweep`` do, in a ``with`` block or ``try``/``finally``): with
    spawn, workers are started by the thread that submits.
    """
    kernel = threading.current_thread() is threading.main_thread()
    return ProcessPoolExecutor(max_workers=workers, mp_context=context(), initializer=bind_to_parent,
                               initargs=(os.getpid(), kernel, initializer, tuple(initargs)))


TASKS_IN_FLIGHT_PER_WORKER = 4
"""Tasks handed to the pool ahead of time, per worker: enough that no worker waits for its next task,
few enough that a long queue is not pickled up front and an interrupted run cancels quickly."""


def run_tasks(fn: Callable[[Any], Any], tasks: Sequence[Any], workers: int, on_result: Callable[[Any], None], *,
              initializer: Callable[..., Any] | None = None, initargs: Iterable[Any] = (),
              on_tick: Callable[[], None] | None = None, poll: float | None = None) -> None:
    """Run ``fn(task)`` for every task, handing each result to ``on_result`` (in this thread) as it finishes.

    The one executor of ``mhsim run``, ``compare`` and ``sweep``. With more than one worker and task, the
    tasks run on :func:`worker_pool` processes (which exit when this process dies), each worker running
    ``initializer(*initargs)`` first. Otherwise they run in this process: inline, or on one thread when
    ``on_tick`` is given, so that this thread can call ``on_tick`` every ``poll`` seconds while a long
    task runs (a sweep writes finished rows on time). Results come in the order tasks finish; callers
    key them by task, so the numbers do not depend on ``workers``.
    """
    workers = min(workers, len(tasks))
    if workers <= 1 and on_tick is None:
        if initializer is not None:
            initializer(*initargs)
        for task in tasks:
            on_result(fn(task))
        return
    pool: Executor
    if workers <= 1:
        if initializer is not None:
            initializer(*initargs)
        pool = ThreadPoolExecutor(max_workers=1)
    else:
        pool = worker_pool(workers, initializer=initializer, initargs=initargs)
    try:
        _feed(pool, fn, tasks, max(2, workers * TASKS_IN_FLIGHT_PER_WORKER), on_result, on_tick, poll)
    except BaseException:
        pool.shutdown(wait=False, cancel_futures=True)
        raise
    pool.shutdown(wait=True)


def _feed(pool: Executor, fn: Callable[[Any], Any], tasks: Sequence[Any], limit: int,
          on_result: Callable[[Any], None], on_tick: Callable[[], None] | None, poll: float | None) -> None:
    """Keep ``limit`` tasks in flight until every task has finished."""
    queue = iter(tasks)
    in_flight = {pool.submit(fn, task) for task in itertools.islice(queue, limit)}
    while in_flight:
        finished, in_flight = wait(in_flight, timeout=poll, return_when=FIRST_COMPLETED)
        for future in finished:
            on_result(future.result())
        if on_tick is not None:
            on_tick()
        in_flight |= {pool.submit(fn, task) for task in itertools.islice(queue, len(finished))}


def task_pool(workers: int, initializer: Callable[..., Any] | None = None, initargs: Iterable[Any] = ()):
    """A pebble process pool (per-task time limits and cancelling a running task kill its worker) whose
    workers exit when this process dies. Pebble starts workers from its own long-lived manager thread."""
    from pebble import ProcessPool

    return ProcessPool(max_workers=workers, initializer=bind_to_parent,
                       initargs=(os.getpid(), False, initializer, tuple(initargs)), context=context())


__all__ = ["worker_pool", "task_pool", "run_tasks", "bind_to_parent", "context", "WATCH_SECONDS"]
