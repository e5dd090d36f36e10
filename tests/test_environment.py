"""The three dependency lists agree: pyproject (what), requirements.lock (exact versions),
environment.yml (the conda route)."""

from __future__ import annotations

import importlib.util
import json
import os
import re
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
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


def test_jupyterlab_is_part_of_the_dev_environment():
    assert "jupyterlab" in [_name(d) for d in _pyproject()]
    assert "jupyterlab" in _lock() and "jupyterlab" in _environment()


def _make(target: str, cwd: Path, **env: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        ["make", "--no-print-directory", "-f", str(ROOT / "Makefile"), target, f"BIN={BIN}"],
        cwd=cwd,
        capture_output=True,
        text=True,
        env={**os.environ, **env},
    )


BIN = ROOT / ".venv" / "bin"


@pytest.mark.skipif(not (BIN / "nbstripout").exists(), reason="run `make install` first")
@pytest.mark.skipif(shutil.which("git") is None or shutil.which("make") is None, reason="no git")
def test_make_install_keeps_notebook_outputs_out_of_commits(tmp_path):
    """The `git-filter` step of `make install`, in a new repository: a run notebook is
    committed without outputs; the nbval references keep theirs."""
    import nbformat

    env = {"GIT_CONFIG_GLOBAL": os.devnull, "GIT_CONFIG_NOSYSTEM": "1"}
    git = ["git", "-c", "user.name=t", "-c", "user.email=t@example.org"]
    subprocess.run([*git, "init", "-q"], cwd=tmp_path, check=True, env={**os.environ, **env})
    shutil.copy(ROOT / ".gitattributes", tmp_path)
    proc = _make("git-filter", tmp_path, **env)
    assert proc.returncode == 0 and "without their outputs" in proc.stdout, proc.stderr
    nb = nbformat.v4.new_notebook()
    cell = nbformat.v4.new_code_cell("print(1)", id="keep-me")
    cell.execution_count = 3
    cell.outputs = [nbformat.v4.new_output("stream", name="stdout", text="1\n")]
    nb.cells = [cell]
    for path in (tmp_path / "notebooks" / "a.ipynb", tmp_path / "tests" / "nbval" / "a.ipynb"):
        path.parent.mkdir(parents=True)
        nbformat.write(nb, path)
    for args in (["add", "-A"], ["commit", "-q", "-m", "run notebooks"]):
        subprocess.run([*git, *args], cwd=tmp_path, check=True, env={**os.environ, **env})

    def committed(name: str) -> nbformat.NotebookNode:
        text = subprocess.run(
            [*git, "show", f"HEAD:{name}"], cwd=tmp_path, capture_output=True, text=True, check=True
        ).stdout
        return nbformat.reads(text, as_version=4)

    stripped = committed("notebooks/a.ipynb").cells[0]
    assert stripped.outputs == [] and stripped.execution_count is None
    assert stripped.id == "keep-me"  # cell ids kept: the diff shows only what changed
    assert nbformat.read(tmp_path / "notebooks" / "a.ipynb", as_version=4).cells[0].outputs
    assert committed("tests/nbval/a.ipynb").cells[0].outputs  # a reference keeps its outputs


@pytest.mark.skipif(not (BIN / "python").exists(), reason="run `make install` first")
def test_the_kernel_for_any_jupyter_runs_this_environment(tmp_path):
    proc = _make("kernel", ROOT, JUPYTER_DATA_DIR=str(tmp_path))
    assert proc.returncode == 0, proc.stderr
    spec = json.loads((tmp_path / "kernels" / "cae-report" / "kernel.json").read_text())
    assert spec["display_name"] == "Python (cae-report)"
    assert Path(spec["argv"][0]).resolve() == (BIN / "python").resolve()
    assert "ipykernel_launcher" in spec["argv"] and "{connection_file}" in spec["argv"]


@pytest.mark.skipif(not (BIN / "python").exists(), reason="run `make install` first")
def test_make_install_compiles_the_package_even_where_python_writes_no_bytecode(tmp_path):
    """Every target runs `make install`: the package's modules are compiled once there, not
    again by each process, also where PYTHONDONTWRITEBYTECODE is set."""
    module = tmp_path / "src" / "pkg" / "mod.py"
    module.parent.mkdir(parents=True)
    module.write_text("VALUE = 1\n")
    for name in ("pyproject.toml", "requirements.lock"):  # what the installed stamp is newer than
        shutil.copy2(ROOT / name, tmp_path / name)
    kernel = ROOT / ".venv" / "share" / "jupyter" / "kernels" / "cae-report" / "kernel.json"
    installed = {"STAMP": str(ROOT / ".venv" / ".installed-stamp"), "ENV_KERNEL": str(kernel)}
    # `-o STAMP`: this environment is never installed again from the copy (an edited
    # pyproject.toml, newer than the stamp, would make pip point it at tmp_path).
    proc = subprocess.run(
        ["make", "--no-print-directory", "-f", str(ROOT / "Makefile"), "install", f"BIN={BIN}"]
        + [f"{name}={value}" for name, value in installed.items()]
        + ["-o", installed["STAMP"]],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONDONTWRITEBYTECODE": "1"},
    )
    assert proc.returncode == 0, proc.stderr
    compiled = Path(importlib.util.cache_from_source(str(module)))
    assert compiled.is_file() and compiled.stat().st_mtime >= module.stat().st_mtime


@pytest.mark.skipif(not (BIN / "python").exists(), reason="run `make install` first")
def test_inside_this_environment_its_own_kernel_comes_before_another_checkouts(tmp_path):
    """The user's « Python (cae-report) » is the last checkout's that ran `make kernel`, which
    may be gone: Quarto, JupyterLab and the tests run this environment's Python, which finds
    the environment's own kernel first."""
    foreign = tmp_path / "kernels" / "cae-report"
    foreign.mkdir(parents=True)
    spec = {
        "argv": [
            "/elsewhere/.venv/bin/python",
            "-m",
            "ipykernel_launcher",
            "-f",
            "{connection_file}",
        ],
        "display_name": "Python (cae-report)",
        "language": "python",
    }
    (foreign / "kernel.json").write_text(json.dumps(spec))
    code = (
        "from jupyter_client.kernelspec import KernelSpecManager as M;"
        "print(M().get_kernel_spec('cae-report').argv[0])"
    )
    env = {**os.environ, "JUPYTER_DATA_DIR": str(tmp_path)}
    env.pop("JUPYTER_PATH", None)
    env.pop("JUPYTER_PREFER_ENV_PATH", None)
    proc = subprocess.run(
        [str(BIN / "python"), "-c", code], env=env, capture_output=True, text=True, check=True
    )
    assert Path(proc.stdout.strip()).resolve() == (BIN / "python").resolve()


@pytest.mark.parametrize(
    "imports",
    [
        "cae_report.build.orchestrate, cae_report.publish, papermill",  # a build
        "cae_report, nbformat, papermill",  # Quarto's pre- and post-render steps, in this order
    ],
)
def test_jupyterlabs_dependencies_do_not_slow_the_build(imports):
    """rfc3987_syntax (pulled in by JupyterLab through jsonschema) compiles parsers for 1.4 s
    at import; a process of the project imports nbformat, hence jsonschema, without it."""
    probe = (
        f"import sys, {imports}; "
        "print(sys.modules.get('rfc3987_syntax', 'absent'), 'jsonschema' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["None", "True"]
