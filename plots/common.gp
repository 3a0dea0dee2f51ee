# common.gp - what every chart of plots/ shares. Loaded by the other
# scripts after they have set `data` (the data file, format in
# common/bench.h) and `out` (the output path without .png/.svg).
#
# Where and when the data was measured comes from the data file's own
# comment lines ("# cpu: ...", "# cores: ..."), so that a chart always
# says which machine drew it.

# (underscores escaped: in enhanced text a bare _ starts a subscript)
meta(key) = system(sprintf("sed -n 's/^# %s: //p' '%s' | head -n 1 | sed 's/_/\\\\_/g'", key, data))
cores = int(meta("cores"))
machine = sprintf("measured on %s, %d cores; %s %s; %s; %s", \
                  meta("cpu"), cores, meta("compiler"), meta("flags"), \
                  meta("runs"), meta("date"))

# Rows by variant: the first column is a word, strcol(1).
is(v) = strcol(1) eq v
# Where a worker count goes on a bar chart's x axis: serial (1) at 0,
# 2 at 1, 4 at 2, 8 at 3, ...
pos(w) = log(w) / log(2)

c_serial = "#7f7f7f"
c_threads = "#1f77b4"
c_processes = "#ff7f0e"

set encoding utf8
set border 3
set tics nomirror
set grid ytics lc rgb "#dddddd"
set key top right opaque box lc rgb "#cccccc"
# Room above the bars for the key and the value labels.
set offsets 0, 0, graph 0.25, 0
