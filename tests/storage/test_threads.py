"""The SQLite store's worker threads: jobs run in order and hand back what they raise, and a
job stuck waiting (for SQLite's lock, in a stop during an outage) does not hold the process
back at exit."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import pytest

from storage.threads import DaemonThreads


def test_jobs_give_back_their_results_and_their_errors() -> None:
    threads = DaemonThreads(2, "test")
    try:
        assert [threads.submit(pow, 2, n).result(timeout=5) for n in range(5)] == [1, 2, 4, 8, 16]
        with pytest.raises(ZeroDivisionError):
            threads.submit(divmod, 1, 0).result(timeout=5)
    finally:
        threads.shutdown()


STUCK = """
import sqlite3, sys, threading
from storage.threads import DaemonThreads
path = sys.argv[1]
holder = sqlite3.connect(path, isolation_level=None)
holder.execute("CREATE TABLE t (x)")
holder.execute("BEGIN EXCLUSIVE")  # the outage: the file is locked
waiter = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
waiter.execute("PRAGMA busy_timeout=30000")
threads = DaemonThreads(1, "stuck")
threads.submit(waiter.execute, "INSERT INTO t VALUES (1)")
threading.Event().wait(0.5)  # the job now waits for the lock
threads.shutdown(wait=False)
"""


def test_a_job_waiting_for_a_lock_does_not_hold_the_exit_back(tmp_path: Path) -> None:
    began = time.monotonic()
    done = subprocess.run(
        [sys.executable, "-c", STUCK, str(tmp_path / "locked.db")],
        cwd=Path(__file__).parents[2],
        timeout=60,
        check=False,
        capture_output=True,
    )
    assert done.returncode == 0, done.stderr.decode()
    assert time.monotonic() - began < 20, "the process waited for the job's 30 s busy timeout"
