"""The history: every generation and its images, in SQLite.

A generation's row is written before its request is sent and completed after, so a crash
never loses a prompt. Several processes (the TUI, headless commands) share the file: WAL, a
busy timeout and BEGIN IMMEDIATE for writes. Each writing process owns a lock file of its own
(locks.py) for as long as it lives; at open, rows left `running` or `queued` by a process whose
lock is gone become `interrupted`.
"""

from __future__ import annotations

import json
import re
import sqlite3
import threading
import time
from collections.abc import Collection, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager, suppress
from dataclasses import astuple, dataclass, field
from pathlib import Path
from typing import Any

from imagegen_tui import locks
from imagegen_tui.prices import Price, Spend, cost
from imagegen_tui.request import AnyRequest, ImageRequest
from imagegen_tui.results import Usage
from imagegen_tui.saving import SavedImage
from imagegen_tui.sources import Source

ACTIVE = ("queued", "running")
BUSY_TIMEOUT_S = 10.0

# Forward migrations; the schema version is PRAGMA user_version = how many have run.
MIGRATIONS: tuple[tuple[str, ...], ...] = (
    (  # 1: generations and their images
        """CREATE TABLE generations (
            id INTEGER PRIMARY KEY AUTOINCREMENT,  -- ids are shown to users: never reused
            uid TEXT NOT NULL UNIQUE,
            created_at REAL NOT NULL,
            profile TEXT NOT NULL,
            provider TEXT NOT NULL,
            model TEXT NOT NULL,
            prompt TEXT NOT NULL,
            params TEXT NOT NULL,
            n INTEGER NOT NULL,
            size TEXT,
            quality TEXT,
            status TEXT NOT NULL,
            error_kind TEXT,
            error_message TEXT,
            started_at REAL,
            finished_at REAL,
            elapsed REAL,
            input_tokens INTEGER,
            output_tokens INTEGER,
            total_tokens INTEGER,
            input_text_tokens INTEGER,
            input_image_tokens INTEGER,
            request_id TEXT,
            favourite INTEGER NOT NULL DEFAULT 0,
            note TEXT,
            parent_id INTEGER REFERENCES generations(id) ON DELETE SET NULL,
            image_count INTEGER NOT NULL DEFAULT 0,
            runner TEXT,
            day TEXT NOT NULL  -- local date when made, so stats by day need no sort
        )""",
        "CREATE INDEX generations_newest ON generations(created_at DESC, id DESC)",
        "CREATE INDEX generations_status ON generations(status, created_at)",
        "CREATE INDEX generations_model ON generations(model, created_at)",
        "CREATE INDEX generations_profile ON generations(profile, created_at)",
        "CREATE INDEX generations_favourite ON generations(created_at) WHERE favourite = 1",
        # covers counts and stats (named with INDEXED BY), so they read a few MB of index
        # instead of every row's prompt and parameters
        """CREATE INDEX generations_ledger ON generations(model, status, created_at, profile, favourite, image_count,
            input_tokens, output_tokens, total_tokens, input_text_tokens, input_image_tokens)""",
        """CREATE INDEX generations_days ON generations(day, model, status, created_at, image_count,
            input_tokens, output_tokens, total_tokens, input_text_tokens, input_image_tokens)""",
        """CREATE TABLE images (
            id INTEGER PRIMARY KEY,
            generation_id INTEGER NOT NULL REFERENCES generations(id) ON DELETE CASCADE,
            idx INTEGER NOT NULL,
            path TEXT NOT NULL,
            width INTEGER,
            height INTEGER,
            format TEXT,
            bytes INTEGER,
            revised_prompt TEXT,
            thumbnail TEXT,
            UNIQUE (generation_id, idx)
        )""",
        "CREATE INDEX images_path ON images(path)",
    ),
    (  # 2: full-text search over prompts and notes, kept in sync by triggers
        """CREATE VIRTUAL TABLE generations_fts USING fts5(
            prompt, note, content='generations', content_rowid='id',
            prefix='2 3', tokenize='unicode61 remove_diacritics 2'
        )""",
        """CREATE TRIGGER generations_fts_insert AFTER INSERT ON generations BEGIN
            INSERT INTO generations_fts(rowid, prompt, note) VALUES (new.id, new.prompt, new.note);
        END""",
        """CREATE TRIGGER generations_fts_delete AFTER DELETE ON generations BEGIN
            INSERT INTO generations_fts(generations_fts, rowid, prompt, note) VALUES ('delete', old.id, old.prompt, old.note);
        END""",
        """CREATE TRIGGER generations_fts_update AFTER UPDATE OF prompt, note ON generations BEGIN
            INSERT INTO generations_fts(generations_fts, rowid, prompt, note) VALUES ('delete', old.id, old.prompt, old.note);
            INSERT INTO generations_fts(rowid, prompt, note) VALUES (new.id, new.prompt, new.note);
        END""",
        "INSERT INTO generations_fts(generations_fts) VALUES ('rebuild')",
    ),
    (  # 3: images paid for but not yet in the output folder: their bytes wait in a recovery folder
        "ALTER TABLE images ADD COLUMN kept INTEGER NOT NULL DEFAULT 0",
    ),
    (  # 4: edits and their lineage: what each was made from, by content and by history id
        "ALTER TABLE generations ADD COLUMN kind TEXT NOT NULL DEFAULT 'generate'",
        """CREATE TABLE sources (
            generation_id INTEGER NOT NULL REFERENCES generations(id) ON DELETE CASCADE,
            role TEXT NOT NULL,  -- image | mask
            position INTEGER NOT NULL,  -- order among the images sent
            name TEXT NOT NULL,
            sha256 TEXT NOT NULL,
            source_generation_id INTEGER REFERENCES generations(id) ON DELETE SET NULL,
            source_generation_uid TEXT,
            source_index INTEGER,
            PRIMARY KEY (generation_id, role, position)
        )""",
        "CREATE INDEX sources_from ON sources(source_generation_id) WHERE source_generation_id IS NOT NULL",
        "CREATE INDEX generations_parent ON generations(parent_id) WHERE parent_id IS NOT NULL",
    ),
    (  # 5: how a generation came about: a sweep's cell, a batch line, styles over the typed prompt
        "ALTER TABLE generations ADD COLUMN sweep_id TEXT",  # shared by the runs of one sweep
        "ALTER TABLE generations ADD COLUMN sweep_axes TEXT",  # JSON: this run's value on each axis
        "ALTER TABLE generations ADD COLUMN typed_prompt TEXT",  # as typed, when styles made the prompt sent
        "ALTER TABLE generations ADD COLUMN styles TEXT",  # JSON: the style names applied, in order
        "ALTER TABLE generations ADD COLUMN batch_key TEXT",  # a batch file line's hash: re-runs skip it
        "CREATE INDEX generations_sweep ON generations(sweep_id, id) WHERE sweep_id IS NOT NULL",
        "CREATE INDEX generations_batch ON generations(batch_key) WHERE batch_key IS NOT NULL",
    ),
    (  # 6: what a gateway said it billed (LiteLLM's x-litellm-response-cost, usage.cost), in USD; preferred to our estimate
        "ALTER TABLE generations ADD COLUMN gateway_cost REAL",
        # only the billed rows, covering what stats take away from the priced totals: stats
        # without a gateway read nothing more
        """CREATE INDEX generations_billed ON generations(created_at, status, model, profile, day, gateway_cost, image_count,
            input_tokens, output_tokens, total_tokens, input_text_tokens, input_image_tokens) WHERE gateway_cost IS NOT NULL""",
    ),
)
SCHEMA_VERSION = len(MIGRATIONS)

# Whether a cut-off call was billed depends on whether its request had left: a queued row has
# no started_at yet. {cause} says what cut it off.
CUT_OFF_SENT = (
    "cut off after its request was sent ({cause}): the provider may have finished it and billed the call; "
    "check the provider's usage before re-running"
)
CUT_OFF_QUEUED = "cut off while waiting in the queue ({cause}): nothing was sent, so nothing was billed"
_CUT_OFF_SQL = "error_kind = 'interrupted', error_message = CASE WHEN started_at IS NULL THEN ? ELSE ? END"


class StoreError(Exception):
    pass


@dataclass
class StoredImage:
    id: int
    generation_id: int
    index: int
    path: Path
    width: int | None
    height: int | None
    format: str | None
    bytes: int | None
    revised_prompt: str | None
    thumbnail: Path | None
    kept: bool = False  # in a recovery folder, waiting for `history recover`

    @property
    def missing(self) -> bool:
        return not self.path.exists()


@dataclass(frozen=True)
class Provenance:
    """How a generation came about, beyond its request: the sweep it is a cell of (its id and
    this cell's value on each axis), the batch file line it ran (a hash of prompt and
    parameters), and the styles that turned the typed prompt into the one sent."""

    sweep_id: str | None = None
    sweep_axes: Mapping[str, str] | None = None
    batch_key: str | None = None
    typed_prompt: str | None = None
    styles: tuple[str, ...] = ()

    def styling(self) -> Provenance:
        """Only what a re-run keeps: the typed prompt and the styles (it is no sweep's cell and
        no batch line of its own)."""
        return Provenance(typed_prompt=self.typed_prompt, styles=self.styles)


@dataclass
class Generation:
    id: int
    uid: str
    created_at: float
    profile: str
    provider: str
    model: str
    prompt: str
    params: dict[str, Any]
    n: int
    size: str | None
    quality: str | None
    status: str
    error_kind: str | None
    error_message: str | None
    started_at: float | None
    finished_at: float | None
    elapsed: float | None
    input_tokens: int | None
    output_tokens: int | None
    total_tokens: int | None
    input_text_tokens: int | None
    input_image_tokens: int | None
    request_id: str | None
    favourite: bool
    note: str | None
    parent_id: int | None
    image_count: int
    kind: str = "generate"  # or "edit"
    gateway_cost: float | None = None  # what the gateway billed, when it said so
    provenance: Provenance = field(default_factory=Provenance)
    images: list[StoredImage] = field(default_factory=list)
    sources: list[Source] = field(default_factory=list)  # an edit's inputs and mask, in order

    def request(self) -> ImageRequest:
        return ImageRequest.from_params(self.prompt, self.params)

    def origin(self) -> str | None:
        """Where it came from, in a few words: "edited from #12 image 2 + 1 reference, with a
        mask", "re-run of #12", or None for a fresh generation."""
        inputs = [s for s in self.sources if s.role == "image"]
        if inputs:
            text = f"edited from {inputs[0].label()}"
            if len(inputs) > 1:
                text += f" + {len(inputs) - 1} reference{'s' * (len(inputs) > 2)}"
            if any(s.role == "mask" for s in self.sources):
                text += ", with a mask"
            return text + (f" (re-run of #{self.parent_id})" if self.parent_id else "")
        return f"re-run of #{self.parent_id}" if self.parent_id else None

    def cost(self, prices: Mapping[str, Price]) -> float | None:
        """What it cost: the gateway's bill when it sent one, else at these prices; None when
        unknown or when it did not finish."""
        if self.status != "done":
            return None
        return self.gateway_cost if self.gateway_cost is not None else cost(self.spend(), prices.get(self.model))

    def spend(self) -> Spend:
        if self.status != "done":
            return Spend()
        has_usage = any(v is not None for v in (self.input_tokens, self.output_tokens, self.total_tokens))
        text = self.input_text_tokens
        if text is None and self.input_tokens is not None:
            text = self.input_tokens - (self.input_image_tokens or 0)
        return Spend(self.image_count, text or 0, self.input_image_tokens or 0, self.output_tokens or 0, 0 if has_usage else 1)


@dataclass(frozen=True)
class Filters:
    text: str | None = None
    status: str | None = None
    model: str | None = None
    profile: str | None = None
    favourite: bool = False
    since: float | None = None
    until: float | None = None


@dataclass(frozen=True)
class SweepCounts:
    """How a sweep's calls stand: a collapsed sweep row says it in place of one status."""

    calls: int
    done: int = 0
    failed: int = 0  # failed, cancelled or cut off
    active: int = 0  # queued or running

    @property
    def status(self) -> str:
        """The sweep row's one status: running while any call runs, done when all are done,
        else failed (its lead says how many are done)."""
        if self.active:
            return "running"
        return "done" if self.done == self.calls else "failed"


@dataclass(frozen=True)
class Listed:
    """One row of the history list. Unfiltered, a sweep is one row (`sweep` set), stood for by
    its newest generation; an expanded sweep's generations follow it as `member` rows, in the
    order they ran. Filtered, every row is a plain generation: a match is never folded away."""

    generation: Generation
    sweep: SweepCounts | None = None
    member: bool = False
    expanded: bool = False  # a sweep row whose members follow it
    last: bool = False  # the last of its sweep's members


@dataclass(frozen=True)
class FinishedGeneration:
    """A generation that already happened: for import and for filling test stores."""

    uid: str
    created_at: float
    profile: str
    provider: str
    request: ImageRequest
    status: str = "done"
    usage: Usage = field(default_factory=Usage)
    elapsed: float | None = None
    request_id: str | None = None
    error_kind: str | None = None
    error_message: str | None = None
    favourite: bool = False
    images: tuple[SavedImage, ...] = ()
    kind: str = "generate"
    sources: tuple[Source, ...] = ()
    provenance: Provenance = field(default_factory=Provenance)


@dataclass(frozen=True)
class Placement:
    """Where one generation sits in its family's tree (see Lineage.layout)."""

    id: int
    under: int | None  # the parent it is shown under; None for a root
    how: str | None  # "re-run" | "edit"; None for a root
    repeated: bool  # already shown under another parent
    lasts: tuple[bool, ...]  # for each level down to it: whether that node is its parent's last child
    also: tuple[int, ...]  # its other parents (an edit of several pictures)


@dataclass(frozen=True)
class Lineage:
    """The family a generation belongs to: every generation reachable from it through re-runs
    (parent_id) and edits (sources from the history), oldest first, and who came from whom."""

    generations: dict[int, Generation]
    parents: dict[int, list[tuple[int, str]]]  # child id -> [(parent id, "re-run" | "edit")]

    def roots(self) -> list[int]:
        return [gid for gid in self.generations if not self.parents.get(gid)]

    def children(self, gen_id: int) -> list[tuple[int, str]]:
        """Oldest first, as `generations` is ordered."""
        return [(child, how) for child in self.generations for parent, how in self.parents.get(child, []) if parent == gen_id]

    def layout(self) -> list[Placement]:
        """The family depth first, as a tree shows it: each root, then its children oldest
        first. An edit of several pictures comes under each of them; after the first time it
        is `repeated` and its own children are not listed again."""
        placed: list[Placement] = []
        seen: set[int] = set()

        def visit(gen_id: int, under: int | None, how: str | None, lasts: tuple[bool, ...]) -> None:
            also = tuple(p for p, _ in self.parents.get(gen_id, []) if p != under) if under is not None else ()
            placed.append(Placement(gen_id, under, how, gen_id in seen, lasts, also))
            if gen_id in seen:
                return
            seen.add(gen_id)
            children = self.children(gen_id)
            for position, (child, child_how) in enumerate(children):
                visit(child, gen_id, child_how, (*lasts, position == len(children) - 1))

        for root in self.roots():
            visit(root, None, None, ())
        return placed

    def chain(self, gen_id: int) -> list[int]:
        """`gen_id` and its first parents back to a root: the path `history show` prints."""
        path = [gen_id]
        while (parents := self.parents.get(path[-1])) and parents[0][0] not in path:
            path.append(parents[0][0])
        return path


@dataclass
class DeleteReport:
    removed: list[Path] = field(default_factory=list)
    already_missing: list[Path] = field(default_factory=list)
    failed: list[tuple[Path, str]] = field(default_factory=list)


@dataclass(frozen=True)
class UsageSample:
    """One finished generation's reported usage, for estimates (estimate.py)."""

    images: int
    input_text_tokens: int
    input_image_tokens: int
    output_tokens: int


@dataclass(frozen=True)
class LedgerEntry:
    """Spending of one model (and profile) since a day, for budgets (budget.py): what finished
    (`spend`, priced like `history stats`), and the requests still queued or running."""

    profile: str
    model: str
    spend: Spend
    active: tuple[tuple[str | None, str | None, int, str], ...] = ()  # (size, quality, n, kind) of each
    gateway_cost: float = 0.0  # what gateways billed, in USD, for the generations `spend` leaves out


@dataclass
class StatsRow:
    key: str
    generations: int = 0
    images: int = 0
    failures: int = 0
    input_tokens: int = 0
    output_tokens: int = 0
    total_tokens: int = 0
    cost: float | None = 0.0
    unpriced_models: list[str] = field(default_factory=list)


class _RunnerLock:
    """This process's claim on the rows it runs, owned (locks.py) until the process ends. Its
    token, `{pid}-{random}`, is the lock file's name without `.lock`."""

    def __init__(self, folder: Path) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        self._fd, self.path = locks.create_owned(folder, "", ".lock")
        self.token = self.path.name.removesuffix(".lock")

    def release(self) -> None:
        locks.release(self._fd, self.path)


def _runner_alive(folder: Path, token: str) -> bool:
    """Alive while its process owns the lock file; one found abandoned is removed on the way."""
    return not locks.remove_if_abandoned(folder / f"{token}.lock", "")


class HistoryStore:
    """Thread-safe: one connection, used under a lock, so worker threads may share it."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._runners = path.parent / "runners"
        self._runner: _RunnerLock | None = None
        self._lock = threading.RLock()
        path.parent.mkdir(parents=True, exist_ok=True)
        try:
            self._db = sqlite3.connect(path, timeout=BUSY_TIMEOUT_S, isolation_level=None, check_same_thread=False)
        except sqlite3.Error as exc:
            raise _unopenable(path, exc) from None
        self._db.row_factory = sqlite3.Row
        try:
            self._db.execute("PRAGMA journal_mode = WAL")
            self._db.execute("PRAGMA synchronous = NORMAL")
            self._db.execute("PRAGMA foreign_keys = ON")
            self._migrate()
            locks.sweep(self._runners, "", ".lock")  # left by killed processes
            self.recovered = self._recover_interrupted()
        except sqlite3.Error as exc:
            self._db.close()
            raise _unopenable(path, exc) from None
        except StoreError:
            self._db.close()
            raise

    @classmethod
    def open_default(cls) -> HistoryStore:
        from imagegen_tui import paths

        return cls(paths.data_dir() / "history.sqlite3")

    def close(self) -> None:
        with self._lock:
            self._db.close()
            if self._runner:
                self._runner.release()
                self._runner = None

    def __enter__(self) -> HistoryStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # --- plumbing ---------------------------------------------------------------------------

    @contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        """One transaction; SQLite's failures (a full disk, a damaged file) become a StoreError
        that names the file."""
        with self._lock:
            try:
                self._db.execute("BEGIN IMMEDIATE")
                yield self._db
                self._db.execute("COMMIT")
            except BaseException as exc:
                if self._db.in_transaction:
                    with suppress(sqlite3.Error):
                        self._db.execute("ROLLBACK")
                if isinstance(exc, sqlite3.Error):
                    raise StoreError(f"the history {self.path} could not be written: {exc}") from None
                raise

    def _read(self, sql: str, args: Sequence[Any] = ()) -> list[sqlite3.Row]:
        with self._lock:
            try:
                return self._db.execute(sql, args).fetchall()
            except sqlite3.Error as exc:
                raise StoreError(f"the history {self.path} could not be read: {exc}") from None

    def _migrate(self) -> None:
        version = self._db.execute("PRAGMA user_version").fetchone()[0]
        if version > SCHEMA_VERSION:
            raise StoreError(f"{self.path}: made by a newer imagegen-tui (schema {version}, this one knows {SCHEMA_VERSION})")
        if version == SCHEMA_VERSION:
            return
        with self._write() as db:
            version = db.execute("PRAGMA user_version").fetchone()[0]  # another process may have migrated
            for number in range(version, SCHEMA_VERSION):
                for statement in MIGRATIONS[number]:
                    db.execute(statement)
                db.execute(f"PRAGMA user_version = {number + 1}")

    def _runner_token(self) -> str:
        if self._runner is None:
            try:
                self._runner = _RunnerLock(self._runners)
            except OSError as exc:
                raise StoreError(f"the history's lock file could not be made in {self._runners}: {exc.strerror or exc}") from None
        return self._runner.token

    def _recover_interrupted(self) -> int:
        rows = self._read(f"SELECT DISTINCT runner FROM generations WHERE status IN {ACTIVE}")
        dead = [row["runner"] for row in rows if not row["runner"] or not _runner_alive(self._runners, row["runner"])]
        if not dead:
            return 0
        marks = ",".join("?" * len(dead))
        cause = "imagegen-tui stopped before it finished"
        with self._write() as db:
            cursor = db.execute(
                f"""UPDATE generations SET status = 'interrupted', finished_at = ?, {_CUT_OFF_SQL}
                    WHERE status IN {ACTIVE} AND (runner IN ({marks}) OR runner IS NULL)""",
                (time.time(), CUT_OFF_QUEUED.format(cause=cause), CUT_OFF_SENT.format(cause=cause), *dead),
            )
            return cursor.rowcount

    # --- writing ----------------------------------------------------------------------------

    def begin(
        self, uid: str, request: AnyRequest, profile: str, provider: str, *, queued: bool = False,
        parent_id: int | None = None, kind: str = "generate", sources: Sequence[Source] = (), provenance: Provenance = Provenance(),
    ) -> int:
        """Record a generation (or an edit, with what it was made from) before its request is
        sent; returns its id."""
        now = time.time()
        p = provenance
        with self._write() as db:
            cursor = db.execute(
                """INSERT INTO generations (uid, created_at, day, profile, provider, model, prompt, params, n, size, quality,
                   status, started_at, parent_id, runner, kind, sweep_id, sweep_axes, batch_key, typed_prompt, styles)
                   VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)""",
                (uid, now, _day(now), profile, provider, request.model, request.prompt, json.dumps(request.params()), request.n,
                 request.size, request.quality, "queued" if queued else "running", None if queued else now, parent_id,
                 self._runner_token(), kind, *_provenance_columns(p)),
            )
            gen_id = int(cursor.lastrowid)
            self._insert_sources(db, gen_id, sources)
            return gen_id

    def start(self, gen_id: int) -> None:
        with self._write() as db:
            db.execute("UPDATE generations SET status = 'running', started_at = ? WHERE id = ? AND status = 'queued'", (time.time(), gen_id))

    def complete(
        self, gen_id: int, images: Sequence[SavedImage], usage: Usage, *, elapsed: float | None, request_id: str | None,
        error: tuple[str, str] | None = None, gateway_cost: float | None = None,
    ) -> None:
        """Record an answer: `done`, or `failed` with `error` (kind, message) when the images it
        brought could not all be saved; either way its usage, the gateway's bill and its images
        are kept."""
        kind, message = error or (None, None)
        with self._write() as db:
            db.execute(
                """UPDATE generations SET status = ?, error_kind = ?, error_message = ?, finished_at = ?, elapsed = ?,
                   request_id = ?, image_count = ?, input_tokens = ?, output_tokens = ?, total_tokens = ?,
                   input_text_tokens = ?, input_image_tokens = ?, gateway_cost = ? WHERE id = ?""",
                ("failed" if error else "done", kind, message, time.time(), elapsed, request_id, len(images), usage.input_tokens,
                 usage.output_tokens, usage.total_tokens, usage.input_text_tokens, usage.input_image_tokens, gateway_cost, gen_id),
            )
            self._insert_images(db, gen_id, images)

    def images_recovered(self, gen_id: int, moved: Mapping[int, Path]) -> bool:
        """Kept images (by image id) now saved at their new paths; the generation becomes done
        once none is left waiting. True when it is done."""
        with self._write() as db:
            db.executemany("UPDATE images SET path = ?, kept = 0 WHERE id = ?", [(str(path), image_id) for image_id, path in moved.items()])
            if db.execute("SELECT 1 FROM images WHERE generation_id = ? AND kept = 1", (gen_id,)).fetchone():
                return False
            db.execute(
                "UPDATE generations SET status = 'done', error_kind = NULL, error_message = NULL WHERE id = ? AND error_kind = 'unsaved'",
                (gen_id,),
            )
            return True

    def fail(self, gen_id: int, kind: str, message: str, *, cancelled: bool = False) -> None:
        now = time.time()
        with self._write() as db:
            db.execute(
                """UPDATE generations SET status = ?, error_kind = ?, error_message = ?, finished_at = ?,
                   elapsed = ? - coalesce(started_at, ?) WHERE id = ?""",
                ("cancelled" if cancelled else "failed", kind, message, now, now, now, gen_id),
            )

    def interrupt(self, gen_id: int) -> None:
        """Cut off by the app quitting: shown as interrupted, ready to re-run. A generation whose
        answer was already recorded keeps its status."""
        cause = "the app quit"
        with self._write() as db:
            db.execute(
                f"UPDATE generations SET status = 'interrupted', {_CUT_OFF_SQL} WHERE id = ? AND status IN ('queued', 'running', 'cancelled')",
                (CUT_OFF_QUEUED.format(cause=cause), CUT_OFF_SENT.format(cause=cause), gen_id),
            )

    def add_finished(self, records: Iterable[FinishedGeneration]) -> int:
        """Insert generations that already happened, in one transaction."""
        count = 0
        with self._write() as db:
            for r in records:
                u, q = r.usage, r.request
                cursor = db.execute(
                    """INSERT INTO generations (uid, created_at, day, profile, provider, model, prompt, params, n, size, quality,
                       status, error_kind, error_message, started_at, finished_at, elapsed, input_tokens, output_tokens,
                       total_tokens, input_text_tokens, input_image_tokens, request_id, favourite, image_count, kind,
                       sweep_id, sweep_axes, batch_key, typed_prompt, styles)
                       VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)""",
                    (r.uid, r.created_at, _day(r.created_at), r.profile, r.provider, q.model, q.prompt, json.dumps(q.params()), q.n, q.size, q.quality,
                     r.status, r.error_kind, r.error_message, r.created_at, r.created_at + (r.elapsed or 0), r.elapsed,
                     u.input_tokens, u.output_tokens, u.total_tokens, u.input_text_tokens, u.input_image_tokens,
                     r.request_id, int(r.favourite), len(r.images), r.kind, *_provenance_columns(r.provenance)),
                )
                self._insert_images(db, int(cursor.lastrowid), r.images)
                self._insert_sources(db, int(cursor.lastrowid), r.sources)
                count += 1
        return count

    @staticmethod
    def _insert_sources(db: sqlite3.Connection, gen_id: int, sources: Iterable[Source]) -> None:
        """Links to history generations are by uid first (stable across machines, so an import
        finds them), else by id; a generation no longer in this history leaves no link."""
        rows = []
        for position, source in enumerate(sources):
            linked = None
            if source.generation_uid:
                found = db.execute("SELECT id FROM generations WHERE uid = ?", (source.generation_uid,)).fetchone()
                linked = found[0] if found else None
            elif source.generation_id is not None:
                found = db.execute("SELECT id FROM generations WHERE id = ?", (source.generation_id,)).fetchone()
                linked = found[0] if found else None
            rows.append((gen_id, source.role, position, source.name, source.sha256, linked, source.generation_uid, source.index))
        db.executemany(
            """INSERT INTO sources (generation_id, role, position, name, sha256, source_generation_id, source_generation_uid,
               source_index) VALUES (?,?,?,?,?,?,?,?)""",
            rows,
        )

    @staticmethod
    def _insert_images(db: sqlite3.Connection, gen_id: int, images: Iterable[SavedImage]) -> None:
        db.executemany(
            "INSERT INTO images (generation_id, idx, path, width, height, format, bytes, revised_prompt, kept) VALUES (?,?,?,?,?,?,?,?,?)",
            [(gen_id, i.index, str(i.path), i.width, i.height, i.format, i.bytes, i.revised_prompt, int(i.kept)) for i in images],
        )

    def set_favourite(self, gen_id: int, favourite: bool = True) -> bool:
        with self._write() as db:
            return db.execute("UPDATE generations SET favourite = ? WHERE id = ?", (int(favourite), gen_id)).rowcount == 1

    def set_note(self, gen_id: int, note: str | None) -> bool:
        with self._write() as db:
            return db.execute("UPDATE generations SET note = ? WHERE id = ?", (note or None, gen_id)).rowcount == 1

    def set_thumbnail(self, image_id: int, path: Path) -> None:
        with self._write() as db:
            db.execute("UPDATE images SET thumbnail = ? WHERE id = ?", (str(path), image_id))

    def delete(self, gen_id: int, *, files: bool = False) -> DeleteReport | None:
        """Remove the row (and its images' rows) first, in one transaction; then, if asked, the
        files. Returns None when there is no such generation."""
        with self._write() as db:
            images = db.execute("SELECT path, thumbnail FROM images WHERE generation_id = ?", (gen_id,)).fetchall()
            if db.execute("DELETE FROM generations WHERE id = ?", (gen_id,)).rowcount == 0:
                return None
        report = DeleteReport()
        for row in images:
            if row["thumbnail"]:
                Path(row["thumbnail"]).unlink(missing_ok=True)
            if not files:
                continue
            path = Path(row["path"])
            try:
                path.unlink()
                report.removed.append(path)
            except FileNotFoundError:
                report.already_missing.append(path)
            except OSError as exc:
                report.failed.append((path, exc.strerror or str(exc)))
        return report

    # --- reading ----------------------------------------------------------------------------

    def get(self, gen_id: int) -> Generation | None:
        found = self._generations("SELECT * FROM generations WHERE id = ?", (gen_id,))
        return found[0] if found else None

    def page(self, filters: Filters = Filters(), *, limit: int = 100, offset: int = 0) -> list[Generation]:
        """Newest first."""
        where, args = _where(filters)
        return self._generations(f"SELECT * FROM generations {where} ORDER BY created_at DESC, id DESC LIMIT ? OFFSET ?", (*args, limit, offset))

    def lineage(self, gen_id: int) -> Lineage | None:
        """The whole family of `gen_id`: everything linked to it by re-runs and edits, in either
        direction (an edit of two pictures joins both their families)."""
        if self.get(gen_id) is None:
            return None
        parents: dict[int, list[tuple[int, str]]] = {}
        family = {gen_id}
        frontier = [gen_id]
        while frontier:
            found = self._parents_of(frontier)
            parents.update(found)
            marks = ",".join("?" * len(frontier))
            children = self._read(
                f"""SELECT id FROM generations WHERE parent_id IN ({marks})
                    UNION SELECT generation_id FROM sources WHERE source_generation_id IN ({marks})""",
                (*frontier, *frontier),
            )
            linked = {p for ps in found.values() for p, _ in ps} | {row[0] for row in children}
            frontier = sorted(linked - family)
            family.update(frontier)
        generations = {g.id: g for g in self._generations(
            f"SELECT * FROM generations WHERE id IN ({','.join('?' * len(family))}) ORDER BY created_at, id", sorted(family))}
        return Lineage(generations, parents)

    def _parents_of(self, ids: Sequence[int]) -> dict[int, list[tuple[int, str]]]:
        if not ids:
            return {}
        marks = ",".join("?" * len(ids))
        found: dict[int, list[tuple[int, str]]] = {}
        for row in self._read(
            f"""SELECT id, parent_id, 're-run' FROM generations WHERE id IN ({marks}) AND parent_id IS NOT NULL
                UNION ALL SELECT DISTINCT generation_id, source_generation_id, 'edit' FROM sources
                WHERE generation_id IN ({marks}) AND source_generation_id IS NOT NULL""",
            (*ids, *ids),
        ):
            pair = (row[1], row[2])
            if pair not in found.setdefault(row[0], []):
                found[row[0]].append(pair)
        return found

    def count(self, filters: Filters = Filters()) -> int:
        where, args = _where(filters)
        return int(self._read(f"SELECT count(*) FROM generations INDEXED BY generations_ledger {where}", args)[0][0])

    def listing(self, filters: Filters = Filters(), expanded: Collection[str] = (), *, limit: int = 100, offset: int = 0) -> list[Listed]:
        """A page of the history list: as page() when filtered; else each sweep folded into
        its newest generation, and the sweeps in `expanded` followed by all their members.

        Both halves come off indexes in the list's order (the newest index for the rows, the
        sweep index for the members, merged by SQLite), so a page costs what page() does."""
        if filters != Filters():
            return [Listed(g) for g in self.page(filters, limit=limit, offset=offset)]
        opened = sorted(set(expanded))
        members = (
            f"""UNION ALL SELECT g.*, 1 AS member_, h.created_at AS at_, h.id AS head_, g.id AS order_
                FROM generations g INDEXED BY generations_sweep JOIN generations h ON h.id = ({_SWEEP_HEAD.format(table='g')})
                WHERE g.sweep_id IN ({','.join('?' * len(opened))})"""
            if opened else ""
        )
        rows = self._read(
            f"""SELECT l.*, 0 AS member_, l.created_at AS at_, l.id AS head_, 0 AS order_ FROM generations l {_LISTED} {members}
                ORDER BY at_ DESC, head_ DESC, member_, order_ LIMIT ? OFFSET ?""",
            (*opened, limit, offset),
        )
        generations = self._build(rows)
        heads = {g.provenance.sweep_id for g, row in zip(generations, rows) if g.provenance.sweep_id and not row["member_"]}
        counts = self._sweep_counts(sorted(heads)) if heads else {}
        return [
            Listed(g, member=True, last=row["order_"] == row["head_"]) if row["member_"] else
            Listed(g, counts.get(sweep), expanded=sweep in expanded) if (sweep := g.provenance.sweep_id) else Listed(g)
            for g, row in zip(generations, rows)
        ]

    def listing_count(self, filters: Filters = Filters(), expanded: Collection[str] = ()) -> int:
        """The rows of listing(): every generation less the members folded into their sweep's
        row (counted off the sweep index), plus the rows of the expanded sweeps' members."""
        total = self.count(filters)
        if filters != Filters():
            return total
        folded = self._read(
            "SELECT count(*) - count(DISTINCT sweep_id) FROM generations INDEXED BY generations_sweep WHERE sweep_id IS NOT NULL"
        )[0][0]
        opened = sorted(set(expanded))
        shown = self._read(
            f"SELECT count(*) FROM generations INDEXED BY generations_sweep WHERE sweep_id IN ({','.join('?' * len(opened))})", opened
        )[0][0] if opened else 0
        return total - int(folded) + int(shown)

    def _sweep_counts(self, sweep_ids: Sequence[str]) -> dict[str, SweepCounts]:
        rows = self._read(
            f"""SELECT sweep_id, count(*), total(status = 'done'), total(status IN {ACTIVE})
                FROM generations INDEXED BY generations_sweep WHERE sweep_id IN ({','.join('?' * len(sweep_ids))}) GROUP BY sweep_id""",
            sweep_ids,
        )
        return {r[0]: SweepCounts(r[1], int(r[2]), r[1] - int(r[2]) - int(r[3]), int(r[3])) for r in rows}

    def known_uids(self, uids: Iterable[str]) -> set[str]:
        return self._found("SELECT uid FROM generations WHERE uid IN ({marks})", uids)

    def _found(self, sql: str, values: Iterable[str]) -> set[str]:
        """The first column of `sql` over `values` put in at {marks}, 500 at a time (SQLite
        caps the parameters of one statement)."""
        values = list(values)
        found: set[str] = set()
        for start in range(0, len(values), 500):
            chunk = values[start : start + 500]
            found.update(row[0] for row in self._read(sql.format(marks=",".join("?" * len(chunk))), chunk))
        return found

    def sweep_members(self, sweep_id: str) -> list[Generation]:
        """The generations of one sweep, in the order they were recorded (its plan's order)."""
        return self._generations("SELECT * FROM generations INDEXED BY generations_sweep WHERE sweep_id = ? ORDER BY id", (sweep_id,))

    def done_batch_keys(self, keys: Iterable[str]) -> set[str]:
        """Which of these batch line keys have a generation that finished (a failed or cut-off
        one delivered nothing, so its line is not done)."""
        return self._found("SELECT DISTINCT batch_key FROM generations WHERE batch_key IN ({marks}) AND status = 'done'", keys)

    def models(self) -> list[str]:
        """Every model in the history, for filters (read off the ledger index)."""
        return [row[0] for row in self._read("SELECT DISTINCT model FROM generations INDEXED BY generations_ledger")]

    def missing_files(self, limit: int = 1000) -> list[StoredImage]:
        """Images whose files were moved or deleted (a full scan: a maintenance query)."""
        missing = []
        for row in self._read("SELECT * FROM images ORDER BY id DESC"):
            image = _image(row)
            if image.missing:
                missing.append(image)
                if len(missing) >= limit:
                    break
        return missing

    def stats(self, *, since: float | None = None, by: str | None = None, prices: dict[str, Price] | None = None) -> list[StatsRow]:
        """Totals overall or per model, profile or day, with cost where every part is priced.

        Grouping by (model, status), or by (day, model, status), follows an index, so those
        need no sort; a profile key adds one."""
        key_sql = {None: None, "model": None, "profile": "profile", "day": "day"}[by]
        index = "generations_days" if by == "day" else "generations_ledger"
        rows = self._read(
            f"""SELECT {key_sql + ' AS grp, ' if key_sql else ''}model, status, count(*) AS generations,
                   total(image_count) AS images,
                   total(coalesce(input_text_tokens, input_tokens - coalesce(input_image_tokens, 0))) AS text_tokens,
                   total(input_image_tokens) AS image_tokens, total(input_tokens) AS input_tokens,
                   total(output_tokens) AS output_tokens, total(total_tokens) AS total_tokens,
                   count(*) - count(coalesce(input_tokens, output_tokens, total_tokens)) AS without_usage
               FROM generations INDEXED BY {index} WHERE created_at >= ?
               GROUP BY {'grp, ' if key_sql else ''}model, status""",
            (since or 0,),
        )
        prices = prices or {}
        billed = self._billed(key_sql, by, since or 0)
        out: dict[str, StatsRow] = {}
        for r in rows:
            key = str(r["grp"]) if key_sql else (r["model"] if by == "model" else "all")
            s = out.setdefault(key, StatsRow(key))
            s.generations += r["generations"]
            s.images += int(r["images"])
            s.failures += r["generations"] if r["status"] == "failed" else 0
            s.input_tokens += int(r["input_tokens"])
            s.output_tokens += int(r["output_tokens"])
            s.total_tokens += int(r["total_tokens"])
            if r["status"] != "done":  # only finished generations are billed
                continue
            # what gateways billed counts at their bill; the rest at our prices
            spend = Spend(int(r["images"]), int(r["text_tokens"]), int(r["image_tokens"]), int(r["output_tokens"]), r["without_usage"])
            rows, gateway = r["generations"], 0.0
            if (paid := billed.get((key, r["model"]))) is not None:
                count, gateway, theirs = paid
                rows -= count
                spend = Spend(*(mine - its for mine, its in zip(astuple(spend), astuple(theirs))))
            ours = cost(spend, prices.get(r["model"])) if rows else 0.0
            part = None if ours is None else ours + gateway
            if part is None:
                s.unpriced_models.append(r["model"])
                s.cost = None
            elif s.cost is not None:
                s.cost += part
        return sorted(out.values(), key=lambda row: row.key)

    def _billed(self, key_sql: str | None, by: str | None, since: float) -> dict[tuple[str, str], tuple[int, float, Spend]]:
        """Finished generations a gateway billed, per stats key and model: how many, their
        bill, and their spend (which stats take out of what they price)."""
        rows = self._read(
            f"""SELECT {key_sql + ' AS grp, ' if key_sql else ''}model, count(*) AS generations, total(gateway_cost) AS gateway,
                   total(image_count) AS images,
                   total(coalesce(input_text_tokens, input_tokens - coalesce(input_image_tokens, 0))) AS text_tokens,
                   total(input_image_tokens) AS image_tokens, total(output_tokens) AS output_tokens,
                   count(*) - count(coalesce(input_tokens, output_tokens, total_tokens)) AS without_usage
               FROM generations INDEXED BY generations_billed
               WHERE gateway_cost IS NOT NULL AND created_at >= ? AND status = 'done'
               GROUP BY {'grp, ' if key_sql else ''}model""",
            (since,),
        )
        return {
            (str(r["grp"]) if key_sql else (r["model"] if by == "model" else "all"), r["model"]): (
                r["generations"], r["gateway"],
                Spend(int(r["images"]), int(r["text_tokens"]), int(r["image_tokens"]), int(r["output_tokens"]), r["without_usage"]),
            )
            for r in rows
        }

    def usage_samples(self, model: str, size: str | None, quality: str | None, kind: str, limit: int, *, window: int = 5000) -> list[UsageSample]:
        """The newest finished generations of this model, size, quality and kind that reported
        output tokens, among the model's last `window` (no index covers size and quality: an
        unbounded search for a pair never made would read every row of the model). An unset
        size or quality matches only an unset one: "auto" may be billed as anything."""
        rows = self._read(
            """SELECT image_count, coalesce(input_text_tokens, input_tokens - coalesce(input_image_tokens, 0), 0) AS text_tokens,
                   coalesce(input_image_tokens, 0) AS image_tokens, output_tokens
               FROM (SELECT created_at, status, size, quality, kind, image_count, input_tokens, input_text_tokens, input_image_tokens,
                            output_tokens
                     FROM generations INDEXED BY generations_model WHERE model = ? ORDER BY created_at DESC LIMIT ?)
               WHERE status = 'done' AND size IS ? AND quality IS ? AND kind = ? AND output_tokens IS NOT NULL AND image_count > 0
               ORDER BY created_at DESC LIMIT ?""",
            (model, window, size, quality, kind, limit),
        )
        return [UsageSample(r["image_count"], r["text_tokens"], r["image_tokens"], r["output_tokens"]) for r in rows]

    def ledger(self, since_day: str) -> list[LedgerEntry]:
        """What each profile and model spent from the local date `since_day` on: finished
        generations, and failed ones whose paid-for answer arrived (their usage is recorded),
        plus what is still queued or running. Read off the day index."""
        paid = self._read(
            """SELECT profile, model, gateway_cost IS NOT NULL AS billed, total(gateway_cost) AS gateway, total(image_count) AS images,
                   total(coalesce(input_text_tokens, input_tokens - coalesce(input_image_tokens, 0))) AS text_tokens,
                   total(input_image_tokens) AS image_tokens, total(output_tokens) AS output_tokens,
                   count(*) - count(coalesce(input_tokens, output_tokens, total_tokens)) AS without_usage
               FROM generations INDEXED BY generations_days
               WHERE day >= ? AND (status = 'done' OR (status = 'failed' AND (output_tokens IS NOT NULL OR gateway_cost IS NOT NULL)))
               GROUP BY profile, model, billed""",
            (since_day,),
        )
        # a generation the gateway billed counts at its bill, the others at our prices
        spent: dict[tuple[str, str], Spend] = {}
        billed: dict[tuple[str, str], float] = {}
        for r in paid:
            key = (r["profile"], r["model"])
            if r["billed"]:
                billed[key] = r["gateway"]
            else:
                spent[key] = Spend(int(r["images"]), int(r["text_tokens"]), int(r["image_tokens"]), int(r["output_tokens"]), r["without_usage"])
        active: dict[tuple[str, str], list[tuple[str | None, str | None, int, str]]] = {}
        for r in self._read(f"SELECT profile, model, size, quality, n, kind FROM generations WHERE status IN {ACTIVE} AND day >= ?", (since_day,)):
            active.setdefault((r["profile"], r["model"]), []).append((r["size"], r["quality"], r["n"], r["kind"]))
        return [LedgerEntry(profile, model, spent.get((profile, model), Spend()), tuple(active.get((profile, model), ())), billed.get((profile, model), 0.0))
                for profile, model in sorted(spent.keys() | billed.keys() | active.keys())]

    def _generations(self, sql: str, args: Sequence[Any]) -> list[Generation]:
        return self._build(self._read(sql, args))

    def _build(self, rows: list[sqlite3.Row]) -> list[Generation]:
        """Generations of these rows, with their images and sources."""
        if not rows:
            return []
        ids = [row["id"] for row in rows]
        marks = ",".join("?" * len(ids))
        images: dict[int, list[StoredImage]] = {}
        for row in self._read(f"SELECT * FROM images WHERE generation_id IN ({marks}) ORDER BY generation_id, idx", ids):
            images.setdefault(row["generation_id"], []).append(_image(row))
        sources: dict[int, list[Source]] = {}
        for row in self._read(f"SELECT * FROM sources WHERE generation_id IN ({marks}) ORDER BY generation_id, role, position", ids):
            sources.setdefault(row["generation_id"], []).append(_source(row))
        return [_generation(row, images.get(row["id"], []), sources.get(row["id"], [])) for row in rows]


# a sweep's row is its newest generation (its ids grow as its cells are recorded)
_SWEEP_HEAD = "SELECT max(s.id) FROM generations s INDEXED BY generations_sweep WHERE s.sweep_id = {table}.sweep_id"
_LISTED = f"WHERE l.sweep_id IS NULL OR l.id = ({_SWEEP_HEAD.format(table='l')})"


def _unopenable(path: Path, exc: sqlite3.Error) -> StoreError:
    return StoreError(f"{path}: cannot be opened as a history database ({exc})")


def _day(timestamp: float) -> str:
    return time.strftime("%Y-%m-%d", time.localtime(timestamp))


def query_words(text: str) -> list[str]:
    """The words of a search, as the full-text search takes them (the list marks them too)."""
    return re.findall(r"\w+", text)


def fts_query(text: str) -> str | None:
    """Every word must match, each as a prefix: `red fo` finds "a red fox". None: no words."""
    words = query_words(text)
    return " ".join(f'"{word}"*' for word in words) if words else None


def _where(f: Filters) -> tuple[str, list[Any]]:
    clauses: list[str] = []
    args: list[Any] = []
    if f.text and (query := fts_query(f.text)):
        clauses.append("id IN (SELECT rowid FROM generations_fts WHERE generations_fts MATCH ?)")
        args.append(query)
    for column in ("status", "model", "profile"):
        value = getattr(f, column)
        if value:
            clauses.append(f"{column} = ?")
            args.append(value)
    if f.favourite:
        clauses.append("favourite = 1")
    if f.since is not None:
        clauses.append("created_at >= ?")
        args.append(f.since)
    if f.until is not None:
        clauses.append("created_at < ?")
        args.append(f.until)
    return ("WHERE " + " AND ".join(clauses) if clauses else ""), args


def _image(row: sqlite3.Row) -> StoredImage:
    return StoredImage(
        id=row["id"], generation_id=row["generation_id"], index=row["idx"], path=Path(row["path"]),
        width=row["width"], height=row["height"], format=row["format"], bytes=row["bytes"],
        revised_prompt=row["revised_prompt"], thumbnail=Path(row["thumbnail"]) if row["thumbnail"] else None,
        kept=bool(row["kept"]),
    )


def _source(row: sqlite3.Row) -> Source:
    return Source(
        role="mask" if row["role"] == "mask" else "image", name=row["name"], sha256=row["sha256"],
        generation_id=row["source_generation_id"], generation_uid=row["source_generation_uid"], index=row["source_index"],
    )


def _provenance_columns(p: Provenance) -> tuple[Any, ...]:
    """sweep_id, sweep_axes, batch_key, typed_prompt, styles as the generations table holds them."""
    axes = json.dumps(dict(p.sweep_axes)) if p.sweep_axes is not None else None
    return p.sweep_id, axes, p.batch_key, p.typed_prompt, json.dumps(list(p.styles)) if p.styles else None


def _generation(row: sqlite3.Row, images: list[StoredImage], sources: list[Source]) -> Generation:
    values = {key: row[key] for key in row.keys() if key not in ("runner", "day") and not key.endswith("_")}
    values["params"] = json.loads(values["params"])
    values["favourite"] = bool(values["favourite"])
    provenance = Provenance(
        sweep_id=values.pop("sweep_id"), sweep_axes=json.loads(axes) if (axes := values.pop("sweep_axes")) else None,
        batch_key=values.pop("batch_key"), typed_prompt=values.pop("typed_prompt"),
        styles=tuple(json.loads(styles)) if (styles := values.pop("styles")) else (),
    )
    return Generation(**values, provenance=provenance, images=images, sources=sources)
