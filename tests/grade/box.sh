# shellcheck shell=bash
# box.sh - the box every submission is built and tested in (sourced by
# grade.sh). A box is one run of bubblewrap (bwrap) in a slot N (0, 1, ...:
# one per student graded at once):
#
#   - an empty root made of read-only binds: the toolchain (/usr, and of /etc
#     only the compiler's alternatives and the loader's cache) and the kit's
#     export at /kit (grade.sh makes it: Makefile, common/, tests/ with the
#     built test binary and library, the starters; no .git, no solutions/,
#     no build/ref). The slot's own folder is /box (its sources and
#     binaries: writable while it builds, read-only while it is tested) and
#     /report (root's, for the test report). Nothing else of the machine is
#     there: no home, no other submission, no /etc/shadow;
#   - its own PID, IPC, network (loopback only), UTS, mount and cgroup
#     namespaces, a new session (no terminal), killed with the grader
#     (--die-with-parent): when the box ends, every process in it ends;
#   - fresh tmpfs /tmp, /dev/shm, /var/tmp, /run/lock and an mqueue
#     filesystem, gone with the box; what the submission leaves there, or
#     in the IPC tables, is listed first (inbox.sh) for its feedback;
#   - an unprivileged user of its own (the slot's uid, see box_alloc_uids):
#     the compiler runs as that user (setpriv), and so does every student
#     program (the test harness drops to KIT_RUN_UID). The test runner
#     itself stays uid 0 of the box with only CAP_SETUID, CAP_SETGID and
#     CAP_KILL (to start the programs as that user and kill them): a
#     program cannot trace, signal or forge the runner or its report;
#   - a cgroup per slot where the machine has one (v1 or v2, detected):
#     pids.max (a process limit root cannot ignore) and a memory limit,
#     under kit-box.ID (one per grading run, named after its scratch
#     folder STATE/run.ID: a PID would not do, two runs in two PID
#     namespaces may have the same; removed at the end, or by the next run
#     once run.ID is gone);
#   - a wall-time limit (timeout -s KILL) on every run, and rlimits on file
#     size, core dumps, processes of the uid and (without a memory cgroup)
#     address space.
#
# Without root only GRADE_UNSAFE=1 runs a box at all: bwrap through user
# namespaces, everything as you (a program can forge its own verdict), no
# cgroup; box_detect says what is missing.

GRADE_UID_BASE=${GRADE_UID_BASE:-64000}
GRADE_PIDS=${GRADE_PIDS:-512}                 # processes+threads per box (cgroup)
GRADE_MEM=${GRADE_MEM:-1073741824}            # bytes of memory per box
GRADE_FSIZE=${GRADE_FSIZE:-67108864}          # largest file a program may write
GRADE_OUTPUT_CAP=${GRADE_OUTPUT_CAP:-1048576} # output kept per stream
GRADE_TMPFS=${GRADE_TMPFS:-536870912}         # bytes of /tmp, and of /dev/shm

box_root=0 box_cg=none box_pids_dir="" box_mem_dir=""
box_export="" # the kit's export, bound at /kit (set by grade.sh)
grade_lock_fds=() # fds of grade.sh's locks, closed in the box (set by grade.sh)
box_dir=""    # where the slots' folders go: STATE/run.ID (set by grade.sh)
box_state=""  # the state folder, where every run has its run.ID (set by grade.sh)

# Find out once what this machine offers. Returns 1, saying what is
# missing, when no box can be made; prints what is weaker than it should be.
box_detect() {
    [ "$(id -u)" -eq 0 ] && box_root=1
    if ! command -v bwrap >/dev/null; then
        echo "grade: bubblewrap (bwrap) is missing: make deps installs it" \
             "(apt-get install bubblewrap)" >&2
        return 1
    fi
    if ! bwrap --unshare-all --die-with-parent --ro-bind /usr /usr \
        --symlink usr/bin /bin --symlink usr/lib /lib --symlink usr/lib64 /lib64 \
        /usr/bin/true 2>/dev/null; then
        echo "grade: bwrap cannot make a box here$([ $box_root -eq 1 ] ||
            echo " (without root it needs unprivileged user namespaces)")" >&2
        return 1
    fi
    # cgroup v2: one hierarchy, controllers listed in cgroup.controllers.
    local self v2root cg=kit-box.${box_dir##*.}
    if [ -f /sys/fs/cgroup/cgroup.controllers ]; then
        self=$(awk -F: '$1 == "0" { print $3 }' /proc/self/cgroup)
        v2root=/sys/fs/cgroup${self%/}
        box_remove_stale "$v2root"
        # A v2 cgroup with processes in it cannot have children with
        # controllers: make ours a sibling parent "kit-grade".
        if mkdir -p "$v2root/$cg" 2>/dev/null &&
            echo "+pids +memory" >"$v2root/cgroup.subtree_control" 2>/dev/null &&
            echo "+pids +memory" >"$v2root/$cg/cgroup.subtree_control" 2>/dev/null; then
            box_cg=v2 box_pids_dir=$v2root/$cg box_mem_dir=$v2root/$cg
        else
            rmdir "$v2root/$cg" 2>/dev/null
        fi
    elif [ -f /sys/fs/cgroup/pids/cgroup.procs ]; then
        box_remove_stale /sys/fs/cgroup/pids /sys/fs/cgroup/memory
        # cgroup v1: one hierarchy per controller.
        if mkdir -p "/sys/fs/cgroup/pids/$cg" 2>/dev/null; then
            box_cg=v1 box_pids_dir=/sys/fs/cgroup/pids/$cg
            mkdir -p "/sys/fs/cgroup/memory/$cg" 2>/dev/null &&
                box_mem_dir=/sys/fs/cgroup/memory/$cg
        fi
    fi
    if [ $box_cg = none ]; then
        echo "grade: WARNING: no usable pids cgroup (v1 or v2): the process limit is" \
             "RLIMIT_NPROC of the box's user only$([ $box_root -eq 1 ] || echo ", which counts all your processes")." >&2
    fi
    [ -z "$box_mem_dir" ] &&
        echo "grade: note: no memory cgroup: memory is capped with RLIMIT_AS instead." >&2
    return 0
}

box_uids=() box_lock_fds=()
box_uid() { if [ $box_root -eq 1 ]; then echo "${box_uids[$1]}"; else id -u; fi; }

# box_alloc_uids N LOCKDIR: pick a free uid for each of the N slots (root
# only) and keep its lock for as long as this shell runs. LOCKDIR is
# root's alone (grade.sh checks it), so no one can plant a link there.
box_alloc_uids() {
    [ $box_root -eq 1 ] || return 0
    local dir=$2 u=$GRADE_UID_BASE fd
    while [ ${#box_uids[@]} -lt "$1" ]; do
        if [ "$u" -ge $((GRADE_UID_BASE + 1000)) ]; then
            echo "grade: no free uid in $GRADE_UID_BASE..$u (GRADE_UID_BASE)" >&2
            return 1
        fi
        fd=""
        if ! getent passwd "$u" >/dev/null &&
            exec {fd}>>"$dir/uid.$u" && flock -n "$fd" &&
            ! ps -e -o uid= | awk -v u="$u" '$1 == u { found = 1 } END { exit !found }'; then
            box_uids+=("$u") box_lock_fds+=("$fd")
        else
            [ -n "$fd" ] && exec {fd}>&-
        fi
        u=$((u + 1))
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
    echo "$GRADE_PIDS" >"$box_pids_dir/slot$slot/pids.max" || return 1
    if [ -n "$box_mem_dir" ]; then
        if [ $box_cg = v1 ]; then
            echo "$GRADE_MEM" >"$box_mem_dir/slot$slot/memory.limit_in_bytes" || return 1
        else
            echo "$GRADE_MEM" >"$box_mem_dir/slot$slot/memory.max" || return 1
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

# Remove the cgroups of grading runs that died without cleaning up: those
# whose scratch folder is gone (grade.sh removed the stale ones first).
box_remove_stale() {
    local root d slot
    for root in "$@"; do
        for d in "$root"/kit-box.*/; do
            [ -d "$d" ] || continue
            d=${d%/}
            [ -d "$box_state/run.${d##*.}" ] && continue
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
    if [ -z "$box_mem_dir" ] || [ ! -f "$f" ]; then echo 0; return; fi
    awk '$1 == "oom_kill" { print $2; exit } END { if (NR == 0) print 0 }' "$f"
}

# Kill every process of a cgroup, wait for it to be empty (up to 20 s: a
# box's PID namespace may take a while to die on a loaded machine), remove
# it.
box_empty_cgroup() {
    local d=$1 pid tries=0 pids
    [ -d "$d" ] || return 0
    while [ $tries -lt 400 ]; do
        # (cgroup files say their size is 0: read them, do not test -s)
        mapfile -t pids <"$d/cgroup.procs"
        [ ${#pids[@]} -eq 0 ] && break
        for pid in "${pids[@]}"; do kill -KILL "$pid" 2>/dev/null; done
        sleep 0.05
        tries=$((tries + 1))
    done
    rmdir "$d" 2>/dev/null
    return 0
}

# The bwrap arguments of the box's root: the toolchain and the kit's export
# read-only, fresh tmpfs where programs may write.
box_root_args() {
    local d t
    box_args=(--unshare-pid --unshare-ipc --unshare-net --unshare-uts
        --unshare-cgroup-try --die-with-parent --new-session --hostname kit-box
        --ro-bind /usr /usr)
    # /bin, /lib, ...: links into /usr on a merged-/usr system, else binds.
    for d in bin sbin lib lib32 lib64 libx32; do
        if [ -L "/$d" ]; then
            t=$(readlink "/$d") && box_args+=(--symlink "$t" "/$d")
        elif [ -d "/$d" ]; then
            box_args+=(--ro-bind "/$d" "/$d")
        fi
    done
    # cc is /etc/alternatives/cc; the loader's cache only saves time.
    box_args+=(--perms 0755 --dir /etc)
    for d in /etc/alternatives /etc/ld.so.cache; do
        [ -e "$d" ] && box_args+=(--ro-bind "$d" "$d")
    done
    box_args+=(--proc /proc --dev /dev --mqueue /dev/mqueue
        --perms 1777 --size "$GRADE_TMPFS" --tmpfs /dev/shm
        --perms 1777 --size "$GRADE_TMPFS" --tmpfs /tmp
        --perms 1777 --size 16777216 --tmpfs /var/tmp
        --perms 1777 --size 16777216 --tmpfs /run/lock
        --ro-bind "$box_export" /kit --chdir /kit)
    if [ $box_root -eq 1 ]; then
        # Nothing more: no CAP_DAC_OVERRIDE (the runner reads /proc/PID/io
        # of a program, mode 0400, as the program's user: setfsuid), no
        # CAP_SYS_PTRACE. The programs run as the box's user, which setuid
        # leaves with no capability at all.
        box_args+=(--cap-drop ALL --cap-add CAP_SETUID --cap-add CAP_SETGID --cap-add CAP_KILL)
    fi
}

# box_slot_dir SLOT: the slot's folder (root's): box/ is handed to the
# slot's user, report/ stays root's.
box_slot_dir() { echo "$box_dir/slot$1"; }

# box_run SLOT SECONDS MODE ARGS...: run tests/grade/inbox.sh MODE ARGS in
# the slot's box ("build LAB": /box writable; "test FILTER": /box
# read-only), killed with everything it started after SECONDS. Returns
# inbox.sh's status, 124 on timeout, 125 when the box could not start.
box_run() {
    local slot=$1 secs=$2 mode=$3
    shift 3
    local uid sd mem_rlimit=() box_args
    uid=$(box_uid "$slot")
    sd=$(box_slot_dir "$slot")
    [ -z "$box_mem_dir" ] && mem_rlimit=(--as="$((GRADE_MEM * 4))")
    box_root_args
    if [ "$mode" = build ]; then
        box_args+=(--bind "$sd/box" /box)
    else
        box_args+=(--ro-bind "$sd/box" /box)
    fi
    box_args+=(--bind "$sd/report" /report)
    rm -f "$sd/report/started"
    local t0=$EPOCHSECONDS
    (
        if [ $box_cg != none ]; then
            echo "$BASHPID" >"$box_pids_dir/slot$slot/cgroup.procs" || exit 125
            [ -n "$box_mem_dir" ] && { echo "$BASHPID" >"$box_mem_dir/slot$slot/cgroup.procs" || exit 125; }
        fi
        # Not root: RLIMIT_NPROC counts all of our processes; allow for them.
        local nproc=$GRADE_PIDS
        [ $box_root -eq 1 ] || nproc=$(($(ps -e -o uid= | awk -v u="$uid" '$1 == u' | wc -l) + GRADE_PIDS))
        # The box inherits no lock (grade.sh holds some on fds).
        local fd
        for fd in "${box_lock_fds[@]}" "${grade_lock_fds[@]}"; do exec {fd}>&-; done
        exec env -i PATH=/usr/bin:/bin HOME=/tmp TMPDIR=/tmp LANG=C.UTF-8 \
            KIT_BOX_UID="$([ $box_root -eq 1 ] && echo "$uid")" \
            KIT_OUTPUT_CAP="$GRADE_OUTPUT_CAP" \
            prlimit --nproc="$nproc" --fsize="$GRADE_FSIZE" --core=0 "${mem_rlimit[@]}" \
            timeout -s KILL "$secs" bwrap "${box_args[@]}" \
            bash /kit/tests/grade/inbox.sh "$mode" "$@"
    )
    local status=$?
    # 137 is timeout's status when it kills, and also that of a box whose
    # first program was killed (say, at the memory limit): the clock decides.
    [ $status -eq 137 ] && [ $((EPOCHSECONDS - t0)) -ge "$secs" ] && return 124
    [ -f "$sd/report/started" ] || return 125
    return $status
}

# box_close SLOT: make sure nothing of the slot is left outside its box. The
# box's PID namespace ends with it, taking every process along, but the
# kernel may still be tearing them down: kill and wait (a safety net;
# inbox.sh counts the processes a submission left, for its feedback).
box_close() {
    local slot=$1 pid tries=0 d=$box_pids_dir/slot$1 pids
    while [ $tries -lt 100 ]; do
        pids=()
        if [ $box_cg != none ]; then
            [ -f "$d/cgroup.procs" ] && mapfile -t pids <"$d/cgroup.procs"
        elif [ $box_root -eq 1 ]; then
            mapfile -t pids < <(ps -e -o pid=,uid= | awk -v u="$(box_uid "$slot")" '$2 == u { print $1 }')
        fi
        [ ${#pids[@]} -eq 0 ] && return 0
        for pid in "${pids[@]}"; do kill -KILL "$pid" 2>/dev/null; done
        sleep 0.05
        tries=$((tries + 1))
    done
    return 0
}

# box_destroy SLOT: kill what is left and remove the slot's cgroups.
box_destroy() {
    box_close "$1"
    [ $box_cg = none ] && return 0
    box_empty_cgroup "$box_pids_dir/slot$1"
    [ -n "$box_mem_dir" ] && box_empty_cgroup "$box_mem_dir/slot$1"
    return 0
}

# box_finish: remove this run's cgroups (after box_destroy of every slot).
box_finish() {
    local d
    for d in "$box_pids_dir"/slot* "$box_mem_dir"/slot*; do
        [ -d "$d" ] && box_empty_cgroup "$d"
    done
    [ -n "$box_pids_dir" ] && rmdir "$box_pids_dir" 2>/dev/null
    [ -n "$box_mem_dir" ] && [ "$box_mem_dir" != "$box_pids_dir" ] && rmdir "$box_mem_dir" 2>/dev/null
    return 0
}
