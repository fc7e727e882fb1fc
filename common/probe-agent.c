/* SPDX-License-Identifier: MIT */
/*
 * probe-agent.c: the probes of the CloudWatch agent itself — agent:unit (is its systemd unit
 * active and not restart-looping, asked over D-Bus) and agent:log (new error lines in its log).
 * They need no credentials and no AWS call, start with the round (BOOT stage, beside the imds
 * probe) and run in every round. What carries over between rounds lives in the Prober: the bus
 * connection, the unit's previous NRestarts, the log cursor. Where a check cannot be made (no
 * agent installed, no systemd, a log cwguard may not read) the result is not-applicable with
 * ok: true and says why: the probe judges the agent, never its own access. Runs on the round's
 * event loop; the log scan is a bounded synchronous read of a local file. Never logs.
 */

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/agent-log.h"
#include "common/agent-unit.h"
#include "common/round-internal.h"

/* systemd's range for DynamicUser= (systemd.exec(5)). */
static bool uid_is_dynamic(uid_t uid)
{
        return uid >= 61184 && uid <= 65519;
}

static ProbeResult *run_result(ProbeRun *run)
{
        return &run->round->report.probes[run->index];
}

static void agent_not_applicable(ProbeRun *run, const char *message)
{
        ProbeResult *res = run_result(run);

        run->finished = true;
        res->ok = true;
        res->class = RESULT_CLASS_NOT_APPLICABLE;
        (void) free_and_strdup(&res->aws_message, message);
}

void prober_agent_done(Prober *p)
{
        p->agent.bus = sd_bus_flush_close_unref(p->agent.bus);
        p->agent.unit = mfree(p->agent.unit);
        p->agent.have_restarts = false;
        agent_log_cursor_done(&p->agent.cursor);
        p->agent.log = mfree(p->agent.log);
}

void prober_adopt_agent_history(Prober *p, Prober *old)
{
        if (!p || !old || p == old)
                return;
        prober_agent_done(p);
        p->agent = old->agent;
        old->agent.bus = NULL;
        old->agent.unit = NULL;
        old->agent.have_restarts = false;
        old->agent.cursor = AGENT_LOG_CURSOR_NULL;
        old->agent.log = NULL;
}

/* ---- agent:unit ------------------------------------------------------------------------------ */

static void on_unit(int error, const AgentUnitState *st, void *userdata)
{
        ProbeRun *run = userdata;
        Round *rd = run->round;
        Prober *p = rd->prober;
        ProbeResult *res = run_result(run);
        ProbeAgent *a = &res->agent;
        _cleanup_free_ char *msg = NULL;
        AgentUnitHistory h = {
                .have_previous = p->agent.have_restarts && streq_ptr(p->agent.unit, rd->agent_unit),
                .previous_restarts = p->agent.restarts,
                .now = now_usec(CLOCK_REALTIME),
                .window = rd->agent_log_window,
        };
        ResultClass class;
        uint64_t grown;

        run->unit_query = NULL;
        res->latency = now_usec(CLOCK_MONOTONIC) - run->unit_started;
        res->attempts = 1;
        if (error < 0) {
                bool closed = !p->agent.bus || sd_bus_is_open(p->agent.bus) <= 0;
                char timeout[32];
                int k;

                (void) snprintf(timeout, sizeof(timeout), "%.1f",
                                (double) rd->timeout / USEC_PER_SEC);
                /* sd-bus fails the calls of a connection that went away with NoReply, i.e.
                 * ETIMEDOUT: the state of the connection tells the two apart. dbus-daemon
                 * closes the connection of a DynamicUser= client at Hello: PID 1 runs it with
                 * SYSTEMD_NSS_DYNAMIC_BYPASS=1, so it cannot resolve the user (dbus-broker
                 * can). The shipped unit names the static user cwguard (sysusers.d), so a
                 * dynamic UID here means that user was never created and systemd fell back
                 * to allocating one. */
                if (closed && uid_is_dynamic(getuid()))
                        k = asprintf(&msg, "no systemd to ask: the system bus closed the "
                                           "connection (cwguard runs as a dynamic user, which "
                                           "dbus-daemon refuses, because the user cwguard does "
                                           "not exist: `systemd-sysusers cwguard.conf && "
                                           "systemctl restart cwguard`)");
                else if (closed)
                        k = asprintf(&msg, "no systemd to ask: the system bus closed the "
                                           "connection");
                else if (error == -ETIMEDOUT)
                        k = asprintf(&msg, "no systemd to ask: it did not answer within %s s",
                                     timeout);
                else
                        k = asprintf(&msg, "no systemd to ask: the system bus refused the query "
                                           "(%s)", strerror(-error));
                if (k < 0)
                        msg = NULL;
                /* A broken connection is replaced next round. */
                if (closed || (error != -ETIMEDOUT && error != -EACCES))
                        p->agent.bus = sd_bus_flush_close_unref(p->agent.bus);
                agent_not_applicable(run, msg);
                round_op_done(rd);
                return;
        }

        if (free_and_strdup(&a->load_state, st->load_state) < 0 ||
            free_and_strdup(&a->active_state, st->active_state) < 0 ||
            free_and_strdup(&a->sub_state, st->sub_state) < 0 ||
            free_and_strdup(&a->unit_result, st->result) < 0 ||
            agent_unit_judge(rd->agent_unit, st, &h, &class, &grown, &msg) < 0) {
                run->finished = true;
                res->ok = false;
                res->class = RESULT_CLASS_INVALID_REQUEST;
                (void) free_and_strdup(&res->aws_message, "out of memory");
                round_op_done(rd);
                return;
        }
        a->n_restarts = st->n_restarts;
        a->has_n_restarts = st->has_n_restarts;
        a->new_restarts = grown;
        a->active_enter = st->active_enter;
        run->finished = true;
        res->class = class;
        res->ok = class == RESULT_CLASS_OK || class == RESULT_CLASS_NOT_APPLICABLE;
        free_and_replace(res->aws_message, msg);

        /* The count this round judged against is the next round's baseline. */
        if (st->has_n_restarts && free_and_strdup(&p->agent.unit, rd->agent_unit) >= 0) {
                p->agent.restarts = st->n_restarts;
                p->agent.have_restarts = true;
        }
        round_op_done(rd);
}

static void probe_agent_unit_start(ProbeRun *run)
{
        Round *rd = run->round;
        Prober *p = rd->prober;
        ProbeResult *res = run_result(run);
        _cleanup_free_ char *msg = NULL;
        int r;

        run->started = true;
        if (free_and_strdup(&res->agent.unit, rd->agent_unit) < 0) {
                agent_not_applicable(run, "out of memory");
                return;
        }
        r = agent_unit_bus_open(p->event, &p->agent.bus);
        if (r < 0) {
                if (r == -ENOMEDIUM)
                        msg = strdup("no systemd to ask: this system was not booted with systemd");
                else if (asprintf(&msg, "no systemd to ask: cannot connect to the system bus (%s)",
                                  strerror(-r)) < 0)
                        msg = NULL;
                agent_not_applicable(run, msg);
                return;
        }
        run->unit_started = now_usec(CLOCK_MONOTONIC);
        r = agent_unit_query(p->agent.bus, rd->agent_unit, rd->timeout, on_unit, run,
                             &run->unit_query);
        if (r < 0) {
                if (asprintf(&msg, "no systemd to ask: the query could not be sent (%s)",
                             strerror(-r)) < 0)
                        msg = NULL;
                p->agent.bus = sd_bus_flush_close_unref(p->agent.bus);
                agent_not_applicable(run, msg);
                return;
        }
        rd->n_pending++;
}

/* ---- agent:log ------------------------------------------------------------------------------- */

static int log_unreadable(ProbeRun *run, int error)
{
        Round *rd = run->round;
        _cleanup_free_ char *msg = NULL;
        int k;

        if (error == -ENOENT)
                k = rd->agent_installed ?
                            asprintf(&msg, "no agent log at %s yet", rd->agent_log) :
                            asprintf(&msg, "agent not installed (no log at %s)", rd->agent_log);
        /* The grant that lasts: the agent writes its log through lumberjack
         * (aws/amazon-cloudwatch-agent, logger/lumberjack_logger.go), whose rotation creates
         * the new file with the old one's mode and owner and group (natefinch/lumberjack,
         * openNew() in lumberjack.go, chown() in chown_linux.go). cwguard's group is the
         * static group cwguard (sysusers.d). Short enough that the command is never cut
         * (DIAGNOSIS_QUOTE_MAX) for the default path. */
        else if (error == -EACCES || error == -EPERM)
                k = asprintf(&msg, "permission denied on the agent's log: `chgrp cwguard %s && "
                                   "chmod g+r %s` grants it for good (rotation keeps mode and "
                                   "group)", rd->agent_log, rd->agent_log);
        else
                k = asprintf(&msg, "the agent's log %s cannot be read (%s)", rd->agent_log,
                             strerror(-error));
        if (k < 0)
                msg = NULL;
        agent_not_applicable(run, msg);
        return 0;
}

static void probe_agent_log_run(ProbeRun *run)
{
        Round *rd = run->round;
        Prober *p = rd->prober;
        ProbeResult *res = run_result(run);
        ProbeAgent *a = &res->agent;
        _cleanup_(agent_log_scan_done) AgentLogScan scan = {};
        _cleanup_free_ char *msg = NULL;
        char window[32];
        bool since;
        usec_t started = now_usec(CLOCK_MONOTONIC);
        int r, k;

        run->started = true;
        if (free_and_strdup(&a->log, rd->agent_log) < 0) {
                agent_not_applicable(run, "out of memory");
                return;
        }

        /* The first round of a prober (and every `cwguardctl check`) looks back over the
         * window; later rounds read what was written since, from the cursor. */
        since = p->agent.cursor.active && streq_ptr(p->agent.log, rd->agent_log);
        if (since)
                r = agent_log_scan_since(&p->agent.cursor, rd->agent_log, &scan);
        else {
                agent_log_cursor_done(&p->agent.cursor);
                r = agent_log_scan_window(rd->agent_log, now_usec(CLOCK_REALTIME),
                                          rd->agent_log_window, &p->agent.cursor, &scan);
                if (r >= 0 && free_and_strdup(&p->agent.log, rd->agent_log) < 0)
                        agent_log_cursor_done(&p->agent.cursor);
        }
        if (r < 0) {
                (void) log_unreadable(run, r);
                return;
        }
        res->latency = now_usec(CLOCK_MONOTONIC) - started;

        run->finished = true;
        a->error_lines = scan.error_lines;
        a->last_line_at = scan.last_line_at;
        a->skipped_bytes = scan.skipped_bytes;
        free_and_replace(a->last_line, scan.last_line);
        res->attempts = 1;
        (void) snprintf(window, sizeof(window), "%" PRIu64 " min",
                        (uint64_t) (rd->agent_log_window / USEC_PER_MINUTE));
        if (rd->agent_log_window % USEC_PER_MINUTE != 0)
                (void) snprintf(window, sizeof(window), "%" PRIu64 " s",
                                (uint64_t) (rd->agent_log_window / USEC_PER_SEC));

        if (scan.error_lines == 0) {
                res->ok = true;
                res->class = RESULT_CLASS_OK;
                k = since ? asprintf(&msg, "no new error lines in %s since the previous round%s",
                                     rd->agent_log, scan.rotated ? " (it was rotated)" :
                                     scan.truncated ? " (it was truncated)" : "") :
                            asprintf(&msg, "no error lines in %s in the last %s", rd->agent_log,
                                     window);
                if (k < 0)
                        msg = NULL;
                free_and_replace(res->aws_message, msg);
                return;
        }

        res->ok = false;
        res->class = RESULT_CLASS_AGENT_ERRORS;
        (void) free_and_strdup(&res->aws_message, a->last_line);
        if (scan.access_denied) {
                free_and_replace(res->aws_error_code, scan.aws_error_code);
                access_denied_done(&res->denied);
                res->denied = scan.denied;
                scan.denied = (AccessDenied) {};
        }
        /* How the message counts the lines: "new" since the previous round, or in the window. */
        a->from_window = !since;
        a->window = rd->agent_log_window;
}

/* ---- the round's entry point ----------------------------------------------------------------- */

void probe_agent_start_all(Round *rd)
{
        for (size_t i = 0; i < rd->report.n_probes; i++) {
                ProbeRun *run = &rd->runs[i];
                ProbeResult *res = &rd->report.probes[i];

                if (res->kind != PROBE_KIND_AGENT || run->started || run->finished)
                        continue;
                if (streq_ptr(res->target, "unit"))
                        probe_agent_unit_start(run);
                else if (streq_ptr(res->target, "log"))
                        probe_agent_log_run(run);
        }
}
