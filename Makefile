# The course's entry point. Every target sets up .venv/ on first use.
#   make demo   build the release, autograde the example submissions, print grades
#   make test   the whole test suite
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: setup build release examples autograde feedback export report demo test lab bench bench-grading tolerances clean

setup: $(STAMP)

# Re-installs the course's own packages whenever they change: the grading
# kernels import helpers from the environment, not from this folder.
$(STAMP): requirements.txt pyproject.toml $(wildcard helpers/*.py grading/*.py)
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q -r requirements.txt
	$(BIN)/python -m pip install -q --no-deps --no-build-isolation --force-reinstall .
	touch $@

build release examples feedback export report lab: setup
	$(BIN)/course $@

autograde: setup
	$(BIN)/course autograde $(if $(SUBMISSIONS),--submissions $(SUBMISSIONS)) $(if $(JOBS),--jobs $(JOBS))

demo: setup
	$(BIN)/course demo

test: setup
	$(BIN)/python -m pytest $(PYTEST_ARGS)

bench: setup
	$(BIN)/python bench/bench_dv.py

bench-grading: setup
	$(BIN)/python bench/bench_grading.py $(BENCH_ARGS)

tolerances: setup
	$(BIN)/python scripts/measure_tolerances.py

clean:
	rm -rf submitted feedback exchange gradebook.db grades.csv review.csv .review.lock .grading .grading.lock runs
	find autograded -mindepth 1 -maxdepth 1 -type d -exec rm -rf {} +
