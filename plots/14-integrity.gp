# 14-integrity.gp - lab 14's chart: elapsed time to hash one tree (in the
# page cache) serially and with 2, 4, 8 threads and processes, bars the
# medians, error bars min..max, and the CPU time of each run as a dot: the
# gap between the bar and the dot is time spent waiting (for a core another
# program held, or for the disk), not hashing.
#
#   gnuplot -e "data='build/plots/data/integrity.dat'; out='build/plots/14-integrity'" \
#           plots/14-integrity.gp      (writes out.png and out.svg)
if (!exists("data")) data = "build/plots/data/integrity.dat"
if (!exists("out")) out = "build/plots/14-integrity"
load "plots/common.gp"

stats data using 2 nooutput name "W"
set xrange [-0.7 : pos(W_max) + 0.7]
set xtics ("serial" 0)
do for [k = 1:6] {
    if (2**k <= W_max) { set xtics add (sprintf("%d", 2**k) k) }
}
set yrange [0 : *]
set xlabel "workers (threads or processes)"
set ylabel "time per run (s): median, error bar min–max"
set title sprintf("integrity: %s, threads vs processes\n{/*0.75 %s}", meta("title"), machine)

# The worker counts the machine cannot run at once: shaded, and said.
if (pos(cores) + 0.5 < pos(W_max) + 0.7) {
    set object 1 rect from pos(cores) + 0.5, graph 0 to graph 1, graph 1 \
        behind fc rgb "#f2f2f2" fs solid noborder
    set label 1 sprintf("more workers than the %d cores:\nthey take turns", cores) \
        at pos(cores) + 0.55, graph 0.97 left front font ",10" tc rgb "#555555"
}
set style fill solid 0.85 border lc rgb "#333333"
set boxwidth 0.36 absolute
x(v) = is("serial") ? pos($2) : is("threads") ? pos($2) - 0.19 : pos($2) + 0.19

do for [fmt in "png svg"] {
    if (fmt eq "png") {
        set terminal pngcairo size 1100,650 font "sans,11" enhanced
    } else {
        set terminal svg size 1100,650 font "sans,11" enhanced background "white"
    }
    set output out . "." . fmt
    plot data using (is("serial") ? pos($2) : NaN):3 with boxes lc rgb c_serial title "serial", \
         '' using (is("threads") ? pos($2) - 0.19 : NaN):3 with boxes lc rgb c_threads title "threads", \
         '' using (is("processes") ? pos($2) + 0.19 : NaN):3 with boxes lc rgb c_processes title "processes", \
         '' using (x(0)):3:4:5 with yerrorbars lc rgb "black" pt 0 lw 1.2 notitle, \
         '' using (x(0)):5:(sprintf("%.3f", $3)) with labels offset 0,0.8 font ",9" notitle, \
         '' using (x(0)):6 with points pt 7 ps 0.9 lc rgb "#2ca02c" title "CPU time (all cores)"
    unset output
}
