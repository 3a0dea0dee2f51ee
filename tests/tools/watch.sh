#!/usr/bin/env bash
# watch.sh LAB DIR MAKE-ARGS... - make watch: clear the screen and run
# make check (with MAKE-ARGS) again each time a file in DIR (the lab's
# folder) is written, created, deleted or renamed; until Ctrl-C.
#
# Ctrl-C ends it cleanly, with status 0 and nothing left running: with a
# terminal, the loop runs as a foreground job of this script (set -m: its
# own process group, given the terminal), so the terminal's Ctrl-C goes to
# the loop alone and never to make above (no "*** Interrupt" line from
# it); the loop stops its inotifywait (by its pid) and exits. Without a
# terminal, a SIGINT or SIGTERM to this script does the same.
# Editors' scratch files (.swp, ~, 4913, .ipynb checkpoints) are ignored.
set -u
lab=$1 dir=$2
shift 2
cd "$(dirname "$0")/../.." || exit 1
command -v inotifywait >/dev/null || {
    echo "make watch needs inotifywait (Debian's inotify-tools): make deps installs it." >&2
    exit 1
}
[ -d "$dir" ] || { echo "make watch: no folder $dir" >&2; exit 2; }
ignore='(/\.|~$|\.sw[a-z]$|/4913$|\.ipynb_checkpoints|\.ipynb$)'
waiter=""
finish() {
    [ -n "$waiter" ] && kill "$waiter" 2>/dev/null
    echo
    echo "make watch: stopped."
    exit 0
}
if [ -t 0 ] && [ -t 1 ] && [ -z "${KIT_WATCH_LOOP:-}" ]; then
    set -m
    KIT_WATCH_LOOP=1 bash tests/tools/watch.sh "$lab" "$dir" "$@"
    exit 0
fi
trap finish INT TERM HUP
interrupted() { [ "$1" -eq 130 ] || [ "$1" -eq $((128 + 2)) ]; }

while true; do
    [ -t 1 ] && clear
    mark=$(mktemp)
    echo "make watch: lab $lab, $(date +%H:%M:%S); checking again whenever a file in $dir changes (Ctrl-C to stop)"
    make --no-print-directory check LAB="$lab" "$@"
    status=$?
    interrupted $status && { rm -f "$mark"; finish; }
    echo
    echo "make watch: waiting for a change in $dir (Ctrl-C to stop)"
    # A file saved while the checks ran: at once, else wait for the next.
    changed=$(find "$dir" -maxdepth 1 -type f -newer "$mark" 2>/dev/null | grep -v -E "$ignore" | head -n 1)
    rm -f "$mark"
    if [ -z "$changed" ]; then
        inotifywait -q -q -e close_write,create,delete,moved_to,moved_from --exclude "$ignore" "$dir" &
        waiter=$!
        wait "$waiter"
        status=$?
        waiter=""
        interrupted $status && finish
        [ $status -gt 1 ] && [ $status -ne 2 ] && { echo "make watch: inotifywait failed ($status)" >&2; exit 1; }
        sleep 0.3 # an editor writes in several steps
    fi
done
