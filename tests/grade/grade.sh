#!/usr/bin/env bash
# grade.sh [-j JOBS] [--fresh] [--labs "01 03"] SUBMISSIONS OUT
#
# Grades a class: SUBMISSIONS holds one folder per student, each shaped
# like labs/ (SUBMISSIONS/alice/06-lock/lock.c, ...); any subset of the labs.
# `make grade SUBMISSIONS=DIR [JOBS=2] [FRESH=1] [GRADE_LABS="01 03"]`
# runs it with OUT=build/grade. Run it as root: without root it refuses to
# run student code unless GRADE_UNSAFE=1 (then with a weaker box).
#
# Student folders are names of [A-Za-z0-9._-], not starting with . or -,
# real folders (not links); every other entry of SUBMISSIONS gets a
# gradebook row saying why it was refused. For each student and lab, root
# copies only the lab's own file names (those of the starter, labs/NN-name/
# *.c *.h), and only regular files of at most 1 MiB, checked with lstat and
# read without following a link; a lab folder that is a link is refused.
# A file refused or not handed in is filled in from the starter (so the
# rest of the lab still builds; the starter fails every test, so it earns
# nothing) and the feedback says so. Nothing else of the submission is
# used: it is built and tested in a box (box.sh: bubblewrap, its own
# unprivileged user, cgroup limits) that holds only the toolchain and an
# export of the kit's build inputs (made once per run). A student's labs
# are built one after the other, each in a box of its own, while the labs
# already built are tested (grade_student). The build makes only the
# sanitizer twins the lab's tests use, GRADE_BUILD_JOBS (default 2)
# compilers at a time. The tests run GRADE_TEST_JOBS (default 2) boxes of
# a student at a time, a lab's tests shared evenly among them, at most
# GRADE_BATCH (default 6) to a box (every Nth test: a hung program's
# timeouts are shared too), a fresh box for each batch (a test
# that leaves no verdict, because its box ended early, runs again in a box
# of its own); the labs of GRADE_SERIAL_LABS (default none: a lab whose
# tests compare timings of CPU-bound work) come last, after every build, one box at a time.
# Points:
# tests/rubric/NN-name.txt; a test without points, or a rubric line naming
# no test, stops grading before it starts.
#
# OUT/gradebook.csv        student, a column per lab, total, note (rewritten
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
# Scratch (the kit's export, each slot's sources and binaries) and locks
# live in GRADE_STATE (default /var/lib/kit-grade; root's alone, mode 700),
# in run.ID/, removed on every exit, or at the next start after a kill -9.
#
# Limits (environment): GRADE_TEST_TIMEOUT (s, per test, default 180: the
# tests' own .timeout normally stops a test first), GRADE_LAB_TIMEOUT (s,
# per lab, default 600: tests left when it runs out are not run and earn
# nothing), GRADE_BUILD_TIMEOUT (s, default 300), GRADE_PIDS (512),
# GRADE_MEM (bytes, 1 GiB), GRADE_FSIZE (64 MiB), GRADE_TMPFS (bytes of the
# box's /tmp and /dev/shm, 512 MiB), GRADE_OUTPUT_CAP (bytes of a program's
# output the tests see, 1 MiB), GRADE_UID_BASE (64000: each job's box runs
# as the first free uid from there on, see box.sh).
set -u
export LC_COLLATE=C # one order for student folders, whatever the locale
# The whole script is one { ... } block, read before it runs: editing or
# updating this file while a class is being graded cannot break the run.
{
cd "$(dirname "$0")/../.." || exit 1
kit=$(pwd -P)
# shellcheck source=tests/grade/box.sh
. tests/grade/box.sh
# shellcheck source=tests/grade/text.sh
. tests/grade/text.sh

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
if [ $# -ne 2 ] || [ ! -d "$1" ] || ! [[ $jobs =~ ^[1-9][0-9]?$ ]]; then
    echo "usage: make grade SUBMISSIONS=DIR [JOBS=N] [FRESH=1] [GRADE_LABS=\"01 02\"]" >&2
    echo "       (grade.sh [-j N] [--fresh] [--labs \"01 02\"] SUBMISSIONS OUT)" >&2
    exit 2
fi
subs=$(cd "$1" && pwd -P) out=$2
GRADE_TEST_TIMEOUT=${GRADE_TEST_TIMEOUT:-180}
GRADE_LAB_TIMEOUT=${GRADE_LAB_TIMEOUT:-600}
GRADE_BUILD_TIMEOUT=${GRADE_BUILD_TIMEOUT:-300}
FILE_LIMIT=1048576 # bytes of one submitted file
bin=$kit/build/tests/kit-tests
if [ ! -x "$bin" ] || [ ! -f build/lib/plain/libkit.a ]; then
    echo "grade: build the tests first (make grade does)" >&2
    exit 1
fi

# ---- root, or the unsafe mode asked for by name ---------------------------

if [ "$(id -u)" -ne 0 ]; then
    if [ "${GRADE_UNSAFE:-}" != 1 ]; then
        echo "grade: refusing to run student code without root. Missing without it:" >&2
        echo "  - a user per box: programs would run as you, could read what you can," >&2
        echo "    and could forge their own test verdicts (they share the test runner's uid);" >&2
        echo "  - cgroup limits on processes and memory (only RLIMIT_NPROC, counting all" >&2
        echo "    of your processes)." >&2
        echo "Run it as root (sudo make grade ...), or accept all of the above with" >&2
        echo "GRADE_UNSAFE=1 (bubblewrap with user namespaces is still required)." >&2
        exit 1
    fi
    echo "grade: WARNING: GRADE_UNSAFE=1: grading as $(id -un), not root: submissions" \
         "can forge their verdicts; use the grades only as a preview." >&2
fi

# ---- root's folders: state (locks, scratch) and OUT ----------------------

# A folder that is ours alone: created mode 700 if missing, else it must be
# a real folder (not a link), owned by us, mode 700.
own_folder() {
    local d=$1
    [ -e "$d" ] || [ -L "$d" ] || mkdir -m 700 "$d" || return 1
    if [ -L "$d" ] || [ ! -d "$d" ] || [ "$(stat -c '%u %a' -- "$d")" != "$(id -u) 700" ]; then
        echo "grade: $d must be a folder of $(id -un)'s alone (mode 700, not a link)" >&2
        return 1
    fi
}
if [ "$(id -u)" -eq 0 ]; then
    state=${GRADE_STATE:-/var/lib/kit-grade}
else
    state=${GRADE_STATE:-${XDG_RUNTIME_DIR:-/tmp}/kit-grade-$(id -u)}
fi
mkdir -p "$(dirname "$state")" && own_folder "$state" || exit 1
[ -d "$out" ] || { mkdir -p "$(dirname "$out")" && mkdir -m 700 "$out"; } || exit 1
out=$(cd "$out" && pwd -P)
case $out/ in "$subs"/*)
    echo "grade: OUT ($out) must not be inside SUBMISSIONS ($subs)" >&2; exit 2 ;;
esac
if [ "$(stat -c %u -- "$out")" != "$(id -u)" ] || [ -n "$(find "$out" -maxdepth 0 -perm /022)" ]; then
    echo "grade: OUT ($out) must be $(id -un)'s and writable by no one else" >&2
    exit 2
fi
# One grading at a time per OUT; the lock is in the state folder. Its
# holder removes it at the end (still holding it), so that the folder does
# not fill up with the locks of OUTs long gone; a run that opened it just
# before then finds, once it holds it, that it is no longer the file of
# that name, and starts again.
out_lock=$state/out.$(printf '%s' "$out" | sha256sum | cut -c1-16).lock
while :; do
    exec {fd}>>"$out_lock" || exit 1
    flock -n "$fd" || { echo "grade: $out is being graded by another run" >&2; exit 1; }
    [ "$(stat -L -c %d:%i "/proc/self/fd/$fd")" = "$(stat -c %d:%i "$out_lock" 2>/dev/null)" ] && break
    exec {fd}>&-
done
grade_lock_fds+=("$fd")
trap 'rm -f "$out_lock"' EXIT

# Scratch of grading runs that were killed (their lock is free): remove.
for d in "$state"/run.*/; do
    [ -d "$d" ] || continue
    d=${d%/}
    if [ -f "$d/lock" ] && [ ! -L "$d/lock" ]; then
        exec {fd}<"$d/lock" || exit 1
        flock -n "$fd" && rm -rf "$d"
        exec {fd}<&-
    else
        rm -rf "$d"
    fi
done
# run.ID, not run.PID: two runs in two PID namespaces may share a PID.
if ! { run=$(mktemp -d "$state/run.XXXXXXXX") && : >"$run/lock" &&
    exec {fd}<"$run/lock" && flock -n "$fd"; }; then
    echo "grade: cannot make a scratch folder in $state" >&2
    exit 1
fi
grade_lock_fds+=("$fd")
box_dir=$run box_state=$state
jobs_started=0

# shellcheck disable=SC2317 # run by the traps below
cleanup() {
    local pid i
    trap - EXIT INT TERM HUP PIPE
    for pid in "${!running[@]}"; do kill -- "$pid" 2>/dev/null; done
    wait
    for ((i = 0; i < jobs_started; i++)); do box_destroy "$i"; done
    box_finish
    rm -rf "$run"
    rm -f "$out"/.gradebook.*
}
declare -A running=() # pid -> "slot student"
trap 'cleanup; rm -f "$out_lock"' EXIT
trap 'cleanup; write_gradebook 2>/dev/null; rm -f "$out_lock"; echo "grade: interrupted; run again to go on where it stopped" >&2; exit 130' INT TERM HUP PIPE

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

mkdir -p "$out/work" && chmod 700 "$out/work" || exit 1
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

# The sanitizer twins of a student's build that a lab's tests run
# (run_opts.sanitizer = RUN_TSAN / RUN_ASAN in tests/NN-name.c or
# tests/NN-name/*.c): only those are built in the box.
declare -A twins=()
for lab in "${labs[@]}"; do
    twins[$lab]=""
    for s in tsan asan; do
        grep -q -w "RUN_${s^^}" "tests/$lab.c" tests/"$lab"/*.c 2>/dev/null && twins[$lab]+=" $s"
    done
done
GRADE_SERIAL_LABS=${GRADE_SERIAL_LABS-}
GRADE_TEST_JOBS=${GRADE_TEST_JOBS:-2}
[[ $GRADE_TEST_JOBS =~ ^[1-9]$ ]] || { echo "grade: GRADE_TEST_JOBS must be 1-9" >&2; exit 2; }
GRADE_BATCH=${GRADE_BATCH:-6}
[[ $GRADE_BATCH =~ ^[1-9][0-9]?$ ]] || { echo "grade: GRADE_BATCH must be 1-99" >&2; exit 2; }

# ---- the kit's export: all a box sees of the kit ------------------------

# Made fresh by root for every run: the Makefile and what it includes,
# common/, tests/ (without the mutants, which quote the reference, and the
# sample class), the built test binary, the schedule perturber and the
# library (plain and for the two sanitizer builds), and the starters (the
# Makefile needs labs/NN-name/, and they fill in what a student did not
# hand in). Times are kept so that make finds the library up to date.
make_export() {
    local e=$run/kit d
    mkdir -m 755 "$e" && mkdir -p "$e/build/lib" "$e/build/tests" "$e/labs" "$e/plots" &&
        cp -p Makefile "$e/" && cp -pR common tests "$e/" &&
        rm -rf "$e/tests/mutants" "$e/tests/grade/sample" &&
        cp -pR build/lib/plain build/lib/tsan build/lib/asan "$e/build/lib/" &&
        cp -p "$bin" build/tests/libperturb.so "$e/build/tests/" || return 1
    for d in "${labs[@]}"; do
        mkdir "$e/labs/$d" && cp -p "labs/$d"/*.[ch] "labs/$d/Makefile" "$e/labs/$d/" || return 1
    done
    for d in plots/*.mk; do [ -f "$d" ] && { cp -p "$d" "$e/plots/" || return 1; }; done
    chmod -R a+rX,go-w "$e"
}
make_export || { echo "grade: cannot export the kit to $run/kit" >&2; exit 1; }
box_export=$run/kit
box_detect || exit 1

# ---- the students: checked names, real folders ----------------------------

# SUBMISSIONS' entries: students[] to grade; refused[name]=why for the rest.
students=()
declare -A refused=()
shopt -s nullglob dotglob
for e in "$subs"/*; do
    s=${e##*/}
    if ! [[ $s =~ ^[A-Za-z0-9_][A-Za-z0-9._-]{0,63}$ ]]; then
        refused[$s]="refused: a name of A-Za-z0-9._- only, not starting with . or -, at most 64 long"
    elif [ -L "$e" ]; then
        refused[$s]="refused: a symbolic link, not a folder"
    elif [ ! -d "$e" ]; then
        refused[$s]="refused: not a folder"
    else
        students+=("$s")
    fi
done
shopt -u nullglob dotglob
for s in "${!refused[@]}"; do
    printf 'grade: %s: %s\n' "$(printf '%q' "$s")" "${refused[$s]}" >&2
done
[ ${#students[@]} -gt 0 ] || [ ${#refused[@]} -gt 0 ] ||
    { echo "grade: no student folders in $subs" >&2; exit 2; }
box_alloc_uids "$jobs" "$state" || exit 1

# ---- one lab of one student ---------------------------------------------

# stage_lab SLOT STUDENT LAB: the lab's files in the slot folder's
# box/src/LAB, root's: each checked with lstat (a regular file of at most
# FILE_LIMIT bytes, one link), copied without following a link, never more than
# FILE_LIMIT + 1 bytes read; the starter's file in place of any other.
# Notes for the feedback in report/LAB.stage. Returns 1 when the lab
# folder itself is refused (a link, not a folder).
stage_lab() {
    local sd src=$subs/$2/$3 lab=$3 dest f p kind size links notes
    sd=$(box_slot_dir "$1")
    dest=$sd/box/src/$lab notes=$sd/report/$lab.stage
    rm -rf "$dest" && mkdir -p "$dest" || return 2
    : >"$notes"
    if [ -L "$src" ] || [ ! -d "$src" ]; then
        return 1
    fi
    for f in "labs/$lab"/*.[ch]; do
        f=${f##*/} p=$src/$f
        if [ ! -e "$p" ] && [ ! -L "$p" ]; then
            echo "- \`$f\` was not handed in: the starter's was used instead." >>"$notes"
            cp "labs/$lab/$f" "$dest/$f" || return 2
            continue
        fi
        # A hard link (more than one name) could be any file of the
        # machine that root can read: refused like a symbolic link.
        read -r size links kind < <(stat -c '%s %h %F' -- "$p")
        [ "$kind" = "regular file" ] && [ "$links" -gt 1 ] && kind="file with $links hard links"
        if [ "$kind" = "regular file" ] && [ "$size" -le $FILE_LIMIT ] &&
            dd if="$p" of="$dest/$f" iflag=nofollow,nonblock,count_bytes bs=65536 \
                count=$((FILE_LIMIT + 1)) status=none 2>/dev/null &&
            [ "$(stat -c %s -- "$dest/$f")" -le $FILE_LIMIT ]; then
            continue
        fi
        [ "$kind" = "regular file" ] && kind="regular file of $size bytes"
        echo "- \`$f\` is not a regular file of at most 1 MiB (it is a $kind): the starter's was used instead." >>"$notes"
        cp "labs/$lab/$f" "$dest/$f" || return 2
    done
    # The rest of the folder is named, never read.
    local extra="" e
    shopt -s nullglob dotglob
    for e in "$src"/*; do
        f=${e##*/}
        [ "$f" = README.md ] && continue
        case $f in *.[ch]) [ -e "labs/$lab/$f" ] && continue ;; esac
        extra+="\`$(md_name "$f")\` "
    done
    shopt -u nullglob dotglob
    [ -n "$extra" ] && echo "- Ignored (not part of the lab): ${extra% }" >>"$notes"
    return 0
}

# A fingerprint of what a lab's grade depends on: root's copies of the
# files (never the submission itself), the tests, the rubric, the limits.
fingerprint() {
    local sd=$1 lab=$2
    {
        (cd "$sd/box/src/$lab" && sha256sum -- *)
        cat "$sd/report/$lab.stage"
        sha256sum "$bin" "tests/rubric/$lab.txt"
        echo "$GRADE_TEST_TIMEOUT $GRADE_LAB_TIMEOUT $GRADE_PIDS $GRADE_MEM $GRADE_OUTPUT_CAP $GRADE_FSIZE $GRADE_TMPFS"
    } | sha256sum | cut -c1-32
}

# Every test of the lab with one status (not_built, not_handed_in).
all_tests() {
    while read -r t; do
        printf '%s\t%s\t0\t%s\t\n' "$t" "$1" "${points[$t]}"
    done <"$out/work/$2.tests"
}

# build_labs SLOT WORK LAB...: build each lab, one after the other, in a
# box of the slot's build lane (box.sh: a cgroup of its own); the build's
# output goes to WORK/LAB.build.log, its status to the slot folder's
# report/LAB.built, which grade_student waits for.
build_labs() {
    local slot=$1 w=$2 sd lab st
    shift 2
    sd=$(box_slot_dir "$slot")
    for lab in "$@"; do
        [ -d "$sd/report" ] || return 0 # the run was stopped
        # shellcheck disable=SC2086 # twins: words
        box_run "$slot" build "$GRADE_BUILD_TIMEOUT" build "$lab" ${twins[$lab]} >"$w/$lab.build.log" 2>&1
        st=$?
        box_close "$slot" build
        echo "$st" >"$sd/report/$lab.built.tmp" && mv "$sd/report/$lab.built.tmp" "$sd/report/$lab.built"
    done
}

# Writes $w/$lab.tsv (test, status, points, max, message), $w/$lab.notes
# (Markdown lines for the feedback) and $w/$lab.done (fingerprint), from
# the staged slot folder, once build_labs has built the lab.
grade_lab() {
    local slot=$1 student=$2 lab=$3 fp=$4 w=$out/work/$2 sd status
    local tsv=$w/$lab.tsv notes=$w/$lab.notes
    sd=$(box_slot_dir "$slot")
    cp "$sd/report/$lab.stage" "$notes" && : >"$tsv" || return 1
    read -r status <"$sd/report/$lab.built" || return 1
    if [ "$status" -eq 125 ]; then
        echo "grade: the box could not start (see $w/$lab.build.log)" >&2
        return 1
    fi
    if [ "$status" -ne 0 ]; then
        all_tests not_built "$lab" >>"$tsv"
        {
            if [ "$status" -eq 124 ]; then
                echo "- **Does not compile**: the build did not finish within $GRADE_BUILD_TIMEOUT s. Every test scores 0."
            else
                echo "- **Does not compile**, so every test scores 0. The compiler's first errors (\`make check\` in the lab folder shows them all):"
                echo
                sed -e 's|/box/src/||g' -e 's|/box/bin/||g' -e 's|/kit/||g' "$w/$lab.build.log" |
                    grep -v -E '^make(\[[0-9]+\])?: ' | head -n 25 | cut -c1-200 | fenced "  "
            fi
        } >>"$notes"
        echo "$fp" >"$w/$lab.done"
        return 0
    fi

    # The tests, GRADE_BATCH at a time in a fresh box (a box costs about
    # a second to start: bubblewrap, Criterion's runner, the inventory);
    # up to `box_lanes_max` boxes at once (GRADE_TEST_JOBS, default 2), one
    # at a time in the labs whose tests compare timings (GRADE_SERIAL_LABS).
    # Each test's result goes to a file of its own; the lab's files are put
    # together in test order.
    local refused0 oom0 start i k n budget lanes lane r=$w/$lab.run tests=()
    local -A lane_of=() # pid of a batch's job -> its lane
    local -a free_lanes=()
    refused0=$(box_pids_refused "$slot") oom0=$(box_oom_kills "$slot")
    lanes=$(box_lanes_max)
    case " $GRADE_SERIAL_LABS " in *" ${lab%%-*} "*) lanes=1 ;; esac
    for ((lane = 0; lane < lanes; lane++)); do free_lanes+=("$lane"); done
    mapfile -t tests <"$out/work/$lab.tests"
    rm -rf "$r" && mkdir "$r" || return 1
    : >"$w/$lab.floods"
    : >"$w/$lab.leftovers"
    start=$SECONDS
    # As many tests to a box as share the lanes evenly, at most GRADE_BATCH.
    # A box takes every nb-th test (nb boxes in all), not a run of
    # neighbours: the tests of one program sit together, and when that
    # program hangs, its timeouts are then shared between the lanes.
    local per=$(((${#tests[@]} + lanes - 1) / lanes)) nb
    [ $per -gt "$GRADE_BATCH" ] && per=$GRADE_BATCH
    [ $per -lt 1 ] && per=1
    nb=$(((${#tests[@]} + per - 1) / per))
    local -a batch
    for ((i = 0; i < nb; i++)); do
        batch=()
        for ((k = i; k < ${#tests[@]}; k += nb)); do batch+=("$k"); done
        n=${#batch[@]}
        while [ ${#free_lanes[@]} -eq 0 ]; do reap_test || return 1; done
        budget=$((GRADE_LAB_TIMEOUT - (SECONDS - start)))
        if [ $budget -le 0 ]; then
            for k in "${batch[@]}"; do not_run_row "${tests[$k]}" >"$r/$k.tsv"; done
            continue
        fi
        [ $budget -gt $((GRADE_TEST_TIMEOUT * n)) ] && budget=$((GRADE_TEST_TIMEOUT * n))
        lane=${free_lanes[0]}
        free_lanes=("${free_lanes[@]:1}")
        run_batch "$slot" "$lane" "$budget" "$r" "$start" "${batch[@]}" &
        lane_of[$!]=$lane
    done
    while [ ${#lane_of[@]} -gt 0 ]; do reap_test || return 1; done
    for i in "${!tests[@]}"; do cat "$r/$i.tsv" >>"$tsv" || return 1; done
    # Logs, floods and leftovers: per box (a batch, or a test run again
    # alone), in the order the boxes started.
    for i in $(cd "$r" && ls | sed -n -E 's/^(b?)([0-9]+)\.log$/\2 \1/p' | sort -n -k1,1 -k2,2r | awk '{ print $2 $1 }'); do
        cat "$r/$i.log" >>"$w/$lab.test.log" 2>/dev/null
        cat "$r/$i.floods" >>"$w/$lab.floods" 2>/dev/null
        cat "$r/$i.leftovers" >>"$w/$lab.leftovers" 2>/dev/null
    done
    rm -rf "$r"
    lab_faults "$slot" "$lab" "$refused0" "$oom0" >>"$notes"
    grep -q -P '\ttimed_out\t' "$tsv" &&
        echo "- Some tests timed out: a program hung (deadlock, a lost wake-up, a child never reaped, a read that never ends) or looped forever; it was killed." >>"$notes"
    grep -q -P '\tcrashed\t' "$tsv" &&
        echo "- Some tests crashed: a program was killed by a signal (11, a segmentation fault: a bad pointer or index; 9: killed at a limit of the box; 6: abort or a failed assert)." >>"$notes"
    echo "$fp" >"$w/$lab.done"
}

# reap_test: wait for one of grade_lab's test jobs (lane_of, free_lanes
# are grade_lab's) and free its lane. Returns 1 if its box could not start.
reap_test() {
    local pid st
    wait -n -p pid "${!lane_of[@]}"
    st=$?
    free_lanes+=("${lane_of[$pid]}")
    unset "lane_of[$pid]"
    [ $st -eq 0 ]
}

# not_run_row TEST: its row when the lab's time ran out before it.
not_run_row() {
    printf '%s\tnot_run\t0\t%s\tThe lab used up its time limit (%s s) before this test could run.\n' \
        "$1" "${points[$1]}" "$GRADE_LAB_TIMEOUT"
}

# test_row TEST LINE: the test's row (test, status, points, max, message)
# from its tap.awk LINE (test, status, message).
test_row() {
    local t=$1 st msg
    IFS=$'\t' read -r _ st msg <<<"$2"
    if [ "$st" = passed ]; then
        printf '%s\tpassed\t%s\t%s\t\n' "$t" "${points[$t]}" "${points[$t]}"
    else
        printf '%s\t%s\t0\t%s\t%s\n' "$t" "$st" "${points[$t]}" "$msg"
    fi
}

# box_tests SLOT LANE SECONDS FILTER OUT: the tests FILTER selects, in a
# fresh box of the slot's lane. Leaves OUT.lines (tap.awk's lines),
# OUT.log, OUT.floods and OUT.leftovers; returns box_run's status.
box_tests() {
    local slot=$1 lane=$2 secs=$3 filter=$4 o=$5 rd status
    rd=$(box_lane_dir "$slot" "$lane")
    rm -f "$rd/tap" "$rd/floods" "$rd/leftovers"
    box_run "$slot" "$lane" "$secs" test "$filter" >"$o.log" 2>&1
    status=$?
    box_close "$slot" "$lane"
    [ $status -eq 125 ] && echo "grade: the box could not start (see $o.log)" >&2
    awk -f tests/grade/tap.awk "$rd/tap" 2>/dev/null | strip_controls >"$o.lines"
    [ -f "$rd/floods" ] && cp "$rd/floods" "$o.floods"
    [ -f "$rd/leftovers" ] && cp "$rd/leftovers" "$o.leftovers"
    return $status
}

# run_test SLOT LANE TEST SECONDS OUT: one test alone in a fresh box.
# Writes OUT.tsv (the test's row), OUT.log, OUT.floods and OUT.leftovers.
# Returns 1 when the box could not start.
run_test() {
    local slot=$1 lane=$2 t=$3 budget=$4 o=$5 line status
    box_tests "$slot" "$lane" "$budget" "${t%%::*}/${t#*::}" "$o"
    status=$?
    [ $status -eq 125 ] && return 1
    line=$(awk -F'\t' -v t="$t" '$1 == t' "$o.lines" | head -n 1)
    if [ -z "$line" ]; then
        if [ $status -eq 124 ]; then
            line="$t	timed_out	The test did not finish within $budget s: everything it ran was killed."
        else
            line="$t	crashed	The test run ended without a report (status $status)."
        fi
    fi
    test_row "$t" "$line" >"$o.tsv"
    rm -f "$o.lines"
    return 0
}

# run_batch SLOT LANE SECONDS RUN START I...: grade_lab's tests number I...
# in one fresh box; each one's row in RUN/I.tsv.
# Criterion writes its report when the run ends: a box that ended early
# (a test that outlived its own timeout, or took the runner down) leaves
# no line for some tests, and each of those runs again alone, so that it
# is graded exactly as if every test had a box of its own. Returns 1 when
# a box could not start.
run_batch() {
    local slot=$1 lane=$2 secs=$3 r=$4 start=$5 first=$6 k t line budget
    shift 5
    local -a names=()
    if [ $# -eq 1 ]; then
        run_test "$slot" "$lane" "${tests[$first]}" "$secs" "$r/$first"
        return
    fi
    for k in "$@"; do
        t=${tests[$k]}
        names+=("${t%%::*}/${t#*::}")
    done
    box_tests "$slot" "$lane" "$secs" "@($(IFS='|'; echo "${names[*]}"))" "$r/b$first"
    [ $? -eq 125 ] && return 1
    for k in "$@"; do
        t=${tests[$k]}
        line=$(awk -F'\t' -v t="$t" '$1 == t' "$r/b$first.lines" | head -n 1)
        if [ -n "$line" ]; then
            test_row "$t" "$line" >"$r/$k.tsv"
            continue
        fi
        budget=$((GRADE_LAB_TIMEOUT - (SECONDS - start)))
        if [ $budget -le 0 ]; then
            not_run_row "$t" >"$r/$k.tsv"
            continue
        fi
        [ $budget -gt "$GRADE_TEST_TIMEOUT" ] && budget=$GRADE_TEST_TIMEOUT
        run_test "$slot" "$lane" "$t" "$budget" "$r/$k" || return 1
    done
    rm -f "$r/b$first.lines"
    return 0
}

# The feedback lines on what a lab's programs did to the box.
lab_faults() {
    local slot=$1 lab=$2 refused oom left w=$out/work/$student kind
    refused=$(($(box_pids_refused "$slot") - $3))
    oom=$(($(box_oom_kills "$slot") - $4))
    [ "$refused" -gt 0 ] &&
        echo "- **Fault of the submission**: your programs tried to create more processes or threads than the limit ($GRADE_PIDS at once); $refused fork/pthread_create calls were refused. Does a loop fork without bound, or a child go on looping instead of ending with \`_exit\`?"
    [ "$oom" -gt 0 ] &&
        echo "- **Fault of the submission**: your programs used more memory than the limit ($((GRADE_MEM >> 20)) MiB); $oom process(es) were killed for it (signal 9). A loop that allocates without freeing?"
    left=$(awk -F'\t' '$1 == "processes" { n += $2 } END { print n + 0 }' "$w/$lab.leftovers")
    [ "$left" -gt 0 ] &&
        echo "- **Fault of the submission**: $left process(es) were still running after the tests and were killed."
    if [ -s "$w/$lab.floods" ]; then
        echo "- **Fault of the submission**: output flood; a program wrote far more than any test needs (only the first $GRADE_OUTPUT_CAP bytes were kept; a loop that never ends?):"
        sort -u "$w/$lab.floods" | head -n 5 | strip_controls | fenced "  "
    fi
    for kind in /tmp /var/tmp /run/lock /dev/shm /dev/mqueue sysv-shm sysv-sem sysv-msg; do
        awk -F'\t' -v k="$kind" '$1 == k { print $2 }' "$w/$lab.leftovers" | sort -u >"$w/$lab.kind"
        [ -s "$w/$lab.kind" ] || continue
        case $kind in
            /dev/mqueue) echo "- **Fault of the submission**: POSIX message queues were left (mq_unlink them); removed with the box:" ;;
            sysv-*) echo "- **Fault of the submission**: SysV IPC objects ($kind) were left (IPC_RMID them); removed with the box:" ;;
            *) echo "- **Fault of the submission**: files were left in $kind (remove what you create; dot-names count too); removed with the box:" ;;
        esac
        head -n 20 "$w/$lab.kind" | strip_controls | fenced "  "
    done
    rm -f "$w/$lab.kind"
    return 0
}

# ---- one student ----------------------------------------------------------

# The labs are staged first, all of them; then one box builds them one
# after the other (build_labs), while each lab built is tested: a build
# costs CPU and little else, the tests mostly wait. The labs whose tests
# compare timings (GRADE_SERIAL_LABS) come last, once every build is done:
# nothing of ours runs beside their tests (and every lab, without a
# cgroup).
grade_student() {
    local slot=$1 student=$2 w=$out/work/$2 lab fp t0=$SECONDS st sd uid builder=""
    local -a first=() last=()
    local -A fps=()
    sd=$(box_slot_dir "$slot")
    uid=$(box_uid "$slot")
    mkdir -p "$w"
    box_open "$slot" || return 1
    rm -rf "$sd" && mkdir -m 700 "$sd" "$sd/report" && mkdir "$sd/box" || return 1
    for lab in "${labs[@]}"; do
        stage_lab "$slot" "$student" "$lab"
        st=$?
        [ $st -eq 2 ] && { echo "grade: cannot stage $lab in $sd" >&2; return 1; }
        if [ $st -eq 1 ]; then
            if [ -e "$subs/$student/$lab" ] || [ -L "$subs/$student/$lab" ]; then
                fp=refused
            else
                fp=missing
            fi
        else
            fp=$(fingerprint "$sd" "$lab")
        fi
        if [ -f "$w/$lab.done" ] && [ "$(cat "$w/$lab.done")" = "$fp" ] && [ -f "$w/$lab.tsv" ]; then
            continue # graded before, nothing changed
        fi
        rm -f "$w/$lab".*
        case $fp in
            missing)
                all_tests not_handed_in "$lab" >"$w/$lab.tsv"
                echo "- Not handed in (no folder \`$lab/\`)." >"$w/$lab.notes"
                echo "$fp" >"$w/$lab.done" ;;
            refused)
                all_tests not_handed_in "$lab" >"$w/$lab.tsv"
                echo "- **Refused**: \`$lab\` is not a folder (a symbolic link, or a file): nothing in it was read. Every test scores 0." >"$w/$lab.notes"
                echo "$fp" >"$w/$lab.done" ;;
            *)
                fps[$lab]=$fp
                # Without a cgroup a box's processes are found by uid, which
                # the build shares: then no test runs beside the builds.
                case " $GRADE_SERIAL_LABS $([ $box_cg = none ] && echo "${lab%%-*}") " in
                    *" ${lab%%-*} "*) last+=("$lab") ;;
                    *) first+=("$lab") ;;
                esac ;;
        esac
    done
    if [ $((${#first[@]} + ${#last[@]})) -gt 0 ]; then
        # Hand the sources to the box's user; the report folder stays root's.
        chmod -R a+rX "$sd/box" && chmod 755 "$sd/box" || return 1
        if [ $box_root -eq 1 ]; then chown -R "$uid:$uid" "$sd/box" || return 1; fi
        build_labs "$slot" "$w" "${first[@]}" "${last[@]}" &
        builder=$!
        for lab in "${first[@]}" "${last[@]}"; do
            if [[ " ${last[*]} " == *" $lab "* ]]; then
                wait "$builder" 2>/dev/null # every build done: nothing beside the tests
            else
                while [ ! -e "$sd/report/$lab.built" ] && kill -0 "$builder" 2>/dev/null; do sleep 0.1; done
            fi
            grade_lab "$slot" "$student" "$lab" "${fps[$lab]}" || {
                kill "$builder" 2>/dev/null
                box_destroy "$slot"
                return 1
            }
        done
        wait "$builder" 2>/dev/null
    fi
    box_destroy "$slot"
    rm -rf "$sd"
    write_results "$student"
    write_feedback "$student" "$t0"
}

write_results() {
    local student=$1 w=$out/work/$1 res=$out/results/$1.tsv lab score total=0 max=0
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
    echo "$total $max" >"$w/total.tmp"
}

write_feedback() {
    local student=$1 t0=$2 w=$out/work/$1 fb=$out/feedback/$1.md lab score m total max t st mx msg
    read -r total max <"$w/total.tmp"
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
                while IFS=$'\t' read -r t st _ mx msg; do
                    case $st in failed | timed_out | crashed | not_run) ;; *) continue ;; esac
                    echo "- **\`$t\`** ($mx point$([ "$mx" = 1 ] || echo s)): ${st/_/ }"
                    if [ -n "$msg" ]; then
                        echo
                        feedback_message "$msg"
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

write_gradebook() {
    local s lab tmp
    tmp=$(mktemp "$out/.gradebook.XXXXXX") || return 1
    {
        printf 'student'
        for lab in "${labs[@]}"; do printf ',%s' "$lab"; done
        printf ',total,note\n'
        for s in "${students[@]}"; do
            [ -f "$out/work/$s/total" ] || continue
            printf '%s' "$s"
            for lab in "${labs[@]}"; do
                printf ',%s' "$(awk -v l="$lab" '$1 == l { print $2 }' "$out/work/$s/scores")"
            done
            printf ',%s,\n' "$(cut -d' ' -f1 "$out/work/$s/total")"
        done
        for s in "${!refused[@]}"; do
            csv_field "$s"
            for lab in "${labs[@]}"; do printf ','; done
            printf ',,'
            csv_field "${refused[$s]}"
            printf '\n'
        done | sort
    } >"$tmp"
    chmod 600 "$tmp" && mv "$tmp" "$out/gradebook.csv"
}

if [ $fresh -eq 1 ]; then
    rm -rf "$out/results" "$out/feedback" "$out/gradebook.csv"
    find "$out/work" -mindepth 1 -maxdepth 1 -type d -exec rm -rf {} +
fi
mkdir -p "$out/results" "$out/feedback" && chmod 700 "$out/results" "$out/feedback" || exit 1
rm -f "$out"/.gradebook.*
for s in "${students[@]}"; do rm -f "$out/work/$s/total"; done

echo "Grading ${#students[@]} student(s), lab(s) ${labs[*]}, $jobs at a time -> $out"
echo "Box: $([ $box_root -eq 1 ] && echo "uid ${box_uids[*]}" || echo "your own uid (GRADE_UNSAFE)");" \
    "cgroup $box_cg$([ $box_cg = none ] || echo " (pids.max $GRADE_PIDS$([ -n "$box_mem_dir" ] && echo ", memory $((GRADE_MEM >> 20)) MiB"))");" \
    "bubblewrap, scratch $run"
free=()
for ((i = 0; i < jobs; i++)); do free+=("$i"); done
done_count=0 failed=0

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
    [ "$slot" -ge $jobs_started ] && jobs_started=$((slot + 1))
    mkdir -p "$out/work/$s"
    grade_student "$slot" "$s" >"$out/work/$s/grade.log" 2>&1 &
    running[$!]="$slot $s"
done
while [ ${#running[@]} -gt 0 ]; do reap; done
write_gradebook
echo "Gradebook: $out/gradebook.csv; per student: $out/results/, $out/feedback/"
exit $failed
}
