"""Backups of the database: `manage.py backup` and `manage.py restore`.

SQLite (the embedded default): Python's sqlite3 online backup API copies the live file page by
page inside one read transaction. In WAL mode readers never block writers, so the shop keeps
taking orders while it runs, and the copy is the database as it was at one instant: every
transaction in it whole, none half. The copy is checked (`PRAGMA integrity_check`) before it
is kept.

PostgreSQL: `pg_dump --format=custom` (a consistent snapshot, also while the shop works) and
`pg_restore --clean --if-exists --single-transaction`. The client tools must be of the
server's major version or newer.

A restore replaces the whole database: stop the web processes and workers first. `--to`
restores into another database instead (to check a backup without touching the live one)."""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import dj_database_url
from django.conf import settings
from django.db import connections
from django.utils import timezone


class BackupError(RuntimeError):
    pass


@dataclass(frozen=True)
class Target:
    engine: str  # "sqlite" or "postgresql"
    name: str  # the SQLite file, or the database URL for PostgreSQL
    url: str = ""


def target_from_url(url: str) -> Target:
    config = dj_database_url.parse(url)
    if config["ENGINE"] == "django.db.backends.sqlite3":
        return Target("sqlite", config["NAME"])
    if "postgresql" in config["ENGINE"]:
        return Target("postgresql", config["NAME"], url=url)
    raise BackupError(f"backups support SQLite and PostgreSQL, not {config['ENGINE']}")


def current_target(alias: str = "default") -> Target:
    db = connections[alias].settings_dict
    if db["ENGINE"] == "django.db.backends.sqlite3":
        return Target("sqlite", str(db["NAME"]))
    if "postgresql" in db["ENGINE"]:
        auth = db["USER"] or ""
        if db.get("PASSWORD"):
            auth += f":{db['PASSWORD']}"
        host = db["HOST"] or "127.0.0.1"
        port = db["PORT"] or 5432
        url = f"postgresql://{auth}@{host}:{port}/{db['NAME']}"
        return Target("postgresql", db["NAME"], url=url)
    raise BackupError(f"backups support SQLite and PostgreSQL, not {db['ENGINE']}")


def default_backup_path(target: Target) -> Path:
    folder = Path(getattr(settings, "BACKUP_DIR", "") or settings.VAR_DIR / "backups")
    folder.mkdir(parents=True, exist_ok=True)
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M%S")
    suffix = "sqlite3" if target.engine == "sqlite" else "pgdump"
    return folder / f"donhang-{stamp}.{suffix}"


def _integrity(path: Path) -> None:
    with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as conn:
        verdict = conn.execute("PRAGMA integrity_check").fetchone()[0]
    conn.close()
    if verdict != "ok":
        raise BackupError(f"{path} is damaged: {verdict}")


def sqlite_backup(source: str | Path, destination: str | Path) -> Path:
    """Copy a live SQLite database with the online backup API (one step: one consistent
    snapshot). Written to a temporary name, checked, then moved in place."""
    destination = Path(destination)
    destination.parent.mkdir(parents=True, exist_ok=True)
    partial = destination.with_name(destination.name + ".partial")
    partial.unlink(missing_ok=True)
    src = sqlite3.connect(str(source), timeout=30)
    dst = sqlite3.connect(str(partial))
    try:
        src.backup(dst, pages=-1)
        # A backup is one file: no -wal or -shm beside it.
        dst.execute("PRAGMA journal_mode=DELETE")
    finally:
        dst.close()
        src.close()
    _integrity(partial)
    os.replace(partial, destination)
    return destination


def sqlite_restore(backup: str | Path, destination: str | Path) -> None:
    """Write a backup over (or as) the database file `destination`, through SQLite itself, so
    that a database left in WAL mode gets a consistent result."""
    backup = Path(backup)
    if not backup.exists():
        raise BackupError(f"{backup} does not exist")
    _integrity(backup)
    Path(destination).parent.mkdir(parents=True, exist_ok=True)
    src = sqlite3.connect(f"file:{backup}?mode=ro", uri=True)
    dst = sqlite3.connect(str(destination), timeout=30)
    try:
        src.backup(dst, pages=-1)
    finally:
        dst.close()
        src.close()


def _tool(name: str) -> str:
    found = shutil.which(name)
    if not found:
        raise BackupError(f"{name} is not installed (PostgreSQL client tools)")
    return found


def _redacted(url: str) -> str:
    parts = urlsplit(url)
    if parts.password:
        return url.replace(f":{parts.password}@", ":***@")
    return url


def postgres_backup(url: str, destination: str | Path) -> Path:
    destination = Path(destination)
    destination.parent.mkdir(parents=True, exist_ok=True)
    partial = destination.with_name(destination.name + ".partial")
    run = subprocess.run(
        [_tool("pg_dump"), "--format=custom", "--no-owner", "--file", str(partial), url],
        capture_output=True,
        text=True,
    )
    if run.returncode != 0:
        partial.unlink(missing_ok=True)
        raise BackupError(f"pg_dump of {_redacted(url)} failed: {run.stderr.strip()}")
    os.replace(partial, destination)
    return destination


def postgres_restore(backup: str | Path, url: str) -> None:
    if not Path(backup).exists():
        raise BackupError(f"{backup} does not exist")
    run = subprocess.run(
        [
            _tool("pg_restore"),
            "--clean",
            "--if-exists",
            "--no-owner",
            "--single-transaction",
            "--dbname",
            url,
            str(backup),
        ],
        capture_output=True,
        text=True,
    )
    if run.returncode != 0:
        raise BackupError(f"pg_restore into {_redacted(url)} failed: {run.stderr.strip()}")


def backup(destination: str | Path | None = None, *, alias: str = "default") -> Path:
    target = current_target(alias)
    destination = Path(destination) if destination else default_backup_path(target)
    if target.engine == "sqlite":
        return sqlite_backup(target.name, destination)
    return postgres_backup(target.url, destination)


def restore(backup_path: str | Path, *, to_url: str = "", alias: str = "default") -> Target:
    target = target_from_url(to_url) if to_url else current_target(alias)
    if not to_url:
        connections[alias].close()
    if target.engine == "sqlite":
        sqlite_restore(backup_path, target.name)
    else:
        postgres_restore(backup_path, target.url)
    return target
