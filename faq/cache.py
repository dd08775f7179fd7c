"""The validated knowledge base and its built matcher kept on disk, so that a command that
answers one question (``dt4e-bot ask``) neither reads the YAML nor builds the index again at
every start.

The file's name is a hash of everything both are made from: the content files, the source
files of ``faq/`` and ``bot/basics/`` (the content's models), the Python version and the
versions of pydantic, PyYAML, the stemmer, rapidfuzz and the word lists (pyspellchecker). A
change to any of them gives another name, so a stale index is never read; the older files are
removed. The cache lives in ``$DT4E_CACHE_DIR``, else ``$XDG_CACHE_HOME/dt4e-bot``, else
``~/.cache/dt4e-bot``, readable by its owner only. Anything that goes wrong (no home, a
read-only disk, a damaged file) only means the index is built as usual. The file is a pickle:
it is read only from that folder, which only its owner can write.
"""

from __future__ import annotations

import hashlib
import logging
import os
import pickle
import sys
import tempfile
from collections.abc import Callable
from importlib import metadata
from pathlib import Path

from faq.knowledge import KnowledgeBase, load_knowledge
from faq.matcher import Matcher

log = logging.getLogger(__name__)

KEPT = 4  # cached indexes kept (several checkouts or versions may share the folder)


def cache_dir() -> Path | None:
    """Where cached indexes go, or ``None`` when there is no such place."""
    explicit = os.environ.get("DT4E_CACHE_DIR")
    if explicit is not None:
        return Path(explicit) if explicit else None  # DT4E_CACHE_DIR= turns the cache off
    base = os.environ.get("XDG_CACHE_HOME")
    try:
        return (Path(base) if base else Path.home() / ".cache") / "dt4e-bot"
    except RuntimeError:  # no home directory
        return None


def fingerprint(content_dir: Path) -> str:
    """A hash of what the index is built from."""
    digest = hashlib.sha256(sys.version.encode())
    for package in ("pydantic", "PyYAML", "PyStemmer", "rapidfuzz", "pyspellchecker"):
        try:
            digest.update(f"{package}={metadata.version(package)}".encode())
        except metadata.PackageNotFoundError:
            digest.update(package.encode())
    here = Path(__file__).resolve().parent
    code = [*sorted(here.glob("*.py")), *sorted((here.parent / "bot" / "basics").glob("*.py"))]
    for path in [*code, *sorted(content_dir.glob("*.yaml"))]:
        digest.update(path.name.encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:32]


def cached_index(
    content_dir: Path,
    folder: Path | None,
    build: Callable[[KnowledgeBase], Matcher] = Matcher,
) -> tuple[KnowledgeBase, Matcher]:
    """The knowledge base of ``content_dir`` and its matcher: read from ``folder`` when made
    before from the same files, else read, validated, built and written there."""
    if folder is None:
        return _made(content_dir, build)
    try:
        path = folder / f"matcher-{fingerprint(content_dir)}.pickle"
    except OSError:
        return _made(content_dir, build)
    try:
        with path.open("rb") as file:
            knowledge, matcher = pickle.load(file)
        if isinstance(knowledge, KnowledgeBase) and isinstance(matcher, Matcher):
            return knowledge, matcher
    except FileNotFoundError:
        pass
    except Exception as exc:  # a damaged or foreign file: build instead
        log.debug("cached matcher index %s unreadable (%s); building it", path.name, type(exc).__name__)
    made = _made(content_dir, build)
    _write(folder, path, made)
    return made


def _made(content_dir: Path, build: Callable[[KnowledgeBase], Matcher]) -> tuple[KnowledgeBase, Matcher]:
    knowledge = load_knowledge(content_dir)
    return knowledge, build(knowledge)


def _write(folder: Path, path: Path, made: tuple[KnowledgeBase, Matcher]) -> None:
    try:
        folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(dir=folder, prefix=".matcher-", suffix=".tmp")
        try:
            with os.fdopen(handle, "wb") as file:
                pickle.dump(made, file, protocol=pickle.HIGHEST_PROTOCOL)
            os.replace(temporary, path)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise
        older = sorted(folder.glob("matcher-*.pickle"), key=lambda p: p.stat().st_mtime, reverse=True)
        for stale in older[KEPT:]:
            stale.unlink(missing_ok=True)
    except OSError as exc:
        log.debug("cannot keep the matcher index in %s (%s)", folder, exc.strerror)
