"""Log lines of many processes on one terminal: a colored, name-padded prefix per process."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import IO

_COLORS = ("36", "35", "33", "32", "34", "96", "95", "93", "92", "94")
_RESET = "\033[0m"


def use_color(stream: IO[str]) -> bool:
    """Color when writing to a terminal, unless NO_COLOR is set (FORCE_COLOR forces it)."""
    if os.environ.get("FORCE_COLOR"):
        return True
    if os.environ.get("NO_COLOR"):
        return False
    return stream.isatty()


class LogSink:
    """Writes ``name | line`` to the terminal (colored) and/or a log file (plain)."""

    def __init__(
        self,
        names: list[str],
        *,
        echo: bool = True,
        color: bool | None = None,
        log_path: Path | None = None,
    ) -> None:
        self._width = max((len(name) for name in [*names, "stack"]), default=5)
        self._echo = echo
        self._color = use_color(sys.stdout) if color is None else color
        self._codes = {name: _COLORS[index % len(_COLORS)] for index, name in enumerate(names)}
        self._file: IO[str] | None = None
        if log_path is not None:
            log_path.parent.mkdir(parents=True, exist_ok=True)
            self._file = log_path.open("w", encoding="utf-8", buffering=1)

    def prefix(self, name: str, *, color: bool) -> str:
        """``name`` padded to the widest name, then a bar."""
        padded = f"{name:<{self._width}}"
        code = self._codes.get(name, "1")  # bold for the supervisor's own lines
        return f"\033[{code}m{padded}{_RESET} | " if color else f"{padded} | "

    def line(self, name: str, text: str) -> None:
        """Write one line from process ``name``."""
        if self._echo:
            sys.stdout.write(f"{self.prefix(name, color=self._color)}{text}\n")
            sys.stdout.flush()
        if self._file is not None:
            self._file.write(f"{self.prefix(name, color=False)}{text}\n")

    def close(self) -> None:
        """Close the log file."""
        if self._file is not None:
            self._file.close()
            self._file = None
