"""The facilitator's channel: token required, loopback only, commands journaled and replayed."""

import asyncio
import json

import pytest

from drill.hosting.channel import LOOPBACK, ChannelError, ChannelServer, new_token, request
from drill.hosting.host import DrillHost
from drill.session.replay import replay
from drill.timefmt import parse_clock
from drill.tui.controller import Drill


def _run(coro):
    return asyncio.run(coro)


@pytest.fixture
def hosted(tmp_path):
    journal = tmp_path / "j.jsonl"
    drill = Drill("knightmare", "standard", None, journal, speed=1.0, paused=True)
    return drill, DrillHost(drill, team="blue"), journal


def test_wrong_or_missing_token_is_refused(hosted):
    _, host, _ = hosted
    token = new_token()

    async def go():
        server = ChannelServer(host, token)
        port = await server.start()
        try:
            with pytest.raises(ChannelError, match="token"):
                await request(port, "not-the-token", "status")
            with pytest.raises(ChannelError, match="token"):
                await request(port, "", "status")
            reader, writer = await asyncio.open_connection(LOOPBACK, port)
            writer.write(b'{"op": "status"}\n')
            await writer.drain()
            reply = json.loads(await reader.readline())
            writer.close()
            assert reply == {"ok": False, "error": "refused: wrong or missing token"}
            ok = await request(port, token, "status")
            assert ok["status"]["faulty_servers"] == ["smars-8"] and ok["status"]["team"] == "blue"
        finally:
            await server.close()

    _run(go())


@pytest.mark.parametrize("line", [b"\xff\xfe not UTF-8\n", b"[" * 20_000 + b"\n"], ids=["not-utf8", "nested"])
def test_a_line_that_is_not_json_is_answered_not_json_before_any_token(line):
    # Bytes that are not UTF-8 raise UnicodeDecodeError and deep nesting RecursionError, neither a
    # JSONDecodeError: they escaped the handler, and the client got no answer.
    async def go():
        server = ChannelServer(DrillHost(None), new_token())
        port = await server.start()
        try:
            reader, writer = await asyncio.open_connection(LOOPBACK, port)
            writer.write(line)
            await writer.drain()
            reply = await asyncio.wait_for(reader.readline(), 30)
            writer.close()
            assert json.loads(reply) == {"ok": False, "error": "not JSON"}
        finally:
            await server.close()

    _run(go())


def test_only_loopback_is_bound():
    async def go():
        server = ChannelServer(DrillHost(None), new_token())
        await server.start()
        try:
            addrs = {s.getsockname()[0] for s in server.server.sockets}
            assert addrs == {"127.0.0.1"}
        finally:
            await server.close()

    _run(go())


def test_tokens_are_random_per_drill():
    assert len({new_token() for _ in range(100)}) == 100
    assert len(new_token()) >= 20


def test_an_injection_through_the_channel_reaches_the_drill_the_journal_and_the_replay(hosted):
    drill, host, journal = hosted
    token = new_token()

    async def go():
        server = ChannelServer(host, token)
        port = await server.start()
        try:
            drill.advance_to(parse_clock("09:31:00"))
            drill.submit("stop smars-8")
            drill.advance_to(parse_clock("09:40:00"))
            r = await request(port, token, "command", command="inject second-fault")
            assert "smars-3" in r["result"]
            r = await request(port, token, "command", command="speed 10")
            assert drill.clock.speed == 10
            with pytest.raises(ChannelError, match="facilitator steers"):
                await request(port, token, "command", command="stop smars-3")
            status = (await request(port, token, "status"))["status"]
            assert [c["by"] for c in status["commands"]] == ["trainee", "facilitator", "facilitator"]
        finally:
            await server.close()

    _run(go())
    drill.advance_to(parse_clock("09:50:00"))
    drill.abandon()
    text = journal.read_text()
    assert token not in text  # never logged
    assert '"by":"facilitator"' in text and "inject second-fault" in text
    report = replay(journal)
    assert report.ok, report.divergence
    assert report.outcome.contained is False  # the injected second fault is live again
