# assignment.gp - the assignment's chart: sums of the primes below n,
# serial, processes and threads per worker count, for the naive test (the
# assignment's isPrime) and the sieve, side by side with their own time
# scales; what more cores buy next to what a better algorithm buys.
#
#   gnuplot -e "data='build/plots/data/assignment.dat'; out='build/plots/assignment'" \
#           plots/assignment.gp              (writes out.png and out.svg)
if (!exists("data")) data = "build/plots/data/assignment.dat"
if (!exists("out")) out = "build/plots/assignment"
load "plots/common.gp"

stats data using 2 nooutput name "W"
# For the caption: the serial medians of both algorithms, and the best
# median of the naive test with threads and with processes (the rows of
# one variant picked with awk; 2-column stats gives the x of the minimum).
rows(v) = sprintf("< awk '$1 == \"%s\"' '%s'", v, data)
stats rows("naive-serial") using 3 nooutput name "NS"
stats rows("sieve-serial") using 3 nooutput name "SS"
stats rows("naive-threads") using 2:3 nooutput name "NT"
stats rows("naive-processes") using 2:3 nooutput name "NP"
caption = sprintf("naive: %.2f s serial; at best %.2f s with %d threads (×%.2f), %.2f s with %d processes (×%.2f).   sieve: %.3f s serial, ×%.0f faster than naive serial.", \
                  NS_min, NT_min_y, NT_pos_min_y, NS_min / NT_min_y, NP_min_y, NP_pos_min_y, NS_min / NP_min_y, SS_min, NS_min / SS_min)

set xrange [-0.7 : pos(W_max) + 0.7]
set xtics ("serial" 0)
do for [k = 1:6] {
    if (2**k <= W_max) { set xtics add (sprintf("%d", 2**k) k) }
}
set yrange [0 : *]
set xlabel "workers (processes or threads)"
set ylabel "elapsed time per run (s): median, error bar min–max"
set style fill solid 0.85 border lc rgb "#333333"
set boxwidth 0.36 absolute
mine(v) = strstrt(strcol(1), v . "-") == 1
x(v) = is(v . "-serial") ? pos($2) : is(v . "-processes") ? pos($2) - 0.19 : pos($2) + 0.19
if (pos(cores) + 0.5 < pos(W_max) + 0.7) {
    set object 1 rect from pos(cores) + 0.5, graph 0 to graph 1, graph 1 \
        behind fc rgb "#f2f2f2" fs solid noborder
    set label 1 sprintf("more workers than\nthe %d cores", cores) \
        at pos(cores) + 0.55, graph 0.97 left front font ",9" tc rgb "#555555"
}
names = "naive sieve"

do for [fmt in "png svg"] {
    if (fmt eq "png") {
        set terminal pngcairo size 1300,650 font "sans,11" enhanced
    } else {
        set terminal svg size 1300,650 font "sans,11" enhanced background "white"
    }
    set output out . "." . fmt
    set multiplot layout 1,2 title sprintf("%s: serial, processes, threads\n{/*0.75 %s}\n{/*0.75 %s}", \
        meta("title"), machine, caption)
    do for [a = 1:2] {
        alg = word(names, a)
        set yrange [0 : *] nowriteback  # each panel its own scale
        set title (a == 1 ? "naive trial division (the assignment's isPrime)" : "sieve of Eratosthenes") font ",12"
        plot data using (is(alg . "-serial") ? pos($2) : NaN):(mine(alg) ? $3 : NaN) with boxes lc rgb c_serial title "serial", \
             '' using (is(alg . "-processes") ? pos($2) - 0.19 : NaN):(mine(alg) ? $3 : NaN) with boxes lc rgb c_processes title "processes", \
             '' using (is(alg . "-threads") ? pos($2) + 0.19 : NaN):(mine(alg) ? $3 : NaN) with boxes lc rgb c_threads title "threads", \
             '' using (mine(alg) ? x(alg) : NaN):(mine(alg) ? $3 : NaN):(mine(alg) ? $4 : NaN):(mine(alg) ? $5 : NaN) with yerrorbars lc rgb "black" pt 0 lw 1.2 notitle, \
             '' using (mine(alg) ? x(alg) : NaN):(mine(alg) ? $5 : NaN):(sprintf(alg eq "naive" ? "%.2f" : "%.3f", $3)) \
                 with labels offset 0,0.8 font ",9" notitle
    }
    unset multiplot
    unset output
}
