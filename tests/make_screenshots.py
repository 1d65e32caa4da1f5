"""Re-make screenshots/*.svg from the scenes in tests/scenes.py (the README shows them).

Run: python tests/make_screenshots.py      (uses temporary folders; touches nothing of yours)
"""

from __future__ import annotations

import asyncio
import os
import sys
import tempfile
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
OUT = HERE.parent / "screenshots"


async def shoot(scene: Any) -> None:
    from scenes import make_app

    app, store = make_app(first_run=scene.first_run)
    try:
        async with app.run_test(size=scene.size) as pilot:
            await scene.prepare(pilot)
            print(app.save_screenshot(filename=f"{scene.name}.svg", path=str(OUT)))
    finally:
        store.close()


def main() -> None:
    sys.path.insert(0, str(HERE))
    from scenes import SCENES, use_utc

    use_utc()
    OUT.mkdir(exist_ok=True)
    for scene in SCENES:  # each in folders of its own: the first run's history is empty
        with tempfile.TemporaryDirectory() as tmp:
            for var, sub in (("XDG_CONFIG_HOME", "config"), ("XDG_DATA_HOME", "data"), ("XDG_CACHE_HOME", "cache"), ("XDG_STATE_HOME", "state"), ("HOME", "home")):
                os.environ[var] = str(Path(tmp) / sub)
            os.environ["XDG_PICTURES_DIR"] = str(Path(tmp) / "home" / "Pictures")
            asyncio.run(shoot(scene))


if __name__ == "__main__":
    main()
