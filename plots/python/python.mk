# plots/python/python.mk - the lecture's C-against-Python chart (included by
# the top Makefile after plots/plots.mk, whose data it shares).
#
#   make plots-python   run the Python twins of labs 08 and 09 (factorize.py,
#                       assignment.py: standard library only) and draw
#                       build/plots/c-vs-python.png/.svg beside the C charts
#
# Plain `make` runs it after the C benchmarks when python3 is there (about
# a minute on 2 cores); without python3 it says so and draws the rest.
# The twins run one after the other, after the C benchmarks, never beside
# them. Their data: build/plots/data/py-*.dat, the format of common/bench.h.

PY_FACTORIZE_ARGS  ?= -r 3 -w 2
PY_ASSIGNMENT_ARGS ?= -r 3 -w 2 -a sieve
PY_DATA  := $(PLOTS_DATA)/py-factorization.dat $(PLOTS_DATA)/py-assignment.dat
PY_CHART := $(PLOTS_OUT)/c-vs-python.png $(PLOTS_OUT)/c-vs-python.svg

ifneq ($(shell command -v python3 2>/dev/null),)
LECTURE_TARGETS += plots-python
else
LECTURE_TARGETS += plots-no-python
endif
.PHONY: plots-python plots-no-python

plots-no-python:
	@echo "plots: no python3 on this machine: the C-against-Python chart is left out"

# After the C charts (plots): never measured beside another benchmark.
plots-python: plots
	@$(MAKE) --no-print-directory -s $(PY_CHART)
	@echo "plots: the C-against-Python chart is $(PLOTS_OUT)/c-vs-python.png (and .svg)"

$(PLOTS_DATA)/py-factorization.dat: plots/python/factorize.py plots/python/kitbench.py
	@mkdir -p $(@D)
	@echo "plots: lab 08's benchmark in Python (factorize.py $(PY_FACTORIZE_ARGS)):"
	@start=$$SECONDS; python3 $< $(PY_FACTORIZE_ARGS) -o $@ && \
	  echo "plots: took $$((SECONDS - start)) s"

# Order-only: one benchmark at a time.
$(PLOTS_DATA)/py-assignment.dat: plots/python/assignment.py plots/python/kitbench.py | $(PLOTS_DATA)/py-factorization.dat
	@mkdir -p $(@D)
	@echo "plots: lab 09's benchmark in Python (assignment.py $(PY_ASSIGNMENT_ARGS)):"
	@start=$$SECONDS; python3 $< $(PY_ASSIGNMENT_ARGS) -o $@ && \
	  echo "plots: took $$((SECONDS - start)) s"

$(PY_CHART) &: plots/c-vs-python.gp plots/common.gp $(PY_DATA) $(PLOTS_DATA)/factorization.dat $(PLOTS_DATA)/assignment.dat
	gnuplot -e "dir='$(PLOTS_DATA)'; out='$(PLOTS_OUT)/c-vs-python'" $<

# make plots-examples (plots.mk) copies this chart over the committed
# example too.
.PHONY: plots-python-examples
plots-examples: plots-python-examples
plots-python-examples: plots-python
	cp $(PY_CHART) plots/examples/
