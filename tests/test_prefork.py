"""Warm grading kernels (``trilateral.grading.prefork``) with real kernels and a real sandbox.

Each test installs the ``trilateral-sandbox`` kernelspec in a folder of its
own, starts kernels through jupyter_client as nbgrader does, and checks that
a kernel is forked from the warm server inside the sandbox, that two kernels
share nothing, that a kernel sees nothing but its copy and the Python
environment, has no network, cannot exceed the whole-submission limits,
cannot outlive its turn, and cannot stop or confuse the server.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import time
from pathlib import Path

import pytest
from jupyter_client.manager import KernelManager

from trilateral.grading import prefork, sandbox

from support_course import sandbox_works

REPO = Path(__file__).resolve().parents[1]
LIMITS = sandbox.Limits(memory_mb=1024, processes=32)


ISOLATED = sandbox_works()


def _needs_sandbox() -> None:
    if not ISOLATED:
        if os.environ.get("CI") == "true":
            pytest.fail("CI=true and bubblewrap cannot create a sandbox", pytrace=False)
        pytest.skip("bubblewrap cannot create a sandbox here")


@pytest.fixture
def kernelspec(tmp_path: Path, isolated_home: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    _needs_sandbox()
    hidden = tmp_path / "instructor"
    hidden.mkdir()
    (hidden / "solutions.txt").write_text("the answer key", encoding="utf-8")
    kernels = tmp_path / "kernels"
    sandbox.install_kernelspec(kernels, LIMITS, isolated=True)
    monkeypatch.setenv("JUPYTER_PATH", str(kernels))
    yield hidden
    scratches = [s.scratch for s in prefork.WarmServer._servers.values()]
    prefork.WarmServer.close_all()
    assert all(s.startswith(str(kernels.resolve())) for s in scratches), scratches
    assert not any(Path(s).exists() for s in scratches), "a scratch folder was left behind"


def _run(km: KernelManager, code: str, timeout: float = 60) -> str:
    """Execute ``code``; return what it printed (stdout), failing on an error."""
    client = km.client()
    client.start_channels()
    try:
        client.wait_for_ready(timeout=timeout)
        out: list[str] = []

        def hook(msg):
            if msg["msg_type"] == "stream":
                out.append(msg["content"]["text"])
            elif msg["msg_type"] == "error":
                out.append("ERROR " + msg["content"]["ename"])

        client.execute_interactive(code, timeout=timeout, output_hook=hook)
        return "".join(out)
    finally:
        client.stop_channels()


def _kernel(workdir: Path) -> KernelManager:
    """A grading kernel working in ``workdir`` (a submission-sized folder)."""
    workdir.mkdir(exist_ok=True)
    km = KernelManager(kernel_name=sandbox.KERNEL_NAME)
    km.start_kernel(cwd=str(workdir))
    return km


def test_kernel_is_forked_and_runs_in_a_copy_of_its_folder(kernelspec, tmp_path) -> None:
    work = tmp_path / "work"
    work.mkdir()
    (work / "questions.yaml").write_text("hello: 1\n", encoding="utf-8")
    km = _kernel(work)
    try:
        assert isinstance(km.provisioner, prefork.PreforkProvisioner)
        assert isinstance(km.provisioner.process, prefork._ForkedKernel), "started cold"
        out = _run(km, "import os, sys\n"
                       "print(open('questions.yaml').read().strip())\n"
                       "print('pandas' in sys.modules)\n"
                       "open('written.txt', 'w').write('x')")
        assert out.split() == ["hello:", "1", "True"]  # the file, and pandas already loaded
        assert not (work / "written.txt").exists(), "the kernel wrote into the real folder"
        assert km.is_alive()
    finally:
        km.shutdown_kernel(now=True)
    assert not km.is_alive()


def test_two_kernels_share_nothing(kernelspec, tmp_path) -> None:
    first = _kernel(tmp_path / "work")
    try:
        _run(first, "import pandas\npandas.SECRET = 'from student A'")
    finally:
        first.shutdown_kernel(now=True)
    second = _kernel(tmp_path / "work")
    try:
        out = _run(second, "import pandas\nprint(getattr(pandas, 'SECRET', 'clean'))")
    finally:
        second.shutdown_kernel(now=True)
    assert out.strip() == "clean"


def test_limits_apply_to_each_kernel(kernelspec, tmp_path) -> None:
    km = _kernel(tmp_path / "work")
    try:
        out = _run(km, "import resource\nprint(resource.getrlimit(resource.RLIMIT_AS)[0])\n"
                       "try:\n    big = bytearray(2 * 1024**3)\nexcept MemoryError:\n"
                       "    print('MemoryError')")
    finally:
        km.shutdown_kernel(now=True)
    assert out.split() == [str(1024 * 1024 * 1024), "MemoryError"]


def test_kernel_sees_only_its_copy_and_the_python_environment(kernelspec, tmp_path) -> None:
    km = _kernel(tmp_path / "work")
    probes = {
        "instructor": str(kernelspec),
        "course docs": str(REPO / "docs"),
        "course notebooks": str(REPO / "notebooks"),
        "grader home": str(Path.home()),
        "etc shadow": "/etc/shadow",
        "etc passwd": "/etc/passwd",
    }
    try:
        out = _run(km, "import os, json, sys\n"
                       f"paths = {probes!r}\n"
                       "print(json.dumps({k: os.path.exists(v) for k, v in paths.items()}))\n"
                       "print(os.getuid(), os.getpid() != 1)\n"
                       "import trilateral.data\n"
                       "print(len(trilateral.data.load('events')) > 0)")
    finally:
        km.shutdown_kernel(now=True)
    seen, ids, data = out.strip().splitlines()
    import json

    assert json.loads(seen) == dict.fromkeys(probes, False), seen
    assert ids == "65534 True"  # nobody, and not the server
    assert data == "True"  # the course's public data is readable


def test_kernel_has_no_network(kernelspec, tmp_path) -> None:
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(1)
    port = listener.getsockname()[1]
    km = _kernel(tmp_path / "work")
    try:
        out = _run(km, "import socket\n"
                       "try:\n"
                       f"    socket.create_connection(('127.0.0.1', {port}), timeout=2)\n"
                       "    print('connected')\n"
                       "except OSError as err:\n"
                       "    print('refused', type(err).__name__)")
    finally:
        km.shutdown_kernel(now=True)
        listener.close()
    assert out.startswith("refused"), out


def test_garbage_on_inherited_descriptors_harms_no_later_kernel(kernelspec, tmp_path) -> None:
    """A kernel that writes a fake reply into every pipe it holds cannot confuse the server."""
    first = _kernel(tmp_path / "work")
    try:
        with contextlib.suppress(Exception):  # it may well break its own kernel
            _run(first, "import os\n"
                        "for fd in range(3, 1024):\n"
                        "    try:\n"
                        "        if os.readlink(f'/proc/self/fd/{fd}').startswith('pipe:'):\n"
                        "            os.write(fd, b'{\"status\": 0, \"pid\": 1}\\n' * 50)\n"
                        "    except OSError:\n"
                        "        pass\n"
                        "print('done')", timeout=20)
    finally:
        first.shutdown_kernel(now=True)
    second = _kernel(tmp_path / "work")
    try:
        assert isinstance(second.provisioner.process, prefork._ForkedKernel)
        assert _run(second, "print(6 * 7)").strip() == "42"
        assert second.provisioner.process.poll() is None, "the server answered with garbage"
    finally:
        second.shutdown_kernel(now=True)


def test_process_count_is_capped_for_the_whole_submission(kernelspec, tmp_path) -> None:
    km = _kernel(tmp_path / "work")
    code = ("import subprocess, time\n"
            "started = 0\n"
            "try:\n"
            "    for _ in range(200):\n"
            "        subprocess.Popen(['sleep', '60'])\n"
            "        started += 1\n"
            "except OSError:\n"
            "    pass\n"
            "time.sleep(1)\n"
            "print(started)")
    try:
        try:
            out = _run(km, code, timeout=30)
        except Exception:  # the watchdog killed the whole submission
            out = ""
    finally:
        alive = km.is_alive()
        km.shutdown_kernel(now=True)
    started = int(out.strip() or 0)
    # Either the kernel refused the forks (cgroup) or the watchdog ended the submission.
    assert started < 200 or not alive, (started, alive)
    assert started <= LIMITS.processes + 8


def test_memory_is_capped_for_the_whole_submission(kernelspec, tmp_path) -> None:
    """Five processes of 300 MB each pass the per-process cap but not the submission's."""
    km = _kernel(tmp_path / "work")
    code = ("import subprocess, sys, time\n"
            "hog = ('b = bytearray(300 * 1024 * 1024)\\n'\n"
            "       'for i in range(0, len(b), 4096): b[i] = 1\\n'\n"
            "       'import time; time.sleep(30)')\n"
            "procs = [subprocess.Popen([sys.executable, '-c', hog]) for _ in range(5)]\n"
            "time.sleep(8)\n"
            "print('alive', sum(p.poll() is None for p in procs))")
    try:
        try:
            out = _run(km, code, timeout=30)
        except Exception:  # the watchdog or the OOM killer ended the kernel too
            out = "alive 0"
    finally:
        km.shutdown_kernel(now=True)
    alive = [ln for ln in out.splitlines() if ln.startswith("alive ")]
    assert alive, out
    assert int(alive[-1].split()[1]) < 5, "1.5 GB of processes outlived a 1024 MB cap"


def test_leftover_processes_die_before_the_next_kernel(kernelspec, tmp_path) -> None:
    marker = tmp_path / "marker"
    marker.mkdir()
    first = _kernel(tmp_path / "work")
    try:
        # A detached background process that would tamper with later kernels' files.
        _run(first, "import subprocess, sys\n"
                    "subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(300)'],"
                    " start_new_session=True)\n"
                    "open('/tmp/planted.py', 'w').write('x = 1')")
    finally:
        first.shutdown_kernel(now=True)
    second = _kernel(tmp_path / "work")
    try:
        out = _run(second, "import os\n"
                           "procs = [p for p in os.listdir('/proc') if p.isdigit()]\n"
                           "print(sorted(open(f'/proc/{p}/cmdline').read().replace(chr(0), ' ')"
                           " for p in procs if p != '1'))\n"
                           "print(os.path.exists('/tmp/planted.py'))")
    finally:
        second.shutdown_kernel(now=True)
    lines = out.strip().splitlines()
    assert "sleep(300)" not in lines[0], "a process of the first kernel survived"
    assert lines[1] == "False", "a file of the first kernel survived"


def test_a_kernel_cannot_stop_the_server(kernelspec, tmp_path) -> None:
    km = _kernel(tmp_path / "work")
    try:
        out = _run(km, "import os, signal\n"
                       "for sig in (signal.SIGKILL, signal.SIGTERM, signal.SIGINT):\n"
                       "    os.kill(1, sig)\n"
                       "print('sent')")
        assert out.strip() == "sent"
    finally:
        km.shutdown_kernel(now=True)
    time.sleep(0.5)
    servers = list(prefork.WarmServer._servers.values())
    assert servers and all(s.proc.poll() is None for s in servers), "the server died"
    again = _kernel(tmp_path / "work")
    try:
        assert isinstance(again.provisioner.process, prefork._ForkedKernel)
        assert _run(again, "print(6 * 7)").strip() == "42"
    finally:
        again.shutdown_kernel(now=True)


def test_interrupt_reaches_the_forked_kernel(kernelspec, tmp_path) -> None:
    km = _kernel(tmp_path / "work")
    client = km.client()
    client.start_channels()
    try:
        client.wait_for_ready(timeout=60)
        msg_id = client.execute("import time\ntime.sleep(60)")
        time.sleep(1.0)
        km.interrupt_kernel()
        reply = client.get_shell_msg(timeout=20)
        assert reply["parent_header"]["msg_id"] == msg_id
        assert reply["content"]["status"] == "error"
        assert reply["content"]["ename"] == "KeyboardInterrupt"
    finally:
        client.stop_channels()
        km.shutdown_kernel(now=True)


def test_a_killed_kernel_is_gone_when_kill_returns(kernelspec, tmp_path) -> None:
    """jupyter_client polls a dying kernel every 0.1 s; answering a kill only once
    the kernel is reaped spares every graded submission that wait."""
    km = _kernel(tmp_path / "work")
    try:
        assert _run(km, "print('up')") == "up\n"
        process = km.provisioner.process
        assert isinstance(process, prefork._ForkedKernel)
        process.kill()
        assert process.poll() is not None
    finally:
        km.shutdown_kernel(now=True)


def test_no_kernel_starts_when_the_server_cannot(kernelspec, tmp_path, monkeypatch) -> None:
    """There is no weaker fallback: without the sandboxed server, no kernel."""
    def broken(*_args, **_kwargs):
        raise RuntimeError("the warm kernel server did not start")

    monkeypatch.setattr(prefork.WarmServer, "get", classmethod(broken))
    km = KernelManager(kernel_name=sandbox.KERNEL_NAME)
    with pytest.raises(RuntimeError, match="did not start"):
        km.start_kernel(cwd=str(tmp_path / "work"))
    assert not km.has_kernel


def test_dead_server_is_reported_as_a_dead_kernel(kernelspec, tmp_path) -> None:
    km = _kernel(tmp_path / "work")
    try:
        _run(km, "x = 1")
        server = km.provisioner.process.server
        server.proc.send_signal(signal.SIGKILL)
        server.proc.wait(10)
        deadline = time.monotonic() + 10
        while km.is_alive() and time.monotonic() < deadline:
            time.sleep(0.1)
        assert not km.is_alive()
    finally:
        km.shutdown_kernel(now=True)


def test_a_folder_holding_the_scratch_space_is_refused(kernelspec, tmp_path) -> None:
    """Copying it would copy the copy: such a kernel does not start at all."""
    km = KernelManager(kernel_name=sandbox.KERNEL_NAME)
    with pytest.raises(ValueError, match="contains the scratch folder"):
        km.start_kernel(cwd=str(tmp_path))  # tmp_path holds the kernelspec and its scratch
    assert not km.has_kernel
