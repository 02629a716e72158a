"""The Debian packages that PDFs and Chinese text need, in both places that install them: the
image (Dockerfile) and `make run` (scripts/install_system_packages.sh). Without
libharfbuzz-subset0 WeasyPrint still works but takes 5-10 s a page instead of 0.25 s, which no
functional test would notice; without fonts-noto-cjk Chinese prints as empty boxes."""

import subprocess
from pathlib import Path

import pytest

REPO_DIR = Path(__file__).resolve().parents[2]
PDF_PACKAGES = ["libpango-1.0-0", "libpangoft2-1.0-0", "libharfbuzz0b", "libharfbuzz-subset0", "fonts-noto-cjk"]


def dockerfile_apt_packages() -> set[str]:
    """The words of the Dockerfile's `apt-get install` command (continued lines joined)."""
    text = (REPO_DIR / "Dockerfile").read_text().replace("\\\n", " ")
    install_lines = [line for line in text.splitlines() if "apt-get install" in line]
    assert len(install_lines) == 1, install_lines
    return set(install_lines[0].split("apt-get install", 1)[1].split("&&", 1)[0].split())


@pytest.mark.parametrize("package", PDF_PACKAGES)
def test_the_image_installs(package):
    assert package in dockerfile_apt_packages()


def test_the_image_is_python_3_11_on_debian_12():
    assert "FROM python:3.11-slim-bookworm" in (REPO_DIR / "Dockerfile").read_text().splitlines()


def script_packages(purpose: str) -> list[str]:
    result = subprocess.run(
        [str(REPO_DIR / "scripts" / "install_system_packages.sh"), purpose, "--list"],
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout.split()


@pytest.mark.parametrize("package", [*PDF_PACKAGES, "poppler-utils", "redis-server"])
def test_make_run_installs(package):
    assert package in script_packages("run")


@pytest.mark.parametrize("package", ["chromium", "docker-compose", "redis-server", "libharfbuzz-subset0"])
def test_make_test_installs(package):
    assert package in script_packages("test")


def test_make_run_does_not_install_the_test_tools():
    assert "chromium" not in script_packages("run")
