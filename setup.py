"""Packaging that pyproject.toml alone cannot say: scenarios/ sits at the top of the repository
(where authors look for it) but ships inside the package as drill._scenarios, so a plain
`pip install .` carries every bundled scenario."""

from setuptools import find_packages, setup

setup(
    packages=find_packages(include=["drill", "drill.*"]) + ["drill._scenarios"],
    package_dir={"drill._scenarios": "scenarios"},
    package_data={"drill._scenarios": ["**/*.toml", "**/*.md", "**/*.actions"]},
)
