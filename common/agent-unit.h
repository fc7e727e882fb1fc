#pragma once
/* SPDX-License-Identifier: MIT */
/* agent-unit.h: the CloudWatch agent's systemd unit, asked over D-Bus, and what its state means. */

#include <stdbool.h>
#include <stdint.h>

#include <systemd/sd-bus.h>
#include <systemd/sd-event.h>

#include "common/macro.h"
#include "common/result-class.h"
#include "common/util.h"

#define AGENT_UNIT_DEFAULT "amazon-cloudwatch-agent.service"

/* The unit's state as systemd reported it. Strings are owned, one line, at most 64 bytes. */
typedef struct AgentUnitState {
        char *load_state;          /* "loaded", "not-found", "masked", ... */
        char *active_state;        /* "active", "inactive", "failed", "activating", ... */
        char *sub_state;           /* "running", "dead", "auto-restart", ... */
        char *result;              /* the Service's Result: "success", "exit-code", ...; NULL */
        uint64_t n_restarts;       /* the Service's NRestarts */
        bool has_n_restarts;
        usec_t active_enter;       /* ActiveEnterTimestamp, realtime µs; 0: never active */
        usec_t inactive_exit;      /* InactiveExitTimestamp, realtime µs; 0: unknown */
} AgentUnitState;

/**
 * agent_unit_state_done() - free what @s owns and reset it (idempotent).
 */
void agent_unit_state_done(AgentUnitState *s);

typedef struct AgentUnitQuery AgentUnitQuery;

/*
 * Called once per query from the event loop. @error: 0 and @state filled, or the negative errno
 * of the bus (-ETIMEDOUT, -ECONNRESET, -EACCES for a refused call, ...); @state is then NULL.
 * The query is freed after the callback returns.
 */
typedef void (*AgentUnitCallback)(int error, const AgentUnitState *state, void *userdata);

/**
 * agent_unit_bus_open() - a connection to the system bus on @event, reused while it is open.
 * @event: the loop to attach a new connection to.
 * @bus: in: the connection kept from earlier (may be NULL); out: an open one. A closed one is
 *       dropped and replaced.
 *
 * Honours DBUS_SYSTEM_BUS_ADDRESS. The connection is made without blocking; the handshake runs on
 * @event.
 *
 * Return: 0; -ENOMEDIUM when the system was not booted with systemd (sd_booted()); the
 *         negative errno of sd_bus_open_system() (-ENOENT, -ECONNREFUSED, -EACCES: no bus).
 */
int agent_unit_bus_open(sd_event *event, sd_bus **bus);

/**
 * agent_unit_query() - ask systemd for the state of @unit, asynchronously.
 * @bus: an open connection (agent_unit_bus_open()).
 * @unit: the unit name ("amazon-cloudwatch-agent.service").
 * @timeout: for each of the two calls (Properties.GetAll of org.freedesktop.systemd1.Unit, then
 *           of org.freedesktop.systemd1.Service); 0: sd-bus's default.
 * @callback: called once, from the loop.
 * @userdata: for @callback.
 * @ret: the query, to cancel it; valid until the callback runs.
 *
 * Return: 0, -EINVAL for an invalid unit name, or the negative errno of sd-bus.
 */
int agent_unit_query(sd_bus *bus, const char *unit, usec_t timeout, AgentUnitCallback callback,
                     void *userdata, AgentUnitQuery **ret);

/**
 * agent_unit_query_cancel() - cancel @q (its callback is not called) and free it.
 *
 * Return: NULL.
 */
AgentUnitQuery *agent_unit_query_cancel(AgentUnitQuery *q);

/**
 * agent_unit_name_is_valid() - whether @s is a valid unit name ("name.service", ...).
 */
bool agent_unit_name_is_valid(const char *s) _pure_;

/* What the judgement needs to know besides the state. */
typedef struct AgentUnitHistory {
        bool have_previous;        /* an earlier round of this prober read NRestarts */
        uint64_t previous_restarts;
        usec_t now;                /* realtime µs */
        usec_t window;             /* agent.log_window: how recent "restarted recently" is */
} AgentUnitHistory;

/**
 * agent_unit_judge() - what the state of @unit means.
 * @unit: the unit name, for the message.
 * @s: the state systemd reported.
 * @h: the previous round's restart count and the clock.
 * @ret_class: RESULT_CLASS_OK, RESULT_CLASS_NOT_APPLICABLE (no such unit: no agent installed)
 *             or RESULT_CLASS_AGENT_NOT_RUNNING.
 * @ret_new_restarts: NRestarts growth since the previous round (0 without one).
 * @ret_message: one line saying what was found (no "agent:unit: " prefix), to free().
 *
 * LoadState not-found: not applicable. Not active (inactive, failed, activating, deactivating,
 * reloading; auto-restart is activating's sub-state): not running. Active, but NRestarts grew
 * since the previous round: restart-looping. Without a previous round: active, NRestarts > 0 and
 * the current activation within @h->window: restarted recently.
 *
 * Return: 0 or -ENOMEM.
 */
int agent_unit_judge(const char *unit, const AgentUnitState *s, const AgentUnitHistory *h,
                     ResultClass *ret_class, uint64_t *ret_new_restarts, char **ret_message);
