#!/usr/bin/env bash
# The whole test suite, from a fresh machine: installs what the tests run for real
# (OpenMPI, shellcheck, a Python venv with Dask), then lint, unit, snapshot, CLI and
# end-to-end tests. Usage: tests/run.sh   (from anywhere; the README's test command)
set -euo pipefail
cd "$(dirname "$0")/.."

# --- System packages: OpenMPI's mpiexec, shellcheck, strace, Python venv support, static glibc.
need=()
command -v mpiexec >/dev/null 2>&1 || need+=(openmpi-bin)
command -v shellcheck >/dev/null 2>&1 || need+=(shellcheck)
# tests/wheel.sh: strace proves the static binary makes no NSS lookup; file tells static.
command -v strace >/dev/null 2>&1 || need+=(strace)
command -v file >/dev/null 2>&1 || need+=(file)
python3 -c 'import venv, ensurepip' >/dev/null 2>&1 || need+=(python3-venv)
# tests/security.rs: the job makes its certificates with Python's cryptography when openssl
# fails, lent from the system's python3; a second Unix user (useradd, runuser) tries to join.
python3 -c 'import cryptography, cffi, _cffi_backend, pycparser' >/dev/null 2>&1 ||
  need+=(python3-cryptography python3-cffi)
command -v useradd >/dev/null 2>&1 || need+=(passwd)
# runuser; unshare (multi-node emulation); flock (tests/emulated_pbs/qsub).
command -v runuser >/dev/null 2>&1 && command -v unshare >/dev/null 2>&1 &&
  command -v flock >/dev/null 2>&1 || need+=(util-linux)
# The binaries link glibc statically (.cargo/config.toml): that needs libc.a.
[[ $(cc -print-file-name=libc.a 2>/dev/null) == /* ]] || need+=(libc6-dev)
if (( ${#need[@]} )); then
  echo "tests/run.sh: installing ${need[*]}"
  sudo=""
  if (( EUID != 0 )); then sudo="sudo"; fi
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${need[@]}" >/dev/null
fi

# --- Python: pinned Dask in a venv of the project's own (.e2e/ is git-ignored).
venv=.e2e/venv
if [[ ! -x $venv/bin/dask ]]; then
  echo "tests/run.sh: creating $venv with dask[distributed,array]"
  python3 -m venv "$venv"
  "$venv/bin/pip" install -q --disable-pip-version-check -r tests/requirements.txt
elif ! "$venv/bin/python" -c 'import dask_jobqueue' 2>/dev/null; then
  # tests/import.rs compares imports with dask-jobqueue's own job scripts.
  "$venv/bin/pip" install -q --disable-pip-version-check -r tests/requirements.txt
fi
export DASK_PBS_E2E_VENV=$PWD/$venv

# --- The Python package's tests (tests/notebook.rs) drive clusters from a venv of their own:
# a real Jupyter kernel (nbclient, ipykernel) and dask-labextension, whose bokeh must stay out
# of the jobs' venv above (it slows every scheduler's start).
notebook_venv=.e2e/notebook-venv
if ! "$notebook_venv/bin/python" -c 'import nbclient, ipykernel, nbformat, dask_labextension' 2>/dev/null; then
  echo "tests/run.sh: creating $notebook_venv with nbclient, ipykernel and dask-labextension"
  python3 -m venv "$notebook_venv"
  "$notebook_venv/bin/pip" install -q --disable-pip-version-check -r tests/requirements-notebook.txt
fi
export DASK_PBS_E2E_NOTEBOOK_VENV=$PWD/$notebook_venv

# --- Intel MPI (PyPI impi-rt, ~130 MB) in a prefix of its own, on PATH only in the tests that
# ask for it (its mpiexec must not shadow OpenMPI's for the others).
impi=.e2e/impi
if [[ ! -x $impi/bin/mpiexec ]]; then
  echo "tests/run.sh: installing Intel MPI (impi-rt) into $impi"
  "$venv/bin/pip" install -q --disable-pip-version-check --no-deps --prefix "$impi" impi-rt==2021.19.0
fi
export DASK_PBS_E2E_IMPI=$PWD/$impi

# --- MPICH (PyPI mpich, whose Hydra is the upstream of Intel MPI's) likewise in a prefix.
mpich=.e2e/mpich
if [[ ! -x $mpich/bin/mpiexec ]]; then
  echo "tests/run.sh: installing MPICH into $mpich"
  "$venv/bin/pip" install -q --disable-pip-version-check --no-deps --prefix "$mpich" mpich==5.0.2
fi
export DASK_PBS_E2E_MPICH=$PWD/$mpich

# --- Multi-node emulation (tests/e2e_support NODES): three node names with local addresses
# of their own (Hydra's proxies connect back to mpiexec by name), each node's processes in a
# UTS namespace of that name (unshare, as root).
if ! getent hosts e2e-node-3 >/dev/null; then
  echo "tests/run.sh: adding the emulated nodes e2e-node-1..3 to /etc/hosts"
  nodes=$'127.0.1.11 e2e-node-1\n127.0.1.12 e2e-node-2\n127.0.1.13 e2e-node-3'
  if (( EUID == 0 )); then
    printf '\n%s\n' "$nodes" >>/etc/hosts
  else
    printf '\n%s\n' "$nodes" | sudo tee -a /etc/hosts >/dev/null
  fi
fi

# --- Tests that skip: a test whose prerequisite is missing fails in CI (CI=true); elsewhere
# it skips and lists itself here (tests/common's `skip`), printed at the end.
export DASK_PBS_TEST_SKIPS=$PWD/target/skipped-tests.txt
mkdir -p target
: >"$DASK_PBS_TEST_SKIPS"
print_skips() {
  local n
  n=$(sort -u "$DASK_PBS_TEST_SKIPS" | grep -c . || true)
  if ((n == 0)); then
    echo "tests/run.sh: no test skipped"
  else
    echo "tests/run.sh: $n test(s) skipped for a missing prerequisite (in CI they fail):"
    sort -u "$DASK_PBS_TEST_SKIPS" | sed 's/^/  /'
  fi
}
trap print_skips EXIT

# --- Rust: warnings are errors.
cargo fmt --all -- --check
cargo clippy --all-targets --locked -- -D warnings
cargo test --locked

# --- Install without Rust: the wheel (maturin) and the static binary, as the README says.
tests/wheel.sh
