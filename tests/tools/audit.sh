#!/usr/bin/env bash
# audit.sh - check every lab against the lab contract (../LABS.md):
#
#   1. the handout (labs/NN/README.md), the lab's Makefile and the
#      instructors' answers (solutions/NN/ANSWERS.md) exist;
#   2. every starter file is what its reference generates (starter.sh),
#      and the lab's notebook is what its handout makes (notebooks.py);
#   3. the starter marks its gaps as TODO(NN.k), with this lab's number;
#   4. the starter compiles with the kit's full warnings and -Werror;
#   5. the lab has tests, and every one of them has a timeout;
#   6. the starter FAILS every one of its lab's tests (a test that passes
#      on the untouched starter cannot tell a student anything);
#   7. the reference passes every one of them;
#   8. every test of the lab has points in tests/rubric/NN-name.txt, and
#      every rubric line names a test that exists.
#
# Prints one line per lab and check, lab by lab; exits 1 if any check
# failed.
#
# Time: checks 1-5 and 8 are quick; 6 and 7 run the lab's tests. The
# starter runs (6) are mostly tests waiting for their timeouts, so they run
# AUDIT_JOBS labs at a time (default 3; load can only make a starter fail
# more); the reference runs (7) one lab at
# a time after them (tests of lab 07 compare timings of CPU-bound work).
# AUDIT_REFERENCE=0 leaves out 7 (CI does: its last step, make test, runs
# every reference test anyway).
set -u
cd "$(dirname "$0")/../.." || exit 1
rm -rf build/audit
mkdir -p build/audit
bad=0
say() { printf '  %-6s %s\n' "$1" "$2"; [ "$1" = ok ] || bad=1; }
jobs=${AUDIT_JOBS:-3}

# Phase 1: build every starter and reference (the tests runs below must
# not build side by side), then run the starters' tests, JOBS at a time.
labs=()
for dir in labs/[0-9][0-9]-*/; do labs+=("$(basename "$dir")"); done
# A compiler per core: the builds are most of this phase's CPU.
running=0 cores=-j$(nproc 2>/dev/null || echo 2)
for lab in "${labs[@]}"; do
    num=${lab%%-*}
    if make --no-print-directory -s "$cores" "student-$lab" "student-tsan-$lab" "student-asan-$lab" >"build/audit/$lab-student-build.log" 2>&1 &&
        make --no-print-directory -s "$cores" "ref-$lab" "ref-tsan-$lab" "ref-asan-$lab" >"build/audit/$lab-ref-build.log" 2>&1; then
        KIT_TAP_OUT=build/audit/$lab-starter.tap bash tests/tools/run-tests.sh build/student 1 "lab$num*" "starter" \
            >"build/audit/$lab-starter.log" 2>&1 &
        running=$((running + 1))
        [ $running -ge "$jobs" ] && { wait -n; running=$((running - 1)); }
    fi
done
wait

# Every suite must have a timeout, on its TestSuite() or on each Test().
timeouts=$(awk '
    /^TestSuite\(/ { s = $0; sub(/^TestSuite\(/, "", s); sub(/[,)].*/, "", s); if ($0 ~ /\.timeout/) suite[s] = 1 }
    /^Test\(/ { s = $0; sub(/^Test\(/, "", s); sub(/,.*/, "", s); n = $0; sub(/^Test\([^,]*, */, "", n); sub(/[,)].*/, "", n)
                if (!($0 ~ /\.timeout/) && !(s in suite)) printf "%s:%d: %s/%s has no .timeout\n", FILENAME, FNR, s, n }
' tests/*.c)
echo "all tests"
if [ -z "$timeouts" ]; then say ok "every test has a timeout"; else say FAIL "tests without a timeout:"; echo "$timeouts" | sed 's/^/         /'; fi

for dir in labs/[0-9][0-9]-*/; do
    lab=$(basename "$dir")
    num=${lab%%-*}
    echo "lab $lab"
    for f in "labs/$lab/README.md" "labs/$lab/Makefile" "solutions/$lab/ANSWERS.md"; do
        if [ -s "$f" ]; then say ok "$f exists"; else say FAIL "$f is missing"; fi
    done
    if out=$(bash tests/tools/starter.sh --check "$lab" 2>&1); then
        say ok "starter files are what the reference generates"
    else
        say FAIL "starter out of sync with the reference:"; echo "$out" | head -n 30 | sed 's/^/         /'
    fi
    if out=$(python3 tests/tools/notebooks.py check "$lab" 2>&1); then
        say ok "the notebook is what the handout makes"
    else
        say FAIL "$out"
    fi
    todos=$(grep -ho 'TODO([0-9]*\.[0-9]*)' "labs/$lab"/*.[ch] 2>/dev/null | sort -u)
    wrong=$(printf '%s\n' "$todos" | grep -v "^TODO($num\." | grep -v '^$')
    if [ -n "$todos" ] && [ -z "$wrong" ]; then
        say ok "starter marks $(printf '%s\n' "$todos" | wc -l) gaps as TODO($num.k)"
    else
        say FAIL "starter TODO markers: want TODO($num.k), found: ${todos:-none}"
    fi
    if make --no-print-directory -s "student-$lab" >/dev/null 2>&1; then
        say ok "starter compiles warning-free (-Werror)"
    else
        say FAIL "starter does not compile:"; head -n 20 "build/audit/$lab-student-build.log" | sed 's/^/         /'
        continue
    fi
    make --no-print-directory -s "ref-$lab" >/dev/null 2>&1 || { say FAIL "reference does not compile"; continue; }

    total=$(grep -c -E "^(not )?ok " "build/audit/$lab-starter.tap" 2>/dev/null)
    total=${total:-0}
    if [ "$total" -eq 0 ]; then
        say FAIL "lab has no tests (no Criterion suite named lab$num*)"
        continue
    fi
    passing=$(grep -E '^ok ' "build/audit/$lab-starter.tap" | sed -E 's/^ok - ([^ ]+).*/\1/')
    if [ -z "$passing" ]; then
        say ok "starter fails all $total tests (build/audit/$lab-starter.log)"
    else
        say FAIL "these tests pass on the untouched starter, so they check nothing the student writes:"
        echo "$passing" | sed 's/^/         /'
    fi
    rubric=tests/rubric/$lab.txt
    tests_here=$(grep -E '^(not )?ok ' "build/audit/$lab-starter.tap" | sed -E 's/^(not )?ok - ([^ ]+).*/\2/' | sort)
    in_rubric=$(grep -v -E '^[[:space:]]*(#|$)' "$rubric" 2>/dev/null | awk '$2 ~ /^[0-9]+$/ { print $1 }' | sort)
    no_points=$(comm -23 <(echo "$tests_here") <(echo "$in_rubric"))
    no_test=$(comm -13 <(echo "$tests_here") <(echo "$in_rubric"))
    if [ -z "$no_points" ] && [ -z "$no_test" ]; then
        say ok "every test has points in $rubric"
    else
        [ -n "$no_points" ] && { say FAIL "tests without points in $rubric:"; echo "$no_points" | sed 's/^/         /'; }
        [ -n "$no_test" ] && { say FAIL "rubric lines naming no test:"; echo "$no_test" | sed 's/^/         /'; }
    fi
    if [ "${AUDIT_REFERENCE:-1}" = 0 ]; then
        say ok "reference: not run here (AUDIT_REFERENCE=0; make test runs it)"
        continue
    fi
    KIT_TAP_OUT=build/audit/$lab-ref.tap bash tests/tools/run-tests.sh build/ref 1 "lab$num*" "reference" >build/audit/$lab-ref.log 2>&1
    failing=$(grep -E '^not ok ' "build/audit/$lab-ref.tap" | sed -E 's/^not ok - ([^ ]+).*/\1/')
    if [ -z "$failing" ] && grep -q '^ok ' "build/audit/$lab-ref.tap"; then
        say ok "reference passes all $total tests"
    else
        say FAIL "the reference fails (build/audit/$lab-ref.log):"
        echo "$failing" | sed 's/^/         /'
    fi
done
if [ $bad -eq 0 ]; then echo "audit: every lab keeps the contract"; else echo "audit: FAILED (see above)"; fi
exit $bad
