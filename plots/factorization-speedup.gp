# factorization-speedup.gp - speedup over the serial run against the
# number of workers, threads and processes, with the ideal line and the
# machine's core count marked.
#
#   gnuplot -e "data='build/plots/data/factorization.dat'; out='build/plots/factorization-speedup'" \
#           plots/factorization-speedup.gp   (writes out.png and out.svg)
if (!exists("data")) data = "build/plots/data/factorization.dat"
if (!exists("out")) out = "build/plots/factorization-speedup"
load "plots/common.gp"

# The serial median: the first row of the file (bench.h: serial comes first).
stats data using 3 every ::0::0 nooutput name "S"
serial = S_min
stats data using 2 nooutput name "W"
top = W_max > cores ? W_max : cores

set xrange [0.5 : top + 0.5]
set yrange [0 : top + 0.5]
set xtics 1
set xlabel "workers (threads or processes)"
set ylabel "speedup: serial time / time with the workers (×)"
set title sprintf("%s: speedup over serial\n{/*0.75 %s}", meta("title"), machine)
set key at graph 0.98, graph 0.5 right
set arrow 1 from cores, graph 0 to cores, graph 1 nohead dt 2 lw 1.5 lc rgb "#d62728"
set label 1 sprintf("%d cores on this machine", cores) at cores, graph 0.96 \
    offset 0.8,0 left font ",10" tc rgb "#d62728"

# One curve per variant, starting from serial (1 worker, speedup 1):
# the rows are picked with awk, since a row skipped inside gnuplot would
# break the line. Error bars from the slowest run to the fastest.
rows(v) = sprintf("< awk '$1 == \"serial\" || $1 == \"%s\"' '%s'", v, data)

do for [fmt in "png svg"] {
    if (fmt eq "png") {
        set terminal pngcairo size 1100,650 font "sans,11" enhanced
    } else {
        set terminal svg size 1100,650 font "sans,11" enhanced background "white"
    }
    set output out . "." . fmt
    plot x with lines dt 2 lc rgb "#999999" title "ideal: speedup = workers", \
         (x < cores ? x : cores) with lines lw 2 dt 3 lc rgb "#2ca02c" \
             title sprintf("best possible on %d cores", cores), \
         rows("threads") using 2:(serial / $3):(serial / $5):(serial / $4) \
             with yerrorlines lw 2 pt 7 lc rgb c_threads title "threads", \
         rows("processes") using 2:(serial / $3):(serial / $5):(serial / $4) \
             with yerrorlines lw 2 pt 5 lc rgb c_processes title "processes"
    unset output
}
