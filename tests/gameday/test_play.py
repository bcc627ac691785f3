"""`drill play --team` in a real terminal (a pty), steered through its channel: the token is shown
once before the console starts, the facilitator's injection lands in the journal, the replay
reproduces it, the result carries the team, and the token is written nowhere."""

from __future__ import annotations

import json
import os
import re
import select
import struct
import subprocess
import sys
import threading
import time

import pytest

from drill import results
from drill.hosting.channel import ChannelError, request, running_drills
from drill.session.replay import replay

from .conftest import ROOT, copy_entries, wait_registered

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="needs a Linux pty")


class Terminal:
    """A program on a pseudo-terminal, its output drained by a thread."""

    def __init__(self, argv: list[str], env: dict, cwd, size=(36, 120)):
        import fcntl
        import pty
        import termios

        self.master, slave = pty.openpty()
        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", size[0], size[1], 0, 0))
        self.proc = subprocess.Popen(argv, stdin=slave, stdout=slave, stderr=slave, env=env, cwd=cwd,
                                     start_new_session=True)
        os.close(slave)
        self.out = bytearray()
        self._reader = threading.Thread(target=self._drain, daemon=True)
        self._reader.start()

    def _drain(self) -> None:
        while True:
            try:
                ready, _, _ = select.select([self.master], [], [], 0.2)
                if ready:
                    chunk = os.read(self.master, 65536)
                    if not chunk:
                        return
                    self.out += chunk
                elif self.proc.poll() is not None:
                    return
            except OSError:
                return

    def text(self) -> str:
        return self.out.decode("utf-8", "replace")

    def wait_for(self, pattern: str, timeout: float = 30.0) -> re.Match:
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            m = re.search(pattern, self.text())
            if m:
                return m
            time.sleep(0.05)
        raise AssertionError(f"{pattern!r} not seen in {timeout}s:\n{self.text()[-2000:]}")

    def send(self, data: str) -> None:
        os.write(self.master, data.encode())

    def close(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(10)
        os.close(self.master)


@pytest.mark.slow
async def test_drill_play_with_a_team_is_steered_through_its_channel(tmp_path, data_dir, served_cache):
    copy_entries(served_cache, data_dir / "cache" / "debrief")  # the console warms what the served tests did
    journal = tmp_path / "red.jsonl"
    env = {**os.environ, "DRILL_DATA_DIR": str(data_dir), "PYTHONPATH": str(ROOT), "TERM": "xterm-256color"}
    term = Terminal([sys.executable, "-m", "drill", "play", "knightmare", "--difficulty", "standard", "--seed", "4",
                     "--team", "red", "--paused", "--journal", str(journal)], env, tmp_path)
    try:
        m = term.wait_for(r"facilitator channel: drill ([0-9a-f]{8}), token ([A-Za-z0-9_-]{20,})")
        drill_id, token = m.group(1), m.group(2)
        term.wait_for("press Enter to start the drill")
        assert running_drills() == []  # nothing listens before the drill starts
        term.send("\r")
        [entry] = await wait_registered(1)
        assert entry["id"] == drill_id and entry["team"] == "red" and entry["seed"] == 4
        port = entry["port"]
        with pytest.raises(ChannelError, match="token"):
            await request(port, token[::-1], "command", command="inject second-fault")
        status = (await request(port, token, "status"))["status"]
        faulty = status["faulty_servers"][0]
        await request(port, token, "command", command="speed 60")
        await request(port, token, "command", command="resume")
        term.send(f":stop {faulty}\r")
        for _ in range(300):
            status = (await request(port, token, "status"))["status"]
            if status["phase"] in ("contained", "recovered") and status["clock"] >= "09:40:00":
                break
            await __import__("asyncio").sleep(0.1)
        assert status["contained"], status
        r = await request(port, token, "command", command="inject second-fault")
        assert "smars-3" in r["result"]
        await request(port, token, "command", command="push-hint Look at the fleet again")
        await request(port, token, "command", command="pause")
        status = (await request(port, token, "status"))["status"]
        assert status["paused"] and [c["by"] for c in status["commands"]] == [
            "facilitator", "facilitator", "trainee", "facilitator", "facilitator", "facilitator"]
        term.send("\x11")  # ctrl+q
        time.sleep(0.5)
        term.send("y")
        term.proc.wait(60)
        assert term.proc.returncode == 0, term.text()[-2000:]
        term.wait_for(r"result: #\d+ for team red")
    finally:
        term.close()
    assert running_drills() == []
    records = [json.loads(line) for line in journal.read_text().splitlines()]
    assert [(r.get("by", "trainee"), r["command"]) for r in records if r["type"] == "command"] == [
        ("facilitator", "speed 60"), ("facilitator", "resume"), ("trainee", f"stop {faulty}"),
        ("facilitator", "inject second-fault"), ("facilitator", "push-hint Look at the fleet again"),
        ("facilitator", "pause")]
    report = replay(journal)
    assert report.ok, report.divergence
    [entry] = results.entries()
    assert entry.team == "red" and entry.journal == str(journal.resolve())
    on_disk = journal.read_text() + "".join(f.read_text("utf-8", "replace") for f in data_dir.rglob("*.json*"))
    on_disk += str(results.stored_outcome(entry.id)) + repr(entry)
    assert token not in on_disk
    assert term.text().count(token) == 1  # shown once, in the terminal that started the drill


@pytest.mark.slow
def test_drill_facilitate_opens_in_a_terminal_and_quits(tmp_path, data_dir):
    env = {**os.environ, "DRILL_DATA_DIR": str(data_dir), "PYTHONPATH": str(ROOT), "TERM": "xterm-256color"}
    term = Terminal([sys.executable, "-m", "drill", "facilitate", "--key", "k" * 24], env, tmp_path)
    try:
        term.wait_for("drill facilitate")
        term.wait_for("0 running here")
        term.send("\x11")  # ctrl+q
        term.proc.wait(30)
        assert term.proc.returncode == 0
    finally:
        term.close()
