# The student's loop, beside make check and make run (included by the
# Makefile; in a lab folder its own Makefile forwards these with LAB set):
#
#   make watch     make check again whenever a file of the lab changes
#                  (inotifywait), the screen cleared each time; Ctrl-C stops
#                  it. T= and SAN= are passed on to every check.
#   make hint      the next hint for the TODO the first failing test points
#                  at, one level more each time (where to look, what call,
#                  what shape), from labs/NN-name/hints.md [TODO=NN.k]
#   make progress  every lab: tests passed, points, the next lab to do, from
#                  each lab's last make check [RUN=1: check the labs never
#                  checked or changed since first]
#
# make check keeps its results in $(STUDENT_OUT)/results/ (run-tests.sh,
# KIT_RESULTS); hint levels live in $(STUDENT_OUT)/hints/.

.PHONY: watch hint progress

watch:
	$(need_lab)
	$(need_san)
	@bash tests/tools/deps.sh
	@bash tests/tools/watch.sh $(lab) $(STUDENT_ROOT)/$(lab) $(if $(KIT_IN_LAB),KIT_IN_LAB=1) \
	  $(if $(T),T=$(T)) $(if $(SAN),SAN=$(SAN)) STUDENT_ROOT=$(STUDENT_ROOT) STUDENT_OUT=$(STUDENT_OUT)

hint:
	$(need_lab)
	@mkdir -p $(STUDENT_OUT)
	@bash tests/tools/hint.sh $(lab) $(STUDENT_OUT) $(STUDENT_ROOT) $(TODO)

progress:
	@mkdir -p $(STUDENT_OUT)
	@bash tests/tools/progress.sh $(STUDENT_OUT) $(STUDENT_ROOT) $(RUN)
