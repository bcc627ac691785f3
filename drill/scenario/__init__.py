"""Scenario files: schema, loading and the bundled library. Nothing here is simulated."""

from drill.scenario.loader import LoadedScenario, Problem, ScenarioError, bundled_ids, load

__all__ = ["LoadedScenario", "Problem", "ScenarioError", "bundled_ids", "load"]
