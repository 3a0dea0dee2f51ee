# 15-mpi.gp - lab 15's chart: the lecture's factorization on 1, 2, 4 MPI
# ranks, beside lab 08's threads and processes on the same numbers: wall
# time (median, with min-max error bars) against the number of workers.
#
#   gnuplot -e "data='build/plots/data/factorization.dat'; \
#               mpidata='build/plots/data/mpi-factorization.dat'; \
#               out='build/plots/15-mpi'" plots/15-mpi.gp
#   (writes out.png and out.svg; both data files: format in common/bench.h)
if (!exists("data")) data = "build/plots/data/factorization.dat"
if (!exists("mpidata")) mpidata = "build/plots/data/mpi-factorization.dat"
if (!exists("out")) out = "build/plots/15-mpi"
load "plots/common.gp"
c_mpi = "#2ca02c"

# Each variant's rows, serial first (1 worker), picked with awk so that
# the lines are not broken by skipped rows.
rows(file, v) = sprintf("< awk '$1 == \"serial\" || $1 == \"%s\"' '%s'", v, file)
stats data using 2 nooutput name "W"
stats mpidata using 2 nooutput name "R"
top = W_max > R_max ? W_max : R_max

set logscale x 2
set xrange [0.8 : top * 1.25]
set yrange [0 : *]
set xtics (1, 2, 3, 4, 8, 16)
set xlabel "workers: threads, processes (lab 08) or MPI ranks (lab 15)"
set ylabel "wall time, median of the runs (s)"
set title sprintf("%s: threads, processes and MPI ranks\n{/*0.75 %s}", \
                  meta("title"), machine)
set key top right
set arrow 1 from cores, graph 0 to cores, graph 1 nohead dt 2 lw 1.5 lc rgb "#d62728"
set label 1 sprintf("%d cores", cores) at cores, graph 0.96 offset 0.8,0 \
    left font ",10" tc rgb "#d62728"

do for [fmt in "png svg"] {
    if (fmt eq "png") {
        set terminal pngcairo size 1100,650 font "sans,11" enhanced
    } else {
        set terminal svg size 1100,650 font "sans,11" enhanced background "white"
    }
    set output out . "." . fmt
    plot rows(data, "threads") using 2:3:4:5 with yerrorlines lw 2 pt 7 \
             lc rgb c_threads title "threads (lab 08)", \
         rows(data, "processes") using 2:3:4:5 with yerrorlines lw 2 pt 5 \
             lc rgb c_processes title "processes (lab 08)", \
         rows(mpidata, "mpi") using 2:3:4:5 with yerrorlines lw 2 pt 9 \
             lc rgb c_mpi title "MPI ranks, one mpirun (lab 15)"
    unset output
}
