"""SVG snapshots of the app's main states (pytest-textual-snapshot), half-cell forced, fixed
history and times, flat-colour pictures (the same cells whatever Pillow scales them). Re-make them after an intended change with `pytest --snapshot-update`."""

import pytest

from scenes import SCENES, make_app, use_utc


@pytest.fixture(autouse=True)
def fixed_home(dirs, monkeypatch):
    monkeypatch.setenv("XDG_PICTURES_DIR", str(dirs.root / "home" / "Pictures"))
    use_utc()


@pytest.mark.parametrize("scene", SCENES, ids=lambda s: s.name)
def test_snapshot(snap_compare, scene):
    app, store = make_app(flat=True, first_run=scene.first_run)
    try:
        assert snap_compare(app, terminal_size=scene.size, run_before=scene.prepare)
    finally:
        store.close()
