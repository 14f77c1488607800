"""What the store records about each entry, beside its files (`meta.json`).

Enough to answer "where did this come from and can I trust it" without opening the files:
the exact artifact (file name, URL, sha256, index), what it needs (Requires-Dist), what it
provides (import names), and what it costs (size, install time).
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from pathlib import Path


@dataclass(frozen=True)
class EntryMetadata:
    name: str
    version: str
    filename: str
    url: str
    sha256: str
    index: str
    requires_dist: tuple[str, ...] = ()
    requires_python: str | None = None
    provides_extra: tuple[str, ...] = ()
    import_names: tuple[str, ...] = ()
    import_names_rule: int = 1  # distinfo.IMPORT_NAMES_RULE when recorded (absent: the first rule)
    size: int = 0
    file_count: int = 0
    installed_at: str = ""
    install_seconds: float = 0.0
    built_wheel: str | None = None  # for sdists: the wheel we built from it

    def write(self, path: Path) -> None:
        path.write_text(json.dumps(asdict(self), indent=1, sort_keys=True) + "\n", encoding="utf-8")

    @classmethod
    def read(cls, path: Path) -> EntryMetadata:
        data = json.loads(path.read_text(encoding="utf-8"))
        for key in ("requires_dist", "provides_extra", "import_names"):
            data[key] = tuple(data.get(key, ()))
        known = cls.__dataclass_fields__
        return cls(**{key: value for key, value in data.items() if key in known})
