#!/usr/bin/env bash
# Runs every fuzz target for a bounded time: bash fuzz/run.sh [seconds per target] [target ...]
# Each target starts from its committed corpus (fuzz/corpus/<target>, read
# only) and writes what it finds to target/fuzz-corpus/<target>. A crash or an
# invariant violation stops the run with a non-zero exit; the input is saved
# under fuzz/artifacts/<target>/ and printed here in base64.
set -euo pipefail
cd "$(dirname "$0")"
seconds=${1:-45}
shift || true
targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
  targets=(verify_token request create_token jwks flask_config)
fi

# cargo fuzz needs a nightly toolchain for its sanitizer flags; without one
# (or with FUZZ_STABLE=1), stable takes the same build with RUSTC_BOOTSTRAP
# and no sanitizer.
toolchain=(+nightly)
sanitizer=()
if [ -n "${FUZZ_STABLE:-}" ] || ! rustup run nightly rustc --version >/dev/null 2>&1; then
  echo "building the fuzz targets on stable without a sanitizer"
  toolchain=()
  sanitizer=(--sanitizer none)
  export RUSTC_BOOTSTRAP=1
fi
if ! command -v cargo-fuzz >/dev/null 2>&1; then
  cargo install cargo-fuzz --locked --quiet
fi

cargo "${toolchain[@]}" fuzz build "${sanitizer[@]}"
status=0
for target in "${targets[@]}"; do
  corpus=target/fuzz-corpus/$target
  mkdir -p "$corpus" "corpus/$target" "artifacts/$target"
  echo "== $target: ${seconds}s"
  if ! cargo "${toolchain[@]}" fuzz run "${sanitizer[@]}" "$target" "$corpus" "corpus/$target" -- \
    -max_total_time="$seconds" -print_final_stats=1 >"target/$target.log" 2>&1; then
    status=1
    grep -E "panicked|ERROR|SUMMARY|assert" "target/$target.log" | head -n 20 || true
    for crash in "artifacts/$target"/*; do
      [ -f "$crash" ] || continue
      echo "crashing input $crash (base64):"
      base64 -w0 "$crash"
      echo
    done
  fi
  grep -E "^(stat::number_of_executed_units|stat::average_exec_per_sec|stat::peak_rss_mb)|^Done|cov:" \
    "target/$target.log" | tail -n 4 || true
done
exit $status
