#!/usr/bin/env bash
# selftest-commands.sh - tests of the student's commands themselves
# (make check, T=, LAB=N, SAN=, the passing summary), on copies of lab 02:
# the reference with a known wrong answer applied (a father that does not
# wait: every test fails, and the first in file order is not the first
# in Criterion's alphabetical order), and the untouched reference. CI runs it.
set -u
cd "$(dirname "$0")/../.." || exit 1
exec </dev/null
lab=02-father-sons
mutant=tests/mutants/$lab/father-does-not-wait.patch
work=build/selftest
rm -rf "$work"
mkdir -p "$work/wrong" "$work/right"
cp -r "solutions/$lab" "$work/wrong/$lab"
cp -r "solutions/$lab" "$work/right/$lab"
(cd "$work/wrong" && patch -s -p0 <"../../../$mutant") || { echo "selftest: the mutant does not apply"; exit 1; }
bad=0
fail() { echo "  FAIL  $*"; bad=1; }
pass() { echo "  ok    $*"; }
check() { # check OUT ROOT ARGS...: make check on the tree ROOT, output to OUT
    local out=$1 root=$2
    shift 2
    make --no-print-directory check STUDENT_ROOT="$work/$root" STUDENT_OUT="$work/$root-bin" "$@" >"$out" 2>&1
}

# 1. A wrong answer: LAB=2 (one digit) is accepted, the run fails, the first
# failure shown is the first failing test in the order of tests/02-*.c.
check "$work/wrong.out" wrong LAB=2
status=$?
[ $status -ne 0 ] && pass "make check LAB=2 on a wrong answer exits non-zero" ||
    fail "make check LAB=2 on a wrong answer exited 0 ($work/wrong.out)"
mapfile -t failing < <(sed -n -E 's/^  FAIL +([^ ]+) .*/\1/p' "$work/wrong.out")
mapfile -t written < <(sed -n -E 's/^[[:space:]]*Test\(([a-z0-9_]+), *([a-z0-9_]+).*/\1::\2/p' tests/$lab.c)
ran=$(sed -n -E 's/^  (ok|FAIL) +([^ ]+) .*/\2/p' "$work/wrong.out" | paste -sd' ')
[ "$ran" = "$(printf '%s\n' "${written[@]}" | paste -sd' ')" ] &&
    pass "the tests ran in the order they are written (${#written[@]})" ||
    fail "the tests did not run in the file's order: $ran"
[ ${#failing[@]} -ge 2 ] && pass "the mutant fails ${#failing[@]} tests" ||
    fail "the mutant should fail at least 2 tests, failed: ${failing[*]}"
shown=$(sed -n -E "s/^First failure, in the handout's order: (.*)/\1/p" "$work/wrong.out")
[ -n "$shown" ] && [ "$shown" = "${failing[0]:-}" ] &&
    pass "the first failure shown is the first in file order ($shown)" ||
    fail "first failure shown '$shown', the first in file order is '${failing[0]:-}'"
grep -q "^Run it alone: make check LAB=02 T=$shown\$" "$work/wrong.out" &&
    pass "its rerun command is given" || fail "no 'Run it alone' line for $shown"
for t in "${failing[@]:1}"; do
    grep -q "^  - $t: " "$work/wrong.out" && pass "a later failure has its one line ($t)" ||
        fail "later failure $t is not listed one line"
done
grep -v -E '^make(\[[0-9]+\])?: \*\*\*' "$work/wrong.out" | tail -n 1 | grep -q '^\[====\] Synthesis: Tested: ' &&
    pass "the output ends with the synthesis line (before make's own)" || fail "the last line is not the synthesis"

# 2. T= runs only the matching test, and its rerun command works as given.
check "$work/only.out" wrong LAB=02 T="${failing[0]:-none}"
n=$(grep -c -E '^  (ok|FAIL) +' "$work/only.out")
[ "$n" -eq 1 ] && pass "T=${failing[0]:-} runs one test" || fail "T= ran $n tests ($work/only.out)"
check "$work/none.out" wrong LAB=02 T=no_such_test
[ $? -ne 0 ] && grep -q "no test matches" "$work/none.out" &&
    pass "T= matching nothing is an error that lists the tests" ||
    fail "T=no_such_test did not fail with a list ($work/none.out)"

# 3. SAN=asan builds and runs the student's programs with ASan.
check "$work/asan.out" right LAB=02 SAN=asan T="${written[0]}"
status=$?
[ $status -eq 0 ] && grep -q "under asan" "$work/asan.out" &&
    pass "SAN=asan runs the tests on the ASan build, and the reference passes" ||
    fail "SAN=asan ($work/asan.out)"
check "$work/san.out" right LAB=02 SAN=nosuch
[ $? -ne 0 ] && grep -q "SAN must be" "$work/san.out" && pass "an unknown SAN= is refused" ||
    fail "SAN=nosuch was not refused ($work/san.out)"

# 4. A passing lab ends with its points and what to do next.
check "$work/right.out" right LAB=02
status=$?
total=$(awk '!/^#/ && NF == 2 { s += $2 } END { print s }' tests/rubric/$lab.txt)
[ $status -eq 0 ] && grep -q "^Points so far: $total/$total " "$work/right.out" &&
    grep -q "Questions" "$work/right.out" && grep -q "labs/03-" "$work/right.out" &&
    pass "a passing run gives $total/$total points and the next step" ||
    fail "the passing run lacks its points or next step ($work/right.out)"

echo "selftest-commands: $([ $bad -eq 0 ] && echo "all ok" || echo "SOME FAILED")"
exit $bad
