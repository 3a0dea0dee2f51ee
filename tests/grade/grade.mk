# Grading a class (included by the top Makefile; tests/grade/grade.sh
# explains everything):
#
#   make grade SUBMISSIONS=DIR [JOBS=N] [FRESH=1] [GRADE_LABS="01 03"]
#              [GRADE_OUT=build/grade]
#
# DIR holds one folder per student shaped like labs/. Writes
# GRADE_OUT/gradebook.csv, results/NAME.tsv and feedback/NAME.md. Re-running
# grades only what changed; FRESH=1 starts over. Run it as root: every
# submission is built and tested in a bubblewrap box of its own.
#
#   make test-grading   grade the whole sample class of tests/grade/sample/
#                       (every attack; a few minutes) and check every score,
#                       reason and leftover; `make test` grades only two
#                       students on lab 01.

GRADE_OUT ?= $(BUILD)/grade
.PHONY: grade test-grading
grade: deps
	@$(if $(SUBMISSIONS),,$(error Say where the submissions are: make grade SUBMISSIONS=DIR))
	@$(MAKE) --no-print-directory -s $(CORES_J) $(TEST_BIN) $(foreach f,plain tsan asan,$(BUILD)/lib/$(f)/libkit.a)
	@bash tests/grade/grade.sh -j $(or $(JOBS),1) $(if $(FRESH),--fresh) \
	  $(if $(GRADE_LABS),--labs "$(GRADE_LABS)") "$(SUBMISSIONS)" "$(GRADE_OUT)"

test-grading: deps
	@$(MAKE) --no-print-directory $(CORES_J) $(TEST_BIN) $(foreach f,plain tsan asan,$(BUILD)/lib/$(f)/libkit.a)
	@KIT_GRADING_FULL=1 bash tests/tools/run-tests.sh $(BUILD)/ref 1 'grading_class' \
	  "class grading: the whole sample class"
