/* SPDX-License-Identifier: GPL-2.0-only */
#pragma once
/* donjon.crash=KIND (ud, pf, gp or de): raise that exception on purpose,
 * after the self-tests, so tests/run-all can check the panic dump. */
void crash_if_asked(void);
