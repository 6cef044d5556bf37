#!/usr/bin/env bash
# The whole test suite in the environments pyproject.toml promises besides "everything newest":
#   lowest        every direct dependency at its lowest allowed version, on the oldest supported Python
#   pandas-X.Y    pandas at the newest patch of its lowest allowed minor release, everything else newest
#   newest-3.N    everything newest, on each other supported Python
# Usage: tools/test-envs.sh [NAME...]   (no name: all of them; a name may be a prefix: "newest")
# The venvs go in $SOTAY_ENVS (default: a temporary folder, removed at the end); uv installs.
# Exits 1 when the suite fails in any environment, 2 when one cannot be built.
set -uo pipefail
cd "$(dirname "$0")/.."

# The Pythons requires-python admits; each must be tested here (tests/test_kit.py checks they agree).
PYTHONS=(3.11 3.12 3.13)

wanted=("$@")
envs_dir=${SOTAY_ENVS:-}
if [[ -z $envs_dir ]]; then
  envs_dir=$(mktemp -d)
  trap 'rm -rf "$envs_dir"' EXIT
fi
if ! command -v uv >/dev/null 2>&1; then
  echo "installing uv" >&2
  python -m pip install -q uv || exit 2
fi

find_python() {  # an interpreter of version X.Y: on PATH, else one pyenv keeps
  local want=$1 candidate
  for candidate in "$(command -v "python$want")" "${PYENV_ROOT:-$HOME/.pyenv}"/versions/"$want".*/bin/python; do
    if [[ -x $candidate ]] &&
       "$candidate" -c "import sys; sys.exit('%d.%d' % sys.version_info[:2] != '$want')" 2>/dev/null; then
      echo "$candidate"
      return 0
    fi
  done
  return 1
}

pandas_lowest_minor() {  # "pandas>=2.2" in pyproject.toml -> "2.2"
  python - <<'EOF'
import re, tomllib
deps = tomllib.load(open("pyproject.toml", "rb"))["project"]["dependencies"]
spec = next(d for d in deps if re.match(r"pandas\s*[<>=~!]", d))
print(re.search(r">=\s*(\d+\.\d+)", spec).group(1))
EOF
}

results=()
failed=0
run_env() {  # NAME PYTHON [extra arguments for uv pip install...]
  local name=$1 version=$2 started=$SECONDS python venv
  shift 2
  if ((${#wanted[@]})); then
    local w match=0
    for w in "${wanted[@]}"; do [[ $name == "$w"* ]] && match=1; done
    ((match)) || return 0
  fi
  if ! python=$(find_python "$version"); then
    echo "== $name: NOT TESTED, no Python $version on this machine" >&2
    results+=("$name: not tested (no Python $version)")
    return 0
  fi
  venv=$envs_dir/$name
  echo "== $name: building the environment (Python $version, uv pip install '.[test]' $*)" >&2
  if ! uv venv -q --clear --seed --python "$python" "$venv" ||
     ! uv pip install -q --python "$venv/bin/python" '.[test]' "$@"; then
    results+=("$name: could not be built")
    failed=2
    return 0
  fi
  echo "== $name: $("$venv/bin/python" - <<'EOF'
import importlib.metadata as m, platform
names = ["pandas", "pyarrow", "numpy", "python-calamine", "openpyxl", "xlsxwriter", "python-docx", "jinja2",
         "babel", "rich", "typer", "click", "platformdirs", "vietnam-provinces", "orjson", "matplotlib",
         "pydantic", "tomlkit", "rapidfuzz", "pytest", "hypothesis"]
found = []
for n in names:
    try:
        found.append(f"{n} {m.version(n)}")
    except m.PackageNotFoundError:
        pass
print(f"Python {platform.python_version()}: " + ", ".join(found))
EOF
)"
  "$venv/bin/python" -m pytest -p no:cacheprovider
  local code=$?
  results+=("$name: pytest exit $code in $((SECONDS - started)) s (install and tests)")
  ((code)) && ((failed == 0)) && failed=1
  return 0
}

minor=$(pandas_lowest_minor) || exit 2
run_env lowest "${PYTHONS[0]}" --resolution lowest-direct
run_env "pandas-$minor" "${PYTHONS[0]}" "pandas>=$minor,<${minor%.*}.$((${minor#*.} + 1))"
for version in "${PYTHONS[@]:1}"; do
  run_env "newest-$version" "$version"
done

echo "== environments:" >&2
printf '   %s\n' "${results[@]}" >&2
exit $failed
