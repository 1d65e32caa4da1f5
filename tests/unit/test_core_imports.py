"""The core never loads Textual or textual_image (importing textual_image queries the terminal),
and the headless command path does not either."""

import json
import subprocess
import sys

from conftest import write_config

CORE = [
    "imagegen_tui.batch",
    "imagegen_tui.budget",
    "imagegen_tui.cli",
    "imagegen_tui.cli_config",
    "imagegen_tui.cli_history",
    "imagegen_tui.cli_models",
    "imagegen_tui.cli_params",
    "imagegen_tui.cli_sweep",
    "imagegen_tui.compare",
    "imagegen_tui.client",
    "imagegen_tui.completion",
    "imagegen_tui.config",
    "imagegen_tui.config_save",
    "imagegen_tui.console",
    "imagegen_tui.crashlog",
    "imagegen_tui.dialects",
    "imagegen_tui.edits",
    "imagegen_tui.endpoint",
    "imagegen_tui.estimate",
    "imagegen_tui.extras",
    "imagegen_tui.errors",
    "imagegen_tui.history_import",
    "imagegen_tui.imaging",
    "imagegen_tui.locks",
    "imagegen_tui.masks",
    "imagegen_tui.metadata",
    "imagegen_tui.model_list",
    "imagegen_tui.models",
    "imagegen_tui.naming",
    "imagegen_tui.network",
    "imagegen_tui.paths",
    "imagegen_tui.prices",
    "imagegen_tui.privatefile",
    "imagegen_tui.recovery",
    "imagegen_tui.request",
    "imagegen_tui.results",
    "imagegen_tui.retry",
    "imagegen_tui.saving",
    "imagegen_tui.service",
    "imagegen_tui.sheet",
    "imagegen_tui.sources",
    "imagegen_tui.state",
    "imagegen_tui.statuses",
    "imagegen_tui.store",
    "imagegen_tui.studio",
    "imagegen_tui.styles",
    "imagegen_tui.sweep",
    "imagegen_tui.sweep_summary",
    "imagegen_tui.textsafe",
    "imagegen_tui.thumbnails",
    "imagegen_tui.variants",
    "imagegen_tui.web",
    "imagegen_tui.demo.artist",
    "imagegen_tui.demo.dialects",
    "imagegen_tui.demo.server",
    "imagegen_tui.demo.wire",
]


def loaded_after(code: str) -> list[str]:
    script = code + "\nimport sys, json; print(json.dumps(sorted(m for m in sys.modules if m.split('.')[0] in ('textual', 'textual_image'))))"
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def test_core_modules_do_not_import_textual():
    assert loaded_after("\n".join(f"import {m}" for m in CORE)) == []


def test_headless_generate_does_not_import_textual(tmp_path):
    code = (
        "import sys\n"
        "from imagegen_tui import cli\n"
        f"sys.argv = ['imagegen-tui', 'generate', 'a fox', '--output', {str(tmp_path)!r}]\n"
        "rc = cli.main(sys.argv[1:])\n"
        "assert rc == 0, rc\n"
    )
    assert loaded_after(code) == []
    assert len(list(tmp_path.rglob("*.png"))) == 1


def test_every_core_module_is_listed():
    from pathlib import Path

    import imagegen_tui

    root = Path(imagegen_tui.__file__).parent
    found = {
        "imagegen_tui." + ".".join(p.relative_to(root).with_suffix("").parts)
        for p in root.rglob("*.py")
        if p.name not in ("__init__.py", "__main__.py") and not {"ui", "screens", "widgets"} & set(p.parts) and p.stem not in ("app", "graphics")
    }
    assert found == set(CORE)


def test_only_the_graphics_module_imports_textual_image():
    from pathlib import Path

    import imagegen_tui

    root = Path(imagegen_tui.__file__).parent
    importers = sorted(str(p.relative_to(root)) for p in root.rglob("*.py") if "textual_image" in p.read_text())
    assert importers == ["ui/graphics.py"]


def loaded_of(argv: list[str], modules: tuple[str, ...]) -> list[str]:
    code = (
        "import sys, json\n"
        "from imagegen_tui import cli\n"
        f"try:\n    cli.main({argv!r})\nexcept SystemExit:\n    pass\n"
        f"print(json.dumps(sorted(m for m in {modules!r} if m in sys.modules)))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def test_version_loads_neither_the_history_nor_http():
    """`--version` and the parser every command builds must stay quick: the history, SQLite,
    Pillow and httpx load with the commands that use them."""
    assert loaded_of(["config", "path"], ("imagegen_tui.store", "sqlite3", "PIL", "httpx")) == []


def test_version_does_not_even_build_the_parser():
    """Building the parser (twenty commands) took longer than all the rest of `--version`."""
    assert loaded_of(["--version"], ("imagegen_tui.cli_history", "imagegen_tui.completion", "imagegen_tui.config")) == []


def test_profile_names_for_a_completion_load_the_config_alone():
    """What a TAB press runs: no parser, no history, no HTTP, no Textual."""
    loaded = loaded_of(["_complete-profiles"], ("imagegen_tui.cli_history", "imagegen_tui.store", "httpx", "PIL", "textual"))
    assert loaded == []


def test_style_names_for_a_completion_load_the_config_alone(dirs):
    """Reading [styles] (a style that sets a format too) loads no history, request or HTTP module."""
    write_config(dirs, '[styles.proof]\nprompt = "{prompt}, proof"\noutput_format = "jpg"\n')
    loaded = loaded_of(["_complete-styles"], ("imagegen_tui.cli_history", "imagegen_tui.store", "sqlite3", "httpx", "PIL", "textual"))
    assert loaded == []


def test_completion_and_web_do_not_import_textual():
    assert loaded_after("from imagegen_tui import cli\ncli.main(['completion', 'zsh'])") == []
    assert loaded_after("import imagegen_tui.web") == []
