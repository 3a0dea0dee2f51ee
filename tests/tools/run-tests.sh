#!/usr/bin/env bash
# run-tests.sh BIN_ROOT TIMEOUT_SCALE SUITES LABEL
#
# Runs the kit's Criterion tests whose suite matches the glob SUITES
# ('*' for all, 'lab03*' for one lab) against the programs under BIN_ROOT
# (build/ref, build/student, build/ref-tsan, ...), one test at a time (-j1:
# tests compare timings and watch /dev/shm, so they must not overlap).
# The run is wrapped in a PID namespace with a private /dev/shm where the
# system allows it (see below). When something fails it
# lists what, then repeats Criterion's synthesis line so that it is last.
set -u
shopt -s extglob # SUITES may be an extended glob: '!(grading*)'
root=$1 scale=$2 suites=$3 label=$4
bin=build/tests/kit-tests
mkdir -p build/tests
tap=$(mktemp build/tests/run.XXXXXX.tap)
log=$(mktemp build/tests/run.XXXXXX.log)
trap 'rm -f "$tap" "$log"' EXIT

export KIT_BIN_ROOT=$root KIT_TIMEOUT_SCALE=$scale

# Count the selected tests: Criterion runs none, and exits 0, for a filter
# that matches nothing, and that must not look like success.
selected=0 suite=""
while IFS= read -r line; do
    case $line in
        [!├└│\ ]*': '*' test'*) suite=${line%%:*} ;;
        # a test line: '├── name' in a UTF-8 locale, '|-- name' without one
        *'── '* | *'-- '*) [[ $suite == $suites ]] && selected=$((selected + 1)) ;;
    esac
done < <("$bin" --list 2>/dev/null)
if [ "$selected" -eq 0 ]; then
    echo "run-tests: no test suite matches '$suites' ($label)" >&2
    exit 1
fi

# Where the system allows it (root, or user namespaces): a PID namespace,
# so that nothing a program leaves behind outlives the run, with a private
# /dev/shm and /tmp (tests/tools/private-tmp.sh says why).
here=$(pwd -P)
keep=(-k "$here")
case $root in /*) keep+=(-k "$(cd "$root" 2>/dev/null && pwd -P)") ;; esac
sandbox=()
private=(unshare --pid --fork --kill-child --mount-proc bash tests/tools/private-tmp.sh "${keep[@]}" --)
if "${private[@]}" true 2>/dev/null; then
    sandbox=("${private[@]}")
elif unshare --pid --fork --kill-child --mount-proc true 2>/dev/null; then
    # bash, not the runner, as the namespace's init (see private-tmp.sh)
    sandbox=(unshare --pid --fork --kill-child --mount-proc bash -c '"$@"; exit $?' _)
fi

echo "Running $selected tests: $label"
"${sandbox[@]}" "$bin" -j1 --short-filename --filter="$suites/*" --tap="$tap" 2>&1 | tee "$log"
status=${PIPESTATUS[0]}
# Tests left out by the filter are reported as "ok ... # SKIP": drop them.
[ -n "${KIT_TAP_OUT:-}" ] && grep -v "# SKIP" "$tap" >"$KIT_TAP_OUT"

# A runner that could not start (say, its socket was taken) reports no test
# at all: that is an error, never a pass.
ran=$(grep -v '# SKIP' "$tap" | grep -c -E '^(not )?ok ')
if [ "$ran" -eq 0 ]; then
    echo "run-tests: no test ran ($label): the test runner failed to start" >&2
    exit 1
fi
fail=$(grep -c '^not ok ' "$tap")
if [ "$fail" -gt 0 ] || [ "$status" -ne 0 ]; then
    echo
    echo "Still failing ($fail of $selected):"
    grep '^not ok ' "$tap" | sed -E 's/^not ok - ([^ ]+).*/  - \1/'
    echo "Each failure above says what was expected, what the program did, and"
    echo "a hint. Fix the first one, then run the same command again."
    grep '^\[====\] Synthesis' "$log" | tail -n 1
fi
[ "$status" -eq 0 ] && [ "$fail" -eq 0 ]
