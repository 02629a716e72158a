# The two commands of the README. Each first installs what is missing (Debian packages, then the
# Python packages into .venv when the requirements files changed), then does its work.
#
#   make run                        # 学籍 with demo data on http://127.0.0.1:8000 (PORT=... to change)
#   make test                       # the whole test suite against PostgreSQL and Redis
#   make test ARGS="-k calendar -x" # extra arguments for pytest
#   make backup                     # an encrypted backup of the database and private files (.data/backups/)
#   make restore-drill              # restores the latest backup into a scratch database and checks it

# The Python that creates .venv; the scripts below read it from the environment.
PYTHON ?= python3
export PYTHON
VENV_PYTHON := .venv/bin/python
ARGS ?=

.PHONY: run test backup restore-drill

run:
	scripts/install_system_packages.sh run
	scripts/ensure_venv.sh requirements.txt
	$(VENV_PYTHON) scripts/run.py

test:
	scripts/install_system_packages.sh test
	scripts/ensure_venv.sh requirements-dev.txt
	$(VENV_PYTHON) scripts/test.py $(ARGS)

# Both work on `make run`'s embedded database (running or not) or on DATABASE_URL (scripts/backup.py).
backup:
	scripts/install_system_packages.sh run
	scripts/ensure_venv.sh requirements.txt
	$(VENV_PYTHON) scripts/backup.py $(ARGS)

restore-drill:
	scripts/install_system_packages.sh run
	scripts/ensure_venv.sh requirements.txt
	$(VENV_PYTHON) scripts/restore_drill.py
