"""What the first screen imports: the command line and the console module, and nothing of the
server, the facilitator's channel or the debrief (each is imported where it is first used)."""

import subprocess
import sys

LATER = ("drill.gameday.serve", "drill.hosting.hosted", "drill.gameday.tabs", "drill.debrief.build")


def test_the_command_line_and_the_console_leave_the_server_and_the_debrief_unimported():
    code = ("import sys\n"
            "import drill.cli.main\n"
            "drill.cli.main.build_parser()\n"
            "import drill.tui.app\n"
            f"print([m for m in {LATER!r} if m in sys.modules])\n")
    p = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert p.returncode == 0, p.stderr
    assert p.stdout.strip() == "[]"


def test_serve_still_offers_its_defaults_where_callers_find_them():
    from drill.gameday import defaults, serve

    assert (serve.DEFAULT_HOST, serve.DEFAULT_PORT, serve.DEFAULT_MAX_DRILLS) == \
        (defaults.DEFAULT_HOST, defaults.DEFAULT_PORT, defaults.DEFAULT_MAX_DRILLS)


def test_building_the_console_app_starts_the_resource_tracker_without_importing_the_debrief():
    # The tracker must start before Textual replaces sys.stderr; the debrief's own imports wait
    # until after the first frame (its warm-up and pool start from call_after_refresh).
    code = ("import sys\n"
            "from multiprocessing import resource_tracker\n"
            "from drill.tui.app import DrillApp\n"
            "DrillApp('knightmare', 'historical', counterfactuals=True)\n"
            "print(resource_tracker._resource_tracker._fd is not None, 'drill.debrief' in sys.modules)\n")
    p = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert p.returncode == 0, p.stderr
    assert p.stdout.strip() == "True False"
