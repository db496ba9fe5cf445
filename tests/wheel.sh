#!/usr/bin/env bash
# The two ways to install dask-pbs without a Rust toolchain where it runs, tested as the README
# writes them (tests/run.sh runs this after `cargo test`):
#   1. the wheel: built once with maturin, installed with pip into a fresh venv whose PATH has
#      no cargo; its `dask-pbs` must print what the cargo build prints, byte for byte;
#   2. the static binary: one file copied to a login node; it must make no NSS lookup (user,
#      group or host), since a static glibc binary would load the *build* machine's NSS modules
#      for one — strace shows every file it opens.
# The README's install blocks (marked `<!-- tests/wheel.sh: NAME -->`) run verbatim.
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$PWD
state=$repo/.e2e/wheel
rm -rf "$state"
mkdir -p "$state"

say() { printf 'tests/wheel.sh: %s\n' "$*"; }
fail() { say "FAIL: $*" >&2; exit 1; }

# The fenced block after the marker `<!-- tests/wheel.sh: NAME -->` in README.md.
readme_block() {
  awk -v marker="<!-- tests/wheel.sh: $1 -->" '
    $0 == marker { armed = 1; next }
    armed && /^```/ { if (inside) exit; inside = 1; next }
    inside { print }
  ' README.md
}

# --- Build: the release binary (reused by maturin, which builds the same target and flags).
cargo build --release --locked --quiet
host=$(rustc -vV | sed -n 's/^host: //p')
built=$repo/target/$host/release/dask-pbs
[[ -x $built ]] || fail "no release binary at $built"

maturin_venv=$repo/.e2e/maturin-venv
if [[ ! -x $maturin_venv/bin/maturin ]]; then
  python3 -m venv "$maturin_venv"
  "$maturin_venv/bin/pip" install -q --disable-pip-version-check 'maturin==1.16.0'
fi
"$maturin_venv/bin/maturin" build --release --locked --quiet -o "$state/dist" 2>&1 |
  grep -v '^\s*Compiling\|^\s*Finished' || true
wheels=("$state"/dist/dask_pbs-*.whl)
if (( ${#wheels[@]} != 1 )) || [[ ! -f ${wheels[0]} ]]; then
  fail "expected one wheel in $state/dist"
fi
wheel=${wheels[0]}

# --- The wheel's tags and metadata, printed and checked against Cargo.toml.
version=$(sed -n 's/^version = "\(.*\)"/\1/p' Cargo.toml | head -n 1)
python3 - "$wheel" "$version" <<'PY'
import sys, zipfile, email.parser
wheel, version = sys.argv[1], sys.argv[2]
with zipfile.ZipFile(wheel) as z:
    info = f"dask_pbs-{version}.dist-info/"
    tags = [l.split(": ", 1)[1] for l in z.read(info + "WHEEL").decode().splitlines() if l.startswith("Tag: ")]
    meta = email.parser.Parser().parsestr(z.read(info + "METADATA").decode())
    names = z.namelist()
print("tests/wheel.sh: wheel", wheel.rsplit("/", 1)[-1])
print("tests/wheel.sh: tags", ", ".join(tags))
for key in ("Name", "Version", "Summary", "License", "Requires-Python", "Description-Content-Type"):
    print(f"tests/wheel.sh: {key}: {meta[key]}")
problems = []
if not tags or not all(t.startswith("py3-none-manylinux") and t.endswith("_x86_64") for t in tags):
    problems.append(f"tags {tags} are not py3-none-manylinux_*_x86_64")
if meta["Name"] != "dask-pbs" or meta["Version"] != version:
    problems.append(f"name/version {meta['Name']} {meta['Version']} != dask-pbs {version}")
if meta["License"] != "MIT OR Apache-2.0":
    problems.append(f"licence {meta['License']!r}")
if "# dask-pbs" not in meta.get_payload():
    problems.append("the README is not the long description")
if f"dask_pbs-{version}.data/scripts/dask-pbs" not in names:
    problems.append("the wheel carries no dask-pbs executable")
for module in ("__init__", "__main__", "_adapt", "_binary", "_keywords", "_progress", "cluster"):
    if f"dask_pbs/{module}.py" not in names:
        problems.append(f"the wheel carries no dask_pbs/{module}.py")
if problems:
    sys.exit("tests/wheel.sh: FAIL: " + "; ".join(problems))
PY

# --- A user's machine: a fresh venv, no cargo or rustc on PATH, an empty HOME.
home=$state/home
mkdir -p "$home"
cp "$wheel" "$home/"
user_path="/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
python=$(command -v python3)
run_as_user() {
  env -i HOME="$home" PATH="$user_path" LANG=C.UTF-8 bash -euo pipefail -c "$1"
}
run_as_user 'command -v cargo rustc' >/dev/null 2>&1 && fail "cargo is on the user's PATH ($user_path)"
# The system python3 may be a pyenv shim under /root; the venv is made with the real one.
"$python" -m venv "$home/dask-env"
say "installing the wheel as the README says"
run_as_user "cd ~ && source ~/dask-env/bin/activate && $(readme_block wheel)" >"$state/install.log" 2>&1 ||
  { cat "$state/install.log" >&2; fail "the README's wheel install failed"; }
venv_bin=$home/dask-env/bin
[[ -x $venv_bin/dask-pbs ]] || fail "pip put no dask-pbs into $venv_bin"

# --- Same output as the cargo build.
compare() {
  local what=$1; shift
  diff <("$built" "$@") <(run_as_user "source ~/dask-env/bin/activate && $what $(printf '%q ' "$@")") >"$state/diff" ||
    { cat "$state/diff" >&2; fail "'$what $*' from the wheel differs from the cargo build"; }
}
gen_args=(gen --profile sophia --account demo --env /home/demo/envs/rapids-25.06)
compare dask-pbs --version
compare dask-pbs "${gen_args[@]}"
compare dask-pbs gen conda --profile sophia --env /home/demo/envs/rapids-25.06
compare dask-pbs completions bash
compare dask-pbs man
compare "python -m dask_pbs" "${gen_args[@]}"
say "the wheel's dask-pbs prints what the cargo build prints (--version, gen job and conda, completions, man, python -m)"

# --- The Python package from the wheel, in an environment without Dask: it imports without
# Dask's distributed, finds the binary installed beside it, and says what PBSCluster needs.
run_as_user 'source ~/dask-env/bin/activate && python - <<"PY"
import sys
import dask_pbs
assert "distributed" not in sys.modules, "import dask_pbs imported distributed"
assert dask_pbs.list_clusters() == [], dask_pbs.list_clusters()
try:
    dask_pbs.PBSCluster
except ImportError as e:
    assert "pip install" in str(e) and "distributed" in str(e), e
else:
    raise AssertionError("PBSCluster without distributed")
PY' || fail "the wheel's Python package does not work"
say "the wheel's Python package imports without Dask, runs its dask-pbs (list_clusters) and says what PBSCluster needs"

# --- The static binary, copied as the README says, run from a bare PATH.
say "copying the static binary as the README says"
run_as_user "cd $(printf '%q' "$repo") && $(readme_block static-copy)" ||
  fail "the README's static-binary copy failed"
copied=$home/bin/dask-pbs
[[ -x $copied ]] || fail "the README's copy step left no ~/bin/dask-pbs"
file "$copied" | grep -q 'static' || fail "$copied is not statically linked: $(file "$copied")"
diff <("$built" "${gen_args[@]}") <(run_as_user "\$HOME/bin/dask-pbs $(printf '%q ' "${gen_args[@]}")") >/dev/null ||
  fail "the copied binary renders something else"

# --- No NSS lookup: the files and sockets every command opens.
if command -v strace >/dev/null 2>&1; then
  nss_report=$state/strace.txt
  : >"$nss_report"
  printf 'jobqueue:\n  pbs:\n    cores: 4\n    memory: 8GiB\n    queue: batch\n' >"$state/jobqueue.yaml"
  for args in "gen --profile sophia -A demo --env /e" "gen all --profile polaris -A demo --env /e --out-dir $state/all" \
    "check --profile casper -A demo --env /e" "explain --profile derecho -A demo" "profiles list" \
    "submit --profile pbs-cpu --env /e --dry-run" "import-jobqueue $state/jobqueue.yaml"; do
    # shellcheck disable=SC2086  # the words of one command
    env -i HOME="$home" PATH="$user_path" strace -f -qq -e trace=open,openat,connect,socket \
      -o "$state/one.txt" "$copied" $args >/dev/null 2>&1 || true
    sed "s|^|[$args] |" "$state/one.txt" >>"$nss_report"
  done
  if grep -E 'nsswitch|/etc/(passwd|group|hosts|host\.conf|resolv\.conf)|libnss_|socket\(' "$nss_report"; then
    fail "dask-pbs looked up a user, group or host (above): a static glibc binary must not"
  fi
  say "no NSS lookups: $(grep -c 'open' "$nss_report") file opens over 7 commands, none of nsswitch, passwd, group, hosts, libnss_*, no socket"
else
  [[ ${CI:-} == true ]] && fail "strace is missing (tests/run.sh installs it)"
  say "SKIPPED the NSS check: strace is not installed"
  if [[ -n ${DASK_PBS_TEST_SKIPS:-} ]]; then
    echo "tests/wheel.sh NSS check: strace is not installed" >>"$DASK_PBS_TEST_SKIPS"
  fi
fi
say "ok"
