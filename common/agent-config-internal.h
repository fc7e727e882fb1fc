#pragma once
/* SPDX-License-Identifier: MIT */
/* agent-config-internal.h: what the parser (agent-config.c) and the loader
 * (agent-config-load.c) share; private to libcwg-common, not part of agent-config.h. */

#include "common/agent-config.h"
#include "common/macro.h"

/**
 * agent_message_add() - append a formatted one-line message to an error or note list.
 * @list: &c->errors or &c->notes.
 * @fmt: printf format.
 *
 * Bounded: past AGENT_MESSAGES_MAX one "(further messages suppressed)" line is added, then
 * nothing.
 *
 * Return: 0 or -ENOMEM.
 */
int agent_message_add(char ***list, const char *fmt, ...) _printf_(2, 3);
#define agent_error(c, ...) agent_message_add(&(c)->errors, __VA_ARGS__)
#define agent_note(c, ...) agent_message_add(&(c)->notes, __VA_ARGS__)

/**
 * agent_display_name() - a copy of a file name fit for one-line messages (control characters
 * become '?').
 *
 * Return: the copy, or NULL on OOM.
 */
char *agent_display_name(const char *s);

/**
 * agent_config_apply_defaults() - fill what no document set: the agent's log file, and the
 * namespace when there is a metrics section (source AGENT_SOURCE_DEFAULT; a later document may
 * still set them).
 *
 * Return: 0 or -ENOMEM.
 */
int agent_config_apply_defaults(AgentConfig *c);
