"""The three dependency lists agree: pyproject (what), requirements.lock (exact versions),
environment.yml (the conda route)."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]


def _name(spec: str) -> str:
    return re.split(r"[=<>!~\[ ]", spec.strip(), maxsplit=1)[0].lower().replace("_", "-")


def _lock() -> dict[str, str]:
    pins = {}
    for line in (ROOT / "requirements.lock").read_text().splitlines():
        line = line.split("#")[0].strip()
        if line:
            name, version = line.split("==")
            pins[_name(name)] = version
    return pins


def _pyproject() -> list[str]:
    meta = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    return [*meta["dependencies"], *meta["optional-dependencies"]["dev"]]


def _environment() -> dict[str, str]:
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    specs: dict[str, str] = {}
    for dep in env["dependencies"]:
        items = dep["pip"] if isinstance(dep, dict) else [dep]
        for item in items:
            name, _, version = item.replace("==", "=").partition("=")
            specs[_name(name)] = version
    return specs


def test_every_dependency_is_pinned_in_the_lock():
    pins = _lock()
    missing = [d for d in _pyproject() if _name(d) not in pins]
    assert missing == []
    assert all(re.fullmatch(r"[\w.]+", v) for v in pins.values())


def test_environment_yml_has_every_dependency_at_the_locked_version():
    pins, env = _lock(), _environment()
    for dep in _pyproject():
        name = _name(dep)
        assert name in env, f"{name} missing from environment.yml"
        assert env[name] == pins[name], f"{name}: environment.yml {env[name]} != lock {pins[name]}"


def test_environment_yml_python_matches_pyproject():
    env = _environment()
    requires = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["requires-python"]
    assert env["python"].startswith("3.11") and "3.11" in requires
    assert "quarto" in env
