"""The pin list and environment.yml agree, and everything is pinned."""
import re

import yaml


def norm(name):
    return re.sub(r"[-_.]+", "-", name).lower()


def requirements(root):
    pins = {}
    for line in (root / "requirements.txt").read_text().splitlines():
        line = line.split("#")[0].strip()
        if line:
            m = re.fullmatch(r"([A-Za-z0-9_.\-]+)==([0-9][0-9A-Za-z.+\-]*)", line)
            assert m, f"requirements.txt: {line!r} is not pinned with =="
            pins[norm(m[1])] = m[2]
    return pins


def environment(root):
    env = yaml.safe_load((root / "environment.yml").read_text())
    pins = {}
    for dep in env["dependencies"]:
        if isinstance(dep, dict):
            for line in dep["pip"]:
                if line.startswith("-e "):
                    continue
                name, _, version = line.partition("==")
                assert version, f"environment.yml pip: {line!r} is not pinned with =="
                pins[norm(name)] = version
        elif dep == "pip" or dep.startswith("python="):
            continue
        else:
            name, _, version = dep.partition("=")
            assert version, f"environment.yml: {dep!r} is not pinned"
            pins[norm(name)] = version
    return pins


def test_requirements_and_environment_agree(root):
    req, env = requirements(root), environment(root)
    assert req == env, (
        f"only in requirements.txt: {sorted(set(req.items()) - set(env.items()))}; "
        f"only in environment.yml: {sorted(set(env.items()) - set(req.items()))}")


def test_torch_is_pinned_to_the_local_cpu_build(root):
    assert requirements(root)["torch"] == "2.13.0"


def test_installed_versions_match_the_pins(root):
    from importlib.metadata import version

    for name, pinned in requirements(root).items():
        got = version(name).split("+")[0]
        assert got == pinned, f"{name}: installed {got}, pinned {pinned}"


def test_nbformat_does_not_build_the_iri_parsers():
    """Every nbgrader command imports nbformat, and so jsonschema's format checkers.
    With rfc3987-syntax installed that import builds ~35 Earley parsers (5.4 s of CPU
    here, per process); the jsonschema pin keeps it out.  Checked in a fresh process."""
    import subprocess
    import sys

    code = "import sys, nbformat, jsonschema; print('rfc3987_syntax' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False", "nbformat imported rfc3987_syntax: check the jsonschema pin"
