"""Reading a file the game did not write itself: as a regular file, of bounded size, without
blocking. Every file the game reads — story files, maps, the story cache, saves, settings,
transcripts — comes through `read_regular`, so one place decides what a file may be.

A FIFO, a terminal, a socket or a device (`/dev/zero`, `/dev/tty`) linked or put in place of any
of them is refused in one line: it is opened without blocking (`O_NONBLOCK`, so a FIFO with no
writer does not hang the open) and checked with `fstat` on the open descriptor (so nothing can
be swapped in between a check and the read). Its size is checked before reading and again while
reading, so a file that grows, or lies about its size, never costs more than its limit.
"""

from __future__ import annotations

import errno
import os
import stat
from pathlib import Path

_FLAGS = (
    os.O_RDONLY
    | getattr(os, "O_NONBLOCK", 0)
    | getattr(os, "O_BINARY", 0)
    | getattr(os, "O_CLOEXEC", 0)
    | getattr(os, "O_NOCTTY", 0)
)
_CHUNK = 1 << 20


class FileRefused(OSError):
    """A file that is not a regular file, is too large, or cannot be read; `reason` is one line
    saying which, fit to follow "cannot read FILE: ", and `errno` the error it came from
    (`ENOENT` when there is no such file, `EISDIR` for a folder, `EFBIG` when too large)."""

    def __init__(self, reason: str, code: int = errno.EINVAL) -> None:
        super().__init__(code, reason)
        self.reason = reason

    def __str__(self) -> str:
        return self.reason


def _kind(mode: int) -> str:
    if stat.S_ISDIR(mode):
        return "a folder"
    if stat.S_ISFIFO(mode):
        return "a pipe (FIFO)"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    if stat.S_ISSOCK(mode):
        return "a socket"
    return "not a regular file"


def _megabytes(size: int) -> str:
    return f"{size / (1024 * 1024):.1f} MB" if size >= 1024 * 1024 else f"{size} bytes"


def read_regular(path: Path | str, limit: int) -> bytes:
    """The bytes of the regular file at `path` (symlinks followed), at most `limit` of them.

    Raises `FileRefused` (an `OSError`) when it is missing or unreadable, not a regular file
    (a folder, pipe, device or socket), or larger than `limit` bytes; never blocks."""
    try:
        fd = os.open(path, _FLAGS)
    except OSError as exc:
        code = exc.errno or errno.EIO
        if code == errno.ENXIO:  # a socket, or a FIFO opened for writing with no reader
            raise FileRefused("it is a pipe or socket, not a regular file", code) from None
        if code == errno.ELOOP:
            raise FileRefused("it is a symbolic link that loops back on itself", code) from None
        raise FileRefused((exc.strerror or str(exc)).lower(), code) from None
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            kind = _kind(info.st_mode)
            code = errno.EISDIR if stat.S_ISDIR(info.st_mode) else errno.EINVAL
            raise FileRefused(f"it is {kind}, not a regular file" if kind[0] == "a" else kind, code)
        if info.st_size > limit:
            raise FileRefused(
                f"it is too large ({_megabytes(info.st_size)}; the limit is {_megabytes(limit)})",
                errno.EFBIG,
            )
        chunks: list[bytes] = []
        size = 0
        while True:
            chunk = os.read(fd, min(_CHUNK, limit + 1 - size))
            if not chunk:
                break
            chunks.append(chunk)
            size += len(chunk)
            if size > limit:
                raise FileRefused(
                    f"it grew past the limit of {_megabytes(limit)} while read", errno.EFBIG
                )
        return b"".join(chunks)
    except FileRefused:
        raise
    except OSError as exc:
        raise FileRefused((exc.strerror or str(exc)).lower(), exc.errno or errno.EIO) from None
    finally:
        os.close(fd)
