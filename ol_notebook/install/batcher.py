"""Gather work submitted from many threads into batches, each run by one of the submitters.

The puller's threads each download (or build) one wheel and then need it installed. Installing
them one uv run at a time costs a sandbox and a uv start each; a Batcher lets every thread hand
its wheel over and wait, while one of them (the leader, whichever finds no batch running) installs
everything queued that fits together. A batch starts as soon as every job still expected is
queued, or when no new job arrived for `quiet` seconds: a warm pull, whose wheels are all cached,
becomes one batch; a cold one installs what has arrived while the rest still downloads.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Generic, TypeVar

Job = TypeVar("Job")

QUIET = 0.02  # seconds without a new job before a batch starts with what is queued


@dataclass
class _Slot(Generic[Job]):
    job: Job
    done: bool = False
    error: BaseException | None = None


class Batcher(Generic[Job]):
    """run(batch) -> one error or None per job, in order; fits(batch, job): may job join batch?

    expected: how many jobs will be submitted or withdrawn (a job that fails before its
    submission, or needs none, is withdrawn, so that nothing waits for it)."""

    def __init__(self, run: Callable[[list[Job]], Sequence[BaseException | None]], expected: int,
                 fits: Callable[[list[Job], Job], bool], quiet: float = QUIET):
        self._run = run
        self._fits = fits
        self._quiet = quiet
        self._changed = threading.Condition()
        self._queue: list[_Slot[Job]] = []
        self._outstanding = expected  # submitted and waiting, or still to come
        self._running = False
        self._last_arrival = time.monotonic()

    def withdraw(self) -> None:
        """One of the expected jobs will never be submitted."""
        with self._changed:
            self._outstanding -= 1
            self._changed.notify_all()

    def submit(self, job: Job) -> None:
        """Wait until a batch holding `job` ran (perhaps leading it); raise the error it had."""
        slot = _Slot(job)
        with self._changed:
            self._queue.append(slot)
            self._last_arrival = time.monotonic()
            self._changed.notify_all()
            while not slot.done:
                wait = self._wait_before_leading()
                if wait == 0:
                    self._lead()
                else:
                    self._changed.wait(wait)
        if slot.error is not None:
            raise slot.error

    def _wait_before_leading(self) -> float | None:
        """0: start a batch now; else seconds to wait for more jobs (None: until something changes)."""
        if self._running or not self._queue:
            return None
        if len(self._queue) >= self._outstanding:
            return 0
        return max(0.0, self._last_arrival + self._quiet - time.monotonic())

    def _lead(self) -> None:
        """Run one batch of what is queued; called and returns with the condition's lock held."""
        batch: list[_Slot[Job]] = []
        for slot in list(self._queue):  # the oldest always goes, so a job that fits nothing still runs
            if not batch or self._fits([taken.job for taken in batch], slot.job):
                batch.append(slot)
                self._queue.remove(slot)
        self._running = True
        self._outstanding -= len(batch)
        self._changed.release()
        try:
            outcome = list(self._run([slot.job for slot in batch]))
        except BaseException as error:  # every job of the batch gets it; the leader raises it too
            outcome = [error] * len(batch)
        finally:
            self._changed.acquire()
        for slot, error in zip(batch, outcome, strict=True):
            slot.error, slot.done = error, True
        self._running = False
        self._changed.notify_all()
