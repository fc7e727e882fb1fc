#pragma once
/* SPDX-License-Identifier: MIT */
/* runtime.h: the objects one configuration needs to run rounds (loop, HTTP, credentials, prober). */

#include <stdbool.h>

#include <systemd/sd-event.h>

#include "common/credentials.h"
#include "common/http.h"
#include "common/round.h"
#include "config/config.h"

/*
 * Built from one Config, shared by `cwguardctl check` (one round) and cwguardd (rounds on
 * timers): both run exactly the same code. Replacing the configuration means a new Runtime.
 */
typedef struct Runtime {
        sd_event *event;
        HttpClient *http;
        CredentialsProvider *credentials;
        Prober *prober;
        char *proxy;                /* the HTTPS proxy in effect (config, else environment) */
} Runtime;

/**
 * runtime_load_config() - read @path (NULL: the default) and apply the SDK variables of @envp.
 * @path: the configuration file.
 * @envp: the environment.
 * @ret: the configuration.
 * @reterr: on failure, one line saying why ("FILE:LINE:COLUMN: KEY: MESSAGE"), to free(); NULL
 *          if even that could not be allocated.
 *
 * Return: 0 or the negative errno of config_load()/config_apply_environment().
 */
int runtime_load_config(const char *path, char **envp, Config **ret, char **reterr);

/**
 * runtime_new() - create the HTTP client, the credential provider and the prober for @c.
 * @event: the loop; a reference is taken.
 * @c: the configuration (environment already applied); only read during the call.
 * @envp: the environment the credential chain consults (NULL-terminated).
 * @ret: the runtime.
 *
 * Return: 0 or a negative errno (-EINVAL for options the libraries refuse).
 */
int runtime_new(sd_event *event, const Config *c, char **envp, Runtime **ret);

/**
 * runtime_free() - free everything (a running round is cancelled).
 *
 * Return: NULL.
 */
Runtime *runtime_free(Runtime *rt);
DEFINE_TRIVIAL_CLEANUP_FUNC(Runtime *, runtime_free);

/**
 * runtime_round_options() - the RoundOptions for @c.
 * @rt: the runtime (for the proxy in effect), may be NULL.
 * @c: the configuration; the options point into it and are valid as long as it is.
 * @billed: include the PutMetricData probes (heartbeat) in this round.
 * @ret: filled.
 */
void runtime_round_options(const Runtime *rt, const Config *c, bool billed, RoundOptions *ret);
