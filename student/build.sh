#!/bin/sh
# Build the student install into DEST (default build/mi-course-student):
# release/ (as nbgrader generated it), requirements.txt (the pins), README.md,
# and the helpers wheel.  PYTHON must have pip and setuptools (the course's .venv).
#   student/build.sh [DEST] [PYTHON]
set -eu
cd "$(dirname "$0")/.."
DEST=${1:-build/mi-course-student}
PYTHON=${2:-.venv/bin/python}
rm -rf "$DEST"
mkdir -p "$DEST"
cp -r release "$DEST/release"
cp student/requirements.txt student/README.md "$DEST/"
# setuptools builds in student/build and in build/ next to helpers/: scratch, removed
"$PYTHON" -m pip wheel -q --no-deps --no-build-isolation -w "$DEST" ./student
rm -rf student/build student/*.egg-info mi_course_student.egg-info build/lib build/bdist.*
