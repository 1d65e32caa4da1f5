"""`imagegen-tui generate --style` as a user runs it: the real command in its own process,
against the demo server over loopback, through the tests' forward proxy (tests/proxy.py), which
keeps every byte sent, so the test sees the body the provider got."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from conftest import run_cli, write_config
from imagegen_tui.demo.server import DemoServer
from imagegen_tui.metadata import read_metadata
from imagegen_tui.store import Filters, HistoryStore, Provenance
from proxy import ForwardProxy, proxy  # noqa: F401 (proxy: a fixture)

KEY = "fake-styles-0123456789abcdef"
STYLES = """
[styles.watercolor]
prompt = "{prompt}, watercolor, soft paper texture"
quality = "low"
size = "1024x1536"

[styles.night]
prompt = "at night"
size = "1536x1024"
"""


@pytest.fixture
def served(dirs, proxy: ForwardProxy, monkeypatch) -> DemoServer:
    """The demo server behind the proxy (the profile's own: NO_PROXY is taken away), and the styles."""
    monkeypatch.delenv("NO_PROXY", raising=False)
    monkeypatch.setenv("LOCAL_KEY", KEY)
    with DemoServer(key=KEY) as demo:
        write_config(dirs, f'profile = "local"\n[profiles.local]\nbase_url = "{demo.base_url}"\napi_key_env = "LOCAL_KEY"\nproxy = "{proxy.url()}"\n{STYLES}')
        yield demo


def sent_bodies(proxy: ForwardProxy) -> list[dict]:
    """The JSON bodies of the requests that went through the proxy."""
    text = bytes(proxy.sent).decode("utf-8", "replace")
    return [json.loads(part.split("\r\n\r\n", 1)[1].split("POST ", 1)[0]) for part in text.split("POST ")[1:]]


def test_styles_expand_the_prompt_sent_and_both_prompts_are_kept(served, proxy, dirs):
    before = dirs.config_file.read_bytes()
    out = run_cli("generate", "a fox", "--style", "watercolor", "--style", "night", "--quality", "medium", "--json")
    assert out.returncode == 0, out.stderr
    result = json.loads(out.stdout)

    [body] = sent_bodies(proxy)
    assert body["prompt"] == "a fox, watercolor, soft paper texture, at night"
    assert (body["size"], body["quality"]) == ("1536x1024", "medium")  # the later style's size; --quality over the style's

    with HistoryStore.open_default() as store:
        generation = store.get(result["id"])
    assert generation.prompt == body["prompt"]
    assert generation.provenance == Provenance(typed_prompt="a fox", styles=("watercolor", "night"))

    meta = read_metadata(Path(result["paths"][0]))
    assert (meta["prompt"], meta["typed_prompt"], meta["styles"]) == (body["prompt"], "a fox", ["watercolor", "night"])
    assert meta["params"]["size"] == "1536x1024"

    shown = run_cli("history", "show", str(result["id"]))
    assert "typed:      a fox\nstyles:     watercolor, night\n" in shown.stdout
    assert dirs.config_file.read_bytes() == before


def test_a_rerun_sends_the_same_prompt_and_keeps_the_typed_one_and_the_styles(served, proxy):
    first = run_cli("generate", "an owl", "--style", "watercolor", "--json")
    assert first.returncode == 0, first.stderr
    again = run_cli("history", "rerun", str(json.loads(first.stdout)["id"]), "--json")
    assert again.returncode == 0, again.stderr
    bodies = sent_bodies(proxy)
    assert [b["prompt"] for b in bodies] == ["an owl, watercolor, soft paper texture"] * 2
    with HistoryStore.open_default() as store:
        rerun = store.get(json.loads(again.stdout)["id"])
    assert rerun.provenance == Provenance(typed_prompt="an owl", styles=("watercolor",))


def test_an_unknown_style_is_a_usage_error_naming_the_known_ones_and_nothing_is_sent(served, proxy, dirs):
    out = run_cli("generate", "a fox", "--style", "watercolour")
    assert out.returncode == 2 and out.stdout == ""
    assert out.stderr.strip().endswith("error: --style: no style named 'watercolour'; did you mean 'watercolor'? known: watercolor, night")
    assert proxy.lines == [] and not dirs.output.exists()
    with HistoryStore.open_default() as store:
        assert store.count(Filters()) == 0


def test_without_styles_nothing_extra_is_recorded(served, proxy):
    out = run_cli("generate", "a plain fox", "--json")
    assert out.returncode == 0, out.stderr
    meta = read_metadata(Path(json.loads(out.stdout)["paths"][0]))
    assert "typed_prompt" not in meta and "styles" not in meta
    [body] = sent_bodies(proxy)
    assert body["prompt"] == "a plain fox"


def test_an_edit_takes_styles_too_and_drops_a_parameter_edits_do_not_have(served, proxy, dirs):
    write_config(dirs, dirs.config_file.read_text() + '\n[styles.safe]\nprompt = "{prompt}, gently"\nmoderation = "low"\n')
    first = run_cli("generate", "a fox", "--json")
    assert first.returncode == 0, first.stderr
    out = run_cli("edit", "make it blue", "--from", str(json.loads(first.stdout)["id"]), "--style", "safe", "--json")
    assert out.returncode == 0, out.stderr
    meta = read_metadata(Path(json.loads(out.stdout)["paths"][0]))
    assert (meta["prompt"], meta["typed_prompt"], meta["styles"], meta["kind"]) == ("make it blue, gently", "make it blue", ["safe"], "edit")
    assert "moderation" not in meta["params"]  # edits take none


def test_config_show_lists_the_styles(served):
    shown = run_cli("config", "show")
    assert "style watercolor: {prompt}, watercolor, soft paper texture · quality low · size 1024x1536\n" in shown.stdout
    assert "style night: {prompt}, at night · size 1536x1024\n" in shown.stdout
    styles = json.loads(run_cli("config", "show", "--json").stdout)["styles"]
    assert styles["night"] == {"prompt": "at night", "size": "1536x1024"}


def test_a_value_a_style_fills_in_that_the_model_refuses_names_the_style(served, proxy, dirs):
    write_config(dirs, dirs.config_file.read_text() + '\n[styles.print]\nquality = "hd"\n')
    out = run_cli("generate", "a fox", "--style", "print")
    assert out.returncode == 2 and proxy.lines == []
    assert "quality: 'hd' is not offered for gpt-image-2; choose auto, low, medium, high (set by the style 'print')" in out.stderr
    assert run_cli("generate", "a fox", "--style", "print", "--quality", "high").returncode == 0  # the option wins
