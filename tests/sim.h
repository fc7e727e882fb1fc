#pragma once
/* SPDX-License-Identifier: MIT */
/* sim.h: start the local AWS simulator (tests/sim/awssim.py) from a C test and steer it. */

#include <stdbool.h>

/*
 * Test-only code: it blocks (fork/exec, waiting for the ready file, blocking libcurl easy calls to
 * the control port). The code under test never does; it runs on its own sd-event loop.
 */

typedef struct Sim {
        int pid;
        char *state_dir;
        char *ca;                 /* CA bundle that signs the simulator's certificates */
        char *aws_url;            /* https://localhost:PORT (STS, CloudWatch, Logs) */
        char *aws_wrongname_url;  /* same, certificate for wrong.example */
        char *imds_url;           /* http://127.0.0.1:PORT */
        char *control_url;
        char *blackhole_url;      /* accepts, never answers */
        char *proxy_url;          /* http://127.0.0.1:PORT, CONNECT proxy */
        int aws_port, aws_wrongname_port, imds_port, control_port, blackhole_port, proxy_port;
} Sim;

/**
 * sim_start() - start a fresh simulator (own state dir under $TMPDIR) and wait until it is ready.
 * @ret: the running simulator.
 *
 * Uses $CWGUARD_SIM (script) and $CWGUARD_PYTHON (interpreter), set by meson.
 *
 * Return: 0, -EOPNOTSUPP if the simulator cannot run here (e.g. python3-botocore missing: the
 * caller should exit with EXIT_TEST_SKIP only when $CWGUARD_REQUIRE_SIM is unset), or a negative
 * errno.
 */
int sim_start(Sim **ret);

/**
 * sim_free() - stop the simulator (SIGTERM, then SIGKILL), remove its state dir, free.
 *
 * Return: NULL.
 */
Sim *sim_free(Sim *s);
static inline void sim_freep(Sim **s)
{
        if (*s)
                sim_free(*s);
}

/**
 * sim_control() - call the control API.
 * @s: the simulator.
 * @method: "GET" or "POST".
 * @path: e.g. "/scenario".
 * @json: request body, may be NULL.
 * @ret_body: the response body (caller frees), may be NULL.
 *
 * Return: 0 on HTTP 200, -EIO otherwise.
 */
int sim_control(Sim *s, const char *method, const char *path, const char *json, char **ret_body);

/* Shorthands: POST /scenario with @json; POST /reset. Abort the test on failure. */
void sim_scenario(Sim *s, const char *json);
void sim_reset(Sim *s);

/**
 * sim_count() - how many requests the simulator received for @action ("sts:GetCallerIdentity",
 * "imds:token", ...), from GET /stats.
 */
int sim_count(Sim *s, const char *action);
