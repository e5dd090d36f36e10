"""Kernels forked from one process that has already imported what the chapters import.

Starting a kernel costs a Python start, ipykernel's imports and the chapters' own (pandas,
matplotlib, plotly, the package): about a second of CPU per kernel, paid while the build
prepares the data on the same two cores. A fork server pays it once: it imports all that,
then forks a kernel each time one is asked for; the forked kernel starts at once, sharing the
imported modules with the server (copy-on-write).

jupyter_client still starts, signals and stops « the kernel process »: here a small client
(``python -m cae_report.build.forkserver connect SOCKET PID -- ARGS…``) that hands the server its
arguments, environment, working folder and standard streams, relays the signals it gets to
the kernel, and exits with the kernel's exit code. Nothing outlives the build:

* a kernel whose client is gone (jupyter_client kills the client to stop the kernel) is
  killed by the server;
* the server ends when its parent (the build) does, killing its kernels; the kernels also end
  by themselves when the server is gone (ipykernel's parent poller, ``parent_handle``).

A fork server that cannot start or serve (a module that fails to import, a system without
``fork`` or Unix sockets) is not an error: the build starts its kernels the usual way.
"""

from __future__ import annotations

import json
import os
import select
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

MAX_FDS = 3
"""The client's standard streams, handed to the kernel (its output goes to the build's log)."""
POLL_S = 0.2
"""How often the server looks whether its parent (the build) is still there."""
KERNEL_MODULES = ("ipykernel.ipkernel", "ipykernel.zmqshell", "ipykernel.debugger", "sqlite3")
"""What a kernel imports as it initializes (its shell, its debugger, its history): 0.2 s of
each forked kernel's start when the server has not imported them."""
PREFIX = "cae-forks-"
OWNER = "server.pid"
"""In the server's folder: its process, to tell a live folder from one left by a killed one."""
NEW_S = 60
"""A folder without :data:`OWNER` younger than this is being made; older, it was left."""
SOCKET_PATH_MAX = 103
"""The longest Unix socket path, in bytes: ``sun_path`` holds 108 bytes on Linux, 104 on macOS
and the BSDs, with its final NUL. A long ``TMPDIR`` (a CI runner's, a test's) would exceed it."""
KERNEL_ROOM = len("/cae-kernel-xxxxxxxx/k3-99")
"""What a kernel's sockets add to the folder it is made in
(:class:`~cae_report.build.execute.ChapterKernel`)."""


def socket_folder(prefix: str, room: int, within: Path | None = None) -> tuple[Path, bool]:
    """A private (0700) folder for Unix sockets whose paths are at most ``room`` bytes longer
    than it: in ``within``, else the temporary folder, else ``/tmp``, the first where they
    fit. Returns the folder and whether they fit (if not, the caller uses TCP on localhost)."""
    bases = [str(b) for b in (within, tempfile.gettempdir(), "/tmp") if b is not None]  # noqa: S108
    for base in bases:
        longest = os.path.join(base, f"{prefix}xxxxxxxx")
        if len(os.fsencode(longest)) + room <= SOCKET_PATH_MAX and os.path.isdir(base):
            return Path(tempfile.mkdtemp(prefix=prefix, dir=base)), True
    return Path(tempfile.mkdtemp(prefix=prefix, dir=bases[0])), False


class ForkServer:
    """The build's side: start the server, give the kernels' command, stop it."""

    def __init__(self, modules: list[str], env: dict[str, str]):
        # Room for its socket and for its kernels' (their folders are made in it).
        self.folder, fits = socket_folder(PREFIX, len("/forks.sock") + KERNEL_ROOM)
        if not fits:
            shutil.rmtree(self.folder)
            raise OSError(
                f"no folder short enough for a Unix socket (TMPDIR {tempfile.gettempdir()})"
            )
        self.socket = self.folder / "forks.sock"
        self.log = self.folder / "forkserver.log"
        command = [sys.executable, "-m", __name__, "serve", str(self.socket), json.dumps(modules)]
        with self.log.open("ab") as out:
            self.process = subprocess.Popen(  # noqa: S603 - our own Python and module
                command, env=env, stdin=subprocess.DEVNULL, stdout=out, stderr=out
            )
        (self.folder / OWNER).write_text(str(self.process.pid))

    def kernel_argv(self, argv: list[str]) -> list[str]:
        """The command jupyter_client runs instead of ``argv`` (``python -m ipykernel_launcher
        ARGS…``): a client of this server, with the launcher's arguments."""
        client = [sys.executable, "-m", __name__, "connect", str(self.socket)]
        return [*client, str(self.process.pid), "--", *argv[3:]]

    @property
    def alive(self) -> bool:
        return self.process.poll() is None

    def close(self) -> None:
        """Stop the server (its kernels end with it) and remove its folder."""
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        shutil.rmtree(self.folder, ignore_errors=True)


def remove_stale(tmp: Path | None = None) -> list[Path]:
    """Remove the folders of servers that could not remove their own: a build killed with its
    process group (SIGKILL to all, as a CI timeout does) leaves its server's folder, kernels'
    folders and all. Returns the folders removed."""
    removed = []
    for base in dict.fromkeys([tmp or tempfile.gettempdir(), "/tmp"]):  # noqa: S108 - see socket_folder
        for folder in Path(base).glob(f"{PREFIX}*"):
            if _stale(folder):
                shutil.rmtree(folder, ignore_errors=True)
                removed.append(folder)
    return removed


def _stale(folder: Path) -> bool:
    try:
        pid = int((folder / OWNER).read_text())
    except FileNotFoundError:  # being made, or left by a server killed before it said its pid
        try:
            return time.time() - folder.stat().st_mtime > NEW_S
        except OSError:
            return False
    except (OSError, ValueError):  # another user's (0700), or not one of ours
        return False
    if not _running(pid):
        return True
    try:  # a live process with that pid: the server, or another that took its pid
        return str(folder).encode() not in Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:  # no /proc here: the server's, then
        return False


# ---------------------------------------------------------------- the server


def serve(path: str, modules: list[str]) -> None:
    """Bind ``path`` at once (a client that connects meanwhile waits), import ipykernel and
    ``modules``, then fork a kernel for each request until the parent ends."""
    parent = os.getppid()
    # As ipykernel_launcher does: not the folder the server started in (``python -m`` puts it
    # first on sys.path) for the imports; each kernel's IPython sets its own path.
    if sys.path and (sys.path[0] == "" or Path(sys.path[0]) == Path.cwd()):
        del sys.path[0]
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    listener.bind(path)
    listener.listen(8)
    # Ctrl-C reaches the whole process group: the build decides (it closes this server), and
    # the kernels get it from the terminal as any kernel does.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    import ipykernel.kernelapp  # noqa: F401 - what every kernel imports first

    warm([*KERNEL_MODULES, *modules])
    clients: dict[socket.socket, int] = {}
    signal.signal(signal.SIGTERM, lambda *_: _stop(clients, path))
    while os.getppid() == parent:
        ready, _, _ = select.select([listener, *clients], [], [], POLL_S)
        for sock in ready:
            if sock is listener:
                conn, _ = listener.accept()
                pid = _fork_kernel(conn, listener, clients)
                if pid is not None:
                    clients[conn] = pid
            elif not sock.recv(1):  # the client is gone: its kernel goes too
                _kill(clients.pop(sock))
                sock.close()
        _reap(clients)
    _stop(clients, path)


def warm(modules: list[str]) -> None:
    """Import ``modules``, each failure ignored (the chapter that needs it will say so), then
    freeze what is alive: the imported modules, out of the collector's sight (see
    :data:`cae_report.build.execute._FREEZE`). What the server does before it forks, and a
    kernel started on its own after it starts."""
    import gc
    import importlib

    for name in modules:
        try:
            importlib.import_module(name)
        except Exception:  # noqa: BLE001, S112 - the chapter that needs it will say so
            continue
    gc.collect()
    gc.freeze()


def _fork_kernel(
    conn: socket.socket, listener: socket.socket, clients: dict[socket.socket, int]
) -> int | None:
    message, fds, _flags, _addr = socket.recv_fds(conn, 1 << 20, MAX_FDS)
    try:
        request = json.loads(message.decode("utf-8"))
    except ValueError:
        conn.close()
        return None
    pid = os.fork()
    if pid == 0:  # the kernel
        listener.close()
        for other in clients:
            other.close()
        conn.close()
        _become_kernel(request, fds)
    for fd in fds:
        os.close(fd)
    conn.sendall(f"{pid}\n".encode())
    return pid


def _become_kernel(request: dict, fds: list[int]) -> None:
    status = 1
    try:
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        signal.signal(signal.SIGINT, signal.default_int_handler)
        for target, fd in enumerate(fds):
            os.dup2(fd, target)
            os.close(fd)
        os.chdir(request["cwd"])
        os.environ.clear()
        os.environ.update(request["env"])
        from ipykernel.kernelapp import IPKernelApp

        sys.argv = [sys.executable, "-m", "ipykernel_launcher", *request["argv"]]
        parent = f"--IPKernelApp.parent_handle={os.getppid()}"
        IPKernelApp.launch_instance(argv=[*request["argv"], parent])
        status = 0
    except SystemExit as exc:
        status = exc.code if isinstance(exc.code, int) else 1
    except BaseException:  # noqa: BLE001 - said on the kernel's log, then the exit code
        import traceback

        traceback.print_exc()
    finally:
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(status)


def _reap(clients: dict[socket.socket, int]) -> None:
    """Tell each client whose kernel ended its exit code."""
    while True:
        try:
            pid, status = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return
        for conn, kernel in list(clients.items()):
            if kernel == pid:
                del clients[conn]
                try:
                    conn.sendall(f"{os.waitstatus_to_exitcode(status)}\n".encode())
                except OSError:
                    pass
                conn.close()


def _kill(pid: int) -> None:
    try:
        os.kill(pid, signal.SIGKILL)
    except ProcessLookupError:
        pass


def _stop(clients: dict[socket.socket, int], path: str) -> None:
    """Kill the kernels, remove the socket's folder (a killed build cannot), exit."""
    for pid in clients.values():
        _kill(pid)
    shutil.rmtree(Path(path).parent, ignore_errors=True)
    os._exit(0)


# ---------------------------------------------------------------- the client


def connect(path: str, server: int, argv: list[str]) -> int:
    """Ask the server at ``path`` (process ``server``) for a kernel with ``argv``; relay
    signals; return the kernel's exit code (1 when the server is not there)."""
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    deadline = time.monotonic() + 60
    while True:  # the server binds its socket first thing: wait for it while it runs
        try:
            sock.connect(path)
            break
        except (FileNotFoundError, ConnectionRefusedError):
            if not _running(server) or time.monotonic() > deadline:
                print(f"no fork server at {path}", file=sys.stderr)
                return 1
            time.sleep(0.02)
    request = {"argv": argv, "cwd": os.getcwd(), "env": dict(os.environ)}
    socket.send_fds(sock, [json.dumps(request).encode("utf-8")], [0, 1, 2])
    reader = sock.makefile("rb")
    line = reader.readline()
    if not line.strip():
        print("the fork server did not start a kernel", file=sys.stderr)
        return 1
    pid = int(line)
    for signum in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP, signal.SIGQUIT):
        signal.signal(signum, lambda signum, _frame: _relay(pid, signum))
    status = reader.readline()
    return int(status) if status.strip() else 1


def _running(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's
        return True
    return True


def _relay(pid: int, signum: int) -> None:
    try:
        os.kill(pid, signum)
    except ProcessLookupError:
        pass


def main(argv: list[str]) -> int:
    if len(argv) >= 3 and argv[0] == "serve":
        serve(argv[1], json.loads(argv[2]))
        return 0
    if len(argv) >= 4 and argv[0] == "connect" and argv[3] == "--":
        return connect(argv[1], int(argv[2]), argv[4:])
    print("usage: forkserver serve SOCKET MODULES | connect SOCKET PID -- ARGS…", file=sys.stderr)
    return 2


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
