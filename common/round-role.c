/* SPDX-License-Identifier: MIT */
/*
 * round-role.c: the AssumeRole step of a round. When the agent's configuration names a role
 * (agent.credentials.role_arn, or a section's own credentials.role_arn), the agent signs that
 * section's calls with an STS session of the role, assumed with the base credentials; so does
 * cwguard: metrics probes (and the heartbeat) run as the metrics role, logs probes as the logs
 * role, the identity probe as the agent-level role. Between BOOT and SIGNED the round takes one
 * session per distinct role from the prober's cache (RoleSessions), or calls STS AssumeRole at
 * the round's STS endpoint (one call per role, concurrently, through aws-call.c on the loop) when
 * there is none or it is due for renewal. A failed AssumeRole becomes the result of every probe
 * that needed the role, with STS's own answer (class, code, parsed AccessDenied): such a probe
 * never falls back to the base credentials. STS deactivated in the round's region
 * (RegionDisabledException) sends the call, once, to the partition's fallback region, as the
 * agent does (cfg/aws/sts.go); only when that fails too is the deactivation the probes' result.
 * Runs on the round's event loop; never logs, and the secrets of the answer are wiped as soon
 * as they are parsed.
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/assume-role.h"
#include "common/aws-response.h"
#include "common/round-internal.h"

struct RoundRole {
        Round *round;
        char *arn;
        AwsCall *call;
        AwsCredentials *creds;          /* this round's copy of the session; NULL: none */
        char *assumed_arn;
        /* Why there is no session: STS's answer, as a probe result would hold it. */
        ResultClass class;
        long http_status;
        char *code, *message, *request_id;
        AccessDenied denied;
        unsigned attempts;
        usec_t latency;
        /* Set once the regional endpoint answered RegionDisabledException and the call went to
         * the partition's fallback region, at @fallback_endpoint. */
        const char *fallback_region;
        char *fallback_endpoint;
        AwsCallDebug *debug;            /* with debug on: this round's AssumeRole calls */
        size_t n_debug;
};

static RoundRole *role_find(Round *rd, const char *arn)
{
        for (size_t i = 0; i < rd->n_roles; i++)
                if (streq(rd->roles[i].arn, arn))
                        return &rd->roles[i];
        return NULL;
}

/* The role a probe must run as; NULL: the base credentials. Unsigned probes have none. */
static const char *run_role_arn(const ProbeRun *run)
{
        ProbeKind k = run->round->report.probes[run->index].kind;

        if (k != PROBE_KIND_IDENTITY && k != PROBE_KIND_METRICS && k != PROBE_KIND_LOGS)
                return NULL;
        if (run->service < 0 || run->service >= _PROBE_SERVICE_MAX)
                return NULL;
        return run->round->role_arns[run->service];
}

void round_roles_cancel(Round *rd)
{
        for (size_t i = 0; i < rd->n_roles; i++)
                rd->roles[i].call = aws_call_cancel(rd->roles[i].call);
        rd->roles_pending = 0;
}

void round_roles_free(Round *rd)
{
        for (size_t i = 0; i < rd->n_roles; i++) {
                RoundRole *rr = &rd->roles[i];

                aws_call_cancel(rr->call);
                free(rr->arn);
                aws_credentials_free(rr->creds);
                free(rr->assumed_arn);
                free(rr->code);
                free(rr->message);
                free(rr->request_id);
                free(rr->fallback_endpoint);
                for (size_t j = 0; j < rr->n_debug; j++)
                        aws_call_debug_done(&rr->debug[j]);
                free(rr->debug);
                access_denied_done(&rr->denied);
        }
        rd->roles = mfree(rd->roles);
        rd->n_roles = 0;
        for (ProbeService s = 0; s < _PROBE_SERVICE_MAX; s++)
                rd->role_arns[s] = mfree(rd->role_arns[s]);
}

/* The identity block says who the identity probe runs as: the agent-level role's session. */
static void role_apply_identity(Round *rd, RoundRole *rr)
{
        ProbeIdentity *id = &rd->report.identity;
        _cleanup_free_ char *detail = NULL;

        if (!streq_ptr(rd->role_arns[PROBE_SERVICE_STS], rr->arn) || !rr->creds)
                return;
        if (asprintf(&detail, "role %s assumed with %s credentials (%s)", rr->arn,
                     strna(credential_source_to_string(rd->credentials->source)),
                     strna(rd->credentials->source_detail)) < 0)
                detail = NULL;
        else if (rr->fallback_region &&
                 strextend_printf(&detail, " at the fallback STS region %s, as the agent does: "
                                  "STS is deactivated in %s for the role's account",
                                  rr->fallback_region, strna(rd->region)) < 0)
                detail = mfree(detail);
        id->credential_source = CREDENTIAL_SOURCE_ASSUME_ROLE;
        free_and_replace(id->credential_detail, detail);
        (void) free_and_strdup(&id->access_key_id, rr->creds->access_key_id);
        id->expires_at = rr->creds->expiration;
}

static void role_set_session(RoundRole *rr, const AwsCredentials *c, const char *assumed_arn)
{
        Round *rd = rr->round;

        if (aws_credentials_copy(c, &rr->creds) < 0) {
                rr->creds = NULL;
                rr->class = RESULT_CLASS_INVALID_REQUEST;
                (void) free_and_strdup(&rr->message, "out of memory");
                return;
        }
        rr->class = RESULT_CLASS_OK;
        (void) free_and_strdup(&rr->assumed_arn, assumed_arn);
        role_apply_identity(rd, rr);
}

static int role_start_call(RoundRole *rr);

/* The fallback failed too: the regional answer stays the result (activating STS there is the
 * fix), and its message says what the fallback answered. */
static void role_note_fallback_failure(RoundRole *rr, const AwsCallOutcome *o)
{
        const AwsResult *a = &o->result;
        _cleanup_free_ char *m = NULL;

        if (asprintf(&m, "%s The agent's fallback, STS in %s (%s), failed too: %s%s%s%s%s",
                     strempty(rr->message), rr->fallback_region, rr->fallback_endpoint,
                     strna(result_class_to_string(a->class)), a->code ? " " : "",
                     strempty(a->code), a->message ? ": " : "", strempty(a->message)) < 0)
                return;
        free_and_replace(rr->message, m);
}

/* RegionDisabledException at the regional endpoint: the same call at the partition's fallback
 * region, signed for it. A configured endpoint (a VPC endpoint, AWS_ENDPOINT_URL_STS) is kept,
 * as the agent's SDK keeps it; the default regional one becomes the fallback's. */
static int role_start_fallback(RoundRole *rr)
{
        Round *rd = rr->round;
        const char *region = sts_fallback_region(rd->region);
        _cleanup_free_ char *regional = NULL;
        int r;

        if (!region || rr->fallback_region)
                return -ENOENT;
        r = aws_endpoint_url_default("sts", rd->region, &regional);
        if (r < 0)
                return r;
        if (streq_ptr(regional, rd->endpoints[PROBE_SERVICE_STS]))
                r = aws_endpoint_url_default("sts", region, &rr->fallback_endpoint);
        else
                r = free_and_strdup(&rr->fallback_endpoint, rd->endpoints[PROBE_SERVICE_STS]);
        if (r < 0)
                return r;
        rr->fallback_region = region;
        r = role_start_call(rr);
        if (r < 0)
                rr->fallback_region = NULL;
        return r;
}

static void on_assume_role(AwsCall *call, AwsCallOutcome *o, void *userdata)
{
        RoundRole *rr = userdata;
        Round *rd = rr->round;
        AwsResult *a = &o->result;

        rr->call = NULL;
        if (rd->debug)
                (void) aws_call_debug_append(&rr->debug, &rr->n_debug, &o->debug);
        if (rr->fallback_region && a->class != RESULT_CLASS_OK) {
                role_note_fallback_failure(rr, o);
                goto finish;
        }
        rr->class = a->class;
        rr->http_status = a->http_status;
        rr->attempts = o->attempts;
        rr->latency = o->latency;
        free_and_replace(rr->code, a->code);
        free_and_replace(rr->message, a->message);
        free_and_replace(rr->request_id, a->request_id);
        access_denied_done(&rr->denied);
        rr->denied = a->denied;
        a->denied = (AccessDenied) {};

        if (a->class == RESULT_CLASS_OK) {
                _cleanup_(sts_assumed_role_done) StsAssumedRole s = {};
                const AwsCredentials *c = NULL;
                int r;

                r = sts_parse_assume_role(o->body, o->body_size, &s);
                /* The body holds the session's secret and token: gone before anything else. */
                if (o->body)
                        explicit_bzero(o->body, o->body_size);
                if (r < 0) {
                        rr->class = RESULT_CLASS_BAD_RESPONSE;
                        (void) free_and_strdup(&rr->message,
                                               "the AssumeRole answer could not be parsed");
                } else {
                        if (!rr->request_id)
                                rr->request_id = TAKE_PTR(s.request_id);
                        r = role_sessions_put(rd->prober->role_sessions, rr->arn, rd->credentials,
                                              &s, rr->fallback_region,
                                              now_usec(CLOCK_REALTIME), &c);
                        if (r < 0) {
                                rr->class = RESULT_CLASS_INVALID_REQUEST;
                                (void) free_and_strdup(&rr->message, "out of memory");
                        } else
                                role_set_session(rr, c, s.arn);
                }
        } else if (a->class == RESULT_CLASS_STS_REGION_DISABLED) {
                /* Started before this call is counted done: the round cannot finish between. */
                (void) role_start_fallback(rr);
        }

finish:
        if (rd->roles_pending > 0)
                rd->roles_pending--;
        round_op_done(rd);
}

static int role_start_call(RoundRole *rr)
{
        Round *rd = rr->round;
        usec_t deadline = rd->deadline > rd->timeout ? rd->deadline - rd->timeout : 0;
        _cleanup_free_ char *body = NULL;
        char name[32];
        int r;

        r = assume_role_request_body(rr->arn,
                                     assume_role_session_name(now_usec(CLOCK_REALTIME), name),
                                     ASSUME_ROLE_DURATION_SEC, &body);
        if (r < 0)
                return r;

        AwsCallOptions o = {
                .endpoint = rr->fallback_endpoint ?: rd->endpoints[PROBE_SERVICE_STS],
                .region = rr->fallback_region ?: rd->region,
                .service = "sts",
                .protocol = AWS_PROTOCOL_QUERY,
                .body = body,
                .body_size = strlen(body),
                .timeout = rd->timeout,
                .deadline = deadline,
        };
        r = aws_call_start(rd->prober->http, rd->credentials, &o, on_assume_role, rr, &rr->call);
        if (r < 0) {
                rr->call = NULL;
                return r;
        }
        rd->roles_pending++;
        rd->n_pending++;
        return 0;
}

int round_roles_start(Round *rd)
{
        Prober *p = rd->prober;
        size_t n = 0;
        int r;

        if (rd->roles_started)
                return (int) rd->roles_pending;
        rd->roles_started = true;

        for (ProbeService s = 0; s < _PROBE_SERVICE_MAX; s++)
                n += !!rd->role_arns[s];
        /* No region or no base credentials: the signed probes are skipped anyway. */
        (void) free_and_strdup(&rd->report.identity.role_arn, rd->role_arns[PROBE_SERVICE_STS]);
        if (n == 0 || !rd->region || !rd->credentials)
                return 0;

        if (!p->role_sessions && role_sessions_new(&p->role_sessions) < 0)
                return 0;   /* every role-bound probe then reports the missing session */
        rd->roles = calloc(n, sizeof(RoundRole));
        if (!rd->roles)
                return 0;

        for (size_t i = 0; i < rd->report.n_probes; i++) {
                ProbeRun *run = &rd->runs[i];
                const char *arn = run_role_arn(run);
                RoundRole *rr;

                if (!arn)
                        continue;
                (void) free_and_strdup(&rd->report.probes[i].role_arn, arn);
                if (role_find(rd, arn))
                        continue;
                rr = &rd->roles[rd->n_roles];
                *rr = (RoundRole) { .round = rd, .class = RESULT_CLASS_NO_CREDENTIALS };
                rr->arn = strdup(arn);
                if (!rr->arn)
                        continue;
                rd->n_roles++;
        }

        for (size_t i = 0; i < rd->n_roles; i++) {
                RoundRole *rr = &rd->roles[i];
                const char *assumed = NULL;
                const AwsCredentials *c;

                c = role_sessions_get(p->role_sessions, rr->arn, rd->credentials,
                                      now_usec(CLOCK_REALTIME), &assumed, &rr->fallback_region);
                if (c) {
                        role_set_session(rr, c, assumed);
                        continue;
                }
                r = role_start_call(rr);
                if (r < 0) {
                        rr->class = RESULT_CLASS_INVALID_REQUEST;
                        (void) free_and_strdup(&rr->message,
                                               r == -ENOMEM ? "out of memory" :
                                               "the AssumeRole request could not be built");
                }
        }
        return (int) rd->roles_pending;
}

const AwsCredentials *round_run_credentials(const ProbeRun *run)
{
        const char *arn = run_role_arn(run);
        RoundRole *rr;

        if (!arn)
                return run->round->credentials;
        rr = role_find(run->round, arn);
        return rr ? rr->creds : NULL;
}

bool round_role_block(ProbeRun *run)
{
        Round *rd = run->round;
        ProbeResult *res = &rd->report.probes[run->index];
        const char *arn = run_role_arn(run);
        RoundRole *rr;

        if (!arn)
                return false;
        rr = role_find(rd, arn);
        /* --debug: the AssumeRole calls this round made for the role come first in the records
         * of every probe that needed it (none when the session was cached). */
        if (rd->debug && rr && rr->n_debug > 0 && res->n_debug == 0) {
                AwsCallDebug *d = calloc(rr->n_debug, sizeof(AwsCallDebug));
                size_t n = 0;

                while (d && n < rr->n_debug && aws_call_debug_copy(&rr->debug[n], &d[n]) >= 0)
                        n++;
                if (d && n > 0) {
                        res->debug = d;
                        res->n_debug = n;
                } else
                        free(d);
        }
        if (rr && rr->creds)
                return false;

        /* The probe needed the role and there is no session: STS's answer is its result. Never
         * the base credentials instead, or a green probe would claim a path the agent lacks. */
        run->finished = true;
        res->ok = false;
        (void) free_and_strdup(&res->role_arn, arn);
        (void) free_and_strdup(&res->operation, "AssumeRole");
        (void) free_and_strdup(&res->endpoint, rd->endpoints[PROBE_SERVICE_STS]);
        if (!rr) {
                res->class = RESULT_CLASS_NO_CREDENTIALS;
                (void) free_and_strdup(&res->aws_message, "the role could not be assumed");
                return true;
        }
        res->class = rr->class == RESULT_CLASS_OK ? RESULT_CLASS_NO_CREDENTIALS : rr->class;
        res->http_status = rr->http_status;
        res->attempts = rr->attempts;
        res->latency = rr->latency;
        (void) free_and_strdup(&res->aws_error_code, rr->code);
        (void) free_and_strdup(&res->request_id, rr->request_id);
        (void) free_and_strdup(&res->aws_message, rr->message);
        access_denied_done(&res->denied);
        res->denied = (AccessDenied) {
                .policy_type = rr->denied.policy_type,
                .deny = rr->denied.deny,
                .transitive_via_scp = rr->denied.transitive_via_scp,
        };
        (void) free_and_strdup(&res->denied.principal, rr->denied.principal);
        (void) free_and_strdup(&res->denied.action, rr->denied.action);
        (void) free_and_strdup(&res->denied.resource, rr->denied.resource);
        (void) free_and_strdup(&res->denied.policy_arn, rr->denied.policy_arn);
        return true;
}
