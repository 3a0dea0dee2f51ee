#!/usr/bin/env bash
# private-tmp.sh [-k DIR]... -- CMD [ARG...]
#
# Run as the first thing in a fresh mount namespace (unshare --mount, or
# --mount-proc): give CMD an empty, private /dev/shm and /tmp, so that test
# runs side by side (two developers, two checkouts) neither see nor remove
# each other's shared-memory objects, and so that Criterion's runner,
# listening on /tmp/criterion_PID.sock, has a /tmp of its own. (Class
# grading has its own box, tests/grade/box.sh, made with bubblewrap.)
#
#   -k DIR  keep DIR reachable at its path although it lies under /tmp
#           (the kit itself, when it was cloned there); give physical paths
#
# Then run CMD in the same folder, seen through the new mounts, and exit
# with its status. A mount that fails ends it with status 125.
set -u
keep=()
while [ $# -gt 0 ]; do
    case $1 in
        -k) keep+=("$2"); shift 2 ;;
        --) shift; break ;;
        *) break ;;
    esac
done
fail() { echo "private-tmp: $*" >&2; exit 125; }
here=$(pwd -P)

mount -t tmpfs -o mode=1777,size=512m kit-shm /dev/shm || fail "cannot mount /dev/shm"
# Hold on to the old /tmp (on the new /dev/shm, as a dot-name that the
# harness ignores) to bind the kept folders back from it; --rbind, since a
# kept folder may itself be a mount (when this runs inside another such box).
old=/dev/shm/.kit-old-tmp
{ mkdir "$old" && mount --rbind /tmp "$old"; } || fail "cannot hold /tmp"
mount -t tmpfs -o mode=1777,size=512m kit-tmp /tmp || fail "cannot mount /tmp"
for d in "${keep[@]}"; do
    case $d/ in
        /tmp/?*) { mkdir -p "$d" && mount --rbind "$old/${d#/tmp/}" "$d"; } ||
            fail "cannot keep $d" ;;
    esac
done
{ umount -l "$old" && rmdir "$old"; } || fail "cannot release the old /tmp"
# The working folder still points into the mount tree as it was: enter it
# again by its path, so that a relative path sees the new mounts too.
cd "$here" 2>/dev/null || cd /
# Run CMD as a child rather than exec it: the first process of a PID
# namespace is its init, which adopts every orphan, and Criterion's runner
# reaps only its own workers (orphaned valgrind processes were left as
# zombies in it, and the runner stalled). bash reaps them all while it
# waits.
"$@"
exit $?
