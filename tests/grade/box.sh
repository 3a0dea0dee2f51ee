# shellcheck shell=bash
# box.sh - the box every submission runs in (sourced by grade.sh).
#
# A box is a slot number N (0, 1, ... one per student graded at once):
#
#   - its own unprivileged user: the first uid from GRADE_UID_BASE on that
#     has no passwd entry, no process, and no other grading run holding its
#     lock (/run/lock/kit-grade-uid.UID, held while grading): student programs run as that user (the test harness drops to
#     it, KIT_RUN_UID), the compiler too; it can write only its scratch
#     directory, a private /tmp and a private /dev/shm. It cannot change the
#     kit, the gradebook or another student's files, nor signal the test
#     runner, and RLIMIT_NPROC binds it even when grading as root;
#   - its own cgroup where the machine has one (v1 or v2, detected):
#     pids.max (a process limit root cannot ignore) and a memory limit,
#     under kit-grade.PID (one per grading run, removed at the end);
#   - a PID namespace (unshare): when the run ends, every process of the
#     submission dies with it, daemons and double forks included;
#   - a wall-time limit (timeout -s KILL) on every run, and rlimits on file
#     size, core dumps and (without a memory cgroup) address space.
#
# Without root some of these are impossible: box_detect says which, once,
# and grading goes on with what is left.

GRADE_UID_BASE=${GRADE_UID_BASE:-64000}
GRADE_PIDS=${GRADE_PIDS:-512}       # processes+threads per box (cgroup)
GRADE_MEM=${GRADE_MEM:-1073741824}  # bytes of memory per box
GRADE_FSIZE=${GRADE_FSIZE:-67108864} # largest file a program may write
GRADE_OUTPUT_CAP=${GRADE_OUTPUT_CAP:-1048576} # output kept per stream

box_root=0 box_cg=none box_pids_dir="" box_mem_dir="" box_ns=() box_private=0
box_hide=() # folders the submission must not see (set by grade.sh)

# Find out once what this machine offers; print what is missing.
box_detect() {
    [ "$(id -u)" -eq 0 ] && box_root=1
    if [ $box_root -eq 0 ]; then
        echo "grade: WARNING: not root: student code runs as you, so it can write" \
             "whatever you can; RLIMIT_NPROC counts all your processes. Run as" \
             "root for the full box." >&2
    fi
    # cgroup v2: one hierarchy, controllers listed in cgroup.controllers.
    local self v2root
    if [ -f /sys/fs/cgroup/cgroup.controllers ]; then
        self=$(awk -F: '$1 == "0" { print $3 }' /proc/self/cgroup)
        v2root=/sys/fs/cgroup${self%/}
        # A v2 cgroup with processes in it cannot have children with
        # controllers: make ours a sibling parent "kit-grade".
        if mkdir -p "$v2root/kit-grade.$$" 2>/dev/null &&
            echo "+pids +memory" >"$v2root/cgroup.subtree_control" 2>/dev/null &&
            echo "+pids +memory" >"$v2root/kit-grade.$$/cgroup.subtree_control" 2>/dev/null; then
            box_cg=v2 box_pids_dir=$v2root/kit-grade.$$ box_mem_dir=$v2root/kit-grade.$$
        else
            rmdir "$v2root/kit-grade.$$" 2>/dev/null
        fi
    elif [ -f /sys/fs/cgroup/pids/cgroup.procs ]; then
        box_remove_stale /sys/fs/cgroup/pids /sys/fs/cgroup/memory
        # cgroup v1: one hierarchy per controller.
        if mkdir -p "/sys/fs/cgroup/pids/kit-grade.$$" 2>/dev/null; then
            box_cg=v1 box_pids_dir=/sys/fs/cgroup/pids/kit-grade.$$
            mkdir -p "/sys/fs/cgroup/memory/kit-grade.$$" 2>/dev/null &&
                box_mem_dir=/sys/fs/cgroup/memory/kit-grade.$$
        fi
    fi
    if [ $box_cg = none ]; then
        echo "grade: WARNING: no usable pids cgroup (v1 or v2): the process limit is" \
             "RLIMIT_NPROC of the box's user only$([ $box_root -eq 1 ] || echo ", which counts all your processes")." >&2
    fi
    [ -z "$box_mem_dir" ] &&
        echo "grade: note: no memory cgroup: memory is capped with RLIMIT_AS instead." >&2
    # A PID namespace with a private /dev/shm and /tmp (root, or user
    # namespaces); else plain processes, cleaned up by uid afterwards.
    if unshare --pid --fork --kill-child --mount-proc \
        bash "$kit/tests/tools/private-tmp.sh" -k "$kit" -- true 2>/dev/null; then
        box_private=1
    elif unshare --pid --fork --kill-child --mount-proc true 2>/dev/null; then
        box_ns=(unshare --pid --fork --kill-child --mount-proc)
        echo "grade: note: no private /dev/shm and /tmp: leftovers are removed by owner." >&2
        echo "grade: WARNING: submissions can read solutions/ and build/ref/ (and run them)." >&2
    else
        echo "grade: WARNING: submissions can read solutions/ and build/ref/ (and run them)." >&2
        echo "grade: WARNING: no PID namespace: leftover processes are killed by" \
             "$([ $box_root -eq 1 ] && echo "the box's uid" || echo "the test harness only (its descendants)")." >&2
    fi
    if [ $box_root -eq 1 ] && ! command -v setpriv >/dev/null; then
        echo "grade: setpriv (util-linux) is needed to compile as the box's user" >&2
        return 1
    fi
    return 0
}

box_uids=() box_lock_fds=()
box_uid() { if [ $box_root -eq 1 ]; then echo "${box_uids[$1]}"; else id -u; fi; }

# box_alloc_uids N: pick a free uid for each of the N slots (root only) and
# keep its lock for as long as this shell runs.
box_alloc_uids() {
    [ $box_root -eq 1 ] || return 0
    local dir=/run/lock u=$GRADE_UID_BASE fd
    [ -d $dir ] && [ -w $dir ] || dir=/tmp
    while [ ${#box_uids[@]} -lt "$1" ]; do
        if [ $u -ge $((GRADE_UID_BASE + 1000)) ]; then
            echo "grade: no free uid in $GRADE_UID_BASE..$u (GRADE_UID_BASE)" >&2
            return 1
        fi
        if ! getent passwd "$u" >/dev/null &&
            exec {fd}>"$dir/kit-grade-uid.$u" && flock -n "$fd"; then
            if ps -e -o uid= | awk -v u="$u" '$1 == u { found = 1 } END { exit !found }'; then
                exec {fd}>&-
            else
                box_uids+=("$u") box_lock_fds+=("$fd")
            fi
        else
            [ -n "${fd:-}" ] && exec {fd}>&-
        fi
        fd="" u=$((u + 1))
    done
}

# box_open SLOT: a fresh cgroup for the slot.
box_open() {
    local slot=$1
    [ $box_cg = none ] && return 0
    local d
    for d in "$box_pids_dir/slot$slot" ${box_mem_dir:+"$box_mem_dir/slot$slot"}; do
        box_empty_cgroup "$d"
        mkdir -p "$d" || return 1
    done
    echo "$GRADE_PIDS" >"$box_pids_dir/slot$slot/pids.max"
    if [ -n "$box_mem_dir" ]; then
        if [ $box_cg = v1 ]; then
            echo "$GRADE_MEM" >"$box_mem_dir/slot$slot/memory.limit_in_bytes"
        else
            echo "$GRADE_MEM" >"$box_mem_dir/slot$slot/memory.max"
            echo 0 >"$box_mem_dir/slot$slot/memory.swap.max" 2>/dev/null
        fi
    fi
    return 0
}

# How many forks the slot's pids limit has refused so far.
box_pids_refused() {
    [ $box_cg = none ] && { echo 0; return; }
    awk '$1 == "max" { print $2; exit } END { if (NR == 0) print 0 }' \
        "$box_pids_dir/slot$1/pids.events" 2>/dev/null || echo 0
}

# Remove the cgroups of grading runs that died without cleaning up.
box_remove_stale() {
    local root d slot
    for root in "$@"; do
        for d in "$root"/kit-grade.*/; do
            [ -d "$d" ] || continue
            d=${d%/}
            kill -0 "${d##*.}" 2>/dev/null && continue
            for slot in "$d"/slot*/; do [ -d "$slot" ] && box_empty_cgroup "${slot%/}"; done
            rmdir "$d" 2>/dev/null
        done
    done
    return 0
}

# How many processes the slot's memory limit has killed so far.
box_oom_kills() {
    local f=$box_mem_dir/slot$1/memory.events
    [ $box_cg = v1 ] && f=$box_mem_dir/slot$1/memory.oom_control
    [ -n "$box_mem_dir" ] && [ -f "$f" ] || { echo 0; return; }
    awk '$1 == "oom_kill" { print $2; exit } END { if (NR == 0) print 0 }' "$f"
}

# Kill every process of a cgroup, wait for it to be empty, remove it.
box_empty_cgroup() {
    local d=$1 pid tries=0
    [ -d "$d" ] || return 0
    while [ -s "$d/cgroup.procs" ] && [ $tries -lt 100 ]; do
        while read -r pid; do kill -KILL "$pid" 2>/dev/null; done <"$d/cgroup.procs"
        sleep 0.05
        tries=$((tries + 1))
    done
    rmdir "$d" 2>/dev/null
    return 0
}

# Kill, one by one, the processes of this uid; print how many there were.
box_kill_uid() {
    local uid=$1 n=0 pid
    for pid in $(ps -e -o pid=,uid= | awk -v u="$uid" '$2 == u { print $1 }'); do
        kill -KILL "$pid" 2>/dev/null && n=$((n + 1))
    done
    echo $n
}

# box_run SLOT SECONDS DIR CMD...: run CMD in the slot's box with cwd DIR,
# killed with everything it started after SECONDS. Returns CMD's status,
# or 124 on timeout.
box_run() {
    local slot=$1 secs=$2 dir=$3
    shift 3
    local uid mem_rlimit=()
    uid=$(box_uid "$slot")
    [ -z "$box_mem_dir" ] && mem_rlimit=(--as="$((GRADE_MEM * 4))")
    if [ $box_private -eq 1 ]; then
        # A mount namespace: private /dev/shm and /tmp (with the kit and
        # OUT kept where they are, should they lie under /tmp), and an empty
        # read-only folder over every folder in box_hide (the reference
        # solutions and binaries, the other submissions). A mount that fails
        # is the box's fault: status 125, not graded.
        local args=(-k "$(cd "$kit" && pwd -P)" -k "$(cd "$out" && pwd -P)") p
        for p in "${box_hide[@]}"; do
            args+=(-h "$p")
        done
        box_ns=(unshare --pid --fork --kill-child --mount-proc
            bash "$kit/tests/tools/private-tmp.sh" "${args[@]}" --)
    fi
    (
        if [ $box_cg != none ]; then
            echo "$BASHPID" >"$box_pids_dir/slot$slot/cgroup.procs" || exit 125
            [ -n "$box_mem_dir" ] && { echo "$BASHPID" >"$box_mem_dir/slot$slot/cgroup.procs" || exit 125; }
        fi
        # Not root: RLIMIT_NPROC counts all of our processes; allow for them.
        local nproc=$GRADE_PIDS
        [ $box_root -eq 1 ] || nproc=$(($(ps -e -o uid= | awk -v u="$uid" '$1 == u' | wc -l) + GRADE_PIDS))
        cd "$dir" || exit 125
        # The submission inherits no lock (grade.sh holds OUT's on fd 9).
        local fd
        for fd in "${box_lock_fds[@]}" 9; do exec {fd}>&-; done
        exec env -i PATH=/usr/local/bin:/usr/bin:/bin HOME=/tmp TMPDIR=/tmp LANG=C.UTF-8 \
            KIT_RUN_UID="$([ $box_root -eq 1 ] && echo "$uid")" KIT_RUN_GID="$([ $box_root -eq 1 ] && echo "$uid")" \
            KIT_OUTPUT_CAP="$GRADE_OUTPUT_CAP" \
            prlimit --nproc="$nproc" --fsize="$GRADE_FSIZE" --core=0 "${mem_rlimit[@]}" \
            timeout -s KILL "$secs" "${box_ns[@]}" "$@"
    )
    local status=$?
    [ $status -eq 137 ] && status=124
    return $status
}

# box_as_user SLOT: sets as_user to the command prefix that runs a command
# as the slot's user (empty when not root); for use inside box_run.
box_as_user() {
    as_user=()
    [ $box_root -eq 1 ] || return 0
    local uid
    uid=$(box_uid "$1")
    as_user=(setpriv --reuid="$uid" --regid="$uid" --clear-groups --inh-caps=-all
        --bounding-set=-all --nnp)
}

# box_close SLOT: kill what is left; print how many processes were left.
box_close() {
    local slot=$1 left=0 pid tries=0 d=$box_pids_dir/slot$1
    if [ $box_cg != none ] && [ -s "$d/cgroup.procs" ]; then
        left=$(wc -l <"$d/cgroup.procs")
        while [ -s "$d/cgroup.procs" ] && [ $tries -lt 100 ]; do
            while read -r pid; do kill -KILL "$pid" 2>/dev/null; done <"$d/cgroup.procs"
            sleep 0.05
            tries=$((tries + 1))
        done
    fi
    if [ $box_root -eq 1 ]; then
        local by_uid
        by_uid=$(box_kill_uid "$(box_uid "$slot")")
        [ "$by_uid" -gt "$left" ] && left=$by_uid
    fi
    echo "$left"
}

# box_destroy SLOT: kill what is left and remove the slot's cgroups.
box_destroy() {
    box_close "$1" >/dev/null
    [ $box_cg = none ] && return 0
    box_empty_cgroup "$box_pids_dir/slot$1"
    [ -n "$box_mem_dir" ] && box_empty_cgroup "$box_mem_dir/slot$1"
    return 0
}

# box_finish: remove this run's cgroups (after box_destroy of every slot).
box_finish() {
    [ -n "$box_pids_dir" ] && rmdir "$box_pids_dir" 2>/dev/null
    [ -n "$box_mem_dir" ] && [ "$box_mem_dir" != "$box_pids_dir" ] && rmdir "$box_mem_dir" 2>/dev/null
    return 0
}

# box_leftover_files SLOT: remove files the slot's user left in the shared
# /dev/shm and /tmp (only when they were not private); print their names.
box_leftover_files() {
    [ $box_root -eq 1 ] || return 0
    local uid
    uid=$(box_uid "$1")
    find /dev/shm /tmp -xdev -mindepth 1 -maxdepth 1 -uid "$uid" -print \
        -exec rm -rf {} + 2>/dev/null | tr '\n' ' '
}
