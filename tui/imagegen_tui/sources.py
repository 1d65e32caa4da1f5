"""What an edit was made from: its input images and mask, each named by content (sha256) and,
when it came from the history, by the generation and image it was.

The bytes are kept in `paths.sources_dir()` under their sha256, once however often they are
used, so that a re-run of an edit works after the user moved or deleted the files it named."""

from __future__ import annotations

import hashlib
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Literal

from imagegen_tui import paths, privatefile

Role = Literal["image", "mask"]


@dataclass(frozen=True)
class Source:
    role: Role
    name: str  # the file name it had when it was given (no folder: the folder may be private)
    sha256: str
    generation_id: int | None = None  # the history generation it came from, if any
    generation_uid: str | None = None  # the same, stable across machines (for `history import`)
    index: int | None = None  # which image of that generation (1-based)

    def copy(self) -> Path:
        return paths.sources_dir() / self.sha256

    def as_dict(self) -> dict[str, Any]:
        return {key: value for key, value in asdict(self).items() if value is not None}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Source:
        return cls(
            role="mask" if data.get("role") == "mask" else "image", name=str(data.get("name") or ""),
            sha256=str(data.get("sha256") or ""), generation_id=_int(data.get("generation_id")),
            generation_uid=data.get("generation_uid") if isinstance(data.get("generation_uid"), str) else None,
            index=_int(data.get("index")),
        )

    def label(self) -> str:
        """How a person recognises it: `#12 image 2` for a history image, else its name."""
        if self.generation_id is not None:
            return f"#{self.generation_id}" + (f" image {self.index}" if self.index else "")
        return self.name


def keep(data: bytes, name: str, role: Role = "image", *, generation_id: int | None = None,
         generation_uid: str | None = None, index: int | None = None) -> Source:
    """A Source for `data`, its bytes kept (once) in the sources folder. Blocking: disk work."""
    digest = hashlib.sha256(data).hexdigest()
    source = Source(role, Path(name).name, digest, generation_id, generation_uid, index)
    target = source.copy()
    if not target.exists():
        privatefile.write_private(target, data)
    return source


def load(source: Source) -> bytes:
    """The kept bytes of `source`; OSError (FileNotFoundError) when the copy is gone, ValueError
    when it no longer matches its sha256 (the copy was altered)."""
    data = source.copy().read_bytes()
    if hashlib.sha256(data).hexdigest() != source.sha256:
        raise ValueError(f"the kept copy of {source.name} ({source.copy()}) no longer matches its sha256")
    return data


def _int(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None

