#!/usr/bin/env bash
# run-tests.sh BIN_ROOT TIMEOUT_SCALE SUITES LABEL
#
# Runs the kit's Criterion tests whose suite matches the glob SUITES
# ('*' for all, 'lab03*' for one lab) against the programs under BIN_ROOT
# (build/ref, build/student, build/ref-tsan, ...), one test at a time (-j1:
# tests compare timings and watch /dev/shm, so they must not overlap in
# one sandbox). The run is wrapped in a PID namespace with a private
# /dev/shm where the system allows it (see below); in the student's mode
# (KIT_ORDERED) each test gets a sandbox of its own. When something fails it
# lists what, then repeats Criterion's synthesis line so that it is last.
#
# Environment:
#   KIT_ONLY=PATTERN  only the tests matching PATTERN (make ... T=PATTERN):
#                     a test name or part of one (a glob; 'suite::name' or
#                     'suite/name' to name the suite too)
#   KIT_ORDERED=1     the student's mode (make check): the tests run one
#                     Criterion run each, each in a sandbox of its own,
#                     KIT_CHECK_JOBS at a time (default 2; 1 in TIMED_LABS),
#                     reported in the order they are written in
#                     tests/NN-name.c (the handout's order; Criterion's own
#                     order is alphabetical), with a line per test; then the
#                     first failure in that order with its full message, the
#                     others one line each, each with the command that runs
#                     it alone; a passing run ends with the lab's points
#   KIT_RERUN=CMD     that command without its T= (default: make check)
#   KIT_LAB=NN-name   the lab, for its points, its next step, and which
#                     TODOs the first failure points at (tests/tools/todos.sh)
#   KIT_FROM_LAB=1    make check was typed in the lab folder: reproduction
#                     commands are given from there
#   KIT_RESULTS=DIR   keep this run's results in DIR/NN-name.txt (a line
#                     per test: ok|FAIL suite::test seconds; a T= run
#                     updates its tests' lines) and each failure's message
#                     in DIR/NN-name.logs/, for make hint and make progress
#   KIT_TAP_OUT=FILE  keep the TAP report (without skipped tests) there
#   KIT_FAIL_FAST=1   stop at the first failing test (make mutants: one
#                     failure is all it needs to know)
set -u
shopt -s extglob # SUITES may be an extended glob: '!(grading*)'
root=$1 scale=$2 suites=$3 label=$4
bin=build/tests/kit-tests
mkdir -p build/tests
tap=$(mktemp build/tests/run.XXXXXX.tap)
log=$(mktemp build/tests/run.XXXXXX.log)
each=$(mktemp -d build/tests/run.XXXXXX.each)
trap 'rm -rf "$tap" "$log" "$each"' EXIT

export KIT_BIN_ROOT=$root KIT_TIMEOUT_SCALE=$scale

# The test filter: suite glob, and test-name glob from KIT_ONLY.
only=${KIT_ONLY:-}
only=${only//::/\/}
tests_glob="*$only*"
# matches SUITE NAME: is suite/name selected?
matches() {
    [[ $1 == $suites ]] && [[ $1/$2 == $tests_glob ]]
}

# The selected tests, "suite/name" a line: Criterion runs none, and exits
# 0, for a filter that matches nothing, and that must not look like
# success.
selected=() in_suites=()
suite=""
while IFS= read -r line; do
    case $line in
        [!├└│\ ]*': '*' test'*) suite=${line%%:*} ;;
        # a test line: '├── name' in a UTF-8 locale, '|-- name' without one
        *'── '* | *'-- '*)
            name=${line##*[─-] }
            [[ $suite == $suites ]] && in_suites+=("  $suite::$name")
            matches "$suite" "$name" && selected+=("$suite/$name") ;;
    esac
done < <("$bin" --list 2>/dev/null)
if [ ${#selected[@]} -eq 0 ]; then
    echo "run-tests: no test matches '$suites'${only:+ and T='${KIT_ONLY}'} ($label)" >&2
    if [ -n "$only" ] && [ ${#in_suites[@]} -gt 0 ]; then
        echo "The tests there (T= takes a name, a part of one, or a glob):" >&2
        printf '%s\n' "${in_suites[@]}" >&2
    fi
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

if [ -z "${KIT_ORDERED:-}" ]; then
    echo "Running ${#selected[@]} tests: $label"
    if [ -n "$only" ]; then
        filter=$(IFS='|'; echo "@(${selected[*]})")
    else
        filter="$suites/*"
    fi
    fast=()
    [ -n "${KIT_FAIL_FAST:-}" ] && fast=(--fail-fast)
    "${sandbox[@]}" "$bin" -j1 "${fast[@]}" --short-filename --filter="$filter" --tap="$tap" 2>&1 | tee "$log"
    status=${PIPESTATUS[0]}
    # Tests left out by the filter are reported as "ok ... # SKIP": drop them.
    [ -n "${KIT_TAP_OUT:-}" ] && grep -v "# SKIP" "$tap" >"$KIT_TAP_OUT"

    # A runner that could not start (say, its socket was taken) reports no
    # test at all: that is an error, never a pass.
    ran=$(grep -v '# SKIP' "$tap" | grep -c -E '^(not )?ok ')
    if [ "$ran" -eq 0 ]; then
        echo "run-tests: no test ran ($label): the test runner failed to start" >&2
        exit 1
    fi
    fail=$(grep -c '^not ok ' "$tap")
    if [ "$fail" -gt 0 ] || [ "$status" -ne 0 ]; then
        echo
        echo "Still failing ($fail of ${#selected[@]}):"
        grep '^not ok ' "$tap" | sed -E 's/^not ok - ([^ ]+).*/  - \1/'
        echo "Each failure above says what was expected, what the program did, and"
        echo "a hint."
        grep '^\[====\] Synthesis' "$log" | tail -n 1
    fi
    [ "$status" -eq 0 ] && [ "$fail" -eq 0 ]
    exit
fi

# ---- the student's mode: the handout's order, one test at a time ----------

# The order the tests are written in their files (tests/NN-name.c, files in
# name order), then any the files do not show plainly, as listed.
mapfile -t written < <(sed -n -E 's/^[[:space:]]*(Parameterized)?Test\([[:space:]]*([A-Za-z0-9_]+)[[:space:]]*,[[:space:]]*([A-Za-z0-9_]+).*/\2\/\3/p' tests/*.c)
declare -A is_selected=() placed=()
for t in "${selected[@]}"; do is_selected[$t]=1; done
order=()
for t in "${written[@]}" "${selected[@]}"; do
    [ -n "${is_selected[$t]:-}" ] && [ -z "${placed[$t]:-}" ] && { order+=("$t"); placed[$t]=1; }
done

rerun=${KIT_RERUN:-make check}
began=$(date +%s)
# KIT_CHECK_JOBS tests at a time (default 2): most tests wait on their
# programs. Each test runs in a sandbox of its own (its own PID namespace,
# /dev/shm and /tmp), so two side by side cannot see each other's processes
# or shared-memory objects. One at a time in the labs whose tests compare
# timings of CPU-bound work (TIMED_LABS, default none), and where there
# is no sandbox.
jobs=${KIT_CHECK_JOBS:-2}
case $jobs in '' | *[!0-9]* | 0) echo "run-tests: KIT_CHECK_JOBS must be a number >= 1" >&2; exit 2 ;; esac
lab_num=${KIT_LAB:-none}
case " ${TIMED_LABS-} " in *" ${lab_num%%-*} "*) jobs=1 ;; esac
[ ${#sandbox[@]} -eq 0 ] && jobs=1
echo "Running ${#order[@]} tests in the handout's order: $label"

# run_one I TEST: one Criterion run of TEST in a sandbox of its own; its
# programs write how they were run to I.repro (KIT_REPRO_LOG,
# tests/harness/run.h).
run_one() {
    local i=$1 t=$2 start
    start=$(date +%s%N)
    KIT_REPRO_LOG="$each/$i.repro" "${sandbox[@]}" "$bin" -j1 --short-filename --filter="$t" \
        --tap="$each/$i.tap" >"$each/$i.log" 2>&1
    echo $? >"$each/$i.status"
    echo $((($(date +%s%N) - start) / 1000000)) >"$each/$i.ms.tmp" && mv "$each/$i.ms.tmp" "$each/$i.ms"
}
# say I TEST: its line, once it has ended.
say() {
    local i=$1 t=$2 ms word=ok
    ms=$(cat "$each/$i.ms")
    if grep -q "^not ok " "$each/$i.tap" 2>/dev/null || ! grep -q "^ok " "$each/$i.tap" 2>/dev/null; then
        word=FAIL
    fi
    printf "  %-4s  %s (%d.%d s)\n" "$word" "${t/\//::}" $((ms / 1000)) $((ms % 1000 / 100))
}
trap 'kill $(jobs -p) 2>/dev/null; rm -rf "$tap" "$log" "$each"; exit 130' INT TERM
next=0 printed=0 running=0
while [ "$printed" -lt ${#order[@]} ]; do
    while [ "$running" -lt "$jobs" ] && [ "$next" -lt ${#order[@]} ]; do
        run_one $((next + 1)) "${order[$next]}" &
        next=$((next + 1)) running=$((running + 1))
    done
    if [ "$running" -gt 0 ]; then
        wait -n
        running=$((running - 1))
    fi
    # every job has ended: a test that left no time was killed
    if [ "$running" -eq 0 ] && [ "$next" -eq ${#order[@]} ]; then
        for ((k = printed + 1; k <= next; k++)); do [ -e "$each/$k.ms" ] || echo 0 >"$each/$k.ms"; done
    fi
    # a line per test as soon as it and those before it have ended
    while [ "$printed" -lt "$next" ] && [ -e "$each/$((printed + 1)).ms" ]; do
        say $((printed + 1)) "${order[$printed]}"
        printed=$((printed + 1))
    done
done
wait

# Gather: which failed, in order.
failed=() passed=() passed_names=() crashed=0
i=0
for t in "${order[@]}"; do
    i=$((i + 1))
    cat "$each/$i.tap" >>"$tap" 2>/dev/null
    if grep -q "^ok " "$each/$i.tap" 2>/dev/null && ! grep -q "^not ok " "$each/$i.tap"; then
        passed+=("$t")
        passed_names+=("${t/\//::}")
    else
        failed+=("$i:$t")
        # Criterion's own marks, not a message that says "crashed"
        grep -q -E '^\[FAIL\] .*: CRASH|Unexpected signal caught below' "$each/$i.log" && crashed=$((crashed + 1))
    fi
done
[ -n "${KIT_TAP_OUT:-}" ] && grep -v "# SKIP" "$tap" >"$KIT_TAP_OUT"

# KIT_RESULTS: this run's results, merged into what the last runs left
# (a T= run replaces only its own tests' lines), in the handout's order.
save_results() {
    local dir=$KIT_RESULTS file line t n
    mkdir -p "$dir/$KIT_LAB.logs" || return 0
    file=$dir/$KIT_LAB.txt
    declare -A line=()
    if [ -f "$file" ] && [ -n "$only" ]; then
        while read -r st name secs; do
            case $st in ok | FAIL) line[$name]="$st $name $secs" ;; esac
        done <"$file"
    fi
    n=0
    for t in "${order[@]}"; do
        n=$((n + 1))
        local name=${t/\//::} ms st=FAIL
        ms=$(cat "$each/$n.ms" 2>/dev/null || echo 0)
        rm -f "$dir/$KIT_LAB.logs/$name.log" "$dir/$KIT_LAB.logs/$name.repro"
        case " ${passed_names[*]} " in
            *" $name "*) st=ok ;;
            *) cp "$each/$n.log" "$dir/$KIT_LAB.logs/$name.log" 2>/dev/null
               cp "$each/$n.repro" "$dir/$KIT_LAB.logs/$name.repro" 2>/dev/null ;;
        esac
        line[$name]="$st $name $((ms / 1000)).$((ms % 1000 / 100))"
    done
    {
        echo "# make check of $KIT_LAB, $(date '+%Y-%m-%d %H:%M')${only:+ (T=$KIT_ONLY; other lines from earlier runs)}"
        for t in "${written[@]}"; do
            [[ ${t%%/*} == $suites ]] || continue
            [ -n "${line[${t/\//::}]:-}" ] && echo "${line[${t/\//::}]}"
        done
    } >"$file.new" && mv "$file.new" "$file"
}
[ -n "${KIT_RESULTS:-}" ] && [ -n "${KIT_LAB:-}" ] && save_results

# The points of the tests that pass, from the lab's rubric.
points() {
    local rubric got=0 max=0 key pts t
    rubric=$(ls tests/rubric/"${KIT_LAB:-none}".txt 2>/dev/null) || return 1
    declare -A pass=()
    for t in "${passed[@]}"; do pass[${t/\//::}]=1; done
    while read -r key pts; do
        case $key in '#'* | '') continue ;; esac
        max=$((max + pts))
        [ -n "${pass[$key]:-}" ] && got=$((got + pts))
    done <"$rubric"
    echo "$got/$max"
}

alone() { printf '%s T=%q\n' "$rerun" "${1/\//::}"; }
# A command from the kit's top folder, as it is pasted where make check was typed.
from_here() { if [ -n "${KIT_FROM_LAB:-}" ]; then echo "(cd ../.. && $1)"; else echo "$1"; fi; }

# Where to look for the first failure: its TODOs, most likely first,
# without those a passing test shows working (tests/tools/todos.sh).
where_to_look() {
    local test=$1 log=$2 t loc list=() gone=()
    source tests/tools/todos.sh
    local mode=look
    while read -r t rest; do
        [ "$t" = "--" ] && { mode=gone; continue; }
        [ -n "$t" ] || continue
        loc=$(todos_where_in "$KIT_LAB" "$t")
        if [ $mode = look ]; then list+=("TODO($t)${loc:+ ($loc)}"); else gone+=("TODO($t): ${rest} passes"); fi
    done < <(todos_where "$KIT_LAB" "$test" "$log" "${passed_names[@]}")
    [ ${#list[@]} -gt 0 ] || return 0
    if todos_is_hang "$log"; then
        echo "It hung: a waiter never woken, or a wait for something that never comes."
    fi
    echo "Where to look, most likely first:"
    printf '  %s\n' "${list[@]}"
    if [ ${#gone[@]} -gt 0 ]; then
        echo "Not these, which tests that pass show working:"
        printf '  %s\n' "${gone[@]}"
    fi
}

if [ ${#failed[@]} -gt 0 ]; then
    first=${failed[0]} n=${failed[0]%%:*}
    t=${first#*:}
    echo
    echo "First failure, in the handout's order: ${t/\//::}"
    echo "------------------------------------------------------------------"
    grep -v -E '^\[====\] Synthesis' "$each/$n.log"
    echo "------------------------------------------------------------------"
    [ -n "${KIT_LAB:-}" ] && where_to_look "${t/\//::}" "$each/$n.log"
    if [ -s "$each/$n.repro" ]; then
        echo "The program as the test last ran it (paste it to run it yourself):"
        echo "  $(from_here "$(tail -n 1 "$each/$n.repro")")"
    fi
    echo "Run it alone: $(alone "$t")"
    [ -n "${KIT_LAB:-}" ] && [ -z "${KIT_SANITIZER:-}${KIT_VALGRIND:-}" ] &&
        echo "Stuck? make hint gives a hint for this, one level more each time."
    if [ ${#failed[@]} -gt 1 ]; then
        echo
        echo "Also failing (fix the first one first: later tests often need it):"
        for f in "${failed[@]:1}"; do
            n=${f%%:*} t=${f#*:}
            msg=$(grep -m1 -E '^\[----\]   [^ ]' "$each/$n.log" | sed -E 's/^\[----\] +//' | cut -c1-100)
            echo "  - ${t/\//::}: ${msg:-see its message}"
            echo "      alone: $(alone "$t")"
        done
    fi
fi
if pts=$(points); then
    echo
    if [ -n "$only" ]; then
        echo "Points of the tests run: ${pts%/*} (the lab's total: ${pts#*/}; make check without T= runs every test)"
    else
        echo "Points so far: $pts (tests/rubric/${KIT_LAB}.txt)"
    fi
fi
if [ ${#failed[@]} -eq 0 ] && [ -n "${KIT_LAB:-}" ] && [ -z "$only" ]; then
    next=$(ls -d labs/[0-9][0-9]-* 2>/dev/null | awk -v me="labs/$KIT_LAB" 'f { print; exit } $0 == me { f = 1 }')
    handout=labs/$KIT_LAB/README.md
    sections=$(grep -n -E '^## (Questions|Try)' "$handout" 2>/dev/null | sed -E 's/^([0-9]+):## (.*)/\2 (line \1)/' | paste -sd';' | sed 's/;/, /g')
    echo "Every test of lab $KIT_LAB passes. What is left in the handout ($handout):"
    echo "  ${sections:-its Questions and Try sections}: answer the questions, do the tries."
    echo "Then${next:+ go on to $next/README.md, or} see the whole course with make progress."
fi
secs=$(($(date +%s) - began))
printf '[====] Synthesis: Tested: %d | Passing: %d | Failing: %d | Crashing: %d (%d min %02d s)\n' \
    ${#order[@]} ${#passed[@]} $((${#failed[@]} - crashed)) "$crashed" $((secs / 60)) $((secs % 60))
[ ${#failed[@]} -eq 0 ]
