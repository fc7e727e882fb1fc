#pragma once
/* SPDX-License-Identifier: MIT */
/* check-output.h: the readable table `cwguardctl check` prints. */

#include <stdbool.h>
#include <stdio.h>

#include "common/probe.h"
#include "config/config.h"

/**
 * check_output_print() - print @rep for a human: host and identity, one row per probe with
 * its diagnosis, the remedy and AWS facts of failures, and a summary line.
 * @f: where to print.
 * @rep: the round's report.
 * @c: the configuration the round ran with (its path is shown).
 * @debug: add each AWS request's debug record.
 * @color: use ANSI colours (on a terminal only).
 */
void check_output_print(FILE *f, const ProbeReport *rep, const Config *c, bool debug, bool color);
