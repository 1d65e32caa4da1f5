"""The states a generation goes through, as the history records them: their own small module
so that the command line can offer them without loading the history (a fast --version)."""

STATUSES = ("queued", "running", "done", "failed", "cancelled", "interrupted")
