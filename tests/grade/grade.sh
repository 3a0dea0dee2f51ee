#!/usr/bin/env bash
# grade.sh [-j JOBS] [--fresh] [--labs "01 03"] SUBMISSIONS OUT
#
# Grades a class: SUBMISSIONS holds one folder per student, each shaped
# like labs/ (SUBMISSIONS/alice/06-lock/lock.c, ...); any subset of the labs.
# `make grade SUBMISSIONS=DIR [JOBS=2] [FRESH=1] [GRADE_LABS="01 03"]`
# runs it with OUT=build/grade.
#
# For each student and lab, only the lab's own file names (those of the
# starter, labs/NN-name/*.c *.h) are taken from the submission, as regular
# files of at most 1 MiB; a file not handed in is filled in from the
# starter (so the rest of the lab still builds; the starter fails every
# test, so it earns nothing) and the feedback says so. Nothing else of the
# submission is used: it is built with the kit's Makefile, flags, headers,
# common/ and test drivers, and tested with the kit's tests, one test at a
# time, each in a box (box.sh): its own user, process and memory limits,
# PID namespace, private /tmp and /dev/shm, a wall-time limit per test and
# per lab. Points: tests/rubric/NN-name.txt; a test without points, or a
# rubric line naming no test, stops grading before it starts.
#
# OUT/gradebook.csv        student, a column per lab, total (rewritten
#                          whole, via a temporary file, after each student)
# OUT/results/NAME.tsv     lab, test, status (passed, failed, timed_out,
#                          crashed, not_built, not_run, not_handed_in),
#                          points, max, message (\n for newlines)
# OUT/feedback/NAME.md     for the student: per lab what passed, what
#                          failed and why (the tests' own messages),
#                          compiler errors, faults of the submission
# OUT/work/NAME/           per-lab results, logs; a lab whose files, tests
#                          and rubric did not change since is not graded
#                          again (--fresh, FRESH=1: start over)
#
# Limits (environment): GRADE_TEST_TIMEOUT (s, per test, default 180: the
# tests' own .timeout normally stops a test first), GRADE_LAB_TIMEOUT (s,
# per lab, default 600: tests left when it runs out are not run and earn
# nothing), GRADE_BUILD_TIMEOUT (s, default 120), GRADE_PIDS (512),
# GRADE_MEM (bytes, 1 GiB), GRADE_FSIZE (64 MiB), GRADE_OUTPUT_CAP (bytes
# of a program's output the tests see, 1 MiB), GRADE_UID_BASE (64000: each
# job's box runs as the first free uid from there on, see box.sh).
set -u
# The whole script is one { ... } block, read before it runs: editing or
# updating this file while a class is being graded cannot break the run.
{
cd "$(dirname "$0")/../.." || exit 1
kit=$(pwd)
. tests/grade/box.sh

jobs=1 fresh=0 only=""
while [ $# -gt 0 ]; do
    case $1 in
        -j) jobs=$2; shift 2 ;;
        -j*) jobs=${1#-j}; shift ;;
        --fresh) fresh=1; shift ;;
        --labs) only=$2; shift 2 ;;
        -*) echo "grade: unknown option $1" >&2; exit 2 ;;
        *) break ;;
    esac
done
if [ $# -ne 2 ] || [ ! -d "$1" ] || ! [[ $jobs =~ ^[1-9][0-9]*$ ]]; then
    echo "usage: make grade SUBMISSIONS=DIR [JOBS=N] [FRESH=1] [GRADE_LABS=\"01 02\"]" >&2
    echo "       (grade.sh [-j N] [--fresh] [--labs \"01 02\"] SUBMISSIONS OUT)" >&2
    exit 2
fi
subs=$(cd "$1" && pwd) out=$2
mkdir -p "$out" && out=$(cd "$out" && pwd)
# One grading at a time per OUT.
exec 9>"$out/.lock"
flock -n 9 || { echo "grade: $out is being graded by another run" >&2; exit 1; }
GRADE_TEST_TIMEOUT=${GRADE_TEST_TIMEOUT:-180}
GRADE_LAB_TIMEOUT=${GRADE_LAB_TIMEOUT:-600}
GRADE_BUILD_TIMEOUT=${GRADE_BUILD_TIMEOUT:-120}
bin=$kit/build/tests/kit-tests
[ -x "$bin" ] && [ -f build/lib/plain/libkit.a ] ||
    { echo "grade: build the tests first (make grade does)" >&2; exit 1; }

# ---- the labs, their tests and points ---------------------------------

labs=()
for d in labs/[0-9][0-9]-*/; do
    lab=$(basename "$d")
    if [ -n "$only" ]; then
        case " $only " in *" ${lab%%-*} "* | *" $lab "*) ;; *) continue ;; esac
    fi
    labs+=("$lab")
done
[ ${#labs[@]} -gt 0 ] || { echo "grade: no lab matches '$only'" >&2; exit 2; }

mkdir -p "$out/work"
chmod 700 "$out/work"
listing=$(env -i PATH="$PATH" "$bin" --list 2>/dev/null) # env -i: not as a Criterion worker
declare -A points maxpoints
bad=0
for lab in "${labs[@]}"; do
    num=${lab%%-*}
    tests=$(awk -v want="lab$num" '
        /^[A-Za-z_][A-Za-z0-9_]*: [0-9]+ tests?$/ { s = $0; sub(/:.*/, "", s); ok = index(s, want) == 1; next }
        ok && /(── |-- )/ { t = $0; sub(/^.*(── |-- )/, "", t); print s "::" t }' <<<"$listing" | sort)
    rubric=tests/rubric/$lab.txt
    if [ -z "$tests" ]; then
        echo "grade: lab $lab has no tests (no suite lab$num*)" >&2; bad=1; continue
    fi
    printf '%s\n' "$tests" >"$out/work/$lab.tests"
    while read -r t; do
        p=$(awk -v t="$t" '$1 == t && $2 ~ /^[0-9]+$/ { print $2; exit }' "$rubric" 2>/dev/null)
        if [ -z "$p" ]; then
            echo "grade: $t has no points in $rubric" >&2; bad=1
        else
            points[$t]=$p
        fi
    done <<<"$tests"
    for t in $(grep -v -E '^[[:space:]]*(#|$)' "$rubric" 2>/dev/null | awk '{ print $1 }'); do
        grep -qxF -- "$t" <<<"$tests" || { echo "grade: $rubric names no test: $t" >&2; bad=1; }
    done
    maxpoints[$lab]=$(for t in $tests; do echo "${points[$t]:-0}"; done | awk '{ s += $1 } END { print s + 0 }')
done
[ $bad -eq 0 ] || { echo "grade: fix the rubric first (make audit shows it too)" >&2; exit 2; }

case $out/ in "$subs"/*)
    echo "grade: OUT ($out) must not be inside SUBMISSIONS ($subs)" >&2; exit 2 ;;
esac
box_detect || exit 1
# What a submission must not see: the reference solutions and everything
# built from them (build/ref, build/tsan, build/mutants, ...: a program
# could just run the reference), and the other submissions.
box_hide=("$subs")
[ -d solutions ] && box_hide+=("$kit/solutions")
for d in build/*/; do
    d=$kit/${d%/}
    case $d in "$kit/build/lib" | "$kit/build/tests") continue ;; esac
    case $out/ in "$d"/*) continue ;; esac
    box_hide+=("$d")
done
box_alloc_uids "$jobs" || exit 1
mkdir -p "$out/scratch"
chmod 711 "$out" "$out/scratch"
# The programs run as the box's user: it must reach its scratch folder.
box_as_user 0
if [ $box_root -eq 1 ] && ! "${as_user[@]}" test -x "$out/scratch" 2>/dev/null; then
    echo "grade: the box's user (uid ${box_uids[0]}) cannot reach $out/scratch:" \
         "give every folder above it o+x, or choose another GRADE_OUT" >&2
    exit 1
fi
# The compiler runs as the box's user too: it must be able to read the kit.
compile_as_user=1
if [ $box_root -eq 1 ] && ! "${as_user[@]}" bash -c \
    'test -r Makefile && test -r build/lib/plain/libkit.a && test -r common/errors.h' 2>/dev/null; then
    compile_as_user=0
    echo "grade: note: the kit is not readable by other users: compiling as root." >&2
fi

# ---- one lab of one student ---------------------------------------------

# A fingerprint of what a lab's grade depends on.
fingerprint() {
    local student=$1 lab=$2 f
    {
        for f in "labs/$lab"/*.[ch]; do
            f=$(basename "$f")
            echo "$f"
            cat "$subs/$student/$lab/$f" 2>/dev/null
        done
        cat "$bin" "tests/rubric/$lab.txt"
        echo "$GRADE_TEST_TIMEOUT $GRADE_LAB_TIMEOUT $GRADE_PIDS $GRADE_MEM $GRADE_OUTPUT_CAP"
    } | sha256sum | cut -c1-32
}

# Writes $w/$lab.tsv (test, status, points, max, message), $w/$lab.notes
# (Markdown lines for the feedback) and $w/$lab.done (fingerprint).
grade_lab() {
    local slot=$1 student=$2 lab=$3 w=$out/work/$2
    local src=$subs/$student/$lab uid scratch=$out/scratch/slot$1 f
    local tsv=$w/$lab.tsv notes=$w/$lab.notes
    : >"$tsv"
    : >"$notes"
    if [ ! -d "$src" ]; then
        while read -r t; do
            printf '%s\tnot_handed_in\t0\t%s\t\n' "$t" "${points[$t]}" >>"$tsv"
        done <"$out/work/$lab.tests"
        echo "- Not handed in (no folder \`$lab/\`)." >>"$notes"
        echo "missing" >"$w/$lab.done"
        return
    fi
    local fp
    fp=$(fingerprint "$student" "$lab")

    # The scratch tree: the lab's file names only, owned by the box's user.
    uid=$(box_uid "$slot")
    rm -rf "$scratch"
    mkdir -p "$scratch/src/$lab" "$scratch/bin"
    for f in "labs/$lab"/*.[ch]; do
        f=$(basename "$f")
        if [ -f "$src/$f" ] && [ ! -L "$src/$f" ] && [ "$(stat -c %s "$src/$f")" -le 1048576 ]; then
            cp "$src/$f" "$scratch/src/$lab/$f"
        else
            if [ -L "$src/$f" ] || [ -e "$src/$f" ]; then
                echo "- \`$f\` is not a regular file of at most 1 MiB: the starter's was used instead." >>"$notes"
            else
                echo "- \`$f\` was not handed in: the starter's was used instead." >>"$notes"
            fi
            cp "labs/$lab/$f" "$scratch/src/$lab/$f"
        fi
    done
    local extra
    extra=$(cd "$src" && find . -mindepth 1 -maxdepth 1 ! -name README.md -printf '%P\n' | sort |
        while read -r f; do
            case $f in *.[ch]) [ -e "$kit/labs/$lab/$f" ] && continue ;; esac
            printf '`%s` ' "$f"
        done)
    [ -n "$extra" ] && echo "- Ignored (not part of the lab): $extra" >>"$notes"
    [ $box_root -eq 1 ] && chown -R "$uid:$uid" "$scratch"
    chmod 700 "$scratch"

    # Build with the kit's Makefile, as the box's user, in the box.
    local maker=(make -C "$kit" -s --no-print-directory "student-$lab"
        STUDENT_ROOT="$scratch/src" STUDENT_OUT="$scratch/bin")
    box_as_user "$slot"
    [ $compile_as_user -eq 1 ] && maker=("${as_user[@]}" "${maker[@]}")
    box_run "$slot" "$GRADE_BUILD_TIMEOUT" "$scratch" "${maker[@]}" >"$w/$lab.build.log" 2>&1
    local status=$?
    box_close "$slot" >/dev/null
    if [ $status -eq 125 ]; then
        echo "grade: the box could not start (see $w/$lab.build.log)" >&2
        return 1
    fi
    if [ $status -ne 0 ]; then
        while read -r t; do
            printf '%s\tnot_built\t0\t%s\t\n' "$t" "${points[$t]}" >>"$tsv"
        done <"$out/work/$lab.tests"
        {
            if [ $status -eq 124 ]; then
                echo "- **Does not compile**: the build did not finish within $GRADE_BUILD_TIMEOUT s. Every test scores 0."
            else
                echo "- **Does not compile**, so every test scores 0. The compiler's first errors (\`make check\` in the lab folder shows them all):"
                echo
                echo '  ```text'
                sed -e "s|$scratch/src/||g" -e "s|$scratch/bin/||g" -e "s|$kit/||g" "$w/$lab.build.log" |
                    grep -v -E '^make(\[[0-9]+\])?: ' | head -n 25 | cut -c1-200 | sed 's/^/  /'
                echo '  ```'
            fi
        } >>"$notes"
        echo "$fp" >"$w/$lab.done"
        return
    fi

    # The tests, one at a time, each in a fresh box run.
    local refused0 oom0 start t budget left=0 leftfiles="" line st msg n
    refused0=$(box_pids_refused "$slot") oom0=$(box_oom_kills "$slot")
    start=$SECONDS
    while read -r t; do
        budget=$((GRADE_LAB_TIMEOUT - (SECONDS - start)))
        if [ $budget -le 0 ]; then
            printf '%s\tnot_run\t0\t%s\tThe lab used up its time limit (%s s) before this test could run.\n' \
                "$t" "${points[$t]}" "$GRADE_LAB_TIMEOUT" >>"$tsv"
            continue
        fi
        [ $budget -gt "$GRADE_TEST_TIMEOUT" ] && budget=$GRADE_TEST_TIMEOUT
        rm -f "$w/$lab.tap"
        box_run "$slot" "$budget" "$kit" env KIT_BIN_ROOT="$scratch/bin" KIT_TIMEOUT_SCALE=1 \
            KIT_RUN_NOTES="$w/$lab.floods" \
            "$bin" -j1 --short-filename --filter="${t%%::*}/${t#*::}" --tap="$w/$lab.tap" \
            >>"$w/$lab.test.log" 2>&1
        status=$?
        if [ $status -eq 125 ]; then
            echo "grade: the box could not start (see $w/$lab.test.log)" >&2
            return 1
        fi
        line=$(awk -f tests/grade/tap.awk "$w/$lab.tap" 2>/dev/null | awk -F'\t' -v t="$t" '$1 == t' | head -n 1)
        if [ -z "$line" ]; then
            if [ $status -eq 124 ]; then
                line="$t	timed_out	The test did not finish within $budget s: everything it ran was killed."
            else
                line="$t	crashed	The test run ended without a report (status $status)."
            fi
        fi
        IFS=$'\t' read -r _ st msg <<<"$line"
        if [ "$st" = passed ]; then
            printf '%s\tpassed\t%s\t%s\t\n' "$t" "${points[$t]}" "${points[$t]}" >>"$tsv"
        else
            printf '%s\t%s\t0\t%s\t%s\n' "$t" "$st" "${points[$t]}" "$msg" >>"$tsv"
        fi
        n=$(box_close "$slot")
        left=$((left + n))
        leftfiles+=$(box_leftover_files "$slot")
    done <"$out/work/$lab.tests"
    local refused
    refused=$(($(box_pids_refused "$slot") - refused0))
    [ "$refused" -gt 0 ] &&
        echo "- **Fault of the submission**: your programs tried to create more processes or threads than the limit ($GRADE_PIDS at once); $refused fork/pthread_create calls were refused. Does a loop fork without bound, or a child go on looping instead of ending with \`_exit\`?" >>"$notes"
    local oom
    oom=$(($(box_oom_kills "$slot") - oom0))
    [ "$oom" -gt 0 ] &&
        echo "- **Fault of the submission**: your programs used more memory than the limit ($((GRADE_MEM >> 20)) MiB); $oom process(es) were killed for it (signal 9). A loop that allocates without freeing?" >>"$notes"
    [ "$left" -gt 0 ] &&
        echo "- **Fault of the submission**: $left process(es) were still running after the tests and were killed." >>"$notes"
    if [ -s "$w/$lab.floods" ]; then
        echo "- **Fault of the submission**: output flood; a program wrote far more than any test needs (only the first $GRADE_OUTPUT_CAP bytes were kept; a loop that never ends?):"
        sort -u "$w/$lab.floods" | head -n 5 | sed 's/^/  - /'
    fi >>"$notes"
    [ -n "$leftfiles" ] &&
        echo "- **Fault of the submission**: files left in /dev/shm or /tmp were removed: $leftfiles" >>"$notes"
    grep -q -P '\ttimed_out\t' "$tsv" &&
        echo "- Some tests timed out: a program hung (deadlock, a lost wake-up, a child never reaped, a read that never ends) or looped forever; it was killed." >>"$notes"
    grep -q -P '\tcrashed\t' "$tsv" &&
        echo "- Some tests crashed: a program was killed by a signal (11, a segmentation fault: a bad pointer or index; 9: killed at a limit of the box; 6: abort or a failed assert)." >>"$notes"
    echo "$fp" >"$w/$lab.done"
}

# ---- one student ----------------------------------------------------------

# Markdown-safe one line per message line, indented for a list item.
feedback_message() {
    printf '%b\n' "$1" | head -n 40 | cut -c1-300 | sed 's/^/  /'
    [ "$(printf '%b\n' "$1" | wc -l)" -gt 40 ] && echo "  [... the rest is cut]"
    return 0
}

grade_student() {
    local slot=$1 student=$2 w=$out/work/$2 lab fp t0=$SECONDS
    mkdir -p "$w"
    box_open "$slot" || return 1
    for lab in "${labs[@]}"; do
        if [ -d "$subs/$student/$lab" ]; then fp=$(fingerprint "$student" "$lab"); else fp=missing; fi
        if [ -f "$w/$lab.done" ] && [ "$(cat "$w/$lab.done")" = "$fp" ] && [ -f "$w/$lab.tsv" ]; then
            continue # graded before, nothing changed
        fi
        rm -f "$w/$lab".*
        grade_lab "$slot" "$student" "$lab" || { box_destroy "$slot"; return 1; }
    done
    box_destroy "$slot"
    rm -rf "$out/scratch/slot$slot"

    # results, feedback, scores
    local res=$out/results/$student.tsv fb=$out/feedback/$student.md total=0 max=0 score m
    {
        printf 'lab\ttest\tstatus\tpoints\tmax\tmessage\n'
        for lab in "${labs[@]}"; do sed "s/^/$lab\t/" "$w/$lab.tsv"; done
    } >"$res.tmp" && mv "$res.tmp" "$res"
    : >"$w/scores"
    for lab in "${labs[@]}"; do
        score=$(awk -F'\t' '{ s += $3 } END { print s + 0 }' "$w/$lab.tsv")
        echo "$lab $score ${maxpoints[$lab]}" >>"$w/scores"
        total=$((total + score)) max=$((max + maxpoints[$lab]))
    done
    {
        echo "# Feedback: $student"
        echo
        echo "**Total: $total / $max points.** Each lab below lists what failed and why"
        echo "(the tests' own messages), then what passed. In the lab folder,"
        echo "\`make check\` runs the same tests on your machine."
        for lab in "${labs[@]}"; do
            read -r _ score m < <(grep "^$lab " "$w/scores")
            echo
            echo "## $lab: $score / $m"
            echo
            [ -s "$w/$lab.notes" ] && { cat "$w/$lab.notes"; echo; }
            if grep -q -P '\t(failed|timed_out|crashed|not_run)\t' "$w/$lab.tsv"; then
                echo "### Not passed"
                echo
                while IFS=$'\t' read -r t st p mx msg; do
                    case $st in failed | timed_out | crashed | not_run) ;; *) continue ;; esac
                    echo "- **\`$t\`** ($mx point$([ "$mx" = 1 ] || echo s)): ${st/_/ }"
                    if [ -n "$msg" ]; then
                        echo
                        echo '  ````text'
                        feedback_message "$msg"
                        echo '  ````'
                    fi
                done <"$w/$lab.tsv"
                echo
            fi
            if grep -q -P '\tpassed\t' "$w/$lab.tsv"; then
                echo "### Passed"
                echo
                awk -F'\t' '$2 == "passed" { printf "- `%s` (%s point%s)\n", $1, $3, $3 == 1 ? "" : "s" }' "$w/$lab.tsv"
            fi
        done
    } >"$fb.tmp" && mv "$fb.tmp" "$fb"
    echo "$total $max $((SECONDS - t0))" >"$w/total"
}

# ---- the class --------------------------------------------------------------

csv_field() {
    case $1 in
        *[\",$'\n']*) local s=${1//\"/\"\"}; printf '"%s"' "$s" ;;
        *) printf '%s' "$1" ;;
    esac
}

write_gradebook() {
    local s lab tmp
    tmp=$(mktemp "$out/.gradebook.XXXXXX")
    {
        printf 'student'
        for lab in "${labs[@]}"; do printf ',%s' "$lab"; done
        printf ',total\n'
        for s in "${students[@]}"; do
            [ -f "$out/work/$s/total" ] || continue
            csv_field "$s"
            for lab in "${labs[@]}"; do
                printf ',%s' "$(awk -v l="$lab" '$1 == l { print $2 }' "$out/work/$s/scores")"
            done
            printf ',%s\n' "$(cut -d' ' -f1 "$out/work/$s/total")"
        done
    } >"$tmp"
    chmod 600 "$tmp" # not for the box's user to read
    mv "$tmp" "$out/gradebook.csv"
}

students=()
while IFS= read -r s; do students+=("$s"); done < <(
    find "$subs" -mindepth 1 -maxdepth 1 -type d ! -name '.*' -printf '%f\n' | sort)
[ ${#students[@]} -gt 0 ] || { echo "grade: no student folders in $subs" >&2; exit 2; }

if [ $fresh -eq 1 ]; then
    rm -rf "$out/results" "$out/feedback" "$out/gradebook.csv"
    find "$out/work" -mindepth 1 -maxdepth 1 -type d -exec rm -rf {} +
fi
mkdir -p "$out/results" "$out/feedback" "$out/scratch"
rm -f "$out"/.gradebook.*
chmod 700 "$out/results" "$out/feedback"
chmod 711 "$out" "$out/scratch"
for s in "${students[@]}"; do rm -f "$out/work/$s/total"; done

echo "Grading ${#students[@]} student(s), lab(s) ${labs[*]}, $jobs at a time -> $out"
echo "Box: $([ $box_root -eq 1 ] && echo "uid ${box_uids[*]}" || echo "your own uid (not root)");" \
    "cgroup $box_cg$([ $box_cg = none ] || echo " (pids.max $GRADE_PIDS$([ -n "$box_mem_dir" ] && echo ", memory $((GRADE_MEM >> 20)) MiB"))");" \
    "$([ $box_private -eq 1 ] && echo "private /tmp and /dev/shm, hidden: ${box_hide[*]#"$kit"/}" || echo "shared /tmp and /dev/shm")"
declare -A running=() # pid -> "slot student"
free=()
for ((i = 0; i < jobs; i++)); do free+=("$i"); done
done_count=0 failed=0

cleanup() {
    local pid
    trap - EXIT
    for pid in "${!running[@]}"; do kill -- "$pid" 2>/dev/null; done
    wait
    for ((i = 0; i < jobs; i++)); do box_destroy "$i"; done
    box_finish
    rm -f "$out"/.gradebook.*
    write_gradebook
    echo "grade: interrupted; run again to go on where it stopped" >&2
    exit 130
}
trap cleanup INT TERM HUP PIPE
trap 'for ((i = 0; i < jobs; i++)); do box_destroy "$i"; done; box_finish' EXIT

reap() {
    local pid slot student
    wait -n -p pid "${!running[@]}"
    read -r slot student <<<"${running[$pid]}"
    unset "running[$pid]"
    free+=("$slot")
    done_count=$((done_count + 1))
    if [ -f "$out/work/$student/total" ]; then
        local total max secs labsline=""
        read -r total max secs <"$out/work/$student/total"
        while read -r lab score m; do labsline+=" ${lab%%-*}:$score/$m"; done <"$out/work/$student/scores"
        printf '[%d/%d] %-20s %3d / %-3d  (%s)  %d s\n' "$done_count" "${#students[@]}" "$student" \
            "$total" "$max" "${labsline# }" "$secs"
    else
        printf '[%d/%d] %-20s FAILED to grade (%s)\n' "$done_count" "${#students[@]}" "$student" \
            "$out/work/$student/grade.log"
        failed=1
    fi
    write_gradebook
}

for s in "${students[@]}"; do
    while [ ${#running[@]} -ge "$jobs" ]; do reap; done
    slot=${free[0]}
    free=("${free[@]:1}")
    mkdir -p "$out/work/$s"
    grade_student "$slot" "$s" >"$out/work/$s/grade.log" 2>&1 &
    running[$!]="$slot $s"
done
while [ ${#running[@]} -gt 0 ]; do reap; done
write_gradebook
echo "Gradebook: $out/gradebook.csv; per student: $out/results/, $out/feedback/"
exit $failed
}
