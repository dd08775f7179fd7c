"""What a benchmark records about the code it measured: the commit, and whether the checkout
had uncommitted changes (read without touching the index)."""

from __future__ import annotations

import contextlib
import os
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def git_state(*, short: bool = False) -> tuple[str, bool | None]:
    """``(commit, dirty)``; ``("", None)`` outside a git checkout."""
    commit, dirty = "", None
    quiet = os.environ | {"GIT_OPTIONAL_LOCKS": "0"}  # read only: not even the index's stat cache
    with contextlib.suppress(OSError, subprocess.CalledProcessError):

        def git(*args: str) -> str:
            return subprocess.run(
                ["git", *args], cwd=ROOT, env=quiet, capture_output=True, text=True, check=True
            ).stdout.strip()

        commit = git("rev-parse", *(["--short"] if short else []), "HEAD")
        dirty = bool(git("status", "--porcelain", "--untracked-files=no"))
    return commit, dirty
