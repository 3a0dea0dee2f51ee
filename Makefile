# The kit's one Makefile (non-recursive; everything it builds goes to build/).
#
#   make              build every reference program, starter and test, and
#                     the lecture plots          (lecturers: this is the one)
#   make test         run every lab's tests against the reference programs
#   make check LAB=3  build your starter for lab 03 and run its tests in the
#                     handout's order [T=pattern] [SAN=tsan|asan|valgrind]
#   make run LAB=3 [PROG=name] [ARGS="..."]   build and run your program
#   make watch LAB=3  make check again whenever a file of the lab changes
#   make hint LAB=3   a hint for the first failing TODO, a level more each time
#   make progress     every lab: tests passed, points, the next lab to do
#   make tsan / asan  the lab tests against the references built with
#                     ThreadSanitizer / AddressSanitizer+UBSan [T=pattern]
#   make valgrind     the tests with every reference run under valgrind
#   make audit        check every lab against the lab contract
#   make mutants      check that each lab's tests catch its plausible wrong
#                     answers (tests/mutants/) [LAB=NN] [MUTANT_JOBS=4]
#   make variants     check that correct answers written another way pass
#                     every test (tests/variants/) [LAB=NN]
#   make starters     regenerate labs/*/ from the references' solution markers
#   make handouts [LAB=NN]  re-run the handouts' *Run* cells on the reference
#   make grade SUBMISSIONS=DIR   grade a class (tests/grade/)
#   make plots / plots-again     the lecture's benchmarks and charts
#   make plots-python  the benchmarks' Python twins and the C-vs-Python chart
#   make notebooks / notebooks-html / notebooks-run   the labs as Jupyter
#                     notebooks (tests/tools/notebooks.mk); make notebook LAB=NN
#   make format / lint / clean / help
#
# Inside a lab folder, `make check`, `make run`, `make watch`, `make hint`,
# `make progress`, `make notebook` and `make help` do the same for that lab.
#
# Programs: every .c file of a lab folder that defines `int main(` is a
# program; the lab's other .c files are modules linked into each of them.
# tests/NN-name/*.c are test drivers, built like programs of lab NN-name
# (with its modules and headers) so that tests can run student code as a
# separate process. Header dependencies are tracked with -MMD.

SHELL    := /bin/bash
BUILD    := build
CC       ?= cc
LABS     := $(notdir $(wildcard labs/[0-9][0-9]-*))

WARN     := -Wall -Wextra -Wpedantic -Wshadow -Wstrict-prototypes \
            -Wmissing-prototypes -Wformat=2 -Wvla -Werror
BASE     := -std=c17 $(WARN) -g -pthread -D_POSIX_C_SOURCE=200809L -MMD -MP
CFLAGS_plain := $(BASE) -O2
CFLAGS_tsan  := $(BASE) -O1 -fsanitize=thread
CFLAGS_asan  := $(BASE) -O1 -fsanitize=address,undefined -fno-omit-frame-pointer \
                -fno-sanitize-recover=undefined
LDLIBS   := -lm
# A lab that needs more than libc and libm says so in tests/NN-name/lab.mk:
# LDLIBS_NN-name (extra libraries, e.g. -lcrypto) and CC_NN-name (another
# compiler driver, e.g. mpicc). Both are used by every variant of that lab.
-include $(wildcard tests/[0-9][0-9]-*/lab.mk)

# Which sources each build variant compiles, and with which flags.
# STUDENT_ROOT lets a grader point the student build at another tree.
STUDENT_ROOT ?= labs
# Each build has two sanitizer twins beside it (OUT-tsan, OUT-asan): the
# tests run some programs from them (run_opts.sanitizer in
# tests/harness/run.h), for the reference and for a student's code alike.
STUDENT_OUT  ?= $(BUILD)/student
SRC_ref          := solutions
SRC_student      := $(STUDENT_ROOT)
OUT_ref          := $(BUILD)/ref
OUT_student      := $(STUDENT_OUT)
FLAGS_ref        := plain
FLAGS_student    := plain
$(foreach v,ref student,$(foreach s,tsan asan,$(eval SRC_$(v)-$(s) := $(SRC_$(v)))\
  $(eval OUT_$(v)-$(s) := $(OUT_$(v))-$(s))$(eval FLAGS_$(v)-$(s) := $(s))))
VARIANTS := ref student ref-tsan ref-asan student-tsan student-asan
MAIN_RE  := ^int main[(]
# The sources that hold a main (a program; the others are modules linked
# into each program), found by one grep over every lab of every variant:
# one per lab and variant cost a second of every make's start.
ALL_SRCS  := $(sort $(foreach v,$(VARIANTS),$(foreach l,$(LABS),$(wildcard $(SRC_$(v))/$(l)/*.c))))
ALL_MAINS := $(if $(ALL_SRCS),$(shell grep -l '$(MAIN_RE)' $(ALL_SRCS)))

.DEFAULT_GOAL := all
.PHONY: all deps test test-run check run tsan asan valgrind audit mutants variants starters handouts \
        format lint clean help programs
.DELETE_ON_ERROR:

# ---- common/: one static library per flag set -----------------------------

COMMON_SRCS := $(wildcard common/*.c)
define common_rules
$(BUILD)/lib/$(1)/%.o: common/%.c
	@mkdir -p $$(@D)
	$$(CC) $$(CFLAGS_$(1)) -c $$< -o $$@
$(BUILD)/lib/$(1)/libkit.a: $(patsubst common/%.c,$(BUILD)/lib/$(1)/%.o,$(COMMON_SRCS))
	$$(AR) rcs $$@ $$^
endef
$(foreach f,plain tsan asan,$(eval $(call common_rules,$(f))))

# ---- lab programs: $(1) = variant, $(2) = lab ------------------------------

define lab_rules
$(1)_$(2)_dir    := $(SRC_$(1))/$(2)
$(1)_$(2)_out    := $(OUT_$(1))/$(2)
$(1)_$(2)_srcs   := $$(wildcard $$($(1)_$(2)_dir)/*.c)
$(1)_$(2)_mains  := $$(filter $$($(1)_$(2)_srcs),$$(ALL_MAINS))
$(1)_$(2)_mods   := $$(filter-out $$($(1)_$(2)_mains),$$($(1)_$(2)_srcs))
$(1)_$(2)_modobj := $$(patsubst $$($(1)_$(2)_dir)/%.c,$$($(1)_$(2)_out)/obj/%.o,$$($(1)_$(2)_mods))
$(1)_$(2)_progs  := $$(patsubst $$($(1)_$(2)_dir)/%.c,$$($(1)_$(2)_out)/%,$$($(1)_$(2)_mains))
$(1)_$(2)_drvs   := $$(patsubst tests/$(2)/%.c,$$($(1)_$(2)_out)/%,$$(wildcard tests/$(2)/*.c))
$(1)_$(2)_cflags := $$(CFLAGS_$(FLAGS_$(1))) -I$$($(1)_$(2)_dir) -Icommon
$(1)_$(2)_lib    := $(BUILD)/lib/$(FLAGS_$(1))/libkit.a

$(1)_$(2)_cc     := $$(or $$(CC_$(2)),$$(CC))

$$($(1)_$(2)_out)/obj/%.o: $$($(1)_$(2)_dir)/%.c
	@mkdir -p $$(@D)
	$$($(1)_$(2)_cc) $$($(1)_$(2)_cflags) -c $$< -o $$@
$$($(1)_$(2)_out)/obj/drivers/%.o: tests/$(2)/%.c
	@mkdir -p $$(@D)
	$$($(1)_$(2)_cc) $$($(1)_$(2)_cflags) -c $$< -o $$@
$$($(1)_$(2)_progs): $$($(1)_$(2)_out)/%: $$($(1)_$(2)_out)/obj/%.o $$($(1)_$(2)_modobj) $$($(1)_$(2)_lib)
	$$($(1)_$(2)_cc) $$($(1)_$(2)_cflags) $$^ -o $$@ $$(LDLIBS_$(2)) $$(LDLIBS)
$$($(1)_$(2)_drvs): $$($(1)_$(2)_out)/%: $$($(1)_$(2)_out)/obj/drivers/%.o $$($(1)_$(2)_modobj) $$($(1)_$(2)_lib)
	$$($(1)_$(2)_cc) $$($(1)_$(2)_cflags) $$^ -o $$@ $$(LDLIBS_$(2)) $$(LDLIBS)

.PHONY: $(1)-$(2)
$(1)-$(2): $$($(1)_$(2)_progs) $$($(1)_$(2)_drvs)
endef
$(foreach v,$(VARIANTS),$(foreach l,$(LABS),$(eval $(call lab_rules,$(v),$(l)))))

# ---- the tests: one Criterion binary for every lab --------------------------
# Built in a second make pass (see `test`), once `deps` has installed
# Criterion, so pkg-config is asked only when the recipe runs.

TEST_SRCS := $(wildcard tests/*.c) $(filter-out tests/harness/perturb.c,$(wildcard tests/harness/*.c))
TEST_BIN  := $(BUILD)/tests/kit-tests
PERTURB   := $(BUILD)/tests/libperturb.so
TEST_CFLAGS = $(filter-out -Wpedantic,$(CFLAGS_plain)) -Icommon -Itests/harness \
              $(shell pkg-config --cflags criterion)
$(BUILD)/tests/obj/%.o: tests/%.c
	@mkdir -p $(@D)
	$(CC) $(TEST_CFLAGS) -c $< -o $@
$(TEST_BIN): $(patsubst tests/%.c,$(BUILD)/tests/obj/%.o,$(TEST_SRCS)) $(BUILD)/lib/plain/libkit.a | $(PERTURB)
	$(CC) $(TEST_CFLAGS) $^ -o $@ $(shell pkg-config --libs criterion) $(LDLIBS)
# The schedule perturber the tests preload into lab programs (perturb.c).
$(PERTURB): tests/harness/perturb.c
	@mkdir -p $(@D)
	$(CC) $(filter-out -Wpedantic -MMD -MP,$(CFLAGS_plain)) -fPIC -shared $< -o $@ -ldl

# ---- what people type -------------------------------------------------------

# Everything a lecturer needs: references, starters, tests.
# LECTURE_TARGETS (set in plots/plots.mk) adds the benchmarks and plots.
all: deps
	@$(MAKE) --no-print-directory programs $(LECTURE_TARGETS)

programs: $(foreach l,$(LABS),ref-$(l) student-$(l)) $(TEST_BIN)

# A build and its sanitizer twins, for the tests: $(call with_twins,ref,$(LABS))
with_twins = $(foreach l,$(2),$(1)-$(l) $(1)-tsan-$(l) $(1)-asan-$(l))

deps:
	@bash tests/tools/deps.sh

test: deps
	@$(MAKE) --no-print-directory test-run

# The groups of tests run side by side where they can (tests/tools/test-all.sh).
test-run: $(call with_twins,ref,$(LABS)) $(TEST_BIN)
	@bash tests/tools/test-all.sh $(BUILD)/ref "reference programs"

# LAB=3, LAB=03 or LAB=03-pipe; inside a lab folder its own Makefile sets it.
lab_arg := $(if $(filter 1 2 3 4 5 6 7 8 9,$(LAB)),0$(LAB),$(LAB))
lab := $(if $(LAB),$(firstword $(filter $(lab_arg) $(lab_arg)-%,$(LABS))))
need_lab = $(if $(lab),,$(error Say which lab: make $@ LAB=NN (one of: $(LABS))))
lab_num   = $(firstword $(subst -, ,$(lab)))
# T=pattern: only the tests whose name matches (tests/tools/run-tests.sh).
export KIT_ONLY := $(T)

# make check [T=pattern] [SAN=tsan|asan|valgrind]: the student's programs
# (with that tool), the lab's tests in the handout's order.
SAN_ENV_tsan     := KIT_SANITIZER=tsan TSAN_OPTIONS="exitcode=66 halt_on_error=0 second_deadlock_stack=1"
SAN_ENV_asan     := KIT_SANITIZER=asan ASAN_OPTIONS="detect_leaks=1 exitcode=66" UBSAN_OPTIONS="print_stacktrace=1"
SAN_ENV_valgrind := KIT_VALGRIND=1
SAN_SCALE_tsan := 10
SAN_SCALE_asan := 5
SAN_SCALE_valgrind := 20
san_root = $(if $(filter tsan asan,$(SAN)),$(1)-$(SAN),$(1))
need_san = $(if $(filter-out tsan asan valgrind,$(SAN)),$(error SAN must be tsan, asan or valgrind (not '$(SAN)')))
# A lab's lab.mk may refuse a tool whose reports would be about libraries,
# not the student's code: SAN_REFUSED_<lab> := valgrind, and why.
san_refused = $(if $(SAN),$(if $(filter $(SAN),$(SAN_REFUSED_$(lab))),$(error SAN=$(SAN) is not for lab $(lab): $(SAN_REFUSED_WHY_$(lab)))))
check:
	$(need_lab)
	$(need_san)
	$(san_refused)
	@bash tests/tools/deps.sh
	@$(MAKE) --no-print-directory -s $(call with_twins,student,$(lab)) $(TEST_BIN)
	@$(SAN_ENV_$(SAN)) KIT_ORDERED=1 KIT_LAB=$(lab) KIT_FROM_LAB=$(KIT_IN_LAB) \
	  $(if $(SAN),,KIT_RESULTS=$(STUDENT_OUT)/results) \
	  KIT_RERUN='make check$(if $(KIT_IN_LAB),, LAB=$(lab_num))$(if $(SAN), SAN=$(SAN))' \
	  bash tests/tools/run-tests.sh $(call san_root,$(STUDENT_OUT)) $(or $(SAN_SCALE_$(SAN)),1) \
	  'lab$(lab_num)*' "lab $(lab), your code$(if $(SAN), under $(SAN))"

# make run [PROG=name] [ARGS="..."]: the program's own output, then how it
# ended; make's own error lines are not added (the status line says it).
run:
	$(need_lab)
	@$(MAKE) --no-print-directory -s student-$(lab)
	@KIT_RUN_LAUNCHER='$(RUN_LAUNCHER_$(lab))' bash tests/tools/run-prog.sh $(STUDENT_OUT)/$(lab) '$(PROG)' $(notdir $(student_$(lab)_progs)) -- $(ARGS)

# T=pattern runs only the matching tests (CI runs one test per suite).
# The grading test (it grades with plain builds) and the harness's own
# tests (the schedule perturber they check is off under a sanitizer or
# valgrind) are left out.
tsan: deps
	@$(MAKE) --no-print-directory -s $(call with_twins,ref,$(LABS)) $(TEST_BIN)
	@$(SAN_ENV_tsan) bash tests/tools/run-tests.sh $(BUILD)/ref-tsan 10 '!(grading*|harness*)' "all labs, references under ThreadSanitizer"

asan: deps
	@$(MAKE) --no-print-directory -s $(call with_twins,ref,$(LABS)) $(TEST_BIN)
	@$(SAN_ENV_asan) bash tests/tools/run-tests.sh $(BUILD)/ref-asan 5 '!(grading*|harness*)' "all labs, references under AddressSanitizer+UBSan"

# The reference programs under valgrind (memcheck, leaks, children too).
# Not lab 15: MPICH's hwloc and UCX under memcheck report their own
# findings (ASan and TSan check lab 15's references instead).
valgrind: deps
	@$(MAKE) --no-print-directory -s $(call with_twins,ref,$(LABS)) $(TEST_BIN)
	@$(SAN_ENV_valgrind) bash tests/tools/run-tests.sh $(BUILD)/ref 20 '!(grading*|harness*|lab15*)' "all labs, references under valgrind"

audit: deps
	@$(MAKE) --no-print-directory $(CORES_J) $(TEST_BIN)
	@bash tests/tools/audit.sh

# Plausible wrong answers (tests/mutants/NN-name/*.patch, applied to the
# reference): the lab's tests must fail on every one of them.
# MUTANT_JOBS=N at a time (default 4, 3 for variants); what labs whose
# tests compare timings (TIMED_LABS, default none) need those tests for
# runs after the rest, one at a time (tests/tools/mutants.sh).
# The libraries are built first: parallel builds must not race for them.
# So is the reference with its twins: each patched copy starts from a copy
# of their objects and compiles only what its patch changed.
KIT_LIBS := $(foreach f,plain tsan asan,$(BUILD)/lib/$(f)/libkit.a)
MUTANT_PREREQS = $(TEST_BIN) $(KIT_LIBS) $(call with_twins,ref,$(or $(lab),$(LABS)))
mutants: deps
	@$(MAKE) --no-print-directory -s $(CORES_J) $(MUTANT_PREREQS)
	@bash tests/tools/mutants.sh $(lab)

# Correct answers written another way (tests/variants/NN-name/*.patch):
# every test of the lab must pass on each.
variants: deps
	@$(MAKE) --no-print-directory -s $(CORES_J) $(MUTANT_PREREQS)
	@bash tests/tools/variants.sh $(lab)

starters:
	@bash tests/tools/starter.sh --write

# make handouts [LAB=NN]: every handout, or one lab's.
handouts: deps
	@$(MAKE) --no-print-directory $(foreach l,$(or $(lab),$(LABS)),ref-$(l))
	@bash tests/tools/handouts.sh $(lab)

FORMAT_FILES = $(wildcard common/*.[ch] solutions/*/*.[ch] tests/*.c tests/*/*.[ch])
format:
	clang-format -i $(FORMAT_FILES)
	@bash tests/tools/starter.sh --write

# make lint: clang-format on every C file (common/, solutions/, tests/),
# clang-tidy (.clang-tidy) on common/ and solutions/, and the 60-line
# function limit (.clang-tidy's readability-function-size) on the folders in
# LINT_SIZE_DIRS (tests/tools/long-functions.sh lists the long functions
# of a folder left out of it). tests/harness gets only the
# function limit: the full set on the test files costs minutes (Criterion's
# headers) for little.
LINT_SIZE_DIRS ?= common tests/harness solutions
# TIDY_FLAGS_LABS: include paths a lab's own compiler adds (tests/NN/lab.mk)
# Where a target builds the tests before its long run: one compiler per core.
CORES_J = -j$(shell nproc 2>/dev/null || echo 2)
TIDY_FLAGS = $(filter-out -MMD -MP,$(CFLAGS_plain)) -Icommon -Itests/harness $(TIDY_FLAGS_LABS)
lint:
	@bash tests/tools/deps.sh lint
	clang-format --dry-run --Werror $(FORMAT_FILES)
	@# clang-tidy on two cores: eight files to a run, two runs at a time
	printf '%s\n' $(wildcard common/*.c) $(wildcard solutions/*/*.c) | xargs -P 2 -n 8 sh -c \
	  'exec clang-tidy --quiet $(if $(filter solutions,$(LINT_SIZE_DIRS)),,--checks=-readability-function-size) "$$@" -- $(TIDY_FLAGS)' clang-tidy
	clang-tidy --quiet --checks=-*,readability-function-size \
	  $(wildcard $(addsuffix /*.c,$(filter-out common solutions,$(LINT_SIZE_DIRS)))) -- \
	  $(TIDY_FLAGS) $(shell pkg-config --cflags criterion 2>/dev/null)
	@$(if $(filter solutions,$(LINT_SIZE_DIRS)),:,bash tests/tools/long-functions.sh solutions)

clean:
	rm -rf $(BUILD)

help:
ifneq ($(KIT_IN_LAB),)
	@echo "In this lab folder ($(lab)):"
	@echo "  make check                 build your programs, run this lab's tests in the"
	@echo "                             handout's order; the first failure is shown in full"
	@echo "  make check T=name          only the tests whose name contains 'name'"
	@echo "  make check SAN=tsan        the same tests on your programs built with"
	@echo "                             ThreadSanitizer (SAN=asan: AddressSanitizer+UBSan,"
	@echo "                             SAN=valgrind: under valgrind)"
	@echo "  make run [PROG=name] [ARGS=\"...\"]   build and run one of your programs"
	@echo "  make watch                 make check again each time you save a file (Ctrl-C stops)"
	@echo "  make hint                  a hint for the first failing TODO; again for the next level"
	@echo "                             (3: where to look, what call, what shape); TODO=$(lab_num).k for one"
	@echo "  make progress              every lab: tests passed, points, the next lab to do"
	@echo "  make notebook              this lab's handout as a Jupyter notebook (prints the URL)"
	@echo "  Programs: $(notdir $(student_$(lab)_progs))"
else
	@sed -n '2,30p' Makefile
endif

# The lecture's benchmarks and plots, and class grading, have their own
# rules next to their scripts.
-include plots/plots.mk
-include plots/python/python.mk
-include tests/grade/grade.mk
-include tests/tools/notebooks.mk
include tests/tools/student.mk

# Only the dependency files of the builds this make knows (its VARIANTS'
# output folders, the library, the tests): never a mutant's or variant's
# built beside it, nor anything under a grading box's scratch folder.
-include $(wildcard $(foreach v,$(VARIANTS),$(OUT_$(v))/*/obj/*.d $(OUT_$(v))/*/obj/drivers/*.d) $(BUILD)/lib/*/*.d $(BUILD)/tests/obj/*.d $(BUILD)/tests/obj/*/*.d)
