# shellcheck shell=bash
# text.sh - student-made text as data (sourced by grade.sh): whatever a
# submission printed, or named a file, reaches the console, the CSV and
# the Markdown feedback only through these.

# Remove control characters (but tab and newline) from stdin: no escape
# sequence reaches a terminal, no carriage return rewrites a line.
strip_controls() {
    LC_ALL=C tr -d '\000-\010\013-\037\177'
}

# fenced INDENT: stdin as a Markdown code block that nothing in it can
# close: a fence of backticks longer than any run of backticks inside, and
# &, <, > escaped, for renderers that would let raw HTML through anyway.
fenced() {
    local indent=$1 text run fence='```'
    text=$(strip_controls | sed -e 's/&/\&amp;/g' -e 's/</\&lt;/g' -e 's/>/\&gt;/g')
    run=$(grep -o '`*' <<<"$text" | awk '{ if (length($0) > n) n = length($0) } END { print n + 0 }')
    while [ ${#fence} -le "$run" ]; do fence+='`'; done
    printf '%s%stext\n' "$indent" "$fence"
    [ -n "$text" ] && printf '%s\n' "$text" | sed "s/^/$indent/"
    printf '%s%s\n' "$indent" "$fence"
}

# A test's message from results/*.tsv (\n for newlines, \\ for
# backslashes) as a fenced block in a list item, at most 40 lines of 300
# characters.
feedback_message() {
    local text n
    text=$(printf '%b' "$1") # tap.awk doubled every backslash: only \\ and \n here
    n=$(printf '%s\n' "$text" | wc -l)
    {
        printf '%s\n' "$text" | head -n 40 | cut -c1-300
        [ "$n" -gt 40 ] && echo "[... the rest is cut]"
    } | fenced "  "
}

# A file name for inline code in Markdown: no control character, no
# backtick, no HTML.
md_name() {
    printf '%s' "$1" | strip_controls | tr '`' "'" |
        sed -e 's/&/\&amp;/g' -e 's/</\&lt;/g' -e 's/>/\&gt;/g'
}

# A CSV field: each control character (tab, CR, newline too) made a '?';
# a spreadsheet formula (= + - @ first) made text with a leading quote;
# quoted when it holds a comma or a quote.
csv_field() {
    local s
    s=$(printf '%s' "$1" | LC_ALL=C tr '\000-\037\177' '?')
    case $s in [=+@-]*) s="'$s" ;; esac
    case $s in
        *[\",]* | \'*) printf '"%s"' "${s//\"/\"\"}" ;;
        *) printf '%s' "$s" ;;
    esac
}
