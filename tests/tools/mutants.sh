#!/usr/bin/env bash
# mutants.sh [LAB] - the tests must catch plausible wrong answers.
#
# tests/mutants/NN-name/<what-is-wrong>.patch is a small patch to the
# reference solutions/NN-name/ (made with diff -u from inside solutions/)
# that gives a plausible wrong answer: a forgotten waitpid, a lock taken
# around half the update, a loop that waits for each child before starting
# the next. Each is applied to a copy of the reference, built as if it were
# a student's submission, and the lab's tests run on it: at least one test
# must fail. Prints a line per mutant; exits 1 if any went unnoticed.
#
# To make one: cp -r solutions/NN-x /tmp/m && edit /tmp/m/prog.c &&
#   (cd solutions && diff -u NN-x/prog.c /tmp/m/prog.c) |
#   sed '2s|/tmp/m|NN-x|' > tests/mutants/NN-x/name.patch
set -u
cd "$(dirname "$0")/../.." || exit 1
[ -d solutions ] || { echo "mutants: no solutions/ here"; exit 0; }
only=${1:-}
bad=0 count=0
for patch in tests/mutants/*/*.patch; do
    [ -e "$patch" ] || continue
    lab=$(basename "$(dirname "$patch")")
    [ -n "$only" ] && [ "$lab" != "$only" ] && continue
    name=$(basename "$patch" .patch)
    work=build/mutants/$lab-$name
    rm -rf "$work"
    mkdir -p "$work/src"
    cp -r "solutions/$lab" "$work/src/$lab"
    if ! (cd "$work/src" && patch -s -p0 <"../../../../$patch"); then
        echo "  FAIL   $lab/$name: the patch no longer applies to the reference"
        bad=1
        continue
    fi
    count=$((count + 1))
    if ! make --no-print-directory -s "student-$lab" "student-tsan-$lab" "student-asan-$lab" STUDENT_ROOT="$work/src" \
            STUDENT_OUT="$work/bin" >"$work/build.log" 2>&1; then
        echo "  FAIL   $lab/$name: does not compile ($work/build.log): a mutant must build"
        bad=1
        continue
    fi
    num=${lab%%-*}
    KIT_TAP_OUT=$work/tests.tap bash tests/tools/run-tests.sh "$work/bin" 1 "lab$num*" \
        "mutant $name" >"$work/tests.log" 2>&1
    caught=$(grep -c "^not ok " "$work/tests.tap" 2>/dev/null)
    caught=${caught:-0}
    ran=$(grep -c -E "^(not )?ok " "$work/tests.tap" 2>/dev/null)
    if [ "${ran:-0}" -eq 0 ]; then
        echo "  FAIL   $lab/$name: no test ran ($work/tests.log): cannot tell"
        bad=1
    elif [ "$caught" -gt 0 ]; then
        first=$(grep -m1 '^not ok ' "$work/tests.tap" | sed -E 's/^not ok - ([^ ]+).*/\1/')
        echo "  ok     $lab/$name: caught by $caught test(s), first $first"
    else
        echo "  FAIL   $lab/$name: every test passed on this wrong answer ($work/tests.log)"
        bad=1
    fi
done
echo "mutants: $count checked, $([ $bad -eq 0 ] && echo "all caught" || echo "SOME NOT CAUGHT")"
exit $bad
