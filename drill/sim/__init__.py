"""The SimPy world. Pure simulation: never imports Textual or Rich, never reads the wall clock."""
