# shellcheck shell=bash
# box.sh - the box every submission is built and tested in (sourced by
# grade.sh). A box is one run of bubblewrap (bwrap) in a slot N (0, 1, ...:
# one per student graded at once):
#
#   - an empty root made of read-only binds: the toolchain (/usr, and of /etc
#     only the alternatives - cc, mpicc, mpirun - and the loader's cache; of
#     /sys only the CPU topology, for MPICH) and the kit's
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
#   - a cgroup per slot, and one for the slot's builds, where the machine
#     has them (v1 or v2, detected): each with pids.max (a process limit
#     root cannot ignore) and a memory limit,
#     under kit-box.TAG.ID (one per grading run, named after its scratch
#     folder STATE/run.ID - a PID would not do, two runs in two PID
#     namespaces may have the same - and TAG after STATE itself; removed at
#     the end, or by the next run with the same STATE once run.ID is gone:
#     a run never touches the cgroups of a run with another STATE);
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
    local cg top=/sys/fs/cgroup
    cg=kit-box.$(box_state_tag).${box_dir##*.}
    if [ $box_root -eq 1 ] && [ -f $top/cgroup.controllers ] &&
        grep -qw pids $top/cgroup.controllers; then
        # cgroup v2 (UNTESTED: this kit's machines have v1). One hierarchy;
        # ours hangs from its root, which alone may both hold processes and
        # hand controllers down (any other cgroup with processes in it, such
        # as our login's, cannot give its children any). kit-box.* gets
        # pids (and memory) for its children, the slots, which hold the
        # limits; a slot hands pids down to its lanes, where the
        # processes are (box_open), and the memory limit is the slot's.
        box_remove_stale "$top"
        if echo +pids >"$top/cgroup.subtree_control" 2>/dev/null &&
            mkdir "$top/$cg" 2>/dev/null &&
            echo +pids >"$top/$cg/cgroup.subtree_control" 2>/dev/null; then
            box_cg=v2 box_pids_dir=$top/$cg
            grep -qw memory $top/cgroup.controllers &&
                echo +memory >"$top/cgroup.subtree_control" 2>/dev/null &&
                echo +memory >"$top/$cg/cgroup.subtree_control" 2>/dev/null &&
                box_mem_dir=$top/$cg
        else
            rmdir "$top/$cg" 2>/dev/null
        fi
    fi
    if [ $box_cg = none ] && [ $box_root -eq 1 ] && [ -f $top/pids/cgroup.procs ]; then
        # cgroup v1 (or the v1 half of a hybrid): one hierarchy per
        # controller.
        box_remove_stale $top/pids $top/memory
        if mkdir -p "$top/pids/$cg" 2>/dev/null; then
            box_cg=v1 box_pids_dir=$top/pids/$cg
            mkdir -p "$top/memory/$cg" 2>/dev/null &&
                box_mem_dir=$top/memory/$cg
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

# box_open SLOT: fresh cgroups for the slot, each with the limits: the
# slot's (its test lanes share its memory limit; each lane has a process
# limit of its own, box_run, and the slot one for them all) and the
# build's (buildSLOT, beside it: a lab's build may run while the slot's
# previous lab is tested, and must neither count against those tests'
# limits nor be starved by them).
box_open() {
    local slot=$1
    [ $box_cg = none ] && return 0
    local d g
    for g in "slot$slot" "build$slot"; do
        for d in "$box_pids_dir/$g" ${box_mem_dir:+"$box_mem_dir/$g"}; do
            box_empty_cgroup "$d"
            mkdir -p "$d" || return 1
        done
        if [ $g = "slot$slot" ]; then
            echo "$((GRADE_PIDS * $(box_lanes_max)))" >"$box_pids_dir/$g/pids.max" || return 1
            # v2: the lanes get pids files of their own
            [ $box_cg = v1 ] || echo +pids >"$box_pids_dir/$g/cgroup.subtree_control" || return 1
        else
            echo "$GRADE_PIDS" >"$box_pids_dir/$g/pids.max" || return 1
        fi
        if [ -n "$box_mem_dir" ]; then
            if [ $box_cg = v1 ]; then
                echo "$GRADE_MEM" >"$box_mem_dir/$g/memory.limit_in_bytes" || return 1
            else
                echo "$GRADE_MEM" >"$box_mem_dir/$g/memory.max" || return 1
                echo 0 >"$box_mem_dir/$g/memory.swap.max" 2>/dev/null
            fi
        fi
    done
    return 0
}

# box_lane_cgroups SLOT LANE: the lane's cgroup folders, one a line (pids,
# then memory where that is another hierarchy). Lane "build" is the
# build's cgroup (box_open); the others are the slot's test lanes.
box_lane_cgroups() {
    local g
    [ $box_cg = none ] && return 0
    if [ "$2" = build ]; then g=build$1; else g=slot$1/lane$2; fi
    echo "$box_pids_dir/$g"
    [ -n "$box_mem_dir" ] && [ "$box_mem_dir" != "$box_pids_dir" ] && echo "$box_mem_dir/$g"
    return 0
}

# How many forks the slot's pids limits have refused so far. v1 counts them
# in the cgroup that forked (a lane), v2 in the cgroup whose limit was hit
# (a lane, or the slot): add up whichever files exist.
box_pids_refused() {
    [ $box_cg = none ] && { echo 0; return; }
    local d=$box_pids_dir/slot$1
    cat "$d/pids.events" "$d"/lane*/pids.events 2>/dev/null |
        awk '$1 == "max" { n += $2 } END { print n + 0 }'
}

# A short name for the state folder: runs with other state folders (and
# so other run.ID namespaces) have other cgroups.
box_state_tag() { printf '%s' "$box_state" | sha256sum | cut -c1-8; }

# Remove the cgroups of grading runs that died without cleaning up: those
# of the same state folder whose scratch folder is gone (grade.sh removed
# the stale ones first).
box_remove_stale() {
    local root d slot
    for root in "$@"; do
        for d in "$root"/kit-box."$(box_state_tag)".*/; do
            [ -d "$d" ] || continue
            d=${d%/}
            [ -d "$box_state/run.${d##*.}" ] && continue
            for slot in "$d"/slot*/ "$d"/build*/; do [ -d "$slot" ] && box_empty_cgroup "${slot%/}"; done
            rmdir "$d" 2>/dev/null
        done
    done
    return 0
}

# How many processes the slot's memory limit has killed so far (v1: in
# the victim's cgroup, a lane; v2: in the slot, hierarchically).
box_oom_kills() {
    [ -z "$box_mem_dir" ] && { echo 0; return; }
    local d=$box_mem_dir/slot$1 f=memory.events
    [ $box_cg = v1 ] && f=memory.oom_control
    cat "$d/$f" "$d"/lane*/"$f" 2>/dev/null |
        awk '$1 == "oom_kill" { n += $2 } END { print n + 0 }'
}

# Kill every process of a cgroup and of its lanes, wait for it to be empty
# (up to 20 s: a box's PID namespace may take a while to die on a loaded
# machine), remove it.
box_empty_cgroup() {
    local d=$1 pid tries=0 pids lane
    [ -d "$d" ] || return 0
    for lane in "$d"/lane*/; do [ -d "$lane" ] && box_empty_cgroup "${lane%/}"; done
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
    # Of /sys only the CPU topology (hwloc, under MPICH's mpirun, reads it)
    # and an empty /sys/class/net (UCX lists the network interfaces there:
    # the box has only its own loopback).
    box_args+=(--perms 0755 --dir /sys --perms 0755 --dir /sys/class
        --perms 0755 --dir /sys/class/net --perms 0755 --dir /sys/devices
        --perms 0755 --dir /sys/devices/system)
    [ -d /sys/devices/system/cpu ] &&
        box_args+=(--ro-bind /sys/devices/system/cpu /sys/devices/system/cpu)
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

# box_lane_dir SLOT LANE: the lane's report folder (root's), bound at
# /report in its box.
box_lane_dir() { echo "$box_dir/slot$1/report/lane$2"; }

# A slot runs up to this many boxes at once (one per lane, each with a
# cgroup of its own under the slot's, which holds the limits: what the
# lanes use together counts against them). Without a cgroup, one: the
# only way to find a box's processes is then by uid, which lanes share.
box_lanes_max() { if [ $box_cg = none ]; then echo 1; else echo "${GRADE_TEST_JOBS:-2}"; fi; }

# box_run SLOT LANE SECONDS MODE ARGS...: run tests/grade/inbox.sh MODE
# ARGS in a box of the slot ("build LAB [tsan] [asan]": /box writable;
# "test FILTER": /box read-only), in the lane's cgroup, with the lane's
# report folder, killed with everything it started after SECONDS. Returns
# inbox.sh's status, 124 on timeout, 125 when the box could not start.
box_run() {
    local slot=$1 lane=$2 secs=$3 mode=$4
    shift 4
    local uid sd rd mem_rlimit=() box_args cgs=()
    uid=$(box_uid "$slot")
    sd=$(box_slot_dir "$slot")
    rd=$(box_lane_dir "$slot" "$lane")
    [ -d "$rd" ] || mkdir -m 700 "$rd" || return 125
    if [ $box_cg != none ]; then
        mapfile -t cgs < <(box_lane_cgroups "$slot" "$lane")
        mkdir -p "${cgs[@]}" || return 125
        # GRADE_PIDS for each box: a fork bomb in one test must not fail
        # the test beside it (the slot's limit is for all its lanes)
        [ "$lane" = build ] || echo "$GRADE_PIDS" >"${cgs[0]}/pids.max" || return 125
    fi
    [ -z "$box_mem_dir" ] && mem_rlimit=(--as="$((GRADE_MEM * 4))")
    box_root_args
    if [ "$mode" = build ]; then
        box_args+=(--bind "$sd/box" /box)
    else
        box_args+=(--ro-bind "$sd/box" /box)
    fi
    box_args+=(--bind "$rd" /report)
    rm -f "$rd/started"
    local t0=$EPOCHSECONDS
    (
        local cg
        for cg in "${cgs[@]}"; do echo "$BASHPID" >"$cg/cgroup.procs" || exit 125; done
        # RLIMIT_NPROC counts all the processes of the uid: those of every
        # box of the slot (the cgroups limit each box; without them, one
        # box at a time), and, not root, all of ours; allow for them.
        local nproc=$GRADE_PIDS
        [ $box_cg = none ] || nproc=$((GRADE_PIDS * ($(box_lanes_max) + 1)))
        [ $box_root -eq 1 ] || nproc=$(($(ps -e -o uid= | awk -v u="$uid" '$1 == u' | wc -l) + GRADE_PIDS))
        # The box inherits no lock (grade.sh holds some on fds).
        local fd
        for fd in "${box_lock_fds[@]}" "${grade_lock_fds[@]}"; do exec {fd}>&-; done
        exec env -i PATH=/usr/bin:/bin HOME=/tmp TMPDIR=/tmp LANG=C.UTF-8 \
            KIT_BOX_UID="$([ $box_root -eq 1 ] && echo "$uid")" \
            KIT_OUTPUT_CAP="$GRADE_OUTPUT_CAP" KIT_BUILD_JOBS="${GRADE_BUILD_JOBS:-2}" \
            prlimit --nproc="$nproc" --fsize="$GRADE_FSIZE" --core=0 "${mem_rlimit[@]}" \
            timeout -s KILL "$secs" bwrap "${box_args[@]}" \
            bash /kit/tests/grade/inbox.sh "$mode" "$@"
    )
    local status=$?
    # 137 is timeout's status when it kills, and also that of a box whose
    # first program was killed (say, at the memory limit): the clock decides.
    [ $status -eq 137 ] && [ $((EPOCHSECONDS - t0)) -ge "$secs" ] && return 124
    [ -f "$rd/started" ] || return 125
    return $status
}

# box_close SLOT LANE: make sure nothing of the lane's box is left outside
# it. The box's PID namespace ends with it, taking every process along,
# but the kernel may still be tearing them down: kill and wait (a safety
# net; inbox.sh counts the processes a submission left, for its feedback).
box_close() {
    local slot=$1 pid tries=0 d pids
    d=$(box_lane_cgroups "$1" "$2" | head -n 1)
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
    local lane g
    for ((lane = 0; lane < $(box_lanes_max); lane++)); do box_close "$1" "$lane"; done
    box_close "$1" build
    [ $box_cg = none ] && return 0
    for g in "slot$1" "build$1"; do
        box_empty_cgroup "$box_pids_dir/$g"
        [ -n "$box_mem_dir" ] && box_empty_cgroup "$box_mem_dir/$g"
    done
    return 0
}

# box_finish: remove this run's cgroups (after box_destroy of every slot).
box_finish() {
    local d top
    for top in "$box_pids_dir" "$box_mem_dir"; do
        [ -n "$top" ] || continue
        for d in "$top"/slot* "$top"/build*; do
            [ -d "$d" ] && box_empty_cgroup "$d"
        done
    done
    [ -n "$box_pids_dir" ] && rmdir "$box_pids_dir" 2>/dev/null
    [ -n "$box_mem_dir" ] && [ "$box_mem_dir" != "$box_pids_dir" ] && rmdir "$box_mem_dir" 2>/dev/null
    return 0
}
