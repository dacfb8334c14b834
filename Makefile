# The course's entry point. Every target sets up .venv/ on first use.
#   make demo   build the release, autograde the example submissions, print grades,
#               write the instructor's dashboard
#   make test   the whole test suite (make test-fast: the first tier, under a minute)
# A fresh Debian machine needs only Python 3.11 (pip, venv) and make: `make demo`
# and `make test` first install the system packages they need when run as root
# (apt-get), or stop, before the long pip install, with the command to run.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: test-fast setup build release examples autograde feedback export report demo test lab bench bench-grading tolerances clean system-demo system-test dashboard student

# Debian packages: bubblewrap (the grading sandbox); for the tests also Chromium
# (the browser tests) and PostgreSQL (the shared gradebook test).
DEMO_DEBS := bubblewrap
TEST_DEBS := bubblewrap chromium postgresql

system-demo:
	@sh scripts/system-packages $(DEMO_DEBS)

system-test:
	@sh scripts/system-packages $(TEST_DEBS)

setup: $(STAMP)

# Re-installs the course's own packages whenever they change: the grading
# kernels import helpers from the environment, not from this folder.
$(STAMP): requirements.txt pyproject.toml $(wildcard helpers/*.py grading/*.py)
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q -r requirements.txt
	$(BIN)/python -m pip install -q --no-deps --no-build-isolation --force-reinstall .
	touch $@

build release examples feedback export report lab dashboard: setup
	$(BIN)/course $@

autograde: setup
	$(BIN)/course autograde $(if $(SUBMISSIONS),--submissions $(SUBMISSIONS)) $(if $(JOBS),--jobs $(JOBS))

# The system packages first (a sub-make: setup never starts before they are there).
demo: system-demo
	@$(MAKE) --no-print-directory setup
	@$(BIN)/course demo $(if $(FIRST),--first-screen)

test: system-test
	@$(MAKE) --no-print-directory setup
	$(BIN)/python -m pytest $(PYTEST_ARGS)

# The first tier: pure functions and in-memory notebooks, no kernel, no system packages,
# no cold cache (tests marked slow as well leave it: mypy, torch.compile, torch subprocesses).
# Other tiers: pytest -m slow | grading | browser | postgres | dask (make test runs them all).
test-fast: setup
	$(BIN)/python -m pytest -m "fast and not slow" -q $(PYTEST_ARGS)

# What students get: release/, the helpers package and the pinned libraries the
# notebooks import (README, "For students"), in build/mi-course-student/ and a zip of it.
STUDENT := build/mi-course-student
student: setup
	sh student/build.sh $(STUDENT) $(BIN)/python
	rm -f $(STUDENT).zip
	cd build && $(CURDIR)/$(BIN)/python -m zipfile -c mi-course-student.zip mi-course-student/
	@echo "student install: $(STUDENT)/ (zipped: $(STUDENT).zip); see its README.md"

bench: setup
	$(BIN)/python bench/bench_dv.py

bench-grading: setup
	$(BIN)/python bench/bench_grading.py $(BENCH_ARGS)

tolerances: setup
	$(BIN)/python scripts/measure_tolerances.py

clean:
	rm -rf submitted feedback dashboard exchange gradebook.db grades.csv review.csv .review.lock .grading .grading.lock runs
	find autograded -mindepth 1 -maxdepth 1 -type d -exec rm -rf {} +
