"""The behaviour table is the one description of the engine's code paths: its numbering, its
faults and its parameters agree with the fleet and the schema that read it."""

from drill.scenario import behaviours as table
from drill.scenario.schema import Behaviours
from drill.sim import fleet


def test_codes_number_the_table_without_gaps():
    assert [b.code for b in table.BY_CODE] == list(range(len(table.BEHAVIOURS)))


def test_the_fleet_takes_faults_and_codes_from_the_table():
    assert [bool(x) for x in fleet.FAULTY] == [b.faulty for b in table.BY_CODE]
    assert fleet.RUNAWAY == table.BEHAVIOURS["runaway_untracked"].code
    assert fleet.HEALTHY == table.BEHAVIOURS["route_until_filled"].code


def test_every_parameter_a_behaviour_reads_is_a_scenario_field():
    fields = set(Behaviours.model_fields)
    for b in table.BEHAVIOURS.values():
        assert set(b.parameters) <= fields, b.name


def test_faults_and_unending_paths_are_read_off_the_table():
    assert table.FAULTY_BEHAVIOURS == {"runaway_untracked", "pov_unlimited", "overfill"}
    assert table.UNENDING_BEHAVIOURS == {"runaway_untracked", "pov_unlimited", "resting_order"}
    assert "route_until_filled" not in table.FAULTY_BEHAVIOURS
