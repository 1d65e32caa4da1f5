"""The one object the terminal interface talks to: it runs jobs, answers history queries and
keeps what the app remembers (state.py), so widgets never build a request, touch SQL or write a
file. No Textual here.

Blocking calls (SQLite, config and state writes) are meant to be called from worker threads;
`run` is a coroutine for a worker on the event loop.
"""

from __future__ import annotations

import asyncio
import os
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from imagegen_tui import budget, edits, extras, styles
from imagegen_tui.config import Config, Profile, load_config
from imagegen_tui.config_save import save_config
from imagegen_tui.errors import ConfigError, InvalidRequest, ProfileUnusable
from imagegen_tui.estimate import Estimate, Estimator
from imagegen_tui.request import AnyRequest, EditRequest, ImageRequest
from imagegen_tui.sources import Source
from imagegen_tui.state import KeySpend, State, StateFile, pushed
from imagegen_tui.store import DeleteReport, Filters, Generation, HistoryStore, Lineage, Listed, Provenance, StoredImage
from imagegen_tui.thumbnails import ensure_thumbnail

if TYPE_CHECKING:
    from imagegen_tui.client import PartialCallback
    from imagegen_tui.model_list import Listing
    from imagegen_tui.sweep import Axis, Plan
    from imagegen_tui.recovery import Recovered
    from imagegen_tui.saving import SavedImage
    from imagegen_tui.service import Outcome
    from imagegen_tui.sweep_summary import SweepSummary

PARAM_KEYS = ("model", "size", "quality", "n", "background", "output_format", "output_compression", "moderation", "input_fidelity", "stream", "extra")
PARTIAL_IMAGES = 2  # streamed previews a job shows before its final images
RECALL_LIMIT = 200  # prompts offered by ↑ in the prompt bar


@dataclass(frozen=True)
class CostView:
    estimate: Estimate | None
    budgets: list[budget.Line]
    blind_to: str | None  # the model, when a budget applies but it has no price


class Studio:
    def __init__(self, config: Config, store: HistoryStore | None, environ: Mapping[str, str] | None = None, state_file: StateFile | None = None) -> None:
        self.config = config
        self.store = store
        self.environ = os.environ if environ is None else environ
        self.state_file = state_file or StateFile()
        self._slots: dict[str, asyncio.Semaphore] = {}
        self.quitting = False  # set when the app exits with jobs running: they become interrupted
        self._migrate()

    # --- the config file -------------------------------------------------------------------

    def problem(self, profile: Profile) -> ConfigError | None:
        """Why nothing may be sent with `profile` (the file's problem, a missing key, a bad
        base_url), or None: for a screen to show before the user presses Enter."""
        return self.config.problem(profile, self.environ)

    def warning(self, profile: Profile) -> str | None:
        """A sentence to show whenever `profile` is picked or sends (verify = false: its
        provider's certificate is not checked), or None."""
        return profile.warning()

    def check(self, profile: Profile) -> None:
        """Raise ProfileUnusable (an InvalidRequest on "profile") when nothing may be sent."""
        if (problem := self.problem(profile)) is not None:
            raise ProfileUnusable(problem)

    def reload_config(self) -> ConfigError | None:
        """Read config.toml again, after the user fixed or changed it in an editor; the new
        settings replace the old (jobs already running keep theirs). Returns the file's problem,
        if it still has one. Blocking: call from a thread."""
        config = load_config(self.config.path, self.environ)
        if config.ui.concurrency != self.config.ui.concurrency:
            self._slots.clear()
        self.config = config
        self._migrate()
        return config.error

    def save_config(self) -> Path | None:
        """The settings screen's save: only the keys the user changed, written into the file as
        it stands (config_save). None when the file must not be written: it had a problem when
        read, or it no longer parses."""
        try:
            return save_config(self.config)
        except ConfigError:
            return None

    # --- what the app remembers (state.py) -------------------------------------------------

    @property
    def state(self) -> State:
        """Read-only: theme, sidebar, draft, profile, last; change it with remember_*."""
        return self.state_file.state

    @property
    def state_problem(self) -> str | None:
        """A sentence when the state file was damaged (and started afresh) or cannot be written."""
        return self.state_file.problem

    def _migrate(self) -> None:
        """Versions before the state file kept the sidebar's values ([ui.last]) and the theme
        in config.toml; they are read into the state file once. config.toml is not touched."""
        ui = self.config.ui
        if self.config.error is not None or self.state.migrated or not (ui.last or ui.theme):
            return

        def edit(state: State) -> None:
            for name, values in ui.last.items():
                state.last.setdefault(name, values)
            state.theme = state.theme or ui.theme
            state.migrated = True

        self.state_file.change(edit)

    def remember_theme(self, theme: str) -> None:
        self.state_file.change(lambda state: setattr(state, "theme", theme))

    def remember_sidebar(self, shown: bool) -> None:
        self.state_file.change(lambda state: setattr(state, "sidebar", shown))

    def remember_draft(self, text: str) -> None:
        """The prompt being written, for the next start (call on quit, or after a pause in typing)."""
        self.state_file.change(lambda state: setattr(state, "draft", text))

    def remember_prompt(self, text: str) -> None:
        """A sent prompt, first in the recall list."""
        self.state_file.change(lambda state: setattr(state, "recall", pushed(state.recall, text)))

    def remember_key_spend(self, profile: Profile, spend: KeySpend) -> None:
        """What `profile`'s gateway said its key has spent, for the title now and at the next start."""

        def edit(state: State) -> None:
            state.key_spend[profile.name] = spend._asdict()

        self.state_file.change(edit)

    def key_spend(self, profile: Profile) -> KeySpend | None:
        """What `profile`'s gateway last said its key has spent, in this run or an earlier one."""
        seen = self.state.key_spend.get(profile.name)
        return KeySpend(seen["usd"], seen["seen"]) if seen is not None else None

    def recall(self) -> list[str]:
        """Prompts for ↑, newest first: those sent from here, then the history's. Blocking (SQLite)."""
        history = [g.prompt for g in self.page(Filters(), 0, RECALL_LIMIT)]
        return list(dict.fromkeys([*self.state.recall, *history]))[:RECALL_LIMIT]

    # --- profiles and parameters -------------------------------------------------------------

    def active_profile(self, requested: str | None = None) -> Profile:
        """As Config.active_profile, with the profile last picked in the sidebar remembered."""
        return self.config.active_profile(self.environ, requested, remembered=self.state.profile)

    def last_params(self, profile: Profile) -> dict[str, Any]:
        """What the sidebar showed last time for this profile (model defaults to the profile's)."""
        remembered = self.state.last.get(profile.name, {})
        params = {key: remembered.get(key) for key in PARAM_KEYS}
        params["model"] = params["model"] or profile.model
        params["n"] = params["n"] or 1
        if params["stream"] is None:
            params["stream"] = self._streams_by_default(profile)
        return params

    @staticmethod
    def _streams_by_default(profile: Profile) -> bool:
        """Only where the profile says so: a gateway may mishandle stream=true."""
        return bool(profile.capabilities.streaming)

    def params_of(self, generation: Generation, profile: Profile) -> dict[str, Any]:
        """A generation's parameters as the sidebar shows them (the rest from the profile's last).
        Its extras, or none: a generation recorded without them leaves no seed from the last."""
        return {**self.last_params(profile), "extra": None, **{k: v for k, v in generation.params.items() if k in PARAM_KEYS}}

    def remember(self, profile: Profile, params: Mapping[str, Any], *, active: bool = False) -> None:
        """Keep the sidebar's values per profile (and, when the user picked it, the profile) in
        the state file; writes only when something changed. Defaults are not stored, so a fresh
        start writes nothing and demo stays a fallback, not a choice."""
        defaults = {"model": profile.model, "n": 1, "stream": self._streams_by_default(profile)}
        values = {k: v for k, v in params.items() if k in PARAM_KEYS and v is not None and defaults.get(k) != v}

        def edit(state: State) -> None:
            if values:
                state.last[profile.name] = values
            else:
                state.last.pop(profile.name, None)
            if active:
                state.profile = profile.name

        self.state_file.change(edit)

    def request(self, prompt: str, profile: Profile, params: Mapping[str, Any]) -> ImageRequest:
        """A validated request; raises InvalidRequest naming each bad field, ProfileUnusable
        (an InvalidRequest) when nothing may be sent with the profile."""
        self.check(profile)
        request = ImageRequest.from_params(prompt, self._sent(profile, params))
        return request.validate(profile.caps(request.model))

    # --- styles and presets ---------------------------------------------------------------

    def picked_styles(self, names: Sequence[str]) -> list[styles.Style]:
        """The named styles, in order; a name the config no longer has (remembered from before
        a reload) is left out."""
        known = self.config.styles
        return [known[name] for name in dict.fromkeys(names) if name in known]

    def styled(self, prompt: str, params: Mapping[str, Any], names: Sequence[str]) -> styles.Styled:
        """`prompt` and `params` with the named styles applied, in order."""
        return styles.apply(self.picked_styles(names), prompt, params)

    def styled_request(self, prompt: str, profile: Profile, params: Mapping[str, Any], names: Sequence[str]) -> tuple[ImageRequest, Provenance]:
        """As `request`, with the styles applied; a problem with a value a style filled in
        names that style, since the sidebar's field shows "provider default"."""
        styled = self.styled(prompt, params, names)
        try:
            return self.request(styled.prompt, profile, styled.params), styled.provenance
        except ProfileUnusable:
            raise
        except InvalidRequest as exc:
            raise InvalidRequest(styles.blamed(exc.problems, styled, self.config.styles, params)) from None

    def remember_styles(self, names: Sequence[str]) -> None:
        self.state_file.change(lambda state: setattr(state, "styles", list(names)))

    def presets(self) -> dict[str, dict[str, Any]]:
        """The presets saved, by name: {"profile", "params", "styles"}."""
        return self.state.presets

    def save_preset(self, name: str, profile: Profile, params: Mapping[str, Any], names: Sequence[str]) -> bool:
        """The sidebar's whole state under `name` (replacing one of that name), in the state file,
        never in config.toml. False when it could not be written (then `state_problem` says why)."""
        preset = {"profile": profile.name, "params": {key: params.get(key) for key in PARAM_KEYS}, "styles": list(names)}

        def edit(state: State) -> None:
            state.presets[name] = preset

        return self.state_file.change(edit) or self.state.presets.get(name) == preset

    def delete_preset(self, name: str) -> None:
        self.state_file.change(lambda state: state.presets.pop(name, None))

    def plan(self, prompt: str, profile: Profile, params: Mapping[str, Any], names: Sequence[str] = (), axes: Sequence[Axis] = ()) -> Plan:
        """What Enter sends: the prompt's variants times the parameter `axes`, each a validated
        request with the named styles applied (one, its escapes undone, when there are none; a
        name the config no longer has is left out). InvalidRequest naming a brace that cannot
        be read or the cells that would be refused; ProfileUnusable when nothing may be sent."""
        from imagegen_tui.sweep import PlanError, build
        from imagegen_tui.variants import VariantError

        self.check(profile)
        base = ImageRequest.from_params(prompt, self._sent(profile, params))
        try:
            return build(base, axes, profile.caps, profile=profile.name, styles=self.picked_styles(names))
        except VariantError as exc:
            raise InvalidRequest([("prompt", str(exc))]) from None
        except PlanError as exc:
            raise InvalidRequest(exc.problems) from None

    def priced(self, plan: Plan, profile: Profile) -> Plan:
        """`plan` with what its calls may cost; BudgetExceeded when together they would cross
        a budget. Blocking (the history): call from a thread."""
        from imagegen_tui.sweep import price

        requests = [cell.request for cell in plan.cells]
        budget.check_all(self.store, self.config, profile, requests)
        return replace(plan, pricing=price(requests, Estimator(self.store, self.config.prices)))

    def contact_sheets(self, plan: Plan) -> list[Path]:
        """The sheets of a sweep that has ended, from what its history rows recorded. Blocking
        (reads, draws, writes): call from a thread. OSError when they cannot be saved."""
        from imagegen_tui.sheet import cells_from_history, make_sheets

        if self.store is None:
            return []
        return make_sheets(plan.sweep_id, plan.prompt, plan.axes, cells_from_history(self.store.sweep_members(plan.sweep_id)))

    def edit_request(
        self, prompt: str, profile: Profile, params: Mapping[str, Any], wanted: Sequence[edits.Wanted], mask: bytes | None,
    ) -> tuple[EditRequest, list[Source], str | None]:
        """A validated edit of `wanted` (the first is edited), its sources (copies kept) and a
        note on what was done to the mask. Blocking (reads the files): call from a thread."""
        self.check(profile)
        inputs = edits.gather(self.store, wanted)
        mask_input, note = edits.mask_for(inputs[0], data=mask) if mask is not None and inputs else (None, None)
        request, made_from = edits.build(prompt, self._sent(profile, params), inputs, mask_input)
        return request.validate(profile.caps(request.model)), made_from, note

    def _sent(self, profile: Profile, params: Mapping[str, Any]) -> dict[str, Any]:
        """The sidebar's values as request parameters: defaults filled in, streaming only where
        the profile can, with the partial images the preview shows."""
        values = {k: params.get(k) for k in PARAM_KEYS}
        values["model"] = values["model"] or profile.model
        values["n"] = int(values["n"] or 1)
        values["stream"] = bool(values["stream"]) and profile.caps(values["model"]).streaming
        values["partial_images"] = PARTIAL_IMAGES if values["stream"] else None
        values["extra"] = extras.merged(profile.extra, values["extra"]) or None  # the sidebar's over the profile's defaults
        return values

    # --- cost (blocking: call from a thread) -------------------------------------------------

    def cost_view(self, profile: Profile, params: Mapping[str, Any], *, editing: bool = False) -> CostView:
        """What the sidebar's request would cost (None while n is not a number) and where each
        budget that applies to `profile` stands, with why a budget cannot work (no price)."""
        model = str(params.get("model") or profile.model)
        try:
            values = self._sent(profile, params)
        except (TypeError, ValueError):
            guess = None
        else:
            guess = Estimator(self.store, self.config.prices).of(
                model, values["size"], values["quality"], max(1, values["n"]), "edit" if editing else "generate")
        lines = budget.status(self.store, self.config, [profile.name]) if self.store else []
        return CostView(guess, lines, model if budget.blind(self.config, profile.name, model) else None)

    # --- jobs ------------------------------------------------------------------------------

    def slot(self, profile: Profile) -> asyncio.Semaphore:
        if profile.name not in self._slots:
            self._slots[profile.name] = asyncio.Semaphore(self.config.ui.concurrency)
        return self._slots[profile.name]

    async def run(
        self,
        request: AnyRequest,
        profile: Profile,
        *,
        parent_id: int | None = None,
        sources: Sequence[Source] = (),
        provenance: Provenance = Provenance(),
        on_partial: PartialCallback | None = None,
        on_event: Callable[[str, int | None], None] | None = None,
        on_saved: Callable[[SavedImage], None] | None = None,
    ) -> Outcome:
        from imagegen_tui import service  # httpx loads with the first job, not at start-up

        rows: list[int] = []

        def heard(event: str, row: int | None) -> None:
            if row is not None:
                rows.append(row)
            if on_event:
                on_event(event, row)

        try:
            outcome = await service.generate(
                self.config, profile, request, self.environ, store=self.store, parent_id=parent_id, sources=sources, provenance=provenance,
                slot=self.slot(profile), on_partial=on_partial, on_event=heard, on_saved=on_saved,
            )
        except asyncio.CancelledError:
            if self.quitting and self.store and rows:
                self.store.interrupt(rows[0])
            raise
        if outcome.result.key_spend is not None:
            await asyncio.to_thread(self.remember_key_spend, profile, KeySpend(outcome.result.key_spend, time.time()))
        return outcome

    async def test_connection(self, profile: Profile) -> tuple[str, Listing | None]:
        """A sentence for the settings screen, and what the server listed (None when the test
        failed). Makes no paid call. The listing is kept in the models cache (in a thread), so the
        model field completes from it at once and the next start need not ask."""
        from imagegen_tui import model_list
        from imagegen_tui.errors import ImageAPIError

        try:
            listing = await model_list.fetch(profile, self.environ)
        except ImageAPIError as exc:
            return f"✗ {exc}", None
        await asyncio.to_thread(model_list.keep, profile, listing)
        if listing.models is None:
            return "✓ connected; it lists no models (no /models here: usual for a local image server; else check the base URL)", listing
        models = listing.models
        image_models = [m for m in models if "image" in m or m.startswith("dall-e")]
        shown = ", ".join(image_models[:6]) or ", ".join(models[:6]) or "none listed"
        has = "" if not models or profile.model in models else f"; note: {profile.model} is not in its list"
        return f"✓ connected: {len(models)} models ({shown}){has}", listing

    def rerun_request(self, generation: Generation) -> tuple[AnyRequest, Profile, list[Source]]:
        """The same request again, on the same profile, with what an edit was made from (read
        from the kept copies: blocking); streaming is dropped where that profile or model can
        no longer stream. InvalidRequest when the profile is gone (another provider would bill
        it, so that is the user's choice: reuse with u) or an edit's kept inputs are."""
        profile = self.config.profiles.get(generation.profile)
        if profile is None:
            raise InvalidRequest([("profile", f"the profile {generation.profile!r} of #{generation.id} no longer exists; reuse its settings (u) to send it with another")])
        request, made_from = edits.again(generation)
        if request.stream and not profile.caps(request.model).streaming:
            request = replace(request, stream=False, partial_images=None)
        return request, profile, made_from

    # --- history (blocking: call from a thread) --------------------------------------------

    def count(self, filters: Filters) -> int:
        return self.store.count(filters) if self.store else 0

    def page(self, filters: Filters, offset: int, limit: int) -> list[Generation]:
        return self.store.page(filters, limit=limit, offset=offset) if self.store else []

    def listing(self, filters: Filters, expanded: frozenset[str], offset: int, limit: int) -> list[Listed]:
        """A page of the history list: sweeps folded, unless filtered (store.listing)."""
        return self.store.listing(filters, expanded, limit=limit, offset=offset) if self.store else []

    def listing_count(self, filters: Filters, expanded: frozenset[str]) -> int:
        return self.store.listing_count(filters, expanded) if self.store else 0

    def sweep_of(self, gen_id: int) -> str | None:
        """The sweep `gen_id` is a call of, if any."""
        g = self.get(gen_id)
        return g.provenance.sweep_id if g else None

    def sweep(self, sweep_id: str) -> SweepSummary | None:
        """A sweep as the preview shows it: its calls, counts, cost and contact sheets."""
        from imagegen_tui.sweep_summary import summarize

        members = self.store.sweep_members(sweep_id) if self.store else []
        return summarize(sweep_id, members) if members else None

    def lineage(self, gen_id: int) -> Lineage | None:
        return self.store.lineage(gen_id) if self.store else None

    def get(self, gen_id: int) -> Generation | None:
        return self.store.get(gen_id) if self.store else None

    def favourite(self, gen_id: int, on: bool) -> None:
        if self.store:
            self.store.set_favourite(gen_id, on)

    def delete(self, gen_id: int, files: bool) -> DeleteReport | None:
        return self.store.delete(gen_id, files=files) if self.store else None

    def recover(self, gen_id: int, folder: Path | None = None) -> Recovered:
        """Save the images a failed save kept aside (those with `kept` set) into the output
        folder, or `folder`; the generation becomes done when all are saved. Raises OSError,
        before moving anything, when the folder cannot take files."""
        from imagegen_tui.recovery import Recovered, recover

        if self.store is None:
            return Recovered()
        output = self.config.output
        return recover(self.store, gen_id, folder or output.folder, output.template, output.slug)

    def thumbnail(self, image: StoredImage) -> Path | None:
        return ensure_thumbnail(self.store, image) if self.store else None

    def models(self) -> list[str]:
        """Models seen in the history, for the filter."""
        return self.store.models() if self.store else []
