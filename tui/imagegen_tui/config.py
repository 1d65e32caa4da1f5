"""Profiles and settings: read with tomllib, written with tomli_w atomically at mode 0600.

The file holds only what the user changed: built-in profiles are merged in at load time, and
only the fields that differ from a built-in are written back. A damaged file never stops the
program and is never overwritten: the defaults are used and the error is reported.
"""

from __future__ import annotations

import os
import tempfile
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any

import tomli_w

from imagegen_tui import paths
from imagegen_tui.endpoint import Endpoint
from imagegen_tui.errors import ConfigError
from imagegen_tui.models import ModelCaps, caps_for_model, with_overrides
from imagegen_tui.naming import DEFAULT_TEMPLATE, check_template
from imagegen_tui.prices import Price, parse_prices
from imagegen_tui.retry import RetryPolicy

DEMO = "demo"
DEMO_NOTICE = (
    "Demo provider: images are synthesized on this machine and nothing is sent anywhere. "
    "To use model-go, set MODEL_GO_API_KEY (OpenAI: OPENAI_API_KEY) or add a profile to the "
    "config file (imagegen-tui config path)."
)


@dataclass(frozen=True)
class Capabilities:
    """A profile's word on what its provider offers; None defers to the model's defaults."""

    sizes: tuple[str, ...] | None = None
    qualities: tuple[str, ...] | None = None
    transparent_background: bool | None = None
    custom_sizes: bool | None = None
    streaming: bool | None = None


@dataclass(frozen=True)
class Profile:
    name: str
    base_url: str = ""
    api_key: str | None = field(default=None, repr=False)
    api_key_env: str | None = None
    model: str = "gpt-image-2"
    models: tuple[str, ...] = ()
    headers: Mapping[str, str] = field(default_factory=dict)
    timeout: float = 360.0
    connect_timeout: float = 10.0
    max_retries: int = 2
    retry_server_errors: bool = False
    retry_timeouts: bool = False
    capabilities: Capabilities = field(default_factory=Capabilities)
    demo: bool = False  # the embedded offline provider; base_url is filled in when it starts

    def key(self, environ: Mapping[str, str]) -> str | None:
        if self.api_key:
            return self.api_key
        if self.api_key_env:
            return environ.get(self.api_key_env) or None
        return None

    def has_key(self, environ: Mapping[str, str]) -> bool:
        return self.demo or self.key(environ) is not None

    def caps(self, model: str | None = None) -> ModelCaps:
        c = self.capabilities
        base = caps_for_model(model or self.model)
        return with_overrides(
            base,
            sizes=c.sizes,
            qualities=c.qualities,
            transparent_background=c.transparent_background,
            custom_sizes=c.custom_sizes,
            streaming=None if base.wants_response_format else c.streaming,  # dall-e never streams
        )

    def endpoint(self, environ: Mapping[str, str], base_url: str | None = None) -> Endpoint:
        return Endpoint(
            base_url=base_url or self.base_url,
            api_key=self.key(environ),
            key_env=self.api_key_env,
            profile=self.name,
            headers=dict(self.headers),
            timeout=self.timeout,
            connect_timeout=self.connect_timeout,
            retry=RetryPolicy(
                max_retries=self.max_retries,
                retry_server_errors=self.retry_server_errors,
                retry_timeouts=self.retry_timeouts,
            ),
        )


def builtin_profiles(environ: Mapping[str, str]) -> dict[str, Profile]:
    return {
        "model-go": Profile(
            name="model-go",
            base_url="https://model-go.com/v1",
            api_key_env="MODEL_GO_API_KEY",
            model="gpt-image-2",
            models=("gpt-image-2",),
        ),
        "openai": Profile(
            name="openai",
            base_url=environ.get("OPENAI_BASE_URL") or "https://api.openai.com/v1",
            api_key_env="OPENAI_API_KEY",
            model="gpt-image-2",
            models=("gpt-image-2", "gpt-image-1.5", "gpt-image-1", "gpt-image-1-mini", "dall-e-3", "dall-e-2"),
            capabilities=Capabilities(streaming=True),  # documented for the GPT image models
        ),
        DEMO: Profile(
            name=DEMO,
            demo=True,
            model="gpt-image-2",
            models=("gpt-image-2", "gpt-image-1"),
            timeout=60.0,
            capabilities=Capabilities(transparent_background=True, streaming=True),
        ),
    }


@dataclass(frozen=True)
class OutputSettings:
    folder: Path
    template: str = DEFAULT_TEMPLATE


GRAPHICS = ("auto", "kitty", "sixel", "halfcell", "unicode", "none")


@dataclass
class UISettings:
    """The terminal interface's choices, kept across runs."""

    graphics: str = "auto"
    theme: str = "textual-dark"
    concurrency: int = 3  # jobs running at once per profile; more wait in the queue
    last: dict[str, dict[str, Any]] = field(default_factory=dict)  # last parameters per profile


@dataclass
class Config:
    profiles: dict[str, Profile]
    output: OutputSettings
    active: str | None = None  # as written in the file; see active_profile()
    prices: dict[str, Price] = field(default_factory=dict)
    ui: UISettings = field(default_factory=UISettings)
    extra: dict[str, Any] = field(default_factory=dict)  # tables owned by later features
    path: Path | None = None
    error: ConfigError | None = None  # set when the file was damaged and defaults are in use
    _builtins: dict[str, Profile] = field(default_factory=dict, repr=False)

    def active_profile(self, environ: Mapping[str, str], requested: str | None = None) -> Profile:
        """The named profile; else the file's choice; else the first with a key; else demo."""
        name = requested or environ.get("IMAGEGEN_TUI_PROFILE") or self.active
        if name:
            if name not in self.profiles:
                raise ConfigError(f"no profile named {name!r}; known: {', '.join(self.profiles)}")
            return self.profiles[name]
        for profile in self.profiles.values():
            if not profile.demo and profile.has_key(environ):
                return profile
        return self.profiles[DEMO]


_PROFILE_KEYS = {f.name for f in fields(Profile)} - {"name"}
_CAPS_KEYS = {f.name for f in fields(Capabilities)}


def default_config(environ: Mapping[str, str]) -> Config:
    builtins = builtin_profiles(environ)
    return Config(
        profiles=dict(builtins),
        output=OutputSettings(folder=paths.default_output_dir()),
        _builtins=builtins,
    )


def load_config(path: Path | None = None, environ: Mapping[str, str] | None = None) -> Config:
    """Never raises for a bad file: the result carries `error` and the defaults instead."""
    environ = os.environ if environ is None else environ
    path = path or paths.config_file()
    config = default_config(environ)
    config.path = path
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        return config
    except OSError as exc:
        config.error = ConfigError(f"{path}: cannot be read ({exc.strerror})")
        return config
    try:
        data = tomllib.loads(raw.decode("utf-8"))
        _apply(config, data)
    except UnicodeDecodeError:
        config.error = ConfigError(f"{path}: is not UTF-8 text")
    except tomllib.TOMLDecodeError as exc:
        config.error = ConfigError(f"{path}: is not valid TOML ({exc})")
    except ConfigError as exc:
        config.error = ConfigError(f"{path}: {exc}")
    if config.error:
        fresh = default_config(environ)
        fresh.path, fresh.error = path, config.error
        return fresh
    return config


def _apply(config: Config, data: dict[str, Any]) -> None:
    for key, value in data.items():
        if key == "profile":
            config.active = _expect(value, str, "profile")
        elif key == "output":
            config.output = _output(_expect(value, dict, "output"), config.output)
        elif key == "profiles":
            for name, table in _expect(value, dict, "profiles").items():
                base = config.profiles.get(name) or Profile(name=name)
                config.profiles[name] = profile_from_table(name, _expect(table, dict, f"profiles.{name}"), base)
        elif key == "prices":
            config.prices = parse_prices(value)
        elif key == "ui":
            config.ui = _ui(_expect(value, dict, "ui"))
        else:
            config.extra[key] = value
    if config.active and config.active not in config.profiles:
        raise ConfigError(f"profile = {config.active!r} names no profile")


def _output(table: dict[str, Any], current: OutputSettings) -> OutputSettings:
    unknown = set(table) - {"folder", "template"}
    if unknown:
        raise ConfigError(f"output: unknown key {sorted(unknown)[0]!r}")
    folder = current.folder
    if "folder" in table:
        folder = Path(os.path.expanduser(_expect(table["folder"], str, "output.folder")))
    template = _expect(table.get("template", current.template), str, "output.template")
    try:
        check_template(template)
    except ValueError as exc:
        raise ConfigError(f"output.template: {exc}") from None
    return OutputSettings(folder=folder, template=template)


def _ui(table: dict[str, Any]) -> UISettings:
    unknown = set(table) - {f.name for f in fields(UISettings)}
    if unknown:
        raise ConfigError(f"ui: unknown key {sorted(unknown)[0]!r}")
    ui = UISettings()
    if "graphics" in table:
        ui.graphics = _expect(table["graphics"], str, "ui.graphics")
        if ui.graphics not in GRAPHICS:
            raise ConfigError(f"ui.graphics: one of {', '.join(GRAPHICS)}")
    if "theme" in table:
        ui.theme = _expect(table["theme"], str, "ui.theme")
    if "concurrency" in table:
        ui.concurrency = _expect(table["concurrency"], int, "ui.concurrency")
        if not 1 <= ui.concurrency <= 10:
            raise ConfigError("ui.concurrency: must be from 1 to 10")
    if "last" in table:
        last = _expect(table["last"], dict, "ui.last")
        ui.last = {str(name): dict(_expect(values, dict, f"ui.last.{name}")) for name, values in last.items()}
    return ui


_NUMBER_RANGES = {"timeout": (1, 3600), "connect_timeout": (1, 300), "max_retries": (0, 10)}


def profile_from_table(name: str, table: dict[str, Any], base: Profile) -> Profile:
    """`base` with a config table's values applied, every value checked; ConfigError names
    the key. The settings screen builds such a table from its form, so one set of rules
    serves the file and the form."""
    where = f"profiles.{name}"
    unknown = set(table) - _PROFILE_KEYS
    if unknown:
        raise ConfigError(f"{where}: unknown key {sorted(unknown)[0]!r}")
    values: dict[str, Any] = {}
    for key in ("base_url", "api_key", "api_key_env", "model"):
        if key in table:
            values[key] = _expect(table[key], str, f"{where}.{key}")
    for key in ("retry_server_errors", "retry_timeouts", "demo"):
        if key in table:
            values[key] = _expect(table[key], bool, f"{where}.{key}")
    for key, (low, high) in _NUMBER_RANGES.items():
        if key in table:
            number = table[key]
            if isinstance(number, bool) or not isinstance(number, (int, float)) or not low <= number <= high:
                raise ConfigError(f"{where}.{key}: must be a number from {low} to {high}")
            values[key] = int(number) if key == "max_retries" else float(number)
    if "models" in table:
        values["models"] = tuple(_string_list(table["models"], f"{where}.models"))
    if "headers" in table:
        headers = _expect(table["headers"], dict, f"{where}.headers")
        values["headers"] = {str(k): _expect(v, str, f"{where}.headers.{k}") for k, v in headers.items()}
    if "capabilities" in table:
        values["capabilities"] = _capabilities(_expect(table["capabilities"], dict, f"{where}.capabilities"), where)
    profile = replace(base, **values)
    if not profile.demo:
        if not profile.base_url.startswith(("http://", "https://")):
            raise ConfigError(f"{where}.base_url: must start with http:// or https://")
    return profile


def _capabilities(table: dict[str, Any], where: str) -> Capabilities:
    unknown = set(table) - _CAPS_KEYS
    if unknown:
        raise ConfigError(f"{where}.capabilities: unknown key {sorted(unknown)[0]!r}")
    values: dict[str, Any] = {}
    for key in ("sizes", "qualities"):
        if key in table:
            values[key] = tuple(_string_list(table[key], f"{where}.capabilities.{key}"))
    for key in ("transparent_background", "custom_sizes", "streaming"):
        if key in table:
            values[key] = _expect(table[key], bool, f"{where}.capabilities.{key}")
    return Capabilities(**values)


def _expect(value: Any, kind: type, where: str) -> Any:
    if not isinstance(value, kind) or (kind is not bool and isinstance(value, bool)):
        raise ConfigError(f"{where}: expected {kind.__name__}, got {type(value).__name__}")
    return value


def _string_list(value: Any, where: str) -> list[str]:
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise ConfigError(f"{where}: expected a list of strings")
    return value


# --- writing ----------------------------------------------------------------------------------


def to_toml_dict(config: Config) -> dict[str, Any]:
    data: dict[str, Any] = {}
    if config.active:
        data["profile"] = config.active
    output: dict[str, Any] = {}
    if config.output.folder != paths.default_output_dir():
        output["folder"] = str(config.output.folder)
    if config.output.template != DEFAULT_TEMPLATE:
        output["template"] = config.output.template
    if output:
        data["output"] = output
    profiles = {}
    for name, profile in config.profiles.items():
        table = _profile_diff(profile, config._builtins.get(name) or Profile(name=name))
        if table or name not in config._builtins:
            profiles[name] = table
    if profiles:
        data["profiles"] = profiles
    ui = {f.name: getattr(config.ui, f.name) for f in fields(UISettings) if getattr(config.ui, f.name) != getattr(UISettings(), f.name)}
    if ui:
        data["ui"] = ui
    if config.prices:
        data["prices"] = {model: {k: v for k, v in price.__dict__.items() if v is not None} for model, price in config.prices.items()}
    data.update(config.extra)
    return data


def _profile_diff(profile: Profile, base: Profile) -> dict[str, Any]:
    table: dict[str, Any] = {}
    for f in fields(Profile):
        if f.name == "name":
            continue
        value, default = getattr(profile, f.name), getattr(base, f.name)
        if value == default:
            continue
        if f.name == "capabilities":
            caps = {c.name: getattr(value, c.name) for c in fields(Capabilities) if getattr(value, c.name) is not None}
            table[f.name] = {k: list(v) if isinstance(v, tuple) else v for k, v in caps.items()}
        elif isinstance(value, tuple):
            table[f.name] = list(value)
        elif isinstance(value, Mapping):
            table[f.name] = dict(value)
        elif value is not None:
            table[f.name] = value
    return table


def save_config(config: Config, path: Path | None = None) -> Path:
    """Atomically replace the file (temp file in the same folder, fsync, rename), mode 0600.
    Refuses while the loaded file was damaged, so the user's text is never lost."""
    path = path or config.path or paths.config_file()
    if config.error is not None:
        raise ConfigError(f"{path}: not saved, because the file on disk is damaged; fix it first ({config.error})")
    text = tomli_w.dumps(to_toml_dict(config))
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".config-", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            os.fchmod(handle.fileno(), 0o600)
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def masked(key: str | None) -> str | None:
    if not key:
        return None
    return "****" if len(key) < 12 else f"{key[:3]}…{key[-4:]}"


def describe(config: Config, environ: Mapping[str, str]) -> dict[str, Any]:
    """What `config show` prints: the effective settings with every key masked."""
    active = config.active_profile(environ)
    profiles: dict[str, Any] = {}
    for name, profile in config.profiles.items():
        key = profile.key(environ)
        source = "config" if profile.api_key else (f"${profile.api_key_env}" if key else None)
        profiles[name] = {
            "base_url": "(embedded demo server)" if profile.demo else profile.base_url,
            "api_key": masked(key),
            "api_key_from": source,
            "api_key_env": profile.api_key_env,
            "model": profile.model,
            "models": list(profile.models),
            "timeout": profile.timeout,
            "max_retries": profile.max_retries,
        }
    return {
        "config_file": str(config.path),
        "config_error": str(config.error) if config.error else None,
        "active_profile": active.name,
        "output": {"folder": str(config.output.folder), "template": config.output.template},
        "profiles": profiles,
    }
