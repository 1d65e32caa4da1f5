"""Saving the settings screen's changes into config.toml without rewriting the user's file.

Only the keys whose values changed since the file was read are written, into the file as it is
on disk now, through tomlkit: comments, order, formatting, explicit defaults and keys this
version does not write (such as the legacy `ui.theme`) stay as the user left them. A change of a
key the file does not hold yet is added to its table; a new profile gets only what differs from
its built-in or default values. Written atomically, mode 0600 (privatefile).

tomlkit is imported here, when the user saves, never on the headless path.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, fields
from pathlib import Path
from typing import TYPE_CHECKING, Any

from imagegen_tui import paths
from imagegen_tui.config import Capabilities, Config, Profile
from imagegen_tui.errors import ConfigError
from imagegen_tui.privatefile import write_private

if TYPE_CHECKING:
    from tomlkit import TOMLDocument


def save_config(config: Config) -> Path:
    """Write what changed since the file was read (nothing at all when nothing did). Refuses
    while the file as loaded had a problem, or when it no longer parses, so the user's text is
    never lost."""
    path = config.path or paths.config_file()
    if config.error is not None:
        raise ConfigError(f"not saved, because it has a problem; fix it first ({config.error.message})", key=config.error.key, line=config.error.line, file=path)
    assert config._loaded is not None  # load_config and default_config always set it
    after = settings_tree(config)
    before = _with_bases(settings_tree(config._loaded), config)
    if after == before:
        return path
    text, document = _parsed(path, "not saved: the file on disk cannot be read now", "not saved: the file on disk is no longer valid TOML")
    _merge(document, before, after)
    written = document.as_string()
    if written.endswith("\n\n") and not text.endswith("\n\n"):  # a table added last: no blank line at the end
        written = written.rstrip("\n") + "\n"
    write_private(path, written)
    config._loaded = config.snapshot()
    return path


def settings_tree(config: Config) -> dict[str, Any]:
    """Every value saving may write, as TOML values (no None): the difference between the tree
    as loaded and as now is what the user changed."""
    return _clean({
        "profile": config.active,
        "output": {"folder": str(config.output.folder), "template": config.output.template},
        "ui": {"graphics": config.ui.graphics, "concurrency": config.ui.concurrency},
        "profiles": {name: _profile_tree(profile) for name, profile in config.profiles.items()},
        "prices": {model: asdict(price) for model, price in config.prices.items()},
    })


def _profile_tree(profile: Profile) -> dict[str, Any]:
    tree = {f.name: getattr(profile, f.name) for f in fields(Profile) if f.name != "name"}
    tree["capabilities"] = {c.name: getattr(profile.capabilities, c.name) for c in fields(Capabilities)}
    return tree


def _clean(value: Any) -> Any:
    """TOML's forms: no None, lists for tuples, 600 rather than 600.0."""
    if isinstance(value, Mapping):
        return {str(k): _clean(v) for k, v in value.items() if v is not None}
    if isinstance(value, (tuple, list)):
        return [_clean(v) for v in value]
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def _with_bases(before: dict[str, Any], config: Config) -> dict[str, Any]:
    """A profile added since loading is compared with its built-in (or an empty profile), so
    only what differs from those is written."""
    known = before.setdefault("profiles", {})
    for name in config.profiles:
        if name not in known:
            known[name] = _clean(_profile_tree(config._builtins.get(name) or Profile(name=name)))
    return before


def _merge(table: Any, before: Mapping[str, Any], after: Mapping[str, Any], *, fresh: bool = False) -> None:
    """Make `table` (a tomlkit container) say `after` where `after` differs from `before`:
    plain keys first, then sub-tables, each new table with a blank line after its keys."""
    import tomlkit

    for key in before.keys() - after.keys():
        if key in table:
            del table[key]
    changed = {key: new for key, new in after.items() if before.get(key) != new}
    plain = {key: new for key, new in changed.items() if not isinstance(new, dict)}
    for key, new in plain.items():
        table[key] = new
    if fresh and plain:
        table.add(tomlkit.nl())
    for key, new in changed.items():
        if key in plain:
            continue
        old = before.get(key)
        old = old if isinstance(old, dict) else {}
        created = key not in table or not isinstance(table[key], Mapping)
        if created:  # a table whose changes are all tables (profiles, prices) needs no header
            table[key] = tomlkit.table(is_super_table=all(isinstance(v, dict) for k, v in new.items() if old.get(k) != v))
        _merge(table[key], old, new, fresh=created)


def add_profile(path: Path, name: str, dialect: str, base_url: str | None = None, model: str | None = None) -> str:
    """Append a ready `[profiles.NAME]` block for `dialect` to the file, leaving every other
    byte of it as it was; returns the block as written. Refuses (ConfigError) a name already
    taken, a dialect that does not exist, a missing address or model the dialect cannot
    supply, and a file that does not read cleanly now: the result is checked as load_config
    would read it before anything is written."""
    import tomlkit

    from imagegen_tui.config import _read, default_config
    from imagegen_tui.dialects import DIALECTS, dialect_problem

    where = f"profiles.{name}"
    if (wrong := dialect_problem(dialect)) is not None:
        raise ConfigError(wrong, key="--dialect")
    spoken = DIALECTS[dialect]
    base_url = base_url or spoken.base_url
    if base_url is None:
        example = " (https://RESOURCE.openai.azure.com/openai/v1)" if dialect == "azure" else ""
        raise ConfigError(f"{spoken.title} has no usual address: give the server's with --base-url{example}", key="--base-url")
    model = model or spoken.model
    if model is None:
        raise ConfigError(f"{spoken.title} runs whatever model it was started with: name it with --model", key="--model")
    text, document = _parsed(path, "cannot be read", "is not valid TOML")
    if name in document.get("profiles", {}):
        raise ConfigError("already exists: pick another name, or edit it in the file", key=where, file=path)
    block = tomlkit.table()
    block.add(tomlkit.comment(f"{spoken.title}; added by imagegen-tui config add-profile"))
    block["dialect"] = dialect
    block["base_url"] = base_url
    block["model"] = model
    if spoken.api_key_env:
        block["api_key_env"] = spoken.api_key_env
    if not spoken.key_required:
        block["key_required"] = False
    if spoken.extras:  # a local server: where defaults for seed, steps… go, commented out, the user's to fill
        from imagegen_tui.extras import offered

        block.add(tomlkit.comment(f"extras sent by default ({', '.join(offered(spoken))}; any field the server takes):"))
        block.add(tomlkit.comment(f"[profiles.{name}.extra]"))
        block.add(tomlkit.comment("seed = 42"))
    addition = tomlkit.document()
    addition.add("profiles", tomlkit.table(is_super_table=True))
    addition["profiles"][name] = block  # type: ignore[index]
    written = addition.as_string()
    result = (text.rstrip("\n") + "\n\n" if text.strip() else "") + written
    check = default_config({})
    if (problem := _read(check, result.encode("utf-8"), path)) is not None:
        raise ConfigError(f"not changed: with the new profile it would not read ({problem.message})", key=problem.key, line=problem.line, file=path)
    write_private(path, result)
    return written


def _parsed(path: Path, unreadable: str, invalid: str) -> tuple[str, TOMLDocument]:
    """The user's file as text and as a document tomlkit edits without losing its comments (a
    missing file is empty); ConfigError saying `unreadable` or `invalid`, with why."""
    import tomlkit
    from tomlkit.exceptions import ParseError

    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        text = ""
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{unreadable} ({exc})", file=path) from None
    try:
        return text, tomlkit.parse(text)
    except ParseError as exc:
        raise ConfigError(f"{invalid} ({exc}); fix it first", line=exc.line, file=path) from None
