# SPDX-License-Identifier: GPL-2.0-only
# The VMM's DSDT: iasl compiles servers/vmm/dsdt.asl to AML, od turns it
# into a C byte list that servers/vmm/dsdt_aml.c includes. Included by
# user.mk (needs BUILD and USER_OBJDIR).
VMM_DSDT_DIR := $(BUILD)/vmm-dsdt
VMM_DSDT_INC := $(VMM_DSDT_DIR)/dsdt_aml.inc

$(VMM_DSDT_DIR)/dsdt.aml: servers/vmm/dsdt.asl
	@mkdir -p $(dir $@)
	iasl -p $(VMM_DSDT_DIR)/dsdt $< >$(VMM_DSDT_DIR)/iasl.log 2>&1 || { cat $(VMM_DSDT_DIR)/iasl.log; exit 1; }

$(VMM_DSDT_INC): $(VMM_DSDT_DIR)/dsdt.aml
	od -An -v -tx1 $< | sed -e 's/\([0-9a-f][0-9a-f]\)/0x\1,/g' >$@

$(USER_OBJDIR)/servers/vmm/dsdt_aml.o: $(VMM_DSDT_INC)
$(USER_OBJDIR)/servers/vmm/dsdt_aml.o: USER_CFLAGS += -I$(VMM_DSDT_DIR)
