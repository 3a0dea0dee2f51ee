#!/usr/bin/env bash
# selftest-commands.sh - tests of the student's commands themselves
# (make check, T=, LAB=N, SAN=, the passing summary, the reproduction
# command, where to look, make hint, make progress, make watch), on copies
# of lab 02: the reference with a known wrong answer applied (a father that
# does not wait: every test fails, and the first in file order is not the
# first in Criterion's alphabetical order), and the untouched reference;
# a hang in lab 04 (close that wakes nobody) for the hang's message, and a
# race in lab 01 (results read before the join) for SAN=tsan's report.
# CI runs it. SELFTEST_QUICK=1 leaves out the lab 04 and lab 01 parts.
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

# 5. Where to look, and the program as the test ran it, pasted.
sed -n '/^Where to look, most likely first:/,/^[^ ]/p' "$work/wrong.out" | sed -n 2p | grep -q 'TODO(02\.2)' &&
    pass "where to look names TODO(02.2) first (the father's waitpid)" ||
    fail "where to look does not start with TODO(02.2) ($work/wrong.out)"
repro=$(grep -A1 '^The program as the test last ran it' "$work/wrong.out" | sed -n '2s/^  //p')
case $repro in
    "$work/wrong-bin/$lab/tree "*) timeout 30 bash -c "$repro" >/dev/null 2>&1
        rc=$?
        [ $rc -ne 127 ] && [ $rc -ne 124 ] && pass "the program's command runs as pasted: $repro" ||
            fail "the pasted command did not run: $repro" ;;
    *) fail "no command for the program, or not the student's build: '$repro'" ;;
esac

# 6. make hint: one level more each time, at most 3, the text of hints.md.
hint() { make --no-print-directory hint LAB=02 STUDENT_ROOT="$work/$1" STUDENT_OUT="$work/$1-bin" 2>&1; }
level_text() { awk -v k="$1" '/^## TODO\(02\.2\)/ { on = 1; next } on && /^## / { exit } on && $0 ~ "^" k "\\. " { sub(/^[0-9]\. */, ""); print; exit }' labs/$lab/hints.md; }
for k in 1 2 3 3; do
    hint wrong >"$work/hint.out"
    want=$(level_text "$k" | cut -c1-40)
    grep -q "^Hint $k of 3" "$work/hint.out" && ! grep -q "^Hint $((k + 1)) of 3" "$work/hint.out" &&
        grep -qF "$want" "$work/hint.out" && grep -q "TODO(02.2)" "$work/hint.out" &&
        pass "make hint shows TODO(02.2) up to level $k, with its text" ||
        fail "make hint did not show level $k of TODO(02.2) ($work/hint.out)"
done
grep -q "last hint" "$work/hint.out" && pass "a fourth make hint says it was the last" || fail "no 'last hint' ($work/hint.out)"
grep -qx "02.2 3" "$work/wrong-bin/hints/$lab.txt" && pass "the level is kept in the build dir" ||
    fail "no level state in $work/wrong-bin/hints/$lab.txt"

# 7. make progress: this lab's tests and points from the last check.
make --no-print-directory progress STUDENT_ROOT="$work/wrong" STUDENT_OUT="$work/wrong-bin" >"$work/progress.out" 2>&1
ok=$(grep -c '^ok ' "$work/wrong-bin/results/$lab.txt")
got=$(awk 'NR == FNR { if ($1 == "ok") p[$2] = 1; next } !/^#/ && ($1 in p) { s += $2 } END { print s + 0 }' \
    "$work/wrong-bin/results/$lab.txt" tests/rubric/$lab.txt)
grep -qE "^$lab +$ok/${#written[@]} +$got/$total " "$work/progress.out" &&
    pass "make progress: $lab $ok/${#written[@]} tests, $got/$total points" ||
    fail "make progress does not say $ok/${#written[@]} and $got/$total for $lab ($work/progress.out)"
grep -qE "^01-hello-process .*never checked" "$work/progress.out" && grep -q "^Next: lab 01-hello-process" "$work/progress.out" &&
    pass "a lab never checked says so, and is the next to do" || fail "progress: lab 01 not 'never checked' / next ($work/progress.out)"

# 8. Fixed: the check passes, make hint has nothing to say and forgets the
# level, progress gives full points.
sleep 1 # the fixed files must be newer than the last results
cp "$work/right/$lab"/*.c "$work/wrong/$lab/"
hint wrong >"$work/hint-fixed.out"
grep -q "running it first" "$work/hint-fixed.out" && grep -q "no hint needed" "$work/hint-fixed.out" &&
    [ ! -s "$work/wrong-bin/hints/$lab.txt" ] &&
    pass "after the fix make hint re-checks, needs no hint, and resets the level" ||
    fail "make hint after the fix ($work/hint-fixed.out)"
make --no-print-directory progress STUDENT_ROOT="$work/wrong" STUDENT_OUT="$work/wrong-bin" >"$work/progress2.out" 2>&1
grep -qE "^$lab +${#written[@]}/${#written[@]} +$total/$total " "$work/progress2.out" &&
    pass "make progress after the fix: full marks for $lab" || fail "progress after the fix ($work/progress2.out)"

# 9. make watch in a terminal: a check, a re-check when a file is saved,
# Ctrl-C ends it with status 0, no make error line, no inotifywait left.
python3 - "$work" "$lab" "${written[0]}" <<'PY' >"$work/watch.out" 2>&1
import os, pty, select, sys, time
work, lab, test = sys.argv[1:4]
pid, fd = pty.fork()
if pid == 0:
    os.execvp("make", ["make", "--no-print-directory", "watch", "LAB=02", "T=" + test,
                       "STUDENT_ROOT=" + work + "/right", "STUDENT_OUT=" + work + "/right-bin"])
out = b""
def until(text, n, limit):
    global out
    end = time.time() + limit
    while out.count(text) < n and time.time() < end:
        r, _, _ = select.select([fd], [], [], 1)
        if r:
            try:
                out += os.read(fd, 65536)
            except OSError:
                break
    return out.count(text) >= n
ok1 = until(b"waiting for a change", 1, 240)
os.utime(work + "/right/" + lab + "/tree.c")
ok2 = until(b"waiting for a change", 2, 240)
os.write(fd, b"")
until(b"stopped", 1, 30)
_, status = os.waitpid(pid, 0)
try:
    while True:
        r, _, _ = select.select([fd], [], [], 0.5)
        if not r:
            break
        out += os.read(fd, 65536)
except OSError:
    pass
sys.stdout.write(out.decode(errors="replace"))
left = []
for p in os.listdir("/proc"):
    try:
        cmd = open("/proc/%s/cmdline" % p, "rb").read()
    except OSError:
        continue
    if b"inotifywait" in cmd and work.encode() in cmd:
        left.append(p)
print("\nWATCH first=%s second=%s exit=%s left=%s" % (ok1, ok2, os.waitstatus_to_exitcode(status), left))
PY
grep -q "^WATCH first=True second=True exit=0 left=\[\]" "$work/watch.out" &&
    ! grep -q '\*\*\* .*Interrupt' "$work/watch.out" &&
    pass "make watch: checks, re-checks on a save, Ctrl-C exits 0 with nothing left" ||
    fail "make watch ($work/watch.out: $(tail -n 1 "$work/watch.out"))"

# 10. The hints and TODO maps of every lab.
bash tests/tools/hints-check.sh >"$work/hints-check.out" 2>&1 && pass "hints-check: every lab's hints and TODO map" ||
    fail "hints-check ($work/hints-check.out)"

if [ -z "${SELFTEST_QUICK:-}" ]; then
    # 11. A hang (lab 04, close wakes nobody): the message says where to look,
    # never a TODO a passing test shows working (get_on_an_empty_queue
    # passes: the mapping and the lock are process-shared).
    mkdir -p "$work/hang"
    cp -r solutions/04-queue "$work/hang/"
    (cd "$work/hang" && patch -s -p0 <"../../../tests/mutants/04-queue/close-does-not-wake-the-waiters.patch")
    began=$(date +%s)
    make --no-print-directory check LAB=04 STUDENT_ROOT="$work/hang" STUDENT_OUT="$work/hang-bin" \
        T='lab04_queue::@(every_item_arrives_exactly_once_4_producers_4_consumers|get_on_an_empty_queue_waits_for_a_put_without_spinning)' \
        >"$work/hang.out" 2>&1
    secs=$(($(date +%s) - began))
    look=$(sed -n '/^Where to look, most likely first:/,/^[^ ]/p' "$work/hang.out" | sed -n 2p)
    grep -q "^It hung" "$work/hang.out" && [[ $look == *"TODO(04.5)"* ]] &&
        sed -n '/^Not these/,/^[^ ]/p' "$work/hang.out" | grep -q "TODO(04.2): lab04_queue::get_on_an_empty" &&
        ! sed -n '/^Where to look/,/^Not these/p' "$work/hang.out" | grep -q "TODO(04\.[12])" &&
        pass "a hang points first at TODO(04.5), and not at 04.1/04.2, which a passing test shows working ($secs s)" ||
        fail "the hang's where to look ($work/hang.out)"

    # 12. SAN=tsan on a race (lab 01, results read before the join): the
    # report is in the failure, and the command to run it names the TSan build.
    mkdir -p "$work/race"
    cp -r solutions/01-hello-process "$work/race/"
    (cd "$work/race" && patch -s -p0 <"../../../tests/mutants/01-hello-process/prints-results-before-joining.patch")
    make --no-print-directory check LAB=01 SAN=tsan T=every_thread_reports_the_one_shared_pid \
        STUDENT_ROOT="$work/race" STUDENT_OUT="$work/race-bin" >"$work/race.out" 2>&1
    [ $? -ne 0 ] && grep -q "WARNING: ThreadSanitizer: data race" "$work/race.out" &&
        grep -A1 '^The program as the test last ran it' "$work/race.out" | grep -q "TSAN_OPTIONS=.*$work/race-bin-tsan/01-hello-process/threads -n 4" &&
        pass "SAN=tsan: the race's report is in the failure, with the TSan build's command" ||
        fail "SAN=tsan on a race ($work/race.out)"
fi

echo "selftest-commands: $([ $bad -eq 0 ] && echo "all ok" || echo "SOME FAILED")"
exit $bad
