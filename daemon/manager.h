#pragma once
/* SPDX-License-Identifier: MIT */
/* manager.h: cwguardd's one Manager — config, runtime, round timers, status, systemd protocol. */

#include <stdbool.h>

#include <systemd/sd-event.h>

#include "common/probe.h"
#include "config/config.h"
#include "daemon/runtime.h"

/* What the daemon remembers of each probe between rounds (for transitions and the status). */
typedef struct ProbeState {
        char *id;
        bool ok;
        ResultClass class;
        usec_t since;                  /* realtime µs when the current state began */
        unsigned consecutive_failures;
        bool seen;                     /* reported at least once */
} ProbeState;

typedef struct Manager {
        sd_event *event;
        char *config_path;             /* NULL: CONFIG_DEFAULT_PATH */
        char *status_file;             /* NULL: none */
        char **envp;                   /* the environment the config and credentials read */

        Config *config;
        Runtime *runtime;
        sd_event_source *round_timer;
        sd_event_source *sighup;

        usec_t started_at;             /* realtime µs */
        usec_t round_started;          /* CLOCK_MONOTONIC of the round in flight or last */
        usec_t next_billed;            /* CLOCK_MONOTONIC: the next round sends PutMetricData */
        unsigned n_rounds;
        bool ready;

        ProbeReport last;              /* the latest report, metrics results carried over */
        ProbeState *states;
        size_t n_states;

        usec_t heartbeat_last_sent;    /* realtime µs of the last accepted heartbeat, 0: never */
        usec_t heartbeat_last_try;
        bool heartbeat_ok;
        bool credentials_missing;       /* the last round had no credentials at all */
        char *credential_warning;      /* the last credentials warning logged, NULL: none */
        ResultClass heartbeat_class;
        bool heartbeat_reported;       /* a heartbeat result was logged (for transitions) */
} Manager;

/**
 * manager_new() - create the manager and its event loop (signals, watchdog).
 * @config_path: the configuration file; NULL for the default.
 * @status_file: where the status snapshot goes; NULL for none.
 * @envp: the environment (not copied: it must outlive the manager).
 * @ret: the manager.
 *
 * Return: 0 or a negative errno (logged).
 */
int manager_new(const char *config_path, const char *status_file, char **envp, Manager **ret);

Manager *manager_free(Manager *m);
DEFINE_TRIVIAL_CLEANUP_FUNC(Manager *, manager_free);

/**
 * manager_start() - load the configuration, build the runtime, start the first round.
 *
 * Return: 0; -EINVAL for an invalid configuration (logged with file:line); other errors.
 */
int manager_start(Manager *m);

/**
 * manager_run() - run the event loop until SIGTERM/SIGINT.
 *
 * Return: the loop's exit code (0) or a negative errno.
 */
int manager_run(Manager *m);

/**
 * manager_status_text() - the one-line STATUS= text ("4/5 probes ok; heartbeat sent 12s ago").
 * @m: the manager.
 * @ret: the text, to free().
 *
 * Return: 0 or -ENOMEM.
 */
int manager_status_text(const Manager *m, char **ret);
