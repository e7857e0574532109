# SPDX-License-Identifier: GPL-2.0-only
# The hostile-component fuzzer's ISO: hostilefuzz (tests/user/fuzz/) as the
# root PD of a test-mode kernel; it prints PASS/FAIL lines and powers off.
# tests/run-all boots it with 2 and with 4 CPUs. FUZZ_ARGS adds kernel
# arguments (fuzz.seed=N, fuzz.ops=N, fuzz.rounds=N), e.g. to repeat a run:
#     make fuzz-iso FUZZ_ARGS="fuzz.seed=0x1234"
# Without fuzz.seed the fuzzer takes its seed from the TSC: every boot of
# donjon-fuzz.iso is a new run. make check (tests/run-all) boots instead
# the check ISOs, one per fixed seed, so that its runs are repeatable:
#     $(BUILD)/donjon-fuzz-seed<N>.iso  for each N of FUZZ_CHECK_SEEDS
# Included by the top Makefile after user.mk:   include fuzz.mk
FUZZ_ISO := $(BUILD)/donjon-fuzz.iso
FUZZ_CHECK_SEEDS := 1 2
FUZZ_CHECK_ISOS := $(foreach s,$(FUZZ_CHECK_SEEDS),$(BUILD)/donjon-fuzz-seed$(s).iso)
FUZZ_ARGS ?=
FUZZ_ARGS_STAMP := $(BUILD)/fuzz-args

$(FUZZ_ISO): $(TEST_KERNEL_ELF) $(USER_OUT)/hostilefuzz.elf tools/grub-test.cfg tools/mkiso $(FUZZ_ARGS_STAMP)
	MKISO_MODULES="$(USER_OUT)/hostilefuzz.elf:sigma0" tools/mkiso $@ $(TEST_KERNEL_ELF) tools/grub-test.cfg "$(FUZZ_ARGS)"

# Rewritten only when FUZZ_ARGS changes, so the ISO follows the arguments.
$(FUZZ_ARGS_STAMP): FORCE_FUZZ_ARGS
	@mkdir -p $(dir $@)
	@echo '$(FUZZ_ARGS)' | cmp -s - $@ || echo '$(FUZZ_ARGS)' > $@

$(BUILD)/donjon-fuzz-seed%.iso: $(TEST_KERNEL_ELF) $(USER_OUT)/hostilefuzz.elf tools/grub-test.cfg tools/mkiso
	MKISO_MODULES="$(USER_OUT)/hostilefuzz.elf:sigma0" tools/mkiso $@ $(TEST_KERNEL_ELF) tools/grub-test.cfg "fuzz.seed=$*"

.PHONY: FORCE_FUZZ_ARGS fuzz-iso fuzz-check-isos
FORCE_FUZZ_ARGS:
fuzz-iso: $(FUZZ_ISO)
fuzz-check-isos: $(FUZZ_CHECK_ISOS)
