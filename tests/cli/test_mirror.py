"""`ol-notebook mirror` as a user runs it: mirror a lock, then deploy and invoke a lambda with
`--mirror DIR` and no index at all; requirements instead of a lock; the mistakes it names."""

import tomllib

from tests.localindex.catalogue import PLATFORM_TAGS
from tests.mirror.helpers import uv_lock

NO_INDEX = {"OL_NOTEBOOK_INDEX_URL": ""}
USES_ALPHA = "import alpha\nimport beta\n\ndef f(event):\n    return [alpha.__version__, beta.__version__]\n"


def test_mirror_a_lock_then_deploy_from_the_mirror_alone(run, tmp_path, local_index):
    lock = uv_lock(local_index.url, tmp_path / "locks", "alpha==2.0")
    done = run("mirror", "mir", "--lock", str(lock))
    root = (tmp_path / "mir").resolve()
    assert done.stdout == ""
    assert done.stderr == (f"wrote {root / 'pylock.toml'}\nmirrored 2 files of 2 projects into {root}: "
                           f"2 downloaded, 0 already there, 0 replaced; use it with --mirror {root}\n")
    relocked = tomllib.loads((root / "pylock.toml").read_text())
    assert all(wheel["path"].startswith("web/packages/") and "url" not in wheel
               for package in relocked["packages"] for wheel in package["wheels"])
    again = run("mirror", "mir", "--lock", str(lock))
    assert "0 downloaded, 2 already there, 0 replaced" in again.stderr
    (tmp_path / "handler.py").write_text(USES_ALPHA)
    run("--mirror", "mir", "deploy", "offline", "handler.py", "--requirements", "alpha==2.0", env=NO_INDEX)
    assert run("invoke", "offline", env=NO_INDEX).stdout == '["2.0", "1.5"]\n'
    missing = run("pull", "toolpkg", "--mirror", "mir", ok=False, env=NO_INDEX).stderr
    assert missing.startswith(f"error: package 'toolpkg' was not found on the mirror {root} (a bandersnatch ")
    assert f"add it with `ol-notebook mirror {root} --lock pylock.toml`" in missing


def test_mirror_requirements_compiled_on_the_configured_index_with_their_lock(run, tmp_path):
    """Requirements are locked as `ol-notebook lock` locks them, and the lock travels with the mirror."""
    done = run("mirror", "mir", "gamma[fast]", "sdistonly")
    root = (tmp_path / "mir").resolve()
    assert "mirrored 5 files of 5 projects" in done.stderr and f"wrote {root / 'pylock.toml'}" in done.stderr
    assert sorted(path.name for path in (root / "web" / "simple").iterdir() if path.is_dir()) == [
        "alpha", "beta", "delta", "gamma", "sdistonly"]
    text = (root / "pylock.toml").read_text()
    assert text.startswith("# Rewritten by `ol-notebook mirror` from the requirements gamma[fast] sdistonly:")
    relocked = tomllib.loads(text)
    assert relocked["tool"]["ol-notebook"]["requirements"] == ["gamma[fast]", "sdistonly"]
    packages = {package["name"]: package for package in relocked["packages"]}
    assert packages["gamma"]["tool"]["ol-notebook"]["import-names"] == ["gamma"]
    assert packages["sdistonly"]["sdist"]["path"].startswith("web/packages/")  # installed from its sdist
    assert all((root / file["path"]).is_file() for package in packages.values()
               for file in [*package.get("wheels", ()), package.get("sdist") or packages["alpha"]["wheels"][0]])
    # The lock installs on another machine from the mirror alone.
    run("--mirror", "mir", "pull", "--lock", "mir/pylock.toml", env={**NO_INDEX, "OL_NOTEBOOK_STORE": "store2"})


def test_only_the_runtimes_files_of_a_universal_lock(run, tmp_path, local_index):
    lock = uv_lock(local_index.url, tmp_path / "locks", "platpkg", "epsilon", universal=True)
    every = tomllib.loads(lock.read_text())
    done = run("mirror", "mir", "--lock", str(lock), "--only-runtime")
    root = (tmp_path / "mir").resolve()
    mirrored = sorted(path.name for path in (root / "web" / "packages").rglob("*") if path.is_file())
    assert mirrored == ["epsilon-1.0-py3-none-any.whl", "eta-1.0-py3-none-any.whl",
                        f"platpkg-1.0-{PLATFORM_TAGS['x86_64']}.whl"], done.stderr
    relocked = tomllib.loads((root / "pylock.toml").read_text())
    assert sorted(package["name"] for package in relocked["packages"]) == ["epsilon", "eta", "platpkg"]
    assert len(every["packages"]) > 3  # theta (win32 only) and platpkg's other wheels were left out
    (platpkg,) = [package for package in relocked["packages"] if package["name"] == "platpkg"]
    assert [wheel["name"] for wheel in platpkg["wheels"]] == [f"platpkg-1.0-{PLATFORM_TAGS['x86_64']}.whl"]
    with_requirements = run("mirror", "mir2", "alpha", "--only-runtime", ok=False).stderr
    assert with_requirements.startswith("error: --only-runtime chooses among a lock's files")


def test_mirror_mistakes_are_named(run, tmp_path):
    assert "nothing to mirror: give --lock pylock.toml" in run("mirror", "mir", ok=False).stderr
    lock = tmp_path / "pylock.toml"
    lock.write_text('lock-version = "1.0"\ncreated-by = "me"\npackages = []\n')
    both = run("mirror", "mir", "alpha", "--lock", str(lock), ok=False).stderr
    assert both == "error: give either --lock FILE... or requirements, not both: a lock already pins what to mirror\n"
    (tmp_path / "requirements.toml").write_text("")
    named = run("mirror", "mir", "--lock", "requirements.toml", ok=False).stderr
    assert named == "error: requirements.toml is not named like a PEP 751 lock: pylock.toml or pylock.NAME.toml\n"
    (tmp_path / "other").mkdir()
    (tmp_path / "other" / "pylock.toml").write_text(lock.read_text())
    twice = run("mirror", "mir", "--lock", str(lock), "--lock", "other/pylock.toml", ok=False).stderr
    assert twice.startswith("error: two locks named pylock.toml: each is rewritten as DIR/<its name>")
    assert not (tmp_path / "mir").exists()
    (tmp_path / "afile").write_text("")
    assert run("mirror", "afile", "--lock", str(lock), ok=False).stderr == (
        "error: cannot make the mirror directory afile: File exists\n")


def test_verify_names_each_file_changed_or_lost_since_it_was_mirrored(run, tmp_path, local_index):
    lock = uv_lock(local_index.url, tmp_path / "locks", "alpha==2.0", "delta")
    run("mirror", "mir", "--lock", str(lock))
    root = (tmp_path / "mir").resolve()
    assert run("mirror", "mir", "--verify").stdout == f"verified 3 files of {root}: 0 damaged\n"
    (alpha,) = root.rglob("alpha-2.0-*.whl")
    alpha.write_bytes(b"replaced")
    (delta,) = root.rglob("delta-1.0-*.whl")
    delta.unlink()
    lines = run("mirror", "mir", "--verify", ok=False).stdout.splitlines()
    assert lines[0].startswith(f"DAMAGED alpha alpha-2.0-py3-none-any.whl: {alpha} has sha256 ")
    assert lines[1] == f"DAMAGED delta delta-1.0-py3-none-any.whl: {delta} is missing"
    assert lines[2] == (f"verified 3 files of {root}: 2 damaged (mirror the locks they came from again to "
                        "replace them)")
    assert "give no --lock or requirements with it" in run("mirror", "mir", "alpha", "--verify", ok=False).stderr
    run("mirror", "mir", "--lock", str(lock))
    assert run("mirror", "mir", "--verify").stdout == f"verified 3 files of {root}: 0 damaged\n"
    assert "is not a mirror: it has no web/simple/" in run("mirror", "locks", "--verify", ok=False).stderr
