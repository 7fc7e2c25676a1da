"""Atomic file writes with the permissions an ordinary write would give.

Every file snnir writes (models, NIR exports, drawings) goes through :func:`write_atomic`: the bytes go
to a temporary file in the target's folder, are flushed to disk, and the temporary file is renamed over
the target, so a crash never leaves a half-written file and readers see the old or the new one.

Permissions: a new file gets ``0o666`` minus the umask (the temporary file is created with that mode, so
the kernel applies the umask and any default ACL of the folder, as for ``open(path, "w")``). Replacing an
existing file keeps its permission bits, as writing into it would. A symbolic link is followed: the file
it points to is replaced and the link stays.

Temporary files are named ``.<name>.<pid>.<random>.tmp`` and removed on any exception; one left by a
process that was killed (its pid no longer runs) is removed by the next write to the same target, and
load never reads it (it reads only the path it is given).
"""

from __future__ import annotations

import os
import pathlib
import re
import stat

_ATTEMPTS = 100  # temporary names tried before giving up (each is 64 random bits: clashes are unlikely)


def write_atomic(path: str | os.PathLike, data: bytes, durable: bool = True) -> pathlib.Path:
    """Write ``data`` to ``path`` atomically and return the path written (a link's target, for links).

    ``durable`` flushes the file and its folder to disk before returning (models); a drawing can skip
    it. The caller checks that the folder exists; errors are the ``OSError`` the system gives.
    """
    target = _follow_links(pathlib.Path(path))
    _remove_stale_temporaries(target)
    mode = _kept_mode(target)
    # replacing a file: start private and take its mode before any byte is written, so its new contents
    # are never readable by more people than its old ones were
    fd, tmp = _create_temporary(target, 0o666 if mode is None else 0o600)
    try:
        with os.fdopen(fd, "wb") as f:
            if mode is not None:
                _set_mode(f.fileno(), tmp, mode)
            f.write(data)
            if durable:
                f.flush()
                os.fsync(f.fileno())
        os.replace(tmp, target)
    except BaseException:
        if os.path.lexists(tmp):
            os.unlink(tmp)
        raise
    if durable:
        _sync_folder(target.parent)
    return target


def _follow_links(path: pathlib.Path) -> pathlib.Path:
    """The file a link points to (renaming over the link itself would replace it by a plain file)."""
    return pathlib.Path(os.path.realpath(path)) if path.is_symlink() else path


def _kept_mode(path: pathlib.Path) -> int | None:
    """The permission bits of the existing file at ``path``, or None if there is none."""
    try:
        st = os.stat(path)
    except FileNotFoundError:
        return None
    if not stat.S_ISREG(st.st_mode):
        return None  # a folder or device: os.replace reports the problem
    # set-id bits are dropped, as the kernel drops them when an unprivileged user writes to a file
    return stat.S_IMODE(st.st_mode) & 0o777


def _create_temporary(target: pathlib.Path, mode: int) -> tuple[int, str]:
    """A new hidden file beside ``target``, opened for writing, created with ``mode`` (the umask applies).

    ``tempfile.mkstemp`` always creates mode 0o600, which then survives the rename; hence this.
    """
    folder = target.parent if str(target.parent) else pathlib.Path(".")
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0) | getattr(os, "O_NOFOLLOW", 0)
    for _ in range(_ATTEMPTS):
        tmp = os.path.join(folder, f".{target.name}.{os.getpid()}.{os.urandom(8).hex()}.tmp")
        try:
            return os.open(tmp, flags, mode), tmp
        except FileExistsError:
            continue
    raise FileExistsError(f"could not create a temporary file beside {target} ({_ATTEMPTS} names were taken)")


def _set_mode(fd: int, name: str, mode: int) -> None:
    """chmod the open temporary file (by descriptor where the system has ``fchmod``)."""
    if hasattr(os, "fchmod"):
        os.fchmod(fd, mode)
    else:  # pragma: no cover  (Windows before Python 3.13)
        os.chmod(name, mode)


def _sync_folder(folder: pathlib.Path) -> None:
    """Flush the folder entry of the rename to disk (POSIX); skipped where folders cannot be opened."""
    try:
        fd = os.open(folder if str(folder) else ".", os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass  # some file systems refuse fsync on folders; the data itself is already on disk
    finally:
        os.close(fd)


def _remove_stale_temporaries(target: pathlib.Path) -> None:
    """Delete the temporary files of earlier writes to ``target`` whose process is gone (killed mid-write)."""
    folder = target.parent if str(target.parent) else pathlib.Path(".")
    pattern = re.compile(re.escape(f".{target.name}.") + r"([0-9]+)\.[0-9a-f]{16}\.tmp$")
    try:
        names = os.listdir(folder)
    except OSError:
        return
    for name in names:
        match = pattern.match(name)
        if match is None or int(match.group(1)) == os.getpid() or _running(int(match.group(1))):
            continue
        try:
            os.unlink(os.path.join(folder, name))
        except OSError:
            pass  # gone already, or not ours to remove


def _running(pid: int) -> bool:
    """Whether a process with this id runs on this machine (a pid we may not signal still runs)."""
    if os.name == "nt":  # pragma: no cover  (os.kill would end the process there): keep the file
        return True
    if pid <= 0 or pid > 1 << 22:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OSError):
        return True
    return True
