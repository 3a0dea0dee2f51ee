#!/usr/bin/env bash
# inbox.sh build LAB | test FILTER - the first program of a grading box
# (box.sh starts it through bwrap; it is never run outside one).
#
#   build LAB     builds the submission in /box/src into /box/bin with the
#                 kit's Makefile, as the box's user (KIT_BOX_UID).
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

# What the box's user left: "kind<TAB>name" lines, names on one line each.
inventory() {
    local d pid n=0
    # Processes first (every one but us and bwrap, which is pid 1).
    for d in /proc/[0-9]*; do
        pid=${d#/proc/}
        [ "$pid" -eq 1 ] || [ "$pid" -eq $$ ] || [ "$pid" -eq "$BASHPID" ] && continue
        [ -r "$d/status" ] && n=$((n + 1))
    done
    [ $n -gt 0 ] && printf 'processes\t%d\n' "$n"
    kill -KILL -1 2>/dev/null
    for d in /tmp /var/tmp /run/lock /dev/shm /dev/mqueue; do
        find "$d" -mindepth 1 -maxdepth 1 ${uid:+-uid "$uid"} ! -name 'criterion_*.sock' -printf '%f\0' |
            head -z -n 20 | tr '\n\0' '?\n' | sed "s|^|$d\t|"
    done
    # /proc/sysvipc/*: a header line, then key, id, ..., uid (column 8 for
    # shm, 5 for sem and msg... read by name from the header).
    for d in shm sem msg; do
        awk -v kind="sysv-$d" -v uid="$uid" '
            NR == 1 { for (i = 1; i <= NF; i++) if ($i == "uid") col = i; next }
            uid == "" || $col == uid { printf "%s\tkey %s, id %s\n", kind, $1, $2 }' \
            "/proc/sysvipc/$d" | head -n 20
    done
}

case ${1:-} in
    build)
        lab=$2
        as_user=()
        [ -n "$uid" ] && as_user=(setpriv --reuid="$uid" --regid="$uid" --clear-groups
            --inh-caps=-all --nnp --)
        exec "${as_user[@]}" make -C /kit -s --no-print-directory "student-$lab" \
            STUDENT_ROOT=/box/src STUDENT_OUT=/box/bin
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
        echo "usage: inbox.sh build LAB | test FILTER" >&2
        exit 2
        ;;
esac
