#!/usr/bin/env bash
# mutants.sh [--variants | --record] [LAB] - the tests must catch plausible wrong
# answers, and must pass every differently-written correct one.
#
# tests/mutants/NN-name/<what-is-wrong>.patch is a small patch to the
# reference solutions/NN-name/ (made with diff -u from inside solutions/)
# that gives a plausible wrong answer: a forgotten waitpid, a lock taken
# around half the update, a loop that waits for each child before starting
# the next. Each is applied to a copy of the reference, built as if it were
# a student's submission, and the lab's tests run on it, stopping at the
# first failure: at least one test must fail. The sanitizer twins are built
# too when the lab's tests use them (they name a sanitizer), for a mutant
# only if the tests without them missed it (see test_patched).
#
# With --variants (make variants, tests/tools/variants.sh), the patches are
# tests/variants/NN-name/*.patch: correct answers written another way
# (other output order, another design, extra harmless output, slower), and
# every one of the lab's tests must pass on each.
#
# Prints a line per patch, in the order of the files; exits 1 if a mutant
# went unnoticed or a variant failed a test.
#
# Parallel: MUTANT_JOBS patches at a time (default 4 for mutants, 3 for
# variants). Each has its own build and result folder,
# build/mutants/LAB-NAME (build/variants/... for variants), and its lines
# are printed in order as soon as those before it are done. The labs in
# TIMED_LABS (default none: a lab whose tests compare the timings of
# CPU-bound work, which load changes, would be named there) run after the
# others, one at a time, with nothing else of ours beside them, so that a
# correct variant is never failed by a neighbour taking its core. A mutant
# of those labs joins the others when the test its patch names (Caught by:)
# is not one of the timing tests (TIMED_TESTS): a wrong answer is caught
# by that test whatever the load. (Should that test miss it, the run of
# every test that follows runs beside the others too; its line names the
# test that caught it, which --record then writes on the patch.)
#
# To make one: cp -r solutions/NN-x /tmp/m && edit /tmp/m/prog.c &&
#   (cd solutions && diff -u NN-x/prog.c /tmp/m/prog.c) |
#   sed '2s|/tmp/m|NN-x|' > tests/mutants/NN-x/name.patch
set -u
cd "$(dirname "$0")/../.." || exit 1
kind=mutants record=
if [ "${1:-}" = --variants ]; then
    kind=variants
    shift
elif [ "${1:-}" = --record ]; then
    record=1
    shift
fi
[ -d solutions ] || { echo "$kind: no solutions/ here"; exit 0; }
only=${1:-}
# Mutants four at a time: most of a mutant's time is a build and one test
# that waits on its programs (many wrong answers hang until the test's
# timeout), and a wrong answer only has to fail. Variants three at a time,
# as make test runs four labs at a time: the tests are written to pass a
# correct answer on a loaded machine (the timings labs 01 and 07 compare
# are of sleeps, and measured twice before they fail; labs whose tests
# compare the timings of CPU-bound work, TIMED_LABS, would come after
# the others, alone).
default_jobs=4
[ $kind = variants ] && default_jobs=3
jobs=${MUTANT_JOBS:-$default_jobs}
case $jobs in '' | *[!0-9]* | 0) echo "$kind: MUTANT_JOBS must be a number >= 1" >&2; exit 2 ;; esac
timed=" ${TIMED_LABS-} "
# The tests of those labs that compare timings. A mutant of a timed lab
# whose patch names (Caught by:) a test not among them runs with the
# others: only a timing test can be failed by a neighbour's load.
timed_tests=${TIMED_TESTS-::uneven_tasks_|::thread_pool_spreads_uneven_}

# uses_twins LAB: the lab's tests run programs from a sanitizer build.
uses_twins() {
    grep -q -i -E 'sanitizer|RUN_TSAN|RUN_ASAN' tests/"$1".c tests/"$1"/*.[ch] 2>/dev/null
}

# build WORK LAB TARGET...: build those targets of the patched copy.
build() {
    local work=$1 lab=$2 t
    shift 2
    for t in "$@"; do
        case $t in
            student-tsan-*) seed "$work" "$lab" -tsan ;;
            student-asan-*) seed "$work" "$lab" -asan ;;
        esac >>"$work/build.log" 2>&1 || return 1
    done
    make --no-print-directory -s "$@" STUDENT_ROOT="$work/src" STUDENT_OUT="$work/bin" >>"$work/build.log" 2>&1
}

# test_run WORK LAB TAP [ENV...]: the lab's tests on WORK/bin.
test_run() {
    local work=$1 lab=$2 tap=$3 fast=
    shift 3
    [ $kind = mutants ] && fast=1
    env "$@" KIT_FAIL_FAST=$fast KIT_TAP_OUT="$tap" bash tests/tools/run-tests.sh "$work/bin" 1 \
        "lab${lab%%-*}*" "${kind%s} $(basename "$work")" >>"$work/tests.log" 2>&1
}

# caught WORK: a test failed in the last run of WORK's tests
caught() {
    grep -q "^not ok " "$1/tests.tap" 2>/dev/null
}

# ran_any WORK: the last run of WORK's tests ran at least one test
ran_any() {
    grep -q -E "^(not )?ok " "$1/tests.tap" 2>/dev/null
}

# A mutant's patch may start with a line "Caught by: suite::test" (written
# by --record): that test runs first, alone; most mutants end there, after
# a plain build and one test. Otherwise (or if it passes), the mutant is
# built and tested without its sanitizer twins (the tests that need them
# are skipped: KIT_TWINS_OPTIONAL), which catches most of the rest; only a
# mutant those tests miss gets its twins (they cost twice the plain build)
# and a run of every test; a mutant whose hinted test needs the twins gets
# them at once. A variant gets everything at once: every test
# must pass on it.
test_patched() {
    local work=$1 lab=$2 patch=$3 hint
    if [ $kind = variants ]; then
        local -a targets=("student-$lab")
        uses_twins "$lab" && targets+=("student-tsan-$lab" "student-asan-$lab")
        build "$work" "$lab" "${targets[@]}" || return 2
        test_run "$work" "$lab" "$work/tests.tap"
        return 0
    fi
    build "$work" "$lab" "student-$lab" || return 2
    hint=$(sed -n -E '1s/^Caught by: ([A-Za-z0-9_]+::[A-Za-z0-9_]+)$/\1/p' "$patch")
    if [ -n "$hint" ]; then
        test_run "$work" "$lab" "$work/tests.tap" KIT_TWINS_OPTIONAL=1 KIT_ONLY="$hint"
        caught "$work" && return 0
        # the hinted test needs the twins (it was left out): build them now
        # rather than run every other test first
        if ! ran_any "$work" && uses_twins "$lab"; then
            build "$work" "$lab" "student-tsan-$lab" "student-asan-$lab" || return 2
            test_run "$work" "$lab" "$work/tests.tap" KIT_ONLY="$hint"
            caught "$work" && return 0
            test_run "$work" "$lab" "$work/tests.tap"
            return 0
        fi
    fi
    test_run "$work" "$lab" "$work/tests.tap" KIT_TWINS_OPTIONAL=1
    caught "$work" && return 0
    uses_twins "$lab" || return 0
    build "$work" "$lab" "student-tsan-$lab" "student-asan-$lab" || return 2
    if [ -n "$hint" ]; then
        test_run "$work" "$lab" "$work/tests.tap" KIT_ONLY="$hint"
        caught "$work" && return 0
    fi
    test_run "$work" "$lab" "$work/tests.tap"
    return 0
}

# seed WORK LAB VARIANT: start WORK's build VARIANT ("" for the plain one,
# -tsan, -asan) from a copy of the reference's (its objects and programs,
# with their times), so that make compiles only the files the patch changed
# (and what includes them) and relinks. The sources were copied with their
# times too; the dependency files name the reference's paths, which are
# rewritten to WORK's. A twin is seeded only when it is built (build): a
# copy of the reference's sanitizer programs must never be tested in the
# mutant's place. A reference not built leaves a full build.
seed() {
    local work=$1 lab=$2 v=$3 from to
    from=build/ref$v/$lab to=$work/bin$v/$lab
    [ -d "$from/obj" ] && [ ! -e "$to" ] || return 0
    mkdir -p "$to" && cp -rp "$from/." "$to/" || return 1
    find "$to/obj" -name '*.d' -exec sed -i \
        -e "s|build/ref$v/$lab/|$work/bin$v/$lab/|g" \
        -e "s|solutions/$lab/|$work/src/$lab/|g" {} +
}

# run_one PATCH: apply, build, test; leave one line in WORK/result.
run_one() {
    local patch=$1 lab name work caught ran first line built=0
    lab=$(basename "$(dirname "$patch")")
    name=$(basename "$patch" .patch)
    work=build/$kind/$lab-$name
    rm -rf "$work"
    mkdir -p "$work/src"
    cp -rp "solutions/$lab" "$work/src/$lab"
    if ! (cd "$work/src" && patch -s -p0 <"../../../../$patch") >"$work/patch.log" 2>&1; then
        line="  FAIL   $lab/$name: the patch no longer applies to the reference ($work/patch.log)"
    elif ! seed "$work" "$lab" "" >>"$work/patch.log" 2>&1; then
        line="  FAIL   $lab/$name: the reference's build could not be copied ($work/patch.log)"
    elif test_patched "$work" "$lab" "$patch" || built=$?; [ "$built" -eq 2 ]; then
        line="  FAIL   $lab/$name: does not compile ($work/build.log): it must build"
    else
        caught=$(grep -c "^not ok " "$work/tests.tap" 2>/dev/null)
        ran=$(grep -c -E "^(not )?ok " "$work/tests.tap" 2>/dev/null)
        first=$(grep -m1 '^not ok ' "$work/tests.tap" 2>/dev/null | sed -E 's/^not ok - ([^ ]+).*/\1/')
        if [ "${ran:-0}" -eq 0 ]; then
            line="  FAIL   $lab/$name: no test ran ($work/tests.log): cannot tell"
        elif [ $kind = mutants ] && [ "${caught:-0}" -gt 0 ]; then
            line="  ok     $lab/$name: caught by $first"
        elif [ $kind = mutants ]; then
            line="  FAIL   $lab/$name: every test passed on this wrong answer ($work/tests.log)"
        elif [ "${caught:-0}" -eq 0 ]; then
            line="  ok     $lab/$name: all $ran tests pass"
        else
            line="  FAIL   $lab/$name: $caught of $ran tests fail on this correct answer, first $first ($work/tests.log)"
        fi
    fi
    printf '%s\n' "$line" >"$work/result.tmp" && mv "$work/result.tmp" "$work/result"
}

result_of() {
    local p=$1
    echo "build/$kind/$(basename "$(dirname "$p")")-$(basename "$p" .patch)/result"
}

# run_all JOBS PATCH...: at most JOBS at once, lines printed in order.
bad=0 count=0
run_all() {
    local max=$1 next=0 printed=0 running=0 r
    shift
    local -a list=("$@")
    while [ "$printed" -lt ${#list[@]} ]; do
        while [ "$running" -lt "$max" ] && [ "$next" -lt ${#list[@]} ]; do
            rm -f "$(result_of "${list[$next]}")"
            run_one "${list[$next]}" &
            next=$((next + 1)) running=$((running + 1))
        done
        if [ "$running" -gt 0 ]; then
            wait -n
            running=$((running - 1))
        fi
        while [ "$printed" -lt "$next" ]; do
            r=$(result_of "${list[$printed]}")
            if [ ! -e "$r" ]; then
                # every job has ended and this one left nothing: say so
                [ "$running" -eq 0 ] && [ "$next" -eq ${#list[@]} ] || break
                mkdir -p "$(dirname "$r")"
                echo "  FAIL   ${list[$printed]}: the run ended without a result" >"$r"
            fi
            cat "$r"
            grep -q '^  ok ' "$r" || bad=1
            count=$((count + 1)) printed=$((printed + 1))
        done
    done
    wait
}
trap 'kill $(jobs -p) 2>/dev/null; exit 130' INT TERM

# hinted_untimed PATCH: a mutant whose Caught-by test does not compare
# timings
hinted_untimed() {
    local hint
    [ $kind = mutants ] || return 1
    hint=$(sed -n -E '1s/^Caught by: ([A-Za-z0-9_]+::[A-Za-z0-9_]+)$/\1/p' "$1")
    [ -n "$hint" ] && ! grep -q -E "$timed_tests" <<<"$hint"
}

shopt -s nullglob
free=() serial=()
for patch in tests/$kind/*/*.patch; do
    lab=$(basename "$(dirname "$patch")")
    [ -n "$only" ] && [ "$lab" != "$only" ] && continue
    if [[ $timed == *" ${lab%%-*} "* ]] && ! hinted_untimed "$patch"; then
        serial+=("$patch")
    else
        free+=("$patch")
    fi
done
if [ ${#free[@]} -gt 0 ]; then
    [ ${#serial[@]} -gt 0 ] && echo "$kind: ${#free[@]} in labs without timing tests, $jobs at a time"
    run_all "$jobs" "${free[@]}"
fi
if [ ${#serial[@]} -gt 0 ]; then
    echo "$kind: ${#serial[@]} in labs whose tests compare timings (${timed:1:-1}), one at a time"
    run_all 1 "${serial[@]}"
fi
# --record: write each caught mutant's first failing test as its patch's
# first line, for the next runs (see test_patched).
if [ -n "$record" ]; then
    for patch in "${free[@]}" "${serial[@]}"; do
        r=$(result_of "$patch")
        test=$(sed -n -E 's/^  ok     .*: caught by ([A-Za-z0-9_]+::[A-Za-z0-9_]+)$/\1/p' "$r" 2>/dev/null)
        [ -n "$test" ] || continue
        { echo "Caught by: $test"; sed '1{/^Caught by: /d}' "$patch"; } >"$patch.tmp" && mv "$patch.tmp" "$patch"
    done
    echo "mutants: each caught mutant's patch now starts with the test that caught it"
fi
if [ $kind = mutants ]; then
    echo "mutants: $count checked, $([ $bad -eq 0 ] && echo "all caught" || echo "SOME NOT CAUGHT")"
else
    echo "variants: $count checked, $([ $bad -eq 0 ] && echo "all pass every test" || echo "SOME FAIL A TEST")"
fi
exit $bad
