#!/usr/bin/env bash
# The test command (README step 2): builds and runs every test project, then prints one summary line
# `N passed, N failed` (xunit's own summary is per project and worded differently).
set -uo pipefail
cd "$(dirname "$0")/.."
results="${EDGE_TEST_RESULTS:-$(mktemp -d)}"
rm -rf "$results"; mkdir -p "$results"
# CPU training in tests is several times faster with huge-page malloc (read only at process start).
export GLIBC_TUNABLES="${GLIBC_TUNABLES:-glibc.malloc.hugetlb=1}"
dotnet build Edge.sln --nologo --verbosity quiet -clp:ErrorsOnly
build=$?
if [ $build -ne 0 ]; then
  echo "build failed"
  echo "0 passed, 1 failed"
  exit 1
fi
dotnet test Edge.sln --no-build --nologo --logger "trx" --results-directory "$results" "$@"
status=$?
# End-to-end checks, one counted result each (EDGE_E2E=0 skips them): the whole pipeline on teachers of other specs
# than the default and an RGB JPEG image folder (issue #13), on a small subset.
e2e_passed=0; e2e_failed=0
if [ "${EDGE_E2E:-1}" != 0 ]; then
  e2e_log="$results/any-teacher.log"
  if bash scripts/any-teacher.sh --ci --out "$results/any-teacher" > "$e2e_log" 2>&1; then
    e2e_passed=1; echo "end to end: scripts/any-teacher.sh --ci passed"
  else
    e2e_failed=1; status=1; echo "end to end: scripts/any-teacher.sh --ci FAILED; its last lines:"; tail -20 "$e2e_log"
  fi
fi
python3 - "$results" "$status" "$e2e_passed" "$e2e_failed" <<'PY'
import glob, sys, xml.etree.ElementTree as ET
passed, failed = int(sys.argv[3]), int(sys.argv[4])
files = glob.glob(sys.argv[1] + "/**/*.trx", recursive=True)
for f in files:
    counters = ET.parse(f).getroot().find(".//{*}Counters")
    passed += int(counters.get("passed", 0))
    failed += int(counters.get("failed", 0)) + int(counters.get("error", 0)) + int(counters.get("timeout", 0)) + int(counters.get("aborted", 0))
if int(sys.argv[2]) != 0 and failed == 0:
    failed = 1  # a test host crashed or a project did not report: never print a clean line for a failed run
print(f"{passed} passed, {failed} failed")
PY
exit $status
