"""The user's own editor, lent the terminal: for the config file (widgets/config_room.py) and for
the prompt (widgets/prompt.py).

The editor is chosen as git chooses it: $VISUAL, else $EDITOR, else vi. Either may carry
arguments (`code --wait`, `vim -u NONE`); they are split as a shell would split them, but no
shell runs them. While the editor runs, the app is suspended (TerminalApp.suspend): the editor
has the real terminal, and the app draws nothing until it is back.
"""

from __future__ import annotations

import os
import shlex
import subprocess
import tempfile
from collections.abc import Mapping
from pathlib import Path

from textual.app import App, SuspendNotSupported


class EditorError(Exception):
    """The editor could not be run; the message is a sentence for the user."""


class NoTerminal(EditorError):
    """No terminal to lend (the app runs in a browser, or under a headless driver)."""


def editor_command(environ: Mapping[str, str]) -> list[str]:
    """$VISUAL, else $EDITOR, else vi; a variable set to blanks counts as unset."""
    for name in ("VISUAL", "EDITOR"):
        value = environ.get(name, "")
        try:
            words = shlex.split(value)
        except ValueError as exc:
            raise EditorError(f"${name} ({value!r}) cannot be read as a command: {exc}.") from None
        if words:
            return words
    return ["vi"]


def run_editor(app: App[object], path: Path) -> int:
    """Edit `path` with the app suspended; the editor's exit status (non-zero: it gave up, as
    vim's :cq does). Raises EditorError when it cannot start, NoTerminal when no terminal can be
    lent."""
    command = editor_command(os.environ)
    try:
        with app.suspend():
            return subprocess.run([*command, str(path)], check=False).returncode
    except SuspendNotSupported:
        raise NoTerminal("There is no terminal to lend an editor here (in a browser, or with no terminal at all).") from None
    except OSError as exc:
        reason = exc.strerror or str(exc)
        raise EditorError(f"The editor {shlex.join(command)!r} could not be started ({reason}); set $VISUAL or $EDITOR to one that can.") from None


def edit_text(app: App[object], text: str) -> str:
    """`text` as the user left it in their editor. It goes through a private temporary file
    (0600, .txt so the editor takes it for plain text), ending in a line break as text files do;
    one line break at the end is taken off again, since the editor may add one. Raises
    EditorError when the editor cannot start or exits with a failure status: then nothing was
    edited. The app is suspended meanwhile, so the small reads and writes here wait on no one."""
    try:
        descriptor, name = tempfile.mkstemp(prefix="imagegen-prompt-", suffix=".txt")
    except OSError as exc:
        raise EditorError(f"No temporary file could be made for the editor ({exc.strerror}).") from None
    path = Path(name)
    try:
        with os.fdopen(descriptor, "w", encoding="utf-8", newline="") as file:
            file.write(text + "\n")
        status = run_editor(app, path)
        if status != 0:
            raise EditorError(f"The editor exited with status {status}.")
        edited = path.read_bytes().decode("utf-8", errors="replace").replace("\r\n", "\n")
    except OSError as exc:
        raise EditorError(f"The text could not be passed to the editor and back ({exc.strerror}).") from None
    finally:
        path.unlink(missing_ok=True)
    return edited[:-1] if edited.endswith("\n") else edited
