# 10-io-bound.gp - lab 10's chart: the time to fetch N slow pages from the
# loopback page server, serially, with N threads and with N processes.
# Bars are medians, error bars min..max; the value is written on each bar.
#
#   gnuplot -e "data='build/plots/data/10-io-bound.dat'; out='build/plots/10-io-bound'" \
#           plots/10-io-bound.gp      (writes out.png and out.svg)
if (!exists("data")) data = "build/plots/data/10-io-bound.dat"
if (!exists("out")) out = "build/plots/10-io-bound"
load "plots/common.gp"

stats data using 2 nooutput name "W"
n = int(W_max)
set xrange [-0.6 : 2.6]
set xtics ("serial" 0, sprintf("%d threads", n) 1, sprintf("%d processes", n) 2)
set yrange [0 : *]
set ylabel "elapsed time per run (s): median, error bar min–max"
set title sprintf("%d pages, each answered after a delay: the waits overlap\n{/*0.75 %s}", \
                  n, machine)
set key off
set style fill solid 0.85 border lc rgb "#333333"
set boxwidth 0.6 absolute
x(d) = is("serial") ? 0 : is("threads") ? 1 : 2
colour(d) = is("serial") ? 0x7f7f7f : is("threads") ? 0x1f77b4 : 0xff7f0e

do for [fmt in "png svg"] {
    if (fmt eq "png") {
        set terminal pngcairo size 1100,600 font "sans,11" enhanced
    } else {
        set terminal svg size 1100,600 font "sans,11" enhanced background "white"
    }
    set output out . "." . fmt
    plot data using (x(0)):3:(colour(0)) with boxes lc rgb variable, \
         '' using (x(0)):3:4:5 with yerrorbars lc rgb "black" pt 0 lw 1.2, \
         '' using (x(0)):5:(sprintf("%.3f s", $3)) with labels offset 0,0.8 font ",10"
    unset output
}
