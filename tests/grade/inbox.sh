#!/usr/bin/env bash
# inbox.sh build LAB [tsan] [asan] | test FILTER - the first program of a grading box
# (box.sh starts it through bwrap; it is never run outside one).
#
#   build LAB [tsan] [asan]
#                 builds the submission in /box/src into /box/bin with the
#                 kit's Makefile, as the box's user (KIT_BOX_UID), and
#                 the sanitizer twins named (/box/bin-tsan, /box/bin-asan).
#   test FILTER   runs the kit's tests that FILTER selects against
#                 /box/bin, writing the TAP report to /report/tap; the
#                 test harness starts every program as the box's user
#                 (KIT_RUN_UID) and notes output floods in /report/floods.
#                 Then lists, in /report/leftovers, what the programs left
#                 in the box: processes, files in /tmp, /var/tmp,
#                 /run/lock and /dev/shm (dot-names too), POSIX message
#                 queues, SysV shared memory, semaphores and message
#                 queues. All of it dies with the box; the list is for the
#                 student's feedback. Kept to 20 names of each kind.
#
# Exit status: the build's or the test runner's.
set -u
: >/report/started || exit 125
uid=${KIT_BOX_UID:-}

# What the box's user left: "kind<TAB>name" lines, control characters in
# names made '?'. Bash builtins only: this runs after every test.
inventory() {
    local d f pid n=0 owner cols i col kind
    # Processes first (every one but us and bwrap, which is pid 1).
    for d in /proc/[0-9]*; do
        pid=${d#/proc/}
        if [ "$pid" -ne 1 ] && [ "$pid" -ne $$ ] && [ -d "$d" ]; then n=$((n + 1)); fi
    done
    [ $n -gt 0 ] && printf 'processes\t%d\n' "$n"
    kill -KILL -1 2>/dev/null
    # Files: with a box user, what is not root's (the runner's) is theirs.
    shopt -s nullglob dotglob
    for d in /tmp /var/tmp /run/lock /dev/shm /dev/mqueue; do
        n=0
        for f in "$d"/*; do
            [ -n "$uid" ] && [ ! -L "$f" ] && [ -O "$f" ] && continue
            case ${f##*/} in criterion_*.sock) continue ;; esac
            f=${f##*/}
            n=$((n + 1))
            [ $n -le 20 ] && printf '%s\t%s\n' "$d" "${f//[$'\001'-$'\037'$'\177']/?}"
        done
    done
    # /proc/sysvipc/*: a header line naming the columns, then an object
    # a line (key, id, ..., uid, ...).
    for kind in shm sem msg; do
        col=0
        while read -r -a cols; do
            if [ "$col" -eq 0 ]; then
                for i in "${!cols[@]}"; do [ "${cols[$i]}" = uid ] && col=$i; done
                continue
            fi
            owner=${cols[$col]}
            [ -z "$uid" ] || [ "$owner" = "$uid" ] &&
                printf 'sysv-%s\tkey %s, id %s\n' "$kind" "${cols[0]}" "${cols[1]}"
        done <"/proc/sysvipc/$kind"
    done
}

case ${1:-} in
    build)
        lab=$2
        shift 2
        as_user=()
        [ -n "$uid" ] && as_user=(setpriv --reuid="$uid" --regid="$uid" --clear-groups
            --inh-caps=-all --nnp --)
        # The plain build, and the sanitizer twins (/box/bin-tsan, -asan)
        # named after it: those the lab's tests run the student's code
        # under (grade.sh says which). Two compilers at a time
        # (GRADE_BUILD_JOBS); the box's cgroup holds them to its limits.
        targets=("student-$lab")
        for twin in "$@"; do
            case $twin in tsan | asan) targets+=("student-$twin-$lab") ;; esac
        done
        exec "${as_user[@]}" make -C /kit -s --no-print-directory -j"${KIT_BUILD_JOBS:-2}" \
            "${targets[@]}" STUDENT_ROOT=/box/src STUDENT_OUT=/box/bin
        ;;
    test)
        # Run as a child, not exec'd: the runner must end before the
        # inventory, which kills what is left.
        KIT_RUN_UID=$uid KIT_RUN_GID=$uid KIT_BIN_ROOT=/box/bin KIT_TIMEOUT_SCALE=1 \
            KIT_RUN_NOTES=/report/floods \
            /kit/build/tests/kit-tests -j1 --short-filename --filter="$2" --tap=/report/tap
        status=$?
        inventory >/report/leftovers
        exit $status
        ;;
    *)
        echo "usage: inbox.sh build LAB [tsan] [asan] | test FILTER" >&2
        exit 2
        ;;
esac
