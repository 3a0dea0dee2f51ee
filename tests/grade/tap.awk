# tap.awk - Criterion's TAP report to one line per test:
#   suite::test <TAB> status <TAB> message
# status: passed, failed, timed_out, crashed. The message has its newlines
# written as \n and tabs as spaces. Only lines starting at column 0 are
# verdicts: Criterion indents every line of a failure message (which may
# quote a program's output) by six spaces, so output cannot fake one.
# Tests left out by --filter ("# SKIP") are dropped.
function flush() {
    if (name == "")
        return
    m = msg
    if (status == "failed" && m ~ /did not finish within|timed out/)
        status = "timed_out"
    if (status == "failed" && m ~ /killed by signal/)
        status = "crashed"
    if (status == "failed" && m == "")
        m = "The test ended before reaching its end (the test process exited)."
    gsub(/\t/, " ", m)
    gsub(/\\/, "\\\\\\\\", m)
    gsub(/\n/, "\\n", m)
    printf "%s\t%s\t%s\n", name, status, m
    name = ""
}
/^(not )?ok - / {
    flush()
    if ($0 ~ /# SKIP/)
        next
    line = $0
    sub(/^(not )?ok - /, "", line)
    name = line
    sub(/ .*/, "", name)
    rest = substr(line, length(name) + 1)
    msg = ""
    inblock = 0
    if ($0 ~ /^ok /)
        status = "passed"
    else if (rest ~ /^ timed out/)
        { status = "timed_out"; msg = "The test did not finish within its time limit and was stopped." }
    else if (rest ~ /^ unexpected signal/)
        { status = "crashed"; msg = "The test process crashed (" substr(rest, 2) ")." }
    else
        status = "failed"
    next
}
name != "" && /^  ---$/ { inblock = 1; next }
name != "" && /^  \.\.\.$/ { inblock = 0; next }
name != "" && inblock && /^  - .*: \|[+-]?$/ { if (msg != "") msg = msg "\n\n"; next }
name != "" && inblock && /^      / {
    l = substr($0, 7)
    sub(/^Assertion failed: /, "", l)
    msg = (msg == "" || msg ~ /\n\n$/) ? msg l : msg "\n" l
    next
}
END { flush() }
