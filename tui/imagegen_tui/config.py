"""Profiles and settings, read from config.toml with tomllib and checked key by key.

The file holds only what the user changed: built-in profiles are merged in at load time. A
problem with the file never stops the program and is never hidden: the result carries it
(`Config.error`: file, key, line, message), nothing may be sent until it is fixed
(`Config.problem`), and the file is never overwritten meanwhile. Saving, which keeps the file as
the user wrote it, is config_save's job.
"""

from __future__ import annotations

import os
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from imagegen_tui import paths
from imagegen_tui.budget import Budget, parse_budget
from imagegen_tui.dialects import DEFAULT as DEFAULT_DIALECT
from imagegen_tui.dialects import DIALECTS, Dialect, dialect_problem
from imagegen_tui.dialects import apply as dialect_caps
from imagegen_tui.endpoint import PROXY_SCHEMES, Endpoint, shown_proxy
from imagegen_tui.errors import ConfigError, check_keys, nearest
from imagegen_tui.models import ModelCaps, caps_for_model, with_overrides
from imagegen_tui.naming import DEFAULT_SLUG, DEFAULT_TEMPLATE, SLUG_MODES, check_template
from imagegen_tui.prices import Price, parse_prices
from imagegen_tui.retry import RetryPolicy

if TYPE_CHECKING:
    from imagegen_tui.styles import Style

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
    edits: bool | None = None  # false: the provider has no /images/edits (model-go documents none)


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
    key_required: bool = True  # false for a local gateway that takes no key
    demo: bool = False  # the embedded offline provider; base_url is filled in when it starts
    proxy: str | None = field(default=None, repr=False)  # overrides HTTPS_PROXY & co.; may hold a password
    ca_bundle: str | None = None  # a PEM file of CAs trusted besides the usual ones (a company's)
    verify: bool = True  # false: certificates are not checked, and every run says so (warning)
    dialect: str = DEFAULT_DIALECT  # what the server speaks (dialects.py); checked when read
    extra: Mapping[str, Any] = field(default_factory=dict)  # [profiles.X.extra]: extras sent by default (extras.py)

    @property
    def speaks(self) -> Dialect:
        return DIALECTS[self.dialect]

    def key(self, environ: Mapping[str, str]) -> str | None:
        if self.api_key:
            return self.api_key
        if self.api_key_env:
            return environ.get(self.api_key_env) or None
        return None

    def ready(self, environ: Mapping[str, str]) -> bool:
        """Has what it needs to send: a key, unless it needs none."""
        return self.demo or not self.key_required or self.key(environ) is not None

    def key_problem(self, environ: Mapping[str, str]) -> str | None:
        """What to do when the profile has no key it needs (before anything is sent or recorded)."""
        if self.ready(environ):
            return None
        if self.api_key_env:
            return f"the profile {self.name!r} has no key: set {self.api_key_env} or add one in Settings (F2)"
        return (
            f"the profile {self.name!r} has no key: add one in Settings (F2), name its environment variable "
            "in api_key_env, or set key_required = false if the provider needs none"
        )

    def warning(self) -> str | None:
        """Said on every run that sends with this profile (stderr, or the TUI's notice), for
        as long as the profile turns certificate checks off."""
        if self.verify or self.demo:
            return None
        return (
            f"WARNING: the profile {self.name!r} has verify = false: the provider's TLS certificate is not checked, "
            "so anyone on the way (a proxy too) can pose as the provider and read the key, the prompts and the images; "
            "put your company's CA file in ca_bundle instead"
        )

    def caps(self, model: str | None = None) -> ModelCaps:
        c = self.capabilities
        own = caps_for_model(model or self.model)
        return with_overrides(
            dialect_caps(own, self.speaks),
            sizes=c.sizes,
            qualities=c.qualities,
            transparent_background=c.transparent_background,
            custom_sizes=c.custom_sizes,
            streaming=None if own.wants_response_format else c.streaming,  # dall-e never streams
            edits=c.edits,
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
            proxy=self.proxy,
            ca_bundle=self.ca_bundle,
            verify=self.verify,
            direct=self.demo,
            key_header=self.speaks.key_header,
            image_headers=dict(self.speaks.image_headers),
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
    slug: str = DEFAULT_SLUG  # how {slug} writes the prompt's words: naming.SLUG_MODES


GRAPHICS = ("auto", "kitty", "sixel", "halfcell", "unicode", "none")
HISTORY_ROWS = ("auto", "one", "two")  # lines a history row takes; auto: two where the list is narrow


@dataclass
class UISettings:
    """The terminal interface's settings. `theme` and `last` are what versions before the state
    file wrote here by themselves; they are only read, once, into the state file (studio)."""

    graphics: str = "auto"
    concurrency: int = 3  # jobs running at once per profile; more wait in the queue
    history_rows: str = "auto"  # HISTORY_ROWS
    theme: str | None = None
    last: dict[str, dict[str, Any]] = field(default_factory=dict)


_LEGACY_UI_KEYS = {"theme", "last"}


@dataclass
class Config:
    profiles: dict[str, Profile]
    output: OutputSettings
    active: str | None = None  # as written in the file; see active_profile()
    prices: dict[str, Price] = field(default_factory=dict)
    budget: Budget = field(default_factory=Budget)  # [budget]: every profile together
    budgets: dict[str, Budget] = field(default_factory=dict)  # [profiles.NAME.budget]
    ui: UISettings = field(default_factory=UISettings)
    # [keys]: action (a binding id, room.action, or its bare action name) -> keys ("R,ctrl+r");
    # only the TUI knows its actions, so it checks the names (ui/keymap.py)
    keys: dict[str, str] = field(default_factory=dict)
    styles: dict[str, Style] = field(default_factory=dict)  # [styles.NAME], in the file's order (styles.py)
    path: Path | None = None
    error: ConfigError | None = None  # the file's problem; nothing is sent while it is set
    # a config file exists and says something of its own: then the demo is never chosen
    # automatically, so a setup problem cannot hide behind it
    configured: bool = False
    _builtins: dict[str, Profile] = field(default_factory=dict, repr=False)
    _loaded: Config | None = field(default=None, repr=False)  # as read: saving writes the difference

    def snapshot(self) -> Config:
        """A copy that later edits of this config (the settings screen's) do not reach."""
        return replace(
            self, profiles=dict(self.profiles), prices=dict(self.prices), budgets=dict(self.budgets), keys=dict(self.keys), styles=dict(self.styles),
            ui=replace(self.ui, last=dict(self.ui.last)), _loaded=None,
        )

    def active_profile(self, environ: Mapping[str, str], requested: str | None = None, *, remembered: str | None = None) -> Profile:
        """`requested` (--profile), else IMAGEGEN_TUI_PROFILE, else `remembered` (the TUI's last
        pick, if it still exists), else the file's `profile`, else the first profile ready to
        send; else demo when nothing is configured at all, else the first profile of the file's
        own (else model-go), which `problem` then refuses with what to set."""
        for name, source in ((requested, "--profile"), (environ.get("IMAGEGEN_TUI_PROFILE"), "IMAGEGEN_TUI_PROFILE")):
            if name:
                if name not in self.profiles:
                    raise no_profile(name, self.profiles, source)
                return self.profiles[name]
        if remembered in self.profiles:
            return self.profiles[remembered]
        if self.active in self.profiles:
            return self.profiles[self.active]
        real = [profile for profile in self.profiles.values() if not profile.demo]
        for profile in real:
            if profile.ready(environ):
                return profile
        if not self.configured and DEMO in self.profiles:
            return self.profiles[DEMO]
        own = [profile for profile in real if profile.name not in self._builtins]
        return (own or real or list(self.profiles.values()))[0]

    def problem(self, profile: Profile, environ: Mapping[str, str]) -> ConfigError | None:
        """Why nothing may be sent with `profile`, or None: the file could not be read (then no
        profile is trusted: the one used might not be the one the file describes), the profile
        has no key it needs, or its base_url cannot be a provider's."""
        if self.error is not None:
            return self.error
        if profile.demo:
            return None
        if (wrong := url_problem(profile.base_url)) is not None:
            return ConfigError(f"the profile {profile.name!r} has base_url {profile.base_url!r}, which {wrong}")
        if (missing := profile.key_problem(environ)) is not None:
            return ConfigError(missing)
        return None

    def usable_profile(self, environ: Mapping[str, str], requested: str | None = None, *, remembered: str | None = None) -> Profile:
        """The active profile when something may be sent with it; else ConfigError saying why."""
        profile = self.active_profile(environ, requested, remembered=remembered)
        if (problem := self.problem(profile, environ)) is not None:
            raise problem
        return profile


def no_profile(name: str, known: Mapping[str, Profile], key: str) -> ConfigError:
    close = nearest(name, known)
    hint = f"did you mean {close!r}?" if close else f"known: {', '.join(known)}"
    return ConfigError(f"no profile named {name!r}; {hint}", key=key)


def url_problem(url: str) -> str | None:
    """Why `url` cannot be a provider's base URL, or None."""
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018  (raises for a port that is not a number)
    except ValueError:
        return "is not a valid URL"
    if parts.scheme not in ("http", "https") or not parts.hostname or any(c.isspace() for c in url):
        return "must be an http:// or https:// URL with a host name"
    return None


_PROFILE_KEYS = {f.name for f in fields(Profile)} - {"name"}
_CAPS_KEYS = {f.name for f in fields(Capabilities)}
_TOP_KEYS = {"profile", "output", "profiles", "prices", "budget", "ui", "keys", "styles"}
_OUTPUT_KEYS = {f.name for f in fields(OutputSettings)}
_UI_KEYS = {f.name for f in fields(UISettings)}


def default_config(environ: Mapping[str, str]) -> Config:
    builtins = builtin_profiles(environ)
    config = Config(profiles=dict(builtins), output=OutputSettings(folder=paths.default_output_dir()), _builtins=builtins)
    config._loaded = config.snapshot()
    return config


def load_config(path: Path | None = None, environ: Mapping[str, str] | None = None, *, must_exist: bool = False) -> Config:
    """Never raises for a bad file: the result carries `error` and the defaults instead.
    `must_exist`: the file was named (--config), so its absence is an error, not a fresh start."""
    environ = os.environ if environ is None else environ
    path = path or paths.config_file()
    config = default_config(environ)
    config.path = path
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        error = ConfigError("no such file", file=path) if must_exist else None
    except OSError as exc:
        error = ConfigError(f"cannot be read ({exc.strerror})", file=path)
    else:
        error = _read(config, raw, path)
    if error is not None:
        config = default_config(environ)
        config.path, config.error, config.configured = path, error, True
        return config
    config._loaded = config.snapshot()
    return config


def _read(config: Config, raw: bytes, path: Path) -> ConfigError | None:
    try:
        _apply(config, tomllib.loads(raw.decode("utf-8")))
    except UnicodeDecodeError as exc:
        return ConfigError(f"is not UTF-8 text (byte 0x{raw[exc.start]:02x})", line=raw.count(b"\n", 0, exc.start) + 1, file=path)
    except tomllib.TOMLDecodeError as exc:
        return _syntax_error(exc, path)
    except ConfigError as exc:
        return exc.in_file(path)
    return None


def _syntax_error(exc: tomllib.TOMLDecodeError, path: Path) -> ConfigError:
    """tomllib puts the place at the end of its message: "... (at line 3, column 9)"."""
    text = str(exc)
    place = re.search(r" \(at line (\d+), column (\d+)\)$", text)
    if place is None:
        return ConfigError(f"is not valid TOML: {text}", file=path)
    return ConfigError(f"is not valid TOML: {text[: place.start()]} (column {place.group(2)})", line=int(place.group(1)), file=path)


def _apply(config: Config, data: dict[str, Any]) -> None:
    check_keys(data, _TOP_KEYS)
    for key, value in data.items():
        if key == "profile":
            config.active = _expect(value, str, "profile")
        elif key == "output":
            config.output = _output(_expect(value, dict, "output"), config.output)
        elif key == "profiles":
            for name, table in _expect(value, dict, "profiles").items():
                table = dict(_expect(table, dict, f"profiles.{name}"))
                if "budget" in table:  # the app's, not the provider's: kept beside the profile
                    config.budgets[name] = parse_budget(table.pop("budget"), f"profiles.{name}.budget")
                config.profiles[name] = _file_profile(name, table, config.profiles.get(name))
        elif key == "prices":
            config.prices = parse_prices(value)
        elif key == "budget":
            config.budget = parse_budget(value, "budget")
        elif key == "ui":
            config.ui = _ui(_expect(value, dict, "ui"))
        elif key == "keys":
            config.keys = _keys(_expect(value, dict, "keys"))
        elif key == "styles":
            from imagegen_tui.styles import parse_styles  # only for a file that has styles

            config.styles = parse_styles(value)
    if config.active and config.active not in config.profiles:
        raise no_profile(config.active, config.profiles, "profile")
    # how the app looks, which keys it takes, what it may spend and its styles say nothing about providers
    config.configured = bool(set(data) - {"ui", "keys", "budget", "styles"} or set(data.get("ui", {})) - _LEGACY_UI_KEYS)


def _file_profile(name: str, table: dict[str, Any], builtin: Profile | None) -> Profile:
    """A profile of the file's; a new one needs a base_url, and a name close to a built-in's
    is more likely a typo than a new provider."""
    if builtin is None and "base_url" not in table:
        close = nearest(name, ("model-go", "openai", DEMO))
        hint = f"; did you mean [profiles.{close}]?" if close else ""
        raise ConfigError(f"a new profile needs a base_url{hint}", key=f"profiles.{name}")
    if builtin is None and isinstance(table.get("dialect"), str) and table["dialect"] in DIALECTS:
        # a new profile of a dialect takes its key variable and key rule unless it says otherwise
        spoken = DIALECTS[table["dialect"]]
        builtin = Profile(name=name, api_key_env=spoken.api_key_env, key_required=spoken.key_required)
    return profile_from_table(name, table, builtin or Profile(name=name))


def _output(table: dict[str, Any], current: OutputSettings) -> OutputSettings:
    check_keys(table, _OUTPUT_KEYS, "output")
    folder = current.folder
    if "folder" in table:
        folder = Path(os.path.expanduser(_expect(table["folder"], str, "output.folder")))
    template = _expect(table.get("template", current.template), str, "output.template")
    try:
        check_template(template)
    except ValueError as exc:
        raise ConfigError(str(exc), key="output.template") from None
    slug = _expect(table.get("slug", current.slug), str, "output.slug")
    if slug not in SLUG_MODES:
        close = nearest(slug, SLUG_MODES)
        hint = f"; did you mean {close!r}?" if close else ""
        raise ConfigError(f"{slug!r} is not a slug mode: choose {' or '.join(map(repr, SLUG_MODES))}{hint}", key="output.slug")
    return OutputSettings(folder=folder, template=template, slug=slug)


def _ui(table: dict[str, Any]) -> UISettings:
    check_keys(table, _UI_KEYS, "ui")
    ui = UISettings()
    if "graphics" in table:
        ui.graphics = _expect(table["graphics"], str, "ui.graphics")
        if ui.graphics not in GRAPHICS:
            raise ConfigError(f"one of {', '.join(GRAPHICS)}", key="ui.graphics")
    if "theme" in table:
        ui.theme = _expect(table["theme"], str, "ui.theme")
    if "history_rows" in table:
        ui.history_rows = _expect(table["history_rows"], str, "ui.history_rows")
        if ui.history_rows not in HISTORY_ROWS:
            close = nearest(ui.history_rows, HISTORY_ROWS)
            hint = f"; did you mean {close!r}?" if close else ""
            raise ConfigError(f"{ui.history_rows!r} is not a row layout: choose {', '.join(map(repr, HISTORY_ROWS))}{hint}", key="ui.history_rows")
    if "concurrency" in table:
        ui.concurrency = _expect(table["concurrency"], int, "ui.concurrency")
        if not 1 <= ui.concurrency <= 10:
            raise ConfigError("must be from 1 to 10", key="ui.concurrency")
    if "last" in table:
        last = _expect(table["last"], dict, "ui.last")
        ui.last = {str(name): dict(_expect(values, dict, f"ui.last.{name}")) for name, values in last.items()}
    return ui


def _keys(table: dict[str, Any]) -> dict[str, str]:
    """`history.rerun = "R"` written bare is a TOML dotted key, a table of tables: it is read as
    the quoted `"history.rerun" = "R"` it means. Which names and keys exist only the TUI knows."""
    keys: dict[str, str] = {}
    for name, value in table.items():
        nested = value.items() if isinstance(value, dict) else [(None, value)]
        for action, written in nested:
            where = name if action is None else f"{name}.{action}"
            keys[where] = _expect(written, str, f"keys.{where}")
            if not written.strip():
                raise ConfigError('is empty; give one key or several, e.g. "R,ctrl+r"', key=f"keys.{where}")
    return keys


_NUMBER_RANGES = {"timeout": (1, 3600), "connect_timeout": (1, 300), "max_retries": (0, 10)}


def profile_from_table(name: str, table: dict[str, Any], base: Profile) -> Profile:
    """`base` with a config table's values applied, every value checked; ConfigError names
    the key. The settings screen builds such a table from its form, so one set of rules
    serves the file and the form."""
    where = f"profiles.{name}"
    check_keys(table, _PROFILE_KEYS, where)
    values: dict[str, Any] = {}
    for key in ("base_url", "api_key", "api_key_env", "model", "dialect"):
        if key in table:
            values[key] = _expect(table[key], str, f"{where}.{key}")
    if "dialect" in values and (wrong := dialect_problem(values["dialect"])) is not None:
        raise ConfigError(wrong, key=f"{where}.dialect")
    if "proxy" in table:
        values["proxy"] = _proxy(_expect(table["proxy"], str, f"{where}.proxy"), f"{where}.proxy")
    if "ca_bundle" in table:
        values["ca_bundle"] = _ca_bundle(_expect(table["ca_bundle"], str, f"{where}.ca_bundle"), f"{where}.ca_bundle")
    for key in ("retry_server_errors", "retry_timeouts", "key_required", "demo", "verify"):
        if key in table:
            values[key] = _expect(table[key], bool, f"{where}.{key}")
    for key, (low, high) in _NUMBER_RANGES.items():
        if key in table:
            number = table[key]
            if isinstance(number, bool) or not isinstance(number, (int, float)) or not low <= number <= high:
                raise ConfigError(f"must be a number from {low} to {high}", key=f"{where}.{key}")
            values[key] = int(number) if key == "max_retries" else float(number)
    if "models" in table:
        values["models"] = tuple(_string_list(table["models"], f"{where}.models"))
    if "headers" in table:
        headers = _expect(table["headers"], dict, f"{where}.headers")
        values["headers"] = {str(k): _expect(v, str, f"{where}.headers.{k}") for k, v in headers.items()}
    if "capabilities" in table:
        values["capabilities"] = _capabilities(_expect(table["capabilities"], dict, f"{where}.capabilities"), where)
    if "extra" in table:
        values["extra"] = _extra(_expect(table["extra"], dict, f"{where}.extra"), f"{where}.extra")
    profile = replace(base, **values)
    if not profile.demo and (wrong := url_problem(profile.base_url)) is not None:
        raise ConfigError(f"{wrong} (got {profile.base_url!r})", key=f"{where}.base_url")
    return profile


def _extra(table: dict[str, Any], where: str) -> dict[str, Any]:
    """Each default extra typed as our vocabulary wants; whether the profile's server takes
    them is said when a request is checked (the file stays usable for everything else)."""
    from imagegen_tui.extras import value_problem

    for key, value in table.items():
        if (problem := value_problem(str(key), value)) is not None:
            raise ConfigError(problem, key=f"{where}.{key}")
    return dict(table)


def _proxy(url: str, key: str) -> str:
    """A proxy URL httpx can use. Never quoted back: it may hold a password."""
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018  (raises for a port that is not a number)
    except ValueError:
        raise ConfigError("is not a valid URL", key=key) from None
    if parts.scheme not in PROXY_SCHEMES or not parts.hostname or any(c.isspace() for c in url):
        got = f" (got a {parts.scheme}:// URL)" if "://" in url else ""
        raise ConfigError(f"must be an http://, https://, socks5:// or socks5h:// URL with a host name{got}", key=key)
    return url


def _ca_bundle(value: str, key: str) -> str:
    """The path of a readable PEM file of certificates, checked now rather than at the first
    call: a typo should not look like an untrusted provider."""
    path = Path(os.path.expanduser(value))
    if not path.is_absolute():
        raise ConfigError(f"must be an absolute path, or start with ~/ (got {value!r})", key=key)
    try:
        pem = path.read_bytes()
    except FileNotFoundError:
        raise ConfigError(f"no such file: {path}", key=key) from None
    except IsADirectoryError:
        raise ConfigError(f"is a folder, not a PEM file: {path}", key=key) from None
    except OSError as exc:
        raise ConfigError(f"cannot be read ({exc.strerror}): {path}", key=key) from None
    if b"-----BEGIN CERTIFICATE-----" not in pem:
        raise ConfigError(f"holds no PEM certificate (no -----BEGIN CERTIFICATE----- line): {path}", key=key)
    return str(path)


def _capabilities(table: dict[str, Any], where: str) -> Capabilities:
    check_keys(table, _CAPS_KEYS, f"{where}.capabilities")
    values: dict[str, Any] = {}
    for key in ("sizes", "qualities"):
        if key in table:
            values[key] = tuple(_string_list(table[key], f"{where}.capabilities.{key}"))
    for key in ("transparent_background", "custom_sizes", "streaming", "edits"):
        if key in table:
            values[key] = _expect(table[key], bool, f"{where}.capabilities.{key}")
    return Capabilities(**values)


def _expect(value: Any, kind: type, where: str) -> Any:
    if not isinstance(value, kind) or (kind is not bool and isinstance(value, bool)):
        raise ConfigError(f"expected {_KIND_NAMES.get(kind, kind.__name__)}, got {_KIND_NAMES.get(type(value), type(value).__name__)}", key=where)
    return value


_KIND_NAMES = {str: "a string", int: "a whole number", float: "a number", bool: "true or false", dict: "a table", list: "a list"}


def _string_list(value: Any, where: str) -> list[str]:
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise ConfigError("expected a list of strings", key=where)
    return value


def masked(key: str | None) -> str | None:
    if not key:
        return None
    return "****" if len(key) < 12 else f"{key[:3]}…{key[-4:]}"


def describe(config: Config, environ: Mapping[str, str]) -> dict[str, Any]:
    """What `config show` prints: the effective settings with every key masked, and what would
    stop each profile from sending."""
    active = config.active_profile(environ)
    profiles: dict[str, Any] = {}
    for name, profile in config.profiles.items():
        key = profile.key(environ)
        source = "config" if profile.api_key else (f"${profile.api_key_env}" if key else None)
        problem = config.problem(profile, environ)
        profiles[name] = {
            "base_url": "(embedded demo server)" if profile.demo else profile.base_url,
            "api_key": masked(key),
            "api_key_from": source,
            "api_key_env": profile.api_key_env,
            "key_required": profile.key_required and not profile.demo,
            "dialect": profile.dialect,
            "extra": dict(profile.extra),
            "model": profile.model,
            "models": list(profile.models),
            "timeout": profile.timeout,
            "max_retries": profile.max_retries,
            "proxy": shown_proxy(profile.proxy) if profile.proxy else None,
            "ca_bundle": profile.ca_bundle,
            "verify": profile.verify,
            "problem": problem.message if problem is not None and problem is not config.error else None,
        }
    from imagegen_tui import budget

    budgets = {scope: {"daily": b.daily, "monthly": b.monthly} for scope, b in [("overall", config.budget), *config.budgets.items()] if b}
    blind = {w for name, profile in config.profiles.items() if (w := budget.warning(config, name, profile.model))}
    return {
        "config_file": str(config.path),
        "active_profile": active.name,
        "output": {"folder": str(config.output.folder), "template": config.output.template, "slug": config.output.slug},
        "profiles": profiles,
        "budgets": budgets,
        "warnings": sorted(blind),
        "styles": {name: {"prompt": style.prompt, **style.params} for name, style in config.styles.items()},
    }
