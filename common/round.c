/* SPDX-License-Identifier: MIT */
/*
 * round.c: one round of probes, run concurrently on the event loop, and the Prober that carries
 * the endpoint-check schedule from one round to the next.
 *
 * A round moves through stages: BOOT (the imds probe, the credentials, fresh endpoint checks),
 * SIGNED (identity, logs and the non-heartbeat metrics probes, all at once), HEARTBEAT (the
 * PutMetricData whose value says whether everything else was ok), EVIDENCE (endpoints not checked
 * fresh this round are judged by the warm requests that went to them). Every operation started
 * counts in n_pending and calls round_op_done() exactly once; the stage advances when nothing is
 * pending. A deadline timer cuts the round off so it never outlasts the interval. The report is
 * explained by diagnosis.c and handed to the callback from a defer source, on a clean stack.
 * Nothing here logs: the report is data.
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/agent-config.h"
#include "common/diagnosis.h"
#include "common/round-internal.h"

#define ROUND_DEFAULT_TIMEOUT (5 * USEC_PER_SEC)
#define ROUND_DEFAULT_BUDGET (60 * USEC_PER_SEC)
#define ROUND_DEFAULT_ENDPOINT_CHECK_INTERVAL USEC_PER_HOUR

static const char *const probe_service_table[_PROBE_SERVICE_MAX] = {
        [PROBE_SERVICE_MONITORING] = "monitoring",
        [PROBE_SERVICE_LOGS] = "logs",
        [PROBE_SERVICE_STS] = "sts",
};

DEFINE_STRING_TABLE_LOOKUP(probe_service, ProbeService, _PROBE_SERVICE_MAX);

static Round *round_free(Round *rd)
{
        if (!rd)
                return NULL;
        for (size_t i = 0; rd->runs && i < rd->n_runs; i++) {
                probe_run_cancel(&rd->runs[i]);
                free(rd->runs[i].fresh.remote_ip);
        }
        imds_operation_cancel(rd->asg_op);
        imds_operation_cancel(rd->hostname_op);
        credentials_refresh_cancel(rd->refresh);
        sd_event_source_disable_unref(rd->deadline_timer);
        sd_event_source_disable_unref(rd->finish_source);
        free(rd->region);
        for (size_t i = 0; i < _PROBE_SERVICE_MAX; i++)
                free(rd->endpoints[i]);
        strv_free(rd->namespaces);
        free(rd->heartbeat_namespace);
        strv_free(rd->log_groups);
        strv_free(rd->namespace_sources);
        strv_free(rd->log_group_sources);
        free(rd->log_stream_template);
        free(rd->log_stream);
        free(rd->auto_scaling_group);
        free(rd->metrics_source);
        free(rd->logs_source);
        free(rd->agent_unit);
        free(rd->agent_log);
        free(rd->private_ip);
        round_roles_free(rd);
        aws_credentials_free(rd->credentials);
        free(rd->credentials_message);
        probe_report_done(&rd->report);
        free(rd->runs);
        return mfree(rd);
}
DEFINE_TRIVIAL_CLEANUP_FUNC(Round *, round_free);

void round_result_skip(ProbeResult *res, ResultClass class, const char *message)
{
        res->skipped = true;
        res->ok = false;
        res->class = class;
        (void) free_and_strdup(&res->aws_message, message);
}

/* Copy the facts of a finished AWS call into @res (the probe decides ok and the class). */
void round_result_from_outcome(Round *rd, ProbeResult *res, AwsCallOutcome *o, const char *operation)
{
        AwsResult *a = &o->result;

        res->class = a->class;
        res->ok = a->class == RESULT_CLASS_OK;
        res->latency = o->latency;
        res->attempts = o->attempts;
        res->http_status = a->http_status;
        free_and_replace(res->aws_error_code, a->code);
        free_and_replace(res->request_id, a->request_id);
        free_and_replace(res->aws_message, a->message);
        access_denied_done(&res->denied);
        res->denied = a->denied;
        a->denied = (AccessDenied) {};
        res->has_clock_offset = a->has_clock_offset;
        res->clock_offset_sec = a->clock_offset_sec;
        (void) free_and_strdup(&res->operation, operation);

        /* The first connection the probe opened stands in for its endpoint's fresh check. */
        ProbeRun *run = &rd->runs[res - rd->report.probes];
        if (o->fresh.made && !run->fresh.made) {
                run->fresh = o->fresh;
                o->fresh = (AwsCallConnection) {};
        }

        if (rd->debug)
                (void) aws_call_debug_append(&res->debug, &res->n_debug, &o->debug);
}

static int on_finish(sd_event_source *s, void *userdata)
{
        Round *rd = userdata;
        Prober *p = rd->prober;
        RoundCallback cb = rd->callback;
        void *ud = rd->userdata;
        _cleanup_(round_freep) Round *done = NULL;

        /* Detach first: the callback may start the next round or free the prober. */
        done = TAKE_PTR(p->round);
        done->finish_source = sd_event_source_disable_unref(done->finish_source);
        cb(p, &done->report, ud);
        return 0;
}

static void round_finish(Round *rd)
{
        int r;

        rd->stage = ROUND_STAGE_DONE;
        rd->deadline_timer = sd_event_source_disable_unref(rd->deadline_timer);
        (void) free_and_strdup(&rd->report.host.auto_scaling_group, round_auto_scaling_group(rd));
        rd->report.generated_at = now_usec(CLOCK_REALTIME);
        rd->report.duration = now_usec(CLOCK_MONOTONIC) - rd->started;

        DiagnosisContext ctx = {
                .region = rd->region,
                .account_id = rd->report.identity.account ?: rd->report.host.account_id,
                .instance_id = rd->report.host.instance_id,
                .principal_arn = rd->report.identity.arn,
                .heartbeat_namespace = rd->heartbeat_namespace,
                .log_stream = rd->log_stream,
                .credential_source = rd->report.identity.credential_source,
                .credential_detail = rd->report.identity.credential_detail,
                .create_log_group = rd->create_log_group,
        };
        /* Only OOM fails here; the facts stand without the prose then. */
        (void) diagnosis_explain_report(&rd->report, &ctx);

        r = sd_event_add_defer(rd->prober->event, &rd->finish_source, on_finish, rd);
        if (r < 0)
                (void) on_finish(NULL, rd);
}

static bool run_is(const ProbeRun *run, ProbeKind kind)
{
        return run->round->report.probes[run->index].kind == kind;
}

static int run_start(ProbeRun *run, int (*start)(ProbeRun *run))
{
        Round *rd = run->round;
        int r;

        run->started = true;
        r = start(run);
        if (r < 0) {
                /* Could not even start (OOM, invalid name): a result, not a crash. */
                ProbeResult *res = &rd->report.probes[run->index];

                run->finished = true;
                res->ok = false;
                res->class = RESULT_CLASS_INVALID_REQUEST;
                (void) free_and_strdup(&res->aws_message, r == -ENOMEM ? "out of memory" :
                                       "the request could not be built from the configuration");
                return r;
        }
        rd->n_pending++;
        return 0;
}

static bool endpoint_due(Round *rd, ProbeService s)
{
        Prober *p = rd->prober;
        usec_t now = now_usec(CLOCK_REALTIME);

        return rd->force_endpoint_check || p->endpoints[s].last_fresh_check == 0 ||
               p->endpoints[s].failed ||
               now >= p->endpoints[s].last_fresh_check + rd->endpoint_check_interval;
}

/*
 * A due check that the signed probes may make for free: they go to the same URL this round and
 * the previous check did not fail. On a cold start (every `cwguardctl check`, a daemon's first
 * round) their requests open the connection anyway, and what they measured is the fresh check
 * (round_judge_endpoints()); a handshake saved per endpoint. A check after a failure runs at
 * once, beside IMDS and the credentials, so the heartbeat counts it.
 */
static bool endpoint_deferrable(Round *rd, const ProbeRun *run)
{
        const char *url = rd->endpoints[run->service];

        if (rd->prober->endpoints[run->service].failed)
                return false;
        for (size_t i = 0; i < rd->report.n_probes; i++) {
                ProbeKind k = rd->report.probes[i].kind;

                if ((k == PROBE_KIND_IDENTITY || k == PROBE_KIND_METRICS ||
                     k == PROBE_KIND_LOGS) && streq_ptr(rd->endpoints[rd->runs[i].service], url))
                        return true;
        }
        return false;
}

/* The region is known: derive the endpoints and start the fresh checks that are due. */
static int round_region_known(Round *rd)
{
        int r;

        for (ProbeService s = 0; s < _PROBE_SERVICE_MAX; s++) {
                if (rd->endpoints[s])
                        continue;
                r = aws_endpoint_url_default(probe_service_to_string(s), rd->region,
                                             &rd->endpoints[s]);
                if (r < 0)
                        return r;
        }

        for (size_t i = 0; i < rd->report.n_probes; i++) {
                ProbeRun *run = &rd->runs[i];
                ProbeResult *res = &rd->report.probes[i];

                /* The imds and agent probes talk to no AWS service endpoint. */
                if (res->kind == PROBE_KIND_IMDS || res->kind == PROBE_KIND_AGENT)
                        continue;
                r = free_and_strdup(&res->endpoint, rd->endpoints[run->service]);
                if (r < 0)
                        return r;
                if (res->kind != PROBE_KIND_ENDPOINT || !endpoint_due(rd, run->service))
                        continue;
                run->due = true;
                if (!endpoint_deferrable(rd, run))
                        (void) run_start(run, probe_endpoint_start);
        }
        return 0;
}

static void round_skip_remaining(Round *rd, ProbeKind kind, ResultClass class, const char *msg)
{
        for (size_t i = 0; i < rd->report.n_probes; i++) {
                ProbeRun *run = &rd->runs[i];

                if (run->started || run->finished || !run_is(run, kind))
                        continue;
                run->finished = true;
                round_result_skip(&rd->report.probes[i], class, msg);
        }
}

/*
 * The imds probe failing to connect at all is not a fault off EC2: when the credentials come
 * from elsewhere and the region is configured, IMDS is simply not needed.
 */
static void round_judge_imds(Round *rd)
{
        ProbeResult *res = probe_report_find(&rd->report, "imds");
        const AwsCredentials *c = NULL;

        /* IMDS answers, but said at a credentials refresh that the role is gone or unusable
         * while instance-profile credentials were in use: the imds probe fails with that, both
         * while the old credentials are still used (AWS honours them until they expire) and
         * after they expired (then the signed probes carry it too). */
        if (res && res->ok && credentials_provider_get(rd->prober->credentials, &c) >= 0 &&
            c->source == CREDENTIAL_SOURCE_IMDS &&
            (rd->credentials_class == RESULT_CLASS_IMDS_NO_ROLE ||
             rd->credentials_class == RESULT_CLASS_IMDS_CREDENTIALS_ERROR)) {
                res->ok = false;
                res->class = rd->credentials_class;
                res->http_status = 0;
                (void) free_and_strdup(&res->aws_message, rd->credentials_message);
                return;
        }
        if (!res || res->ok || res->class != RESULT_CLASS_IMDS_UNREACHABLE)
                return;
        if (!rd->region_configured || !rd->credentials ||
            rd->credentials->source == CREDENTIAL_SOURCE_IMDS)
                return;
        res->ok = true;
        res->class = RESULT_CLASS_NOT_APPLICABLE;
}

static void round_start_signed(Round *rd)
{
        _cleanup_free_ char *why = NULL;

        if (!rd->region) {
                if (asprintf(&why, "the region is unknown: IMDS gave no identity document and "
                             "neither region: nor AWS_REGION is set") < 0)
                        why = NULL;
                for (ProbeKind k = PROBE_KIND_IDENTITY; k < _PROBE_KIND_MAX; k++)
                        round_skip_remaining(rd, k, rd->imds_class, why);
                for (size_t i = 0; i < rd->report.n_probes; i++)
                        if (rd->report.probes[i].skipped)
                                rd->report.probes[i].skip_reason = "the region is unknown";
                return;
        }
        if (!rd->credentials) {
                for (ProbeKind k = PROBE_KIND_IDENTITY; k <= PROBE_KIND_LOGS; k++)
                        round_skip_remaining(rd, k, rd->credentials_class,
                                             rd->credentials_message);
                return;
        }

        for (size_t i = 0; i < rd->report.n_probes; i++) {
                ProbeRun *run = &rd->runs[i];

                if (run->started || run->heartbeat || run->finished || round_role_block(run))
                        continue;
                if (run_is(run, PROBE_KIND_IDENTITY))
                        (void) run_start(run, probe_identity_start);
                else if (run_is(run, PROBE_KIND_METRICS))
                        (void) run_start(run, probe_metrics_start);
                else if (run_is(run, PROBE_KIND_LOGS))
                        (void) run_start(run, probe_logs_start);
        }
}

static void round_start_heartbeat(Round *rd)
{
        for (size_t i = 0; i < rd->report.n_probes; i++) {
                ProbeRun *run = &rd->runs[i];

                if (run->heartbeat && !run->started && !run->finished && !round_role_block(run))
                        (void) run_start(run, probe_metrics_start);
        }
}

/* The signed probe whose request opened a connection to @run's endpoint this round, if any. */
static size_t endpoint_fresh_source(Round *rd, const ProbeRun *run)
{
        const char *url = rd->endpoints[run->service];

        for (size_t j = 0; j < rd->report.n_probes; j++) {
                ProbeKind k = rd->report.probes[j].kind;

                if (k != PROBE_KIND_ENDPOINT && k != PROBE_KIND_IMDS && rd->runs[j].fresh.made &&
                    streq_ptr(rd->endpoints[rd->runs[j].service], url))
                        return j;
        }
        return SIZE_MAX;
}

/*
 * An endpoint not checked fresh yet this round. If its check is due and a signed request opened
 * a connection to it, that connection is the check; if none did, the check runs now. Otherwise
 * a signed request that got any HTTP answer from it is the evidence that DNS, TCP and TLS work
 * (over the warm connection); if its requests got no answer, a fresh check says why; if nothing
 * went to it this round, the last check stands.
 */
static void round_judge_endpoints(Round *rd)
{
        Prober *p = rd->prober;

        for (size_t i = 0; i < rd->report.n_probes; i++) {
                ProbeRun *run = &rd->runs[i];
                ProbeResult *res = &rd->report.probes[i];
                const ProbeResult *evidence = NULL;
                bool used = false;

                if (res->kind != PROBE_KIND_ENDPOINT || run->started || run->finished)
                        continue;
                if (run->due) {
                        size_t j = endpoint_fresh_source(rd, run);

                        if (j == SIZE_MAX)
                                (void) run_start(run, probe_endpoint_start);
                        else
                                probe_endpoint_from_connection(run, &rd->report.probes[j],
                                                               &rd->runs[j].fresh);
                        continue;
                }
                for (size_t j = 0; j < rd->report.n_probes; j++) {
                        const ProbeResult *o = &rd->report.probes[j];

                        if (o->kind == PROBE_KIND_ENDPOINT || o->kind == PROBE_KIND_IMDS ||
                            rd->runs[j].service != run->service || o->skipped || !rd->runs[j].started)
                                continue;
                        used = true;
                        if (o->http_status > 0) {
                                evidence = o;
                                break;
                        }
                }
                if (used && !evidence) {
                        (void) run_start(run, probe_endpoint_start);
                        continue;
                }
                run->finished = true;
                res->ok = true;
                res->class = RESULT_CLASS_OK;
                res->net.fresh = false;
                res->net.via_proxy = rd->via_proxy;
                res->net.last_fresh_check = p->endpoints[run->service].last_fresh_check;
                if (evidence)
                        (void) free_and_strdup(&res->net.evidence, evidence->id);
        }
}

static void round_advance(Round *rd)
{
        switch (rd->stage) {
        case ROUND_STAGE_BOOT:
                if (!rd->imds_done || !rd->credentials_settled || rd->hostname_op ||
                    round_roles_start(rd) > 0)
                        return;
                round_judge_imds(rd);
                round_start_signed(rd);
                rd->stage = ROUND_STAGE_SIGNED;
                _fallthrough_;
        case ROUND_STAGE_SIGNED:
                if (rd->n_pending > 0)
                        return;
                if (rd->region && rd->credentials)
                        round_start_heartbeat(rd);
                rd->stage = ROUND_STAGE_HEARTBEAT;
                _fallthrough_;
        case ROUND_STAGE_HEARTBEAT:
                if (rd->n_pending > 0)
                        return;
                if (rd->region)
                        round_judge_endpoints(rd);
                rd->stage = ROUND_STAGE_EVIDENCE;
                _fallthrough_;
        case ROUND_STAGE_EVIDENCE:
                if (rd->n_pending > 0)
                        return;
                round_finish(rd);
                return;
        case ROUND_STAGE_DONE:
                return;
        }
}

void round_op_done(Round *rd)
{
        if (rd->n_pending > 0)
                rd->n_pending--;
        round_advance(rd);
}

const char *round_auto_scaling_group(const Round *rd)
{
        if (rd->auto_scaling_group)
                return rd->auto_scaling_group;
        return rd->asg_from_tags ? rd->prober->asg : NULL;
}

static void on_asg_tag(ImdsClient *c, ImdsResult *result, const char *value, void *userdata)
{
        Round *rd = userdata;
        Prober *p = rd->prober;

        rd->asg_op = NULL;
        /* A failed lookup (IMDS gone since the check) is tried again next round; the heartbeat
         * goes without the dimension meanwhile. A 404 is an answer: no such tag. */
        if (result->class == RESULT_CLASS_OK && free_and_strdup(&p->asg, value) >= 0)
                p->asg_looked_up = true;
        round_op_done(rd);
}

/* Only rounds that send the heartbeat need the group, and only once per prober. */
static void round_lookup_asg(Round *rd)
{
        ImdsClient *imds = credentials_provider_get_imds(rd->prober->credentials);

        if (!rd->asg_from_tags || rd->auto_scaling_group || rd->prober->asg_looked_up ||
            !rd->billed || !imds || rd->asg_op)
                return;
        if (imds_fetch_tag(imds, IMDS_TAG_AUTO_SCALING_GROUP, on_asg_tag, rd, &rd->asg_op) < 0) {
                rd->asg_op = NULL;
                return;
        }
        rd->n_pending++;
}

/*
 * Log groups from the agent's configuration are its templates: expand them as the agent does,
 * with what IMDS said (its fallbacks, "i-UNKNOWN"..., where IMDS said nothing), so the probe
 * writes where the agent writes. {hostname} is the local host name: the agent's EC2 hostname
 * is the same private DNS name on EC2's images. A name that expands to something CloudWatch Logs
 * refuses is reported, not sent.
 */
static void round_expand_log_groups(Round *rd)
{
        ProbeHost *h = &rd->report.host;
        const AgentPlaceholders ph = {
                .instance_id = h->instance_id,
                .hostname = rd->prober->imds_hostname ?: h->hostname,
                .local_hostname = h->hostname,
                .ip_address = rd->private_ip,
                .region = rd->region,
                .account_id = h->account_id,
        };

        for (size_t i = 0; i < rd->report.n_probes; i++) {
                ProbeResult *res = &rd->report.probes[i];
                ProbeRun *run = &rd->runs[i];
                _cleanup_free_ char *name = NULL, *id = NULL, *why = NULL;

                if (res->kind != PROBE_KIND_LOGS || !res->target || !strchr(res->target, '{'))
                        continue;
                if (agent_expand_placeholders(res->target, &ph, &name) < 0 ||
                    asprintf(&id, "logs:%s", name) < 0)
                        continue; /* out of memory: the template stays, and is refused below */
                if (!agent_log_group_name_is_valid(name) &&
                    asprintf(&why, "the agent's log group '%s' expands to '%s', which is not a "
                                   "valid log group name (1-512 of A-Z a-z 0-9 _ - / . #)",
                             res->target, name) < 0)
                        why = NULL;
                free_and_replace(res->target, name);
                free_and_replace(res->id, id);
                if (why) {
                        run->started = run->finished = true;
                        round_result_skip(res, RESULT_CLASS_INVALID_REQUEST, why);
                }
        }
}

/* The imds probe reports its outcome here (before round_op_done()). */
static void on_hostname(ImdsClient *c, ImdsResult *result, const char *value, void *userdata)
{
        Round *rd = userdata;
        Prober *p = rd->prober;

        rd->hostname_op = NULL;
        /* Failed (IMDS gone since the check): the local name stands in this round, and the
         * lookup is tried again next round. A 404 is an answer: no EC2 host name. */
        if (result->class == RESULT_CLASS_OK && free_and_strdup(&p->imds_hostname, value) >= 0)
                p->hostname_looked_up = true;
        round_expand_log_groups(rd);
        round_op_done(rd);
}

/* Whether a log group template names {hostname} and the EC2 host name is still to be learnt. */
static bool round_needs_hostname(const Round *rd)
{
        if (rd->prober->hostname_looked_up)
                return false;
        for (size_t i = 0; i < rd->report.n_probes; i++) {
                const ProbeResult *res = &rd->report.probes[i];

                if (res->kind == PROBE_KIND_LOGS && res->target &&
                    strstr(res->target, "{hostname}"))
                        return true;
        }
        return false;
}

void round_imds_finished(Round *rd, ResultClass class, ImdsIdentity *identity)
{
        ImdsClient *imds = credentials_provider_get_imds(rd->prober->credentials);
        ProbeHost *h = &rd->report.host;

        rd->imds_done = true;
        rd->imds_class = class;
        if (identity && identity->instance_id) {
                free_and_replace(h->instance_id, identity->instance_id);
                free_and_replace(h->account_id, identity->account_id);
                free_and_replace(h->availability_zone, identity->availability_zone);
                free_and_replace(rd->private_ip, identity->private_ip);
                if (!rd->region && aws_region_is_valid(identity->region))
                        rd->region = TAKE_PTR(identity->region);
                round_lookup_asg(rd);
                if (round_needs_hostname(rd) && imds &&
                    imds_fetch_hostname(imds, on_hostname, rd, &rd->hostname_op) >= 0)
                        rd->n_pending++;
                else
                        rd->hostname_op = NULL;
        }
        (void) free_and_strdup(&h->region, rd->region);
        if (!rd->log_stream)
                (void) round_expand_log_stream(rd->log_stream_template, h->instance_id,
                                               h->hostname, rd->private_ip, &rd->log_stream);
        if (!rd->hostname_op)
                round_expand_log_groups(rd);
        if (rd->region && !rd->region_configured)
                (void) round_region_known(rd);
}

static void credentials_settle(Round *rd, const CredentialsResult *result)
{
        CredentialsProvider *cp = rd->prober->credentials;
        ProbeIdentity *id = &rd->report.identity;
        const AwsCredentials *c = NULL;
        CredentialsStatus st;
        int r;

        rd->credentials_settled = true;
        r = credentials_provider_get(cp, &c);
        if (r == 0) {
                if (aws_credentials_copy(c, &rd->credentials) < 0)
                        rd->credentials = NULL;
        }
        credentials_provider_get_status(cp, &st);
        if (c) {
                id->credential_source = c->source;
                (void) free_and_strdup(&id->credential_detail, c->source_detail);
                (void) free_and_strdup(&id->access_key_id, c->access_key_id);
                id->expires_at = c->expiration;
                /* The daemon logs this once, cwguardctl check prints it. */
                free(id->credential_warning);
                if (!st.insecure_permissions ||
                    asprintf(&id->credential_warning,
                             "the credentials file (%s) is readable by group or other users, "
                             "who can read the secret key: make it readable by this user only "
                             "(chmod 600)", strna(c->source_detail)) < 0)
                        id->credential_warning = NULL;
        }
        if (rd->credentials) {
                if (st.class == RESULT_CLASS_IMDS_NO_ROLE ||
                    st.class == RESULT_CLASS_IMDS_CREDENTIALS_ERROR) {
                        rd->credentials_class = st.class;
                        (void) free_and_strdup(&rd->credentials_message, st.message);
                }
                return;
        }

        if (r == CREDENTIALS_EXPIRED) {
                char when[ISO8601_MAX];

                /* Expired because IMDS said the role is gone: that is the cause to report. */
                rd->credentials_class = st.class == RESULT_CLASS_IMDS_NO_ROLE ||
                                                        st.class == RESULT_CLASS_IMDS_CREDENTIALS_ERROR ?
                                                st.class :
                                                RESULT_CLASS_CREDENTIALS_EXPIRED;
                free(rd->credentials_message);
                if (asprintf(&rd->credentials_message,
                             "the credentials from %s expired at %s and could not be refreshed%s%s",
                             strna(c->source_detail), iso8601_format(c->expiration, when),
                             st.last_error_message ? ": " : "",
                             strempty(st.last_error_message)) < 0)
                        rd->credentials_message = NULL;
                return;
        }
        rd->credentials_class = result ? result->class : st.class;
        /* The chain came up empty, and IMDS had a specific reason (no role, hop limit, trust
         * policy...): that reason is the remedy. IMDS merely unreachable means not on EC2. */
        if (result && rd->credentials_class == RESULT_CLASS_NO_CREDENTIALS &&
            result->imds_class > RESULT_CLASS_OK && result->imds_class != RESULT_CLASS_IMDS_UNREACHABLE)
                rd->credentials_class = result->imds_class;
        if (rd->credentials_class == RESULT_CLASS_OK)
                rd->credentials_class = RESULT_CLASS_NO_CREDENTIALS;
        (void) free_and_strdup(&rd->credentials_message,
                               result && result->message ? result->message : st.message);
}

static void on_credentials(CredentialsProvider *cp, const CredentialsResult *result, void *userdata)
{
        Round *rd = userdata;

        rd->refresh = NULL;
        credentials_settle(rd, result);
        round_op_done(rd);
}

static int round_start_credentials(Round *rd)
{
        const AwsCredentials *c;
        int r;

        r = credentials_provider_get(rd->prober->credentials, &c);
        if (r == 0) {
                credentials_settle(rd, NULL);
                return 0;
        }
        /* None, or expired: this round asks the chain again rather than report stale state. */
        r = credentials_provider_refresh(rd->prober->credentials, on_credentials, rd, &rd->refresh);
        if (r < 0)
                return r;
        rd->n_pending++;
        return 0;
}

static int on_deadline(sd_event_source *s, usec_t usec, void *userdata)
{
        Round *rd = userdata;
        char budget[32];

        (void) snprintf(budget, sizeof(budget), "%.1f", (double) rd->budget / USEC_PER_SEC);
        for (size_t i = 0; i < rd->report.n_probes; i++) {
                ProbeRun *run = &rd->runs[i];
                ProbeResult *res = &rd->report.probes[i];
                _cleanup_free_ char *msg = NULL;

                if (run->finished)
                        continue;
                probe_run_cancel(run);
                run->finished = true;
                if (asprintf(&msg, "%s when the round's time budget of %s s ran out",
                             run->started ? "not finished" : "not started", budget) < 0)
                        msg = NULL;
                if (!run->started)
                        round_result_skip(res, RESULT_CLASS_TIMEOUT, msg);
                else {
                        res->ok = false;
                        res->class = RESULT_CLASS_TIMEOUT;
                        free_and_replace(res->aws_message, msg);
                }
        }
        rd->refresh = credentials_refresh_cancel(rd->refresh);
        rd->asg_op = imds_operation_cancel(rd->asg_op);
        rd->hostname_op = imds_operation_cancel(rd->hostname_op);
        round_roles_cancel(rd);
        rd->n_pending = 0;
        round_finish(rd);
        return 0;
}

static int round_add_probe(Round *rd, ProbeKind kind, const char *target, ProbeService service,
                           const char *source, bool heartbeat)
{
        ProbeReport *rep = &rd->report;
        ProbeResult *res;
        ProbeRun *runs;

        res = reallocarray(rep->probes, rep->n_probes + 1, sizeof(ProbeResult));
        if (!res)
                return -ENOMEM;
        rep->probes = res;
        runs = reallocarray(rd->runs, rep->n_probes + 1, sizeof(ProbeRun));
        if (!runs)
                return -ENOMEM;
        rd->runs = runs;

        res = &rep->probes[rep->n_probes];
        *res = (ProbeResult) { .kind = kind, .class = RESULT_CLASS_OK };
        rd->runs[rep->n_probes] = (ProbeRun) {
                .round = rd, .index = rep->n_probes, .service = service, .heartbeat = heartbeat,
        };
        rep->n_probes++;
        rd->n_runs = rep->n_probes;

        if (target) {
                if (asprintf(&res->id, "%s:%s", probe_kind_to_string(kind), target) < 0)
                        return -ENOMEM;
                res->target = strdup(target);
                if (!res->target)
                        return -ENOMEM;
        } else {
                res->id = strdup(probe_kind_to_string(kind));
                if (!res->id)
                        return -ENOMEM;
        }
        res->source = strdup(source ?: "default");
        if (!res->source)
                return -ENOMEM;
        return 0;
}

static int round_build(Round *rd)
{
        int r;

        r = round_add_probe(rd, PROBE_KIND_IMDS, NULL, _PROBE_SERVICE_INVALID, "default", false);
        if (r < 0)
                return r;
        r = round_add_probe(rd, PROBE_KIND_IDENTITY, NULL, PROBE_SERVICE_STS, "default", false);
        if (r < 0)
                return r;
        if (rd->billed)
                for (size_t i = 0; rd->namespaces && rd->namespaces[i]; i++) {
                        const char *ns = rd->namespaces[i];

                        r = round_add_probe(rd, PROBE_KIND_METRICS, ns, PROBE_SERVICE_MONITORING,
                                            empty_to_null(rd->namespace_sources[i]) ?:
                                                    rd->metrics_source,
                                            streq(ns, rd->heartbeat_namespace));
                        if (r < 0)
                                return r;
                }
        for (size_t i = 0; rd->log_groups && rd->log_groups[i]; i++) {
                r = round_add_probe(rd, PROBE_KIND_LOGS, rd->log_groups[i], PROBE_SERVICE_LOGS,
                                    empty_to_null(rd->log_group_sources[i]) ?: rd->logs_source,
                                    false);
                if (r < 0)
                        return r;
        }
        for (ProbeService s = 0; s < _PROBE_SERVICE_MAX; s++) {
                /* No log groups: nothing goes to the Logs endpoint, nothing to check there. */
                if (s == PROBE_SERVICE_LOGS && strv_length(rd->log_groups) == 0)
                        continue;
                r = round_add_probe(rd, PROBE_KIND_ENDPOINT, probe_service_to_string(s), s,
                                    "default", false);
                if (r < 0)
                        return r;
        }
        /* The agent itself: no AWS service, no credentials. */
        if (rd->agent_unit) {
                r = round_add_probe(rd, PROBE_KIND_AGENT, "unit", _PROBE_SERVICE_INVALID,
                                    "config", false);
                if (r < 0)
                        return r;
        }
        if (rd->agent_log) {
                r = round_add_probe(rd, PROBE_KIND_AGENT, "log", _PROBE_SERVICE_INVALID,
                                    "config", false);
                if (r < 0)
                        return r;
        }
        return 0;
}

static int strdup_opt(char **dst, const char *src)
{
        if (!src)
                return 0;
        *dst = strdup(src);
        return *dst ? 0 : -ENOMEM;
}

/* The source given for @item in the list @items, or "" (the list-wide source applies). */
static const char *source_at(char **items, char **sources, const char *item)
{
        for (size_t i = 0; items && items[i]; i++)
                if (streq(items[i], item))
                        return strv_length(sources) > i ? sources[i] : "";
        return "";
}

static int round_new(Prober *p, const RoundOptions *o, Round **ret)
{
        _cleanup_(round_freep) Round *rd = NULL;
        char host[256] = "";
        const char *hb;
        int r;

        rd = calloc(1, sizeof(Round));
        if (!rd)
                return -ENOMEM;
        rd->prober = p;
        probe_report_done(&rd->report);
        rd->imds_class = RESULT_CLASS_OK;
        rd->credentials_class = RESULT_CLASS_NO_CREDENTIALS;

        if (o->region && !aws_region_is_valid(o->region))
                return -EINVAL;
        if (strdup_opt(&rd->region, o->region) < 0)
                return -ENOMEM;
        rd->region_configured = !!o->region;
        for (ProbeService s = 0; s < _PROBE_SERVICE_MAX; s++)
                if (strdup_opt(&rd->endpoints[s], o->endpoints[s]) < 0 ||
                    strdup_opt(&rd->role_arns[s], o->role_arns[s]) < 0)
                        return -ENOMEM;

        hb = o->heartbeat_namespace ?: (o->namespaces && o->namespaces[0] ? o->namespaces[0] :
                                        ROUND_DEFAULT_NAMESPACE);
        if (strdup_opt(&rd->heartbeat_namespace, hb) < 0)
                return -ENOMEM;
        /* The heartbeat's namespace is probed first; the others follow in configured order. */
        r = strv_extend(&rd->namespaces, hb);
        if (r >= 0)
                r = strv_extend(&rd->namespace_sources,
                                source_at(o->namespaces, o->metrics_sources, hb));
        if (r < 0)
                return r;
        for (size_t i = 0; o->namespaces && o->namespaces[i]; i++)
                if (!strv_contains(rd->namespaces, o->namespaces[i]) &&
                    (strv_extend(&rd->namespaces, o->namespaces[i]) < 0 ||
                     strv_extend(&rd->namespace_sources,
                                 source_at(o->namespaces, o->metrics_sources,
                                           o->namespaces[i])) < 0))
                        return -ENOMEM;
        for (size_t i = 0; o->log_groups && o->log_groups[i]; i++)
                if (!strv_contains(rd->log_groups, o->log_groups[i]) &&
                    (strv_extend(&rd->log_groups, o->log_groups[i]) < 0 ||
                     strv_extend(&rd->log_group_sources,
                                 source_at(o->log_groups, o->log_group_sources,
                                           o->log_groups[i])) < 0))
                        return -ENOMEM;
        if (strdup_opt(&rd->log_stream_template, o->log_stream ?: ROUND_DEFAULT_LOG_STREAM) < 0 ||
            strdup_opt(&rd->auto_scaling_group, o->auto_scaling_group) < 0 ||
            strdup_opt(&rd->metrics_source, o->metrics_source ?: "config") < 0 ||
            strdup_opt(&rd->logs_source, o->logs_source ?: "config") < 0 ||
            strdup_opt(&rd->agent_unit, empty_to_null(o->agent_unit)) < 0 ||
            strdup_opt(&rd->agent_log, empty_to_null(o->agent_log)) < 0)
                return -ENOMEM;
        if (rd->agent_unit && !agent_unit_name_is_valid(rd->agent_unit))
                return -EINVAL;
        rd->agent_log_window = o->agent_log_window ?: ROUND_DEFAULT_AGENT_LOG_WINDOW;
        rd->agent_installed = o->agent_installed;
        rd->asg_from_tags = o->auto_scaling_group_from_tags;
        rd->create_log_group = o->create_log_group;
        rd->heartbeat_detail = o->heartbeat_detail;
        rd->billed = o->billed;
        rd->force_endpoint_check = o->force_endpoint_check;
        rd->debug = o->debug;
        rd->via_proxy = !isempty(o->proxy);
        rd->timeout = o->timeout ?: ROUND_DEFAULT_TIMEOUT;
        rd->budget = o->budget ?: ROUND_DEFAULT_BUDGET;
        rd->endpoint_check_interval = o->endpoint_check_interval ?:
                                      ROUND_DEFAULT_ENDPOINT_CHECK_INTERVAL;

        if (gethostname(host, sizeof(host) - 1) < 0 || !*host)
                strcpy(host, "localhost");
        rd->report.host.hostname = strdup(host);
        if (!rd->report.host.hostname)
                return -ENOMEM;

        r = round_build(rd);
        if (r < 0)
                return r;
        *ret = TAKE_PTR(rd);
        return 0;
}

int prober_start_round(Prober *p, const RoundOptions *opts, RoundCallback callback,
                       void *userdata)
{
        _cleanup_(round_freep) Round *rd = NULL;
        int r;

        if (!p || !opts || !callback)
                return -EINVAL;
        if (p->round)
                return -EBUSY;

        r = round_new(p, opts, &rd);
        if (r < 0)
                return r;
        rd->callback = callback;
        rd->userdata = userdata;
        rd->started = now_usec(CLOCK_MONOTONIC);
        rd->deadline = rd->started + rd->budget;

        r = sd_event_add_time(p->event, &rd->deadline_timer, CLOCK_MONOTONIC, rd->deadline,
                              10 * USEC_PER_MSEC, on_deadline, rd);
        if (r < 0)
                return r;

        p->round = rd;
        r = run_start(&rd->runs[0], probe_imds_start);
        if (r >= 0)
                probe_agent_start_all(rd);
        if (r >= 0)
                r = round_start_credentials(rd);
        if (r >= 0 && rd->region)
                r = round_region_known(rd);
        if (r < 0) {
                p->round = NULL;
                return r;
        }
        TAKE_PTR(rd);
        return 0;
}

bool prober_is_running(const Prober *p)
{
        return p && p->round;
}

void prober_cancel_round(Prober *p)
{
        if (p)
                p->round = round_free(p->round);
}

int prober_new(sd_event *event, HttpClient *http, CredentialsProvider *credentials, Prober **ret)
{
        Prober *p;

        if (!event || !http || !credentials || !ret)
                return -EINVAL;
        p = calloc(1, sizeof(Prober));
        if (!p)
                return -ENOMEM;
        p->event = sd_event_ref(event);
        p->agent.cursor = AGENT_LOG_CURSOR_NULL;
        p->http = http;
        p->credentials = credentials;
        *ret = p;
        return 0;
}

Prober *prober_free(Prober *p)
{
        if (!p)
                return NULL;
        round_free(p->round);
        role_sessions_free(p->role_sessions);
        prober_agent_done(p);
        free(p->asg);
        free(p->imds_hostname);
        sd_event_unref(p->event);
        return mfree(p);
}
