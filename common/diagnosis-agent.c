/* SPDX-License-Identifier: MIT */
/*
 * diagnosis-agent.c: the text for the agent's own failures — agent-not-running (its unit is not
 * active, or systemd keeps restarting it) and agent-errors (new error lines in its log). An
 * AccessDenied quoted from the agent's log is explained exactly as a probe's own denial (the
 * policy layer, the action, the resource, and where to change it), because the agent's request
 * and ours are judged by the same policies. Text only: written into the Explain's streams.
 */

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "common/agent-config.h"
#include "common/agent-unit.h"
#include "common/diagnosis-internal.h"

int explain_agent_not_running(Explain *e)
{
        const ProbeAgent *a = &e->r->agent;
        const char *unit = a->unit ?: AGENT_UNIT_DEFAULT;

        fputs(e->quote ?: "the agent's unit is not running", e->msg);
        fprintf(e->rem, "`systemctl status %s` and `journalctl -u %s -n 50` show why it %s; the "
                        "agent's own log (%s by default) usually names the cause, e.g. a "
                        "configuration it refuses (`amazon-cloudwatch-agent-ctl -a fetch-config "
                        "-m ec2 -s -c file:CONFIG` checks and restarts it).",
                unit, unit,
                a->new_restarts > 0 || streq_ptr(a->sub_state, "auto-restart") ?
                        "keeps exiting" : "stopped",
                AGENT_LOGFILE_DEFAULT);
        if (!streq_ptr(a->active_state, "active") && !streq_ptr(a->sub_state, "auto-restart"))
                fprintf(e->rem, " Start it with `systemctl start %s` and enable it at boot with "
                                "`systemctl enable %s`.", unit, unit);
        return 0;
}

int explain_agent_errors(Explain *e)
{
        const ProbeAgent *a = &e->r->agent;
        const char *quote = e->quote;
        char when[ISO8601_MAX];
        int r;

        fprintf(e->msg, "%" PRIu64 " %serror line%s in %s", a->error_lines,
                a->from_window ? "" : "new ", a->error_lines == 1 ? "" : "s", strna(a->log));
        if (a->from_window && a->window > 0 && a->window % USEC_PER_MINUTE == 0)
                fprintf(e->msg, " within the last %" PRIu64 " min",
                        (uint64_t) (a->window / USEC_PER_MINUTE));
        else if (a->from_window && a->window > 0)
                fprintf(e->msg, " within the last %" PRIu64 " s",
                        (uint64_t) (a->window / USEC_PER_SEC));
        if (a->skipped_bytes > 0)
                fprintf(e->msg, " (%" PRIu64 " bytes written since the previous round were not "
                                "read)", a->skipped_bytes);
        if (a->last_line_at > 0)
                fprintf(e->msg, "; the last, at %s", iso8601_format(a->last_line_at, when));
        else
                fputs("; the last", e->msg);

        if (e->r->denied.action || e->r->denied.principal) {
                /* The denial as for a probe (without its own quote: the line follows). */
                fputs(": ", e->msg);
                e->quote = NULL;
                r = explain_access_denied(e);
                e->quote = quote;
                if (r < 0)
                        return r;
                if (quote)
                        fprintf(e->msg, " — \"%s\"", quote);
                return 0;
        }

        if (quote)
                fprintf(e->msg, ": \"%s\"", quote);
        fprintf(e->rem, "Read the agent's log around that line (`tail -n 100 %s`) and fix what it "
                        "names; `cwguardctl check` runs cwguard's own probes of the same path. "
                        "This probe is ok again once a round finds no new error line.",
                strna(a->log));
        return 0;
}
