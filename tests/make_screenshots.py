"""Re-make screenshots/*.svg from the scenes in tests/scenes.py (the README shows them).

Run: python tests/make_screenshots.py      (uses temporary folders; touches nothing of yours)
"""

from __future__ import annotations

import asyncio
import os
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
OUT = HERE.parent / "screenshots"


async def shoot() -> None:
    from scenes import SCENES, make_app, use_utc

    use_utc()
    for scene in SCENES:
        app, store = make_app()
        try:
            async with app.run_test(size=scene.size) as pilot:
                await scene.prepare(pilot)
                path = app.save_screenshot(filename=f"{scene.name}.svg", path=str(OUT))
                print(path)
        finally:
            store.close()


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        for var, sub in (("XDG_CONFIG_HOME", "config"), ("XDG_DATA_HOME", "data"), ("XDG_CACHE_HOME", "cache"), ("HOME", "home")):
            os.environ[var] = str(Path(tmp) / sub)
        os.environ["XDG_PICTURES_DIR"] = str(Path(tmp) / "home" / "Pictures")
        sys.path.insert(0, str(HERE))
        OUT.mkdir(exist_ok=True)
        asyncio.run(shoot())


if __name__ == "__main__":
    main()
