"""What the console's first frame does not pay for: a tab nobody has opened is mounted when it is
first shown (with the live frame before it is drawn), and the key bar is rebuilt only when the
keys it shows change."""

from __future__ import annotations

from textual.app import App, ComposeResult
from textual.binding import Binding
from textual.screen import Screen
from textual.widgets import Markdown
from textual.widgets._footer import FooterKey

from drill.tui.screens.console import ConsoleScreen
from drill.tui.widgets.action_log import ActionLog
from drill.tui.widgets.chart import Chart
from drill.tui.widgets.footer import KeyFooter
from drill.tui.widgets.positions import PositionsView

from .test_console import rich_text


async def test_a_tab_never_shown_is_not_mounted_until_its_key_and_then_shows_the_live_frame(make_app):
    app = make_app("knightmare", "standard", start_at="09:45:00")
    async with app.run_test(size=(120, 36)) as pilot:
        console = app.screen
        assert isinstance(console, ConsoleScreen)
        assert not console.query(PositionsView) and not console.query(Markdown)
        console.step(30_000)  # the drill moves on while the tab stays closed
        await pilot.press("6")
        await pilot.pause()
        view = console.query_one(PositionsView)
        snap = console.snap
        title = rich_text(view.query_one(".positions--title").content)
        assert f"as of {snap.monitor_as_of}" in title and snap.positions
        assert snap.positions[0].symbol in rich_text(view.query_one(".positions--table").content)
        assert console.focused is view  # its key focuses it, as before
        await pilot.press("8")
        await pilot.pause()
        runbook = console.query_one("#runbook-view Markdown", Markdown)
        assert runbook.source == console.fixed.runbook
        await pilot.press("6")  # shown again: the same widget, no second mount
        await pilot.pause()
        assert console.query_one(PositionsView) is view and len(console.query(PositionsView)) == 1


async def test_the_charts_tab_copy_waits_for_a_narrow_screen_to_show_it(make_app):
    app = make_app("knightmare", "standard", start_at="09:45:00")
    async with app.run_test(size=(120, 36)) as pilot:
        console = app.screen
        assert [c.id for c in console.query(Chart)] == ["chart-side"]  # wide: only the copy beside the tabs
        await pilot.resize_terminal(80, 24)
        await pilot.pause()
        await pilot.press("7")
        await pilot.pause()
        chart = console.query_one("#chart-tab", Chart)
        side = console.query_one("#chart-side", Chart)
        assert chart._series == side._series and chart._title == side._title  # the same frame as the header's



async def test_the_action_logs_tab_copy_waits_for_a_narrow_screen_to_show_it(make_app):
    app = make_app("knightmare", "standard", start_at="09:45:00")
    async with app.run_test(size=(120, 36)) as pilot:
        console = app.screen
        assert [log.id for log in console.query(ActionLog)] == ["actions-side"]  # wide: only the copy beside the tabs
        assert console.query_one("#tabs").active == "tape"
        console.submit_command("inspect smars-1")
        console.step(5_000)
        await pilot.resize_terminal(80, 24)
        await pilot.pause()
        await pilot.press("1")
        await pilot.pause()
        tab, side = console.query_one("#actions-tab", ActionLog), console.query_one("#actions-side", ActionLog)
        assert [o.prompt for o in tab._options] == [o.prompt for o in side._options]  # the same actions, as shown beside
        assert tab.option_count == 1 and "inspect smars-1" in str(tab.get_option_at_index(0).prompt)


class _KeysScreen(Screen[None]):
    """A key that can be switched off, over the footer."""

    BINDINGS = [Binding("x", "act", "Act"), Binding("y", "other", "Other")]

    def __init__(self) -> None:
        super().__init__()
        self.act_allowed = True

    def compose(self) -> ComposeResult:
        yield KeyFooter()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        return None if action == "act" and not self.act_allowed else True

    def action_act(self) -> None:
        pass

    def action_other(self) -> None:
        pass


class _Keys(App[None]):
    def on_mount(self) -> None:
        self.push_screen(_KeysScreen())


def _shown(app: App) -> list[tuple[str, str, bool]]:
    return [(k.key, k.description, k.has_class("-disabled")) for k in app.screen.query(FooterKey)]


async def test_the_key_bar_is_rebuilt_only_when_its_keys_change():
    app = _Keys()
    async with app.run_test(size=(60, 5)) as pilot:
        await pilot.pause()
        keys = list(app.screen.query(FooterKey))
        assert _shown(app)[:2] == [("x", "Act", False), ("y", "Other", False)]
        app.screen.refresh_bindings()  # nothing it shows changed
        await pilot.pause()
        assert list(app.screen.query(FooterKey)) == keys
        app.screen.act_allowed = False  # now it shows "x" disabled
        app.screen.refresh_bindings()
        await pilot.pause()
        assert _shown(app)[:2] == [("x", "Act", True), ("y", "Other", False)]
