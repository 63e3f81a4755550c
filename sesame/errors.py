"""The one exception class for mistakes a user can cause.

Why one class: the CLI and every workflow script print its message and exit non-zero without a
traceback, while genuine bugs keep theirs. The message always names the file (and line or record),
what is wrong, and how to fix it.
"""

from __future__ import annotations


class SesameInputError(Exception):
    """Bad input: a file, record, config key or model reference the user must fix."""

    def __init__(self, message: str, *, source: str | None = None, record: str | int | None = None,
                 fix: str | None = None) -> None:
        parts = []
        if source is not None:
            where = str(source)
            if record is not None:
                where += f", {record}" if isinstance(record, str) else f", line {record}"
            parts.append(f"{where}: ")
        parts.append(message)
        if fix:
            parts.append(f" (fix: {fix})")
        super().__init__("".join(parts))
        self.source, self.record, self.fix = source, record, fix
