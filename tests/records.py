"""Finished generations for filling test histories."""

from __future__ import annotations

from pathlib import Path

from imagegen_tui.request import ImageRequest
from imagegen_tui.results import Usage
from imagegen_tui.saving import SavedImage
from imagegen_tui.store import FinishedGeneration

T0 = 1_760_000_000.0


def finished(uid, prompt, *, t=T0, model="gpt-image-2", profile="model-go", status="done", images=1, usage=Usage(10, 1000, 1010, 10, 0), favourite=False, folder=None):
    folder = folder or Path("/nonexistent")
    return FinishedGeneration(
        uid=uid, created_at=t, profile=profile, provider="model-go.com",
        request=ImageRequest(prompt=prompt, model=model, n=images, size="1024x1024"),
        status=status, usage=usage if status == "done" else Usage(), favourite=favourite,
        error_kind="server" if status == "failed" else None,
        images=tuple(SavedImage(folder / f"{uid}-{i}.png", i, 1024, 1024, "png", 1000) for i in range(1, images + 1)) if status == "done" else (),
    )
