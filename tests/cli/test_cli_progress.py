"""cnnviz-cli train's progress (issue 18, "Progress in the CLI"): on a terminal a per-batch bar with the running loss
and accuracy and the epoch's ETA, redrawn in place; when stderr is not a terminal (a log file, CI) no bar and no
carriage returns, only one line per epoch."""
from __future__ import annotations

import os
import re
import select
import subprocess
import sys
import time

import pytest

pytestmark = pytest.mark.slow
ENV = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2"}
ARGS = ["train", "--preset", "fast", "--limit", "640", "--epochs", "2", "--batch-size", "16"]
BAR = re.compile(r"\repoch (\d)/2 \[[= ]{30}\] (\d+)/(\d+) loss \d+\.\d{4} acc \d\.\d{4} \d+ img/s ETA (\d+):(\d\d)")


def test_no_bar_and_no_carriage_returns_when_stderr_is_not_a_terminal(tmp_path):
    result = subprocess.run([sys.executable, "-m", "cnnviz.cli", *ARGS, "--out", str(tmp_path / "run")],
                            capture_output=True, text=True, timeout=300, env=ENV)
    assert result.returncode == 0, result.stderr
    err = result.stderr
    assert "\r" not in err and "[===" not in err and "ETA" not in err, err
    epochs = [line for line in err.splitlines() if line.startswith("epoch ")]
    assert [line.split()[1] for line in epochs] == ["1/2", "2/2"], err


def test_on_a_terminal_the_bar_shows_the_epochs_eta(tmp_path):
    import pty

    master, slave = pty.openpty()
    with open(tmp_path / "stdout.txt", "w") as stdout:
        proc = subprocess.Popen([sys.executable, "-m", "cnnviz.cli", *ARGS, "--out", str(tmp_path / "run")],
                                stdin=subprocess.DEVNULL, stdout=stdout, stderr=slave, env=ENV, close_fds=True)
    os.close(slave)
    chunks = []
    deadline = time.monotonic() + 300
    try:
        while time.monotonic() < deadline:
            ready, _, _ = select.select([master], [], [], 1.0)
            if ready:
                try:
                    data = os.read(master, 65536)
                except OSError:   # EIO: the child closed its end
                    break
                if not data:
                    break
                chunks.append(data)
            elif proc.poll() is not None:
                break
    finally:
        os.close(master)
        if proc.poll() is None:
            proc.kill()
        proc.wait(30)
    assert proc.returncode == 0
    err = b"".join(chunks).decode(errors="replace").replace("\r\n", "\n")   # the pty turns "\n" into "\r\n"
    bars = BAR.findall(err)
    assert bars, err[-2000:]
    assert {epoch for epoch, *_ in bars} == {"1", "2"}
    assert len({steps for _, _, steps, _, _ in bars}) == 1
    last = [b for b in bars if b[1] == b[2]]
    assert len(last) == 2 and all((m, s) == ("0", "00") for *_, m, s in last)   # an epoch's last batch: none left
    assert any(int(m) * 60 + int(s) > 0 for _, batch, _, m, s in bars if batch == "1"), bars  # time left at batch 1
    # after each bar, the epoch line overwrites it in place
    assert re.search(r"ETA \d+:\d\d +\repoch 1/2 .*\n", err), err[-2000:]
