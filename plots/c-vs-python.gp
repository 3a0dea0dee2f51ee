# c-vs-python.gp - the lecture's comparison: the same workloads in C and in
# Python, serially, with 2 threads and with 2 processes. Left: the time
# (log scale: C and Python differ by a factor of tens); right: the speedup
# over each language's own serial run. Python's threads cannot run its
# code at the same time (the global interpreter lock); C's can.
# Top row: lab 08's factorization; bottom row: lab 09's sums of primes
# (the sieve: the naive test takes minutes in Python).
#
#   gnuplot -e "dir='build/plots/data'; out='build/plots/c-vs-python'" plots/c-vs-python.gp
#
# Reads dir/factorization.dat, dir/assignment.dat (the C programs) and
# dir/py-factorization.dat, dir/py-assignment.dat (plots/python/).
if (!exists("dir")) dir = "build/plots/data"
if (!exists("out")) out = "build/plots/c-vs-python"
data = dir . "/factorization.dat"
load "plots/common.gp"
pydata = dir . "/py-factorization.dat"
pymeta(key, f) = system(sprintf("sed -n 's/^# %s: //p' '%s' | head -n 1", key, f))

# The rows shown, by position: serial at 0, 2 threads at 1, 2 processes at 2.
# prefix: "" for factorization rows, "sieve-" for the assignment's.
slot(prefix) = strcol(1) eq prefix."serial" ? 0 : \
               (strcol(1) eq prefix."threads" && $2 == 2) ? 1 : \
               (strcol(1) eq prefix."processes" && $2 == 2) ? 2 : NaN
serial_of(f, prefix) = real(system(sprintf("awk '$1 == \"%sserial\" { print $3; exit }' '%s'", prefix, f)))

c_c = "#1f77b4"
c_py = "#ffbf00"
set style fill solid 0.85 border lc rgb "#333333"
set boxwidth 0.36 absolute
set xrange [-0.6 : 2.6]
set xtics ("serial" 0, "2 threads" 1, "2 processes" 2)
set key top left

do for [fmt in "png svg"] {
    if (fmt eq "png") {
        set terminal pngcairo size 1200,900 font "sans,11" enhanced
    } else {
        set terminal svg size 1200,900 font "sans,11" enhanced background "white"
    }
    set output out . "." . fmt
    set multiplot layout 2,2 title sprintf("C and Python, same work, same machine\n{/*0.75 measured on %s, %d cores; C: %s %s; %s; %s}", \
        meta("cpu"), cores, meta("compiler"), meta("flags"), pymeta("compiler", pydata), meta("date"))
    do for [row = 1:2] {
        f = row == 1 ? dir . "/factorization.dat" : dir . "/assignment.dat"
        pyf = row == 1 ? dir . "/py-factorization.dat" : dir . "/py-assignment.dat"
        prefix = row == 1 ? "" : "sieve-"
        what = row == 1 ? "lab 08: factorize 300 numbers" : "lab 09: sums of primes (sieve)"
        cs = serial_of(f, prefix)
        ps = serial_of(pyf, prefix)
        set title what
        set logscale y
        set yrange [* : *]
        set ylabel "time per run (s, log scale), median"
        set format y "%g"
        plot f using (slot(prefix) - 0.19):3 with boxes lc rgb c_c title "C", \
             pyf using (slot(prefix) + 0.19):3 with boxes lc rgb c_py title "Python", \
             f using (slot(prefix) - 0.19):3:(sprintf("%.3f", $3)) with labels offset 0,0.8 font ",9" notitle, \
             pyf using (slot(prefix) + 0.19):3:(sprintf("%.2f", $3)) with labels offset 0,0.8 font ",9" notitle
        unset logscale y
        set title what . ": speedup over its own serial run"
        set yrange [0 : cores + 0.8]
        set ylabel "speedup (serial time / time)"
        set arrow 1 from -0.6, cores to 2.6, cores nohead dt 2 lc rgb "#888888"
        set label 1 sprintf("%d cores", cores) at 2.55, cores + 0.15 right font ",9" tc rgb "#555555"
        plot f using (slot(prefix) - 0.19):(cs / $3) with boxes lc rgb c_c title "C", \
             pyf using (slot(prefix) + 0.19):(ps / $3) with boxes lc rgb c_py title "Python", \
             f using (slot(prefix) - 0.19):(cs / $3):(sprintf("%.2f×", cs / $3)) with labels offset 0,0.8 font ",9" notitle, \
             pyf using (slot(prefix) + 0.19):(ps / $3):(sprintf("%.2f×", ps / $3)) with labels offset 0,0.8 font ",9" notitle
        unset arrow 1
        unset label 1
    }
    unset multiplot
    unset output
}
