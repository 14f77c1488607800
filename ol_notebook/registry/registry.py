"""The lambda registry on disk:

    <root>/<name>/versions/<n>/handler.py        the code, exactly as deployed
    <root>/<name>/versions/<n>/requirements.in   what the user asked for
    <root>/<name>/versions/<n>/closure.json      what it compiled to (pins, hashes, index)
    <root>/<name>/versions/<n>/pylock.toml       the same as a PEP 751 lock, as installed (if it could be
                                                 locked truly; versions deployed before locks have none)
    <root>/<name>/versions/<n>/version.json      number, time, settings
    <root>/<name>/current -> versions/<n>        the version that serves

A version directory is written under a staging name and renamed into place whole; `current`
is a symlink replaced by rename. So a deploy that fails at any point leaves the serving
version untouched, and readers never see half a version.

A version is born with a `.staged` mark, removed by `activate` just before it first serves. A
deploy that fails discards its version; one that was killed midway leaves a marked one, which
`history` does not list, so `rollback` can only ever go to a version that served.

    <root>/<name>/activations.json               versions in the order they became current

`rollback` goes back to the version that was current before the present one (see activations.py).
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from ol_notebook.errors import OLError
from ol_notebook.registry import activations
from ol_notebook.registry.settings import LambdaSettings
from ol_notebook.registry.validate import InvalidLambda, validate_code, validate_name
from ol_notebook.resolve import Closure
from ol_notebook.store.locks import file_lock

HISTORY = 5
HANDLER = "handler.py"
LOCK = "pylock.toml"
STAGED = ".staged"  # in a version that never served


class RegistryError(OLError):
    """The registry cannot do what was asked (unknown lambda or version)."""


@dataclass(frozen=True)
class LambdaVersion:
    name: str
    number: int
    path: Path
    requirements: str
    closure: Closure
    settings: LambdaSettings
    created_at: str

    @property
    def code(self) -> str:
        return (self.path / HANDLER).read_text(encoding="utf-8")

    @property
    def lock_path(self) -> Path:
        return self.path / LOCK

    @property
    def lock(self) -> str | None:
        """The PEP 751 lock written when it was deployed, or None if it has none."""
        try:
            return self.lock_path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return None

    @property
    def id(self) -> str:
        """Changes whenever code, pins or settings change: the runtime starts afresh on a new id."""
        return f"{self.name}@{self.number}"


@dataclass(frozen=True)
class Rollback:
    """What a rollback did: `version` serves now, in place of version `replaced`; `reason` says why
    that version ("the version current before version 3")."""

    version: LambdaVersion
    replaced: int
    reason: str

    @property
    def message(self) -> str:
        return f"{self.version.name} now serves version {self.version.number} ({self.reason})"

    def to_dict(self) -> dict[str, int | str]:
        return {"from": self.replaced, "to": self.version.number, "message": self.message}


class Registry:
    def __init__(self, root: Path):
        self.root = Path(root).expanduser().resolve()
        self.root.mkdir(parents=True, exist_ok=True)

    def names(self) -> list[str]:
        return sorted(path.name for path in self.root.iterdir() if (path / "current").is_symlink())

    def current(self, name: str) -> LambdaVersion | None:
        link = self.root / validate_name(name) / "current"
        try:
            return self._read(name, link.resolve(strict=True))
        except FileNotFoundError:
            return None

    def require(self, name: str) -> LambdaVersion:
        version = self.current(name)
        if version is None:
            known = ", ".join(self.names()) or "none yet"
            raise RegistryError(f"there is no lambda named {name!r} (deployed: {known})")
        return version

    def version(self, name: str, number: int | None = None) -> LambdaVersion:
        """Version `number` of the lambda if it is kept (the current one without a number)."""
        current = self.require(name)
        if number is None or number == current.number:
            return current
        history = {version.number: version for version in self.history(name)}
        if number not in history:
            raise RegistryError(f"lambda {name!r} has no version {number} (kept: {', '.join(map(str, history))})")
        return history[number]

    def history(self, name: str) -> list[LambdaVersion]:
        """The kept versions that served, oldest first (the current one included)."""
        versions = self.root / validate_name(name) / "versions"
        if not versions.is_dir():
            return []
        try:  # the current version is listed even if a crash left its mark
            current = os.path.basename(os.readlink(versions.parent / "current"))
        except OSError:
            current = None
        numbers = sorted(int(path.name) for path in versions.iterdir()
                         if path.name.isdigit() and (path.name == current or not (path / STAGED).exists()))
        return [self._read(name, versions / str(number)) for number in numbers]

    def stage(
        self, name: str, code: str, requirements: str, closure: Closure, settings: LambdaSettings,
        lock: str | None = None,
    ) -> LambdaVersion:
        """Write a new version whole (with `lock`, its pylock.toml, beside its closure); it does not
        serve until `activate`."""
        validate_name(name)
        validate_code(code, name)
        home = self.root / name
        versions = home / "versions"
        versions.mkdir(parents=True, exist_ok=True)
        with file_lock(home / "lock"):
            numbers = [int(path.name) for path in versions.iterdir() if path.name.isdigit()]
            number = max(numbers, default=0) + 1
            staging = Path(tempfile.mkdtemp(prefix=".staging-", dir=home))
            try:
                (staging / HANDLER).write_text(code, encoding="utf-8")
                (staging / "requirements.in").write_text(requirements, encoding="utf-8")
                closure.write_json(staging / "closure.json")
                if lock is not None:
                    (staging / LOCK).write_text(lock, encoding="utf-8")
                meta = {"number": number, "created_at": datetime.now(UTC).isoformat(timespec="seconds"),
                        "settings": settings.to_dict()}
                (staging / "version.json").write_text(json.dumps(meta, indent=1) + "\n", encoding="utf-8")
                (staging / STAGED).touch()
                os.chmod(staging, 0o755)
                os.rename(staging, versions / str(number))
            except BaseException:
                shutil.rmtree(staging, ignore_errors=True)
                raise
        return self._read(name, versions / str(number))

    def activate(self, version: LambdaVersion) -> None:
        """Make `version` the one that serves, in one rename; prune history beyond HISTORY."""
        with file_lock(self.root / version.name / "lock"):
            self._activate(version)

    def _activate(self, version: LambdaVersion) -> None:
        """`activate`, for a caller that holds the lambda's lock. The activation is recorded
        first: a crash between the two leaves a recorded version that never served, which
        `activations.previous` skips, never a served version that is not recorded."""
        home = self.root / version.name
        activations.record(home, version.number)
        link = home / f".current-{os.getpid()}"
        link.unlink(missing_ok=True)
        os.symlink(Path("versions") / str(version.number), link)
        os.replace(link, home / "current")
        (version.path / STAGED).unlink(missing_ok=True)
        for old in self.history(version.name)[:-HISTORY]:
            if old.number != version.number:
                shutil.rmtree(old.path, ignore_errors=True)

    def discard(self, version: LambdaVersion) -> None:
        """Drop a staged version that never served (a deploy that failed after staging); a
        version that is current, or served once, stays."""
        current = self.current(version.name)
        if (current is None or current.number != version.number) and (version.path / STAGED).exists():
            shutil.rmtree(version.path, ignore_errors=True)

    def rollback(self, name: str, number: int | None = None) -> Rollback:
        """Serve an earlier version again: the one given, else the one that was current before
        the present one (or, if that one was pruned, the newest kept version before it)."""
        self.require(name)  # before the lock, which would create the home of an unknown name
        home = self.root / name
        with file_lock(home / "lock"):
            current = self.require(name)
            history = {version.number: version for version in self.history(name)}
            kept = ", ".join(str(n) for n in history)
            if number is None:
                choice = activations.previous(activations.read(home), current.number, history,
                                              lambda n: (home / "versions" / str(n) / STAGED).exists())
                if choice.number is None:
                    raise RegistryError(f"lambda {name!r} cannot roll back: {choice.reason} (kept: {kept})")
                target, reason = history[choice.number], choice.reason
            elif number in history:
                target = history[number]
                reason = "as asked" + (f", in place of version {current.number}" if number != current.number else "")
            else:
                raise RegistryError(f"lambda {name!r} has no version {number} (kept: {kept})")
            self._activate(target)
        return Rollback(target, current.number, reason)

    def remove(self, name: str) -> None:
        self.require(name)
        home = self.root / name
        trash = self.root / f".removed-{name}-{os.getpid()}"
        os.rename(home, trash)
        shutil.rmtree(trash, ignore_errors=True)

    def _read(self, name: str, path: Path) -> LambdaVersion:
        try:
            meta = json.loads((path / "version.json").read_text(encoding="utf-8"))
            return LambdaVersion(
                name=name,
                number=meta["number"],
                path=path,
                requirements=(path / "requirements.in").read_text(encoding="utf-8"),
                closure=Closure.from_json((path / "closure.json").read_text(encoding="utf-8")),
                settings=LambdaSettings.from_dict(meta["settings"]),
                created_at=meta["created_at"],
            )
        except (OSError, ValueError, KeyError) as error:
            raise RegistryError(f"lambda {name!r} version at {path} is unreadable: {error}") from error


__all__ = ["HANDLER", "LOCK", "InvalidLambda", "LambdaVersion", "Registry", "RegistryError", "Rollback"]
