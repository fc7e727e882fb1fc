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
 * @config: a line saying which configuration the round ran with; NULL: none.
 * @debug: add each AWS request's debug record.
 * @color: use ANSI colours (on a terminal only).
 */
void check_output_print(FILE *f, const ProbeReport *rep, const char *config, bool debug,
                        bool color);

/**
 * check_output_print_agent() - say what the CloudWatch agent's configuration contributed: its
 * file, whether the probes were derived from it, and every note (what was skipped, what is
 * wrong in it, what cwguard does not do yet).
 * @f: where to print.
 * @c: the configuration, config_load_agent() applied.
 */
void check_output_print_agent(FILE *f, const Config *c);
