"""Batcher: jobs from many threads become as few batches as they may, and each gets its own outcome.

Waits are bounded by thread joins, never asserted by timing: with quiet=3600 a batch can only start
because every expected job is queued or withdrawn, so a missed rule hangs the join and fails."""

from __future__ import annotations

import threading

import pytest

from ol_notebook.install import Batcher

NEVER = 3600.0  # a quiet period no test waits out


class Recorder:
    def __init__(self, failing: frozenset[str] = frozenset(), raising: BaseException | None = None):
        self.batches: list[list[str]] = []
        self.failing = failing
        self.raising = raising

    def __call__(self, batch: list[str]) -> list[BaseException | None]:
        self.batches.append(sorted(batch))
        if self.raising is not None:
            raise self.raising
        return [ValueError(f"{job} failed") if job in self.failing else None for job in batch]


def fits_anything(batch: list[str], job: str) -> bool:
    return True


def submit_all(batcher: Batcher[str], jobs: list[str]) -> dict[str, BaseException | None]:
    outcomes: dict[str, BaseException | None] = {}

    def submit(job: str) -> None:
        try:
            batcher.submit(job)
            outcomes[job] = None
        except BaseException as error:  # recorded for the assertion
            outcomes[job] = error

    threads = [threading.Thread(target=submit, args=(job,), daemon=True) for job in jobs]  # a hung one fails, not hangs
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not any(thread.is_alive() for thread in threads), "a submitter is still waiting"
    return outcomes


def test_every_expected_job_queued_makes_one_batch():
    run = Recorder()
    jobs = [f"job{i}" for i in range(12)]
    outcomes = submit_all(Batcher(run, len(jobs), fits_anything, quiet=NEVER), jobs)
    assert run.batches == [sorted(jobs)] and set(outcomes.values()) == {None}


def test_a_withdrawn_job_is_not_waited_for():
    run = Recorder()
    batcher = Batcher(run, 3, fits_anything, quiet=NEVER)
    batcher.withdraw()
    submit_all(batcher, ["a", "b"])
    assert run.batches == [["a", "b"]]


def test_jobs_that_do_not_fit_together_go_in_separate_batches():
    run = Recorder()
    clashing = {"left", "right"}

    def fits(batch: list[str], job: str) -> bool:
        return not (job in clashing and clashing & set(batch))

    submit_all(Batcher(run, 3, fits, quiet=NEVER), ["left", "right", "other"])
    assert len(run.batches) == 2 and all(len(clashing & set(batch)) == 1 for batch in run.batches)
    assert sorted(job for batch in run.batches for job in batch) == ["left", "other", "right"]


def test_each_job_gets_its_own_error():
    outcomes = submit_all(Batcher(Recorder(failing=frozenset({"bad"})), 3, fits_anything, quiet=NEVER),
                          ["good", "bad", "fine"])
    assert outcomes["good"] is None and outcomes["fine"] is None
    assert str(outcomes["bad"]) == "bad failed"


def test_a_batch_that_raises_fails_every_job_of_it():
    outcomes = submit_all(Batcher(Recorder(raising=RuntimeError("sandbox gone")), 2, fits_anything, quiet=NEVER),
                          ["a", "b"])
    assert [str(error) for error in outcomes.values()] == ["sandbox gone", "sandbox gone"]


def test_with_jobs_still_missing_a_batch_starts_after_the_quiet_period():
    run = Recorder()
    submit_all(Batcher(run, 5, fits_anything, quiet=0.01), ["early"])  # 4 never come: the quiet rule runs it
    assert run.batches == [["early"]]


@pytest.mark.parametrize("jobs", [1, 40])
def test_a_batch_of_any_size_runs_once(jobs):
    run = Recorder()
    submit_all(Batcher(run, jobs, fits_anything, quiet=NEVER), [f"j{i}" for i in range(jobs)])
    assert len(run.batches) == 1 and len(run.batches[0]) == jobs


def test_a_job_that_fits_no_batch_still_runs_alone():
    run = Recorder()
    submit_all(Batcher(run, 2, lambda batch, job: False, quiet=NEVER), ["loner", "other"])
    assert sorted(run.batches) == [["loner"], ["other"]]
