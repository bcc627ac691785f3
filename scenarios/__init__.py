"""Bundled scenarios: data only (TOML, Markdown, actions files), one directory each."""
