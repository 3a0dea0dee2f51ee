#!/usr/bin/env bash
# ci-commands.sh - every command the README and `make help` document, run
# the way a lecturer, instructor, student or maintainer types it, on this
# (fresh) clone. The cheap ones run in full; the expensive ones (valgrind,
# tsan, asan, grading, plots) in a quick form that still builds every lab's
# programs and runs each of them once. A command that exits with the wrong
# status, or prints make's own error lines where it should succeed, fails.
# .ci/run calls this before `make test`; make clean (first, on the fresh
# clone), deps, audit, lint, mutants and variants run there in full. Prints one line per command with its time.
set -u
cd "$(dirname "$0")/../.." || exit 1
exec </dev/null
bad=0
# The logs live outside build/: `make clean` is one of the commands.
log=$(mktemp -d /tmp/ci-commands.XXXXXX)
n=0

# step WANT NAME CMD...: run CMD (in a subshell), want exit status 0
# ("ok") or non-zero ("fails"); "make: ***" in the output of a command that
# must succeed fails the step too.
step() {
    local want=$1 name=$2 start secs status out
    shift 2
    n=$((n + 1))
    out=$log/$(printf %02d $n).log
    start=$(date +%s)
    ("$@") >"$out" 2>&1
    status=$?
    secs=$(($(date +%s) - start))
    if { [ "$want" = ok ] && [ $status -eq 0 ] && ! grep -q -E '^make(\[[0-9]+\])?: \*\*\*' "$out"; } ||
        { [ "$want" = fails ] && [ $status -ne 0 ]; }; then
        printf '  ok    %-58s %4d s\n' "$name" "$secs"
    else
        printf '  FAIL  %-58s %4d s  (status %d, want %s; %s)\n' "$name" "$secs" $status "$want" "$out"
        tail -n 30 "$out" | sed 's/^/        | /'
        bad=1
    fi
}
# expect FILE-PATTERN...: the last step's output holds each pattern
expect() {
    local p out=$log/$(printf %02d $n).log
    for p in "$@"; do
        grep -q -E -- "$p" "$out" || {
            echo "  FAIL  step $n's output lacks /$p/ ($out)"
            bad=1
        }
    done
}
git_clean() {
    local dirty
    dirty=$(git status --porcelain --untracked-files=normal -- . ':!build' 2>/dev/null)
    [ -z "$dirty" ] || { echo "git status is not clean after $1:"; echo "$dirty"; return 1; }
}

labs=$(cd labs && ls -d [0-9][0-9]-*)
# One test per suite, the first written: each lab's programs run once.
first_tests=$(sed -n -E 's/^[[:space:]]*(Parameterized)?Test\([[:space:]]*([A-Za-z0-9_]+)[[:space:]]*,[[:space:]]*([A-Za-z0-9_]+).*/\2\/\3/p' \
    tests/[0-9][0-9]-*.c | awk -F/ '!seen[$1]++')
quick="@($(echo "$first_tests" | paste -sd'|'))"
# Under valgrind (tens of times slower) one test per lab: the first suite's.
quick_valgrind="@($(echo "$first_tests" | awk -F_ '!seen[$1]++' | paste -sd'|'))"

echo "ci-commands: the documented commands on this clone"
step ok "make help" make help
expect "make check" "make mutants"
step ok "make help (in a lab folder)" make -C labs/01-hello-process help
expect "make check"
step ok "make deps" make deps
step ok "make starters (leaves git clean)" bash -c 'make starters && '"$(declare -f git_clean)"'; git_clean "make starters"'
step ok "make format (leaves git clean after lint)" bash -c 'make format && '"$(declare -f git_clean)"'; git_clean "make format"'
# The lecturer's make, with one run per benchmark instead of the lecture's
# 31, 3, 5 and 11, and lab 09's on n up to 1000000 instead of 2500000 (a
# tenth of the work): every benchmark and chart is made, quickly. The
# Python twins likewise: one run each, on a smaller workload.
quick_bench=(FACTORIZE_ARGS="-r 1" ASSIGNMENT_ARGS="-r 1 100000 1000000 100000" IOBOUND_ARGS="-r 1"
    INTEGRITY_ARGS="-r 1" MPIFACTOR_ARGS="-w 1,2,4 -r 1" PY_FACTORIZE_ARGS="-r 1 -n 40"
    PY_ASSIGNMENT_ARGS="-r 1 -a sieve 100000 600000 100000")
step ok "make (lecturer; benchmarks -r 1)" make "${quick_bench[@]}"
expect "c-vs-python.png"
step ok "make plots-again (benchmarks -r 1)" make plots-again "${quick_bench[@]}"
step ok "plain make leaves git status clean" bash -c "$(declare -f git_clean); git_clean make"
# The notebooks: up to date with the handouts, executed headless against
# the references (every Run cell must print what the handout shows), and
# as HTML pages; make notebook starts Jupyter and prints its URL.
step ok "make notebooks (leaves git clean)" bash -c 'make notebooks && '"$(declare -f git_clean)"'; git_clean "make notebooks"'
step ok "make notebooks-run (every notebook, headless, on the references)" make notebooks-run
step ok "make notebooks-html" make notebooks-html
expect "notebooks-html: build/notebooks"
# make notebook runs until Ctrl-C: started in a session of its own, it is
# stopped (the whole session) as soon as its URL is out, or after 60 s.
notebook_starts() {
    local out=$1 pid i
    setsid make notebook LAB=01 NB_PORT=18888 >"$out" 2>&1 &
    pid=$!
    for i in $(seq 120); do
        grep -q -E "http://127\.0\.0\.1:18888/[^.]" "$out" && break
        sleep 0.5
    done
    kill -TERM -- -"$pid" 2>/dev/null
    wait "$pid"
    grep -q -E "http://127\.0\.0\.1:18888/[^.]" "$out"
}
step ok "make notebook LAB=01 (starts and prints its URL; then stopped)" notebook_starts "$log/notebook.txt"
step ok "make handouts LAB=01 (then put back)" bash -c 'make handouts LAB=01 && git checkout -q -- labs'
# make check on starters: the audit (check 6) has already run every
# starter's tests; here the student's command itself, on the first lab,
# one whose tests hang on the starter (04) and the last lab, side by side
# as MUTANT_JOBS allows; the lines come out in lab order.
check_labs=$(printf '%s\n' $labs | awk 'NR == 1 || /^04-/ { print } { last = $0 } END { print last }' | sort -u)
make --no-print-directory -s $(for l in $check_labs; do echo student-$l student-tsan-$l student-asan-$l; done) >/dev/null 2>&1
checks=$(mktemp -d)
start=$(date +%s) running=0
for l in $check_labs; do
    (s=$(date +%s); make check LAB="${l%%-*}" >"$checks/$l.log" 2>&1; echo "$? $(($(date +%s) - s))" >"$checks/$l.status") &
    running=$((running + 1))
    [ $running -ge "${MUTANT_JOBS:-2}" ] && { wait -n; running=$((running - 1)); }
done
wait
for l in $check_labs; do
    num=${l%%-*}
    # replay each as a step: the command is "cat" of its saved output
    read -r st secs <"$checks/$l.status"
    step fails "make check LAB=$num (starter; ${secs} s, run beside another)" bash -c "cat '$checks/$l.log'; exit $st"
    expect "First failure, in the handout's order" "Run it alone: make check" "Synthesis: Tested"
done
echo "        (those starter checks took $(($(date +%s) - start)) s in all)"
rm -rf "$checks"
step fails "make check (in a lab folder, T=, one digit)" make -C labs/01-hello-process check T=hello
expect "alone: make check T=|Run it alone: make check T="
step ok "make run LAB=1" make run LAB=1
expect "exited with status 0"
step ok "make run PROG=threads ARGS=\"-n 2\" (in a lab folder)" make -C labs/01-hello-process run PROG=threads ARGS="-n 2"
expect "exited with status"
step fails "make run PROG=nosuch (lists the programs)" make run LAB=01 PROG=nosuch
expect "Its programs: hello"
step ok "make tsan T=(first test of each suite)" make tsan T="$quick"
step ok "make asan T=(first test of each suite)" make asan T="$quick"
step ok "make valgrind T=(first test of each lab)" make valgrind T="$quick_valgrind"
step fails "make check LAB=06 SAN=tsan T=(first of each suite)" make check LAB=06 SAN=tsan \
    T="@($(echo "$first_tests" | grep '^lab06' | paste -sd'|'))"
expect "under tsan"
# Grading: the reference as one student, every lab (builds and runs each
# lab's programs in the box), side by side with the sample class (make
# test-grading): both mostly wait on their boxes, and grading is made to
# run beside other grading (each run has its own uids, cgroups and
# scratch). What both make first is made here, so that two makes never
# build the same files at once.
class=$(mktemp -d)
mkdir -p "$class/reference"
for l in $labs; do [ -d "$class/reference/$l" ] || cp -r "solutions/$l" "$class/reference/$l"; done
make --no-print-directory -s deps build/tests/kit-tests build/lib/plain/libkit.a build/lib/tsan/libkit.a \
    build/lib/asan/libkit.a >/dev/null 2>&1
graded=$(mktemp -d)
(s=$(date +%s); make grade SUBMISSIONS="$class" FRESH=1 JOBS=1 GRADE_OUT=build/ci-grade >"$graded/log" 2>&1
    echo "$? $(($(date +%s) - s))" >"$graded/status") &
if make -n test-grading >/dev/null 2>&1; then
    step ok "make test-grading (the sample class; beside the next)" make test-grading
fi
wait
read -r st secs <"$graded/status"
step ok "make grade SUBMISSIONS=(the reference, every lab; ${secs} s)" bash -c "cat '$graded/log'; exit $st"
expect "reference +([0-9]+) / \\1 "
rm -rf "$class" "$graded"
echo "ci-commands: $([ $bad -eq 0 ] && echo "every command did what the README says" || echo "SOME COMMANDS FAILED")"
exit $bad
