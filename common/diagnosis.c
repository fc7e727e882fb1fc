/* SPDX-License-Identifier: MIT */
/*
 * diagnosis.c: turns the facts of a probe result into the two lines an operator reads at 3 a.m.:
 * a message (what is wrong, or what worked) and a remedy (the exact change, in the words they
 * will search for). This file owns the frame: who, what and where a result is about, the
 * messages of working probes, and the reasoning across the probes of one round (a namespace
 * condition, a network ruled out, a shared clock skew). The per-class texts live in
 * diagnosis-access.c and diagnosis-remedy.c. Pure functions over plain data: no I/O, no logging, no globals. Quoted
 * AWS text is capped and made one line; secrets are never among the inputs.
 */

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/diagnosis-internal.h"
#include "common/diagnosis.h"
#include "common/policy.h"

const char *diagnosis_service_of(const ProbeResult *r)
{
        /* A signed probe whose role could not be assumed: its decisive call went to STS. */
        if (r->kind != PROBE_KIND_ENDPOINT && streq_ptr(r->operation, "AssumeRole"))
                return "sts";
        switch (r->kind) {
        case PROBE_KIND_IDENTITY:
                return "sts";
        case PROBE_KIND_METRICS:
                return "monitoring";
        case PROBE_KIND_LOGS:
                return "logs";
        case PROBE_KIND_ENDPOINT:
                if (r->target)
                        return r->target;
                if (r->id && strncmp(r->id, "endpoint:", 9) == 0)
                        return r->id + 9;
                return NULL;
        default:
                return NULL;
        }
}

/* The IAM action prefix and default operation of a probe kind's decisive call. */
static const char *action_prefix_of(const ProbeResult *r)
{
        if (r->operation && streq(r->operation, "GetCallerIdentity"))
                return "sts";
        if (r->operation && streq(r->operation, "PutMetricData"))
                return "cloudwatch";
        switch (r->kind) {
        case PROBE_KIND_IDENTITY:
                return "sts";
        case PROBE_KIND_METRICS:
                return "cloudwatch";
        default:
                return "logs";
        }
}

static const char *default_operation_of(ProbeKind k)
{
        switch (k) {
        case PROBE_KIND_IDENTITY:
                return "GetCallerIdentity";
        case PROBE_KIND_METRICS:
                return "PutMetricData";
        case PROBE_KIND_LOGS:
                return "PutLogEvents";
        default:
                return NULL;
        }
}

/*
 * Field @n (0-based) of a colon-separated ARN, as a new string; NULL if absent or empty.
 * "arn:aws:sts::123456789012:assumed-role/R/S": field 4 is the account, 5 the resource.
 */
static char *arn_field(const char *arn, unsigned n)
{
        const char *p = arn, *end;

        if (!arn || strncmp(arn, "arn:", 4) != 0)
                return NULL;
        for (unsigned i = 0; i < n; i++) {
                p = strchr(p, ':');
                if (!p)
                        return NULL;
                p++;
        }
        end = n < 5 ? strchrnul(p, ':') : p + strlen(p);
        return end > p ? strndup(p, (size_t) (end - p)) : NULL;
}

/*
 * The role (or user) a principal ARN names: "assumed-role/ROLE/SESSION" (an instance profile's
 * session) and "role/PATH/ROLE" give ROLE, "user/PATH/NAME" gives NAME.
 */
static void principal_parse(Explain *e)
{
        _cleanup_free_ char *res = arn_field(e->principal, 5);
        const char *name;
        char *slash;

        if (!res)
                return;
        if (strncmp(res, "assumed-role/", 13) == 0) {
                name = res + 13;
                slash = strchr(name, '/');
                if (slash)
                        *slash = 0;
                e->role_kind = "role";
        } else if (strncmp(res, "role/", 5) == 0 || strncmp(res, "user/", 5) == 0) {
                name = strrchr(res, '/') + 1;
                e->role_kind = res[0] == 'r' ? "role" : "user";
        } else
                return;
        if (isempty(name)) {
                e->role_kind = NULL;
                return;
        }
        e->role_buf = strdup(name);
        e->role = e->role_buf;
        if (!e->role)
                e->role_kind = NULL;
}

/* The host of an "https://host[:port]/path" URL. */
static char *url_host(const char *url)
{
        const char *p, *end;

        if (!url)
                return NULL;
        p = strstr(url, "://");
        p = p ? p + 3 : url;
        end = p + strcspn(p, "/?#");
        if (*p != '[') {
                const char *colon = memchr(p, ':', (size_t) (end - p));

                if (colon)
                        end = colon;
        }
        return end > p ? strndup(p, (size_t) (end - p)) : NULL;
}

/* The port of an "https://host[:port]/path" URL ("[v6]:port" too); 443 when none is given. */
static unsigned url_port(const char *url)
{
        const char *p, *end, *colon;
        unsigned port = 0;

        if (!url)
                return 443;
        p = strstr(url, "://");
        p = p ? p + 3 : url;
        end = p + strcspn(p, "/?#");
        if (*p == '[') {
                p = memchr(p, ']', (size_t) (end - p));
                if (!p)
                        return 443;
        }
        colon = memchr(p, ':', (size_t) (end - p));
        if (!colon || colon + 1 == end)
                return 443;
        for (const char *q = colon + 1; q < end; q++) {
                if (*q < '0' || *q > '9' || port > 6553)
                        return 443;
                port = port * 10 + (unsigned) (*q - '0');
        }
        return port > 0 && port <= 65535 ? port : 443;
}

static int explain_init(Explain *e, ProbeResult *r, const DiagnosisContext *ctx)
{
        static const DiagnosisContext empty = { .credential_source = _CREDENTIAL_SOURCE_INVALID };
        const char *op;

        *e = (Explain) { .r = r, .ctx = ctx ?: &empty };
        ctx = e->ctx;

        e->region = isempty(ctx->region) ? NULL : ctx->region;
        e->region_text = e->region ?: "<region>";
        e->principal = r->denied.principal ?: ctx->principal_arn;
        principal_parse(e);
        if (!e->role && ctx->credential_source == CREDENTIAL_SOURCE_IMDS &&
            ctx->credential_detail && strncmp(ctx->credential_detail, "role ", 5) == 0 &&
            !isempty(ctx->credential_detail + 5)) {
                /* The instance profile's role as IMDS named it, when STS could not tell. */
                e->role = ctx->credential_detail + 5;
                e->role_kind = "role";
        }
        if (!isempty(ctx->account_id))
                e->account = ctx->account_id;
        else {
                e->account_buf = arn_field(e->principal, 4);
                e->account = e->account_buf;
        }

        /* The action: what AWS says was denied, else the decisive call's operation. */
        if (r->denied.action)
                e->action = r->denied.action;
        else if ((op = r->operation ?: default_operation_of(r->kind))) {
                if (asprintf(&e->action_buf, "%s:%s", action_prefix_of(r), op) < 0) {
                        e->action_buf = NULL;
                        return -ENOMEM;
                }
                e->action = e->action_buf;
        }
        if (e->action) {
                const char *colon = strchr(e->action, ':');

                e->operation = colon && colon[1] ? colon + 1 : NULL;
        }
        if (!e->operation)
                e->operation = r->operation;

        e->service = diagnosis_service_of(r);
        e->port = url_port(r->endpoint);
        if (r->kind == PROBE_KIND_ENDPOINT && r->net.host)
                e->host = r->net.host;
        else if (r->kind != PROBE_KIND_IMDS) {
                e->host_buf = url_host(r->endpoint);
                if (!e->host_buf && e->service && e->region &&
                    asprintf(&e->host_buf, "%s.%s.amazonaws.com%s", e->service, e->region,
                             streq(aws_partition_of_region(e->region), "aws-cn") ? ".cn" : "") < 0)
                        e->host_buf = NULL;
                e->host = e->host_buf;
        }

        if (!isempty(r->aws_message)) {
                size_t n = strlen(r->aws_message);

                e->quote_buf = strndup(r->aws_message, DIAGNOSIS_QUOTE_MAX + 8);
                if (!e->quote_buf)
                        return -ENOMEM;
                string_one_line(e->quote_buf, DIAGNOSIS_QUOTE_MAX);
                if (n > strlen(e->quote_buf)) {
                        char *t;

                        if (asprintf(&t, "%s...", e->quote_buf) < 0)
                                return -ENOMEM;
                        free(e->quote_buf);
                        e->quote_buf = t;
                }
                e->quote = e->quote_buf;
        }

        e->msg = open_memstream(&e->msg_buf, &e->msg_size);
        e->rem = open_memstream(&e->rem_buf, &e->rem_size);
        if (!e->msg || !e->rem)
                return -ENOMEM;
        return 0;
}

static void explain_done(Explain *e)
{
        if (e->msg)
                fclose(e->msg);
        if (e->rem)
                fclose(e->rem);
        free(e->msg_buf);
        free(e->rem_buf);
        free(e->account_buf);
        free(e->role_buf);
        free(e->action_buf);
        free(e->host_buf);
        free(e->quote_buf);
        *e = (Explain) {};
}

const char *explain_instance_text(const Explain *e)
{
        return e->ctx->instance_id ?: "<instance-id>";
}

const char *explain_role_text(const Explain *e)
{
        return e->role ?: "<role>";
}

/* ": <AWS's text>" at the end of the message, if there is any. */
void explain_quote(Explain *e)
{
        if (e->quote)
                fprintf(e->msg, ": %s", e->quote);
}

/* The log group's ARN with @suffix; a target that is no valid name gives the "*" group. */
int explain_log_arn(const Explain *e, const char *suffix, char **ret)
{
        int r;

        r = policy_log_group_arn(e->region, e->account, e->r->target ?: "*", suffix, ret);
        if (r == -EINVAL)
                r = policy_log_group_arn(e->region, e->account, "*", suffix, ret);
        return r;
}

void explain_who(Explain *e, FILE *f)
{
        if (e->role)
                fprintf(f, "%s '%s'", e->role_kind, e->role);
        else
                fputs("the role of this instance (or the user whose keys are used)", f);
}

void explain_credential_source(Explain *e, FILE *f)
{
        const char *detail = e->ctx->credential_detail;

        switch (e->ctx->credential_source) {
        case CREDENTIAL_SOURCE_ENVIRONMENT:
                fputs("AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY in the environment", f);
                return;
        case CREDENTIAL_SOURCE_SHARED_FILE:
                fputs("the shared credentials file", f);
                if (!isempty(detail))
                        fprintf(f, " (%s)", detail);
                return;
        case CREDENTIAL_SOURCE_IMDS:
                fputs("the instance profile", f);
                if (!isempty(detail))
                        fprintf(f, " (%s)", detail);
                return;
        default:
                fputs("the credentials in use (source unknown)", f);
                return;
        }
}

/* "PutLogEvents for log group '/app'": what the result is about, starting the message. */
static void explain_subject(Explain *e)
{
        ProbeResult *r = e->r;

        if (streq_ptr(r->operation, "AssumeRole") && r->role_arn) {
                /* The probe never ran: the role it runs as could not be assumed. */
                fprintf(e->msg, "AssumeRole of %s (needed by %s)", r->role_arn, strna(r->id));
                return;
        }
        switch (r->kind) {
        case PROBE_KIND_IMDS:
                fputs("IMDS", e->msg);
                break;
        case PROBE_KIND_IDENTITY:
                fputs("STS GetCallerIdentity", e->msg);
                break;
        case PROBE_KIND_METRICS:
                fprintf(e->msg, "%s to namespace '%s'", e->operation ?: "PutMetricData",
                        strna(r->target));
                break;
        case PROBE_KIND_LOGS:
                fprintf(e->msg, "%s for log group '%s'", e->operation ?: "PutLogEvents",
                        strna(r->target));
                break;
        case PROBE_KIND_ENDPOINT:
                fprintf(e->msg, "Endpoint %s", e->host ?: strna(r->target));
                break;
        case PROBE_KIND_AGENT:
                fputs("CloudWatch agent", e->msg);
                break;
        default:
                fprintf(e->msg, "Probe '%s'", strna(r->id));
                break;
        }
}

static void explain_latency(Explain *e)
{
        if (e->r->latency > 0)
                fprintf(e->msg, " in %" PRIu64 " ms",
                        (uint64_t) ((e->r->latency + USEC_PER_MSEC / 2) / USEC_PER_MSEC));
        if (e->r->attempts > 1)
                fprintf(e->msg, " after %u attempts", e->r->attempts);
}

static uint64_t ms(usec_t u)
{
        return (uint64_t) ((u + USEC_PER_MSEC / 2) / USEC_PER_MSEC);
}

static void explain_ok_endpoint(Explain *e)
{
        const ProbeNetwork *n = &e->r->net;

        fputs(": reachable", e->msg);
        if (n->via_proxy)
                fputs(" through the proxy", e->msg);
        if (n->address)
                fprintf(e->msg, " at %s (%s address%s)", n->address,
                        address_scope_to_string(n->scope) ?: "unknown",
                        n->scope == ADDRESS_SCOPE_PRIVATE ? ", likely a VPC interface endpoint" :
                                                            "");
        if (n->fresh) {
                fprintf(e->msg, "; DNS %" PRIu64 " ms, TCP %" PRIu64 " ms, TLS %" PRIu64 " ms",
                        ms(n->dns), ms(n->connect), ms(n->tls));
                if (n->evidence)
                        fprintf(e->msg, " (the connection probe %s opened)", n->evidence);
        } else {
                if (n->evidence)
                        fprintf(e->msg, "; probe %s reached it this round", n->evidence);
                if (n->last_fresh_check > 0) {
                        char buf[ISO8601_MAX];

                        fprintf(e->msg, "; last full DNS/TCP/TLS check %s",
                                iso8601_format(n->last_fresh_check, buf));
                }
        }
}

/* The message of a working probe. */
static void explain_ok(Explain *e)
{
        ProbeResult *r = e->r;

        explain_subject(e);
        if (r->class == RESULT_CLASS_NOT_APPLICABLE) {
                fputs(": not applicable here", e->msg);
                if (e->quote)
                        fprintf(e->msg, " (%s)", e->quote);
                return;
        }

        switch (r->kind) {
        case PROBE_KIND_IMDS:
                fputs(" answered", e->msg);
                explain_latency(e);
                if (e->quote)
                        fprintf(e->msg, " (%s)", e->quote);
                break;
        case PROBE_KIND_IDENTITY:
                fputs(": credentials", e->msg);
                if (e->ctx->credential_source >= 0 &&
                    e->ctx->credential_source < _CREDENTIAL_SOURCE_MAX) {
                        fputs(" from ", e->msg);
                        explain_credential_source(e, e->msg);
                }
                fputs(" work", e->msg);
                explain_latency(e);
                if (e->ctx->principal_arn)
                        fprintf(e->msg, "; requests run as %s", e->ctx->principal_arn);
                break;
        case PROBE_KIND_METRICS:
                fputs(" succeeded", e->msg);
                explain_latency(e);
                if (streq_ptr(r->target, e->ctx->heartbeat_namespace))
                        fputs(" (the heartbeat namespace)", e->msg);
                break;
        case PROBE_KIND_LOGS:
                fputs(" succeeded", e->msg);
                if (e->ctx->log_stream)
                        fprintf(e->msg, " (stream '%s')", e->ctx->log_stream);
                explain_latency(e);
                break;
        case PROBE_KIND_ENDPOINT:
                explain_ok_endpoint(e);
                break;
        case PROBE_KIND_AGENT:
                /* The probe's own one-line verdict: "unit ... is active (running) since ...". */
                if (e->quote)
                        fprintf(e->msg, ": %s", e->quote);
                else
                        fputs(": ok", e->msg);
                break;
        default:
                fputs(" succeeded", e->msg);
                break;
        }
}

/* Close both streams and hand their text to @r: the message always, the remedy if not empty. */
static int explain_finish(Explain *e)
{
        ProbeResult *r = e->r;
        int a, b;

        a = ferror(e->msg);
        b = ferror(e->rem);
        a |= fclose(e->msg);
        b |= fclose(e->rem);
        e->msg = e->rem = NULL;
        if (a || b || !e->msg_buf || !e->rem_buf)
                return -ENOMEM;

        /* Belt and braces: whatever was quoted, the text stays one line. */
        string_one_line(e->msg_buf, SIZE_MAX);
        string_one_line(e->rem_buf, SIZE_MAX);

        r->message = TAKE_PTR(e->msg_buf);
        r->remedy = isempty(e->rem_buf) ? NULL : TAKE_PTR(e->rem_buf);
        return 0;
}

int diagnosis_explain(ProbeResult *r, const DiagnosisContext *ctx)
{
        _cleanup_(explain_done) Explain e = {};
        int ret;

        if (!r)
                return -EINVAL;
        r->message = mfree(r->message);
        r->remedy = mfree(r->remedy);

        ret = explain_init(&e, r, ctx);
        if (ret < 0)
                return ret;

        if (r->ok || r->class == RESULT_CLASS_OK || r->class == RESULT_CLASS_NOT_APPLICABLE)
                explain_ok(&e);
        else {
                explain_subject(&e);
                /* Skipped for want of credentials, or (timeout) because the round's time
                 * budget ran out before the probe's turn came. */
                if (r->skipped)
                        fprintf(e.msg, " was not run (%s): ",
                                r->skip_reason ?: r->class == RESULT_CLASS_TIMEOUT ?
                                "the round's time budget ran out" : "no usable credentials");
                else
                        fputs(": ", e.msg);
                ret = explain_failure(&e);
                if (ret < 0)
                        return ret;
        }
        return explain_finish(&e);
}

/* ---- across probes ------------------------------------------------------------------------- */

static int append(char **p, const char *s)
{
        return strextend_printf(p, "%s", s);
}

static int prepend(char **p, const char *s)
{
        char *t;

        if (asprintf(&t, "%s%s%s", s, *p ? " " : "", strempty(*p)) < 0)
                return -ENOMEM;
        free(*p);
        *p = t;
        return 0;
}

static bool is_signed(const ProbeResult *r)
{
        return r->kind == PROBE_KIND_IDENTITY || r->kind == PROBE_KIND_METRICS ||
               r->kind == PROBE_KIND_LOGS;
}

static bool is_transport_class(ResultClass c)
{
        switch (c) {
        case RESULT_CLASS_DNS_FAILURE:
        case RESULT_CLASS_CONNECT_FAILED:
        case RESULT_CLASS_TIMEOUT:
        case RESULT_CLASS_TLS_FAILURE:
        case RESULT_CLASS_PROXY_FAILURE:
                return true;
        default:
                return false;
        }
}

static ProbeResult *find_endpoint(const ProbeReport *report, const ProbeResult *r)
{
        const char *service = diagnosis_service_of(r);

        for (size_t i = 0; service && i < report->n_probes; i++) {
                ProbeResult *p = &report->probes[i];

                if (p->kind == PROBE_KIND_ENDPOINT && streq_ptr(diagnosis_service_of(p), service))
                        return p;
        }
        return NULL;
}

/* (a) metrics:A denied while metrics:B works: a namespace condition lets B through only. */
static int refine_namespace(const ProbeReport *report, ProbeResult *r)
{
        _cleanup_free_ char *m = NULL, *s = NULL;
        const ProbeResult *allowed = NULL;
        int ret;

        if (r->kind != PROBE_KIND_METRICS || r->class != RESULT_CLASS_ACCESS_DENIED || !r->target)
                return 0;
        for (size_t i = 0; i < report->n_probes && !allowed; i++) {
                const ProbeResult *p = &report->probes[i];

                if (p->kind == PROBE_KIND_METRICS && p->ok && p->target && !p->skipped)
                        allowed = p;
        }
        if (!allowed)
                return 0;

        if (asprintf(&m, "; namespace '%s' is allowed, so a cloudwatch:namespace condition "
                         "(case-sensitive) admits '%s' but excludes '%s'",
                     allowed->target, allowed->target, r->target) < 0)
                return -ENOMEM;
        if (asprintf(&s, "The policies allow PutMetricData into '%s' but not '%s': add '%s', "
                         "spelt exactly so (StringEquals is case-sensitive), to the "
                         "cloudwatch:namespace condition that lists '%s'.",
                     allowed->target, r->target, r->target, allowed->target) < 0)
                return -ENOMEM;
        ret = append(&r->message, m);
        if (ret < 0)
                return ret;
        return prepend(&r->remedy, s);
}

/* (b)/(c): what the endpoint probe of the same service says about the network path. */
static int refine_network(const ProbeReport *report, ProbeResult *r)
{
        _cleanup_free_ char *m = NULL;
        ProbeResult *ep;

        if (!is_signed(r) || r->ok || r->skipped)
                return 0;
        ep = find_endpoint(report, r);
        if (!ep)
                return 0;

        if (r->http_status != 0 && ep->ok) {
                /* AWS answered: DNS, routing, TLS and any proxy all worked. */
                if (asprintf(&m, "; the network path to %s is fine (%s ok)",
                             ep->net.host ?: strna(ep->endpoint), strna(ep->id)) < 0)
                        return -ENOMEM;
                return append(&r->message, m);
        }
        if (r->http_status == 0 && is_transport_class(r->class)) {
                if (!ep->ok) {
                        if (asprintf(&m, "; %s fails too (%s): the network path is the problem",
                                     strna(ep->id), strna(result_class_to_string(ep->class))) < 0)
                                return -ENOMEM;
                        if (ep->remedy) {
                                int ret = free_and_strdup(&r->remedy, ep->remedy);
                                if (ret < 0)
                                        return ret;
                        }
                } else if (asprintf(&m, "; %s is reachable, so the failure was intermittent or "
                                        "specific to this request's connection", strna(ep->id)) < 0)
                        return -ENOMEM;
                return append(&r->message, m);
        }
        return 0;
}

/* (d) the identity probe worked: name the principal the denying policies were evaluated for. */
static int refine_principal(const ProbeReport *report, const DiagnosisContext *ctx,
                            ProbeResult *r)
{
        const ProbeResult *id = probe_report_find(report, "identity");
        _cleanup_free_ char *m = NULL;

        if ((r->kind != PROBE_KIND_METRICS && r->kind != PROBE_KIND_LOGS) || r->skipped ||
            (r->class != RESULT_CLASS_ACCESS_DENIED && r->class != RESULT_CLASS_KMS_DENIED))
                return 0;
        /* Only when the identity probe ran as the same principal (the same role, or none). */
        if (streq_ptr(r->operation, "AssumeRole") || !streq_ptr(r->role_arn, report->identity.role_arn))
                return 0;
        if (!id || !id->ok || isempty(ctx->principal_arn) ||
            (r->message && strstr(r->message, ctx->principal_arn)))
                return 0;
        if (asprintf(&m, "; the identity probe confirms requests run as %s, the principal the "
                         "policies were evaluated for", ctx->principal_arn) < 0)
                return -ENOMEM;
        return append(&r->message, m);
}

/* (e) the identity probe measured the clock: the other clock-skew failures share that cause. */
static int refine_clock(const ProbeReport *report, const DiagnosisContext *ctx, ProbeResult *r)
{
        const ProbeResult *id = probe_report_find(report, "identity");
        _cleanup_free_ char *m = NULL;
        int ret;

        if (r->kind == PROBE_KIND_IDENTITY || r->class != RESULT_CLASS_CLOCK_SKEW || r->skipped)
                return 0;
        if (!id || id->class != RESULT_CLASS_CLOCK_SKEW || !id->has_clock_offset)
                return 0;
        if (!r->has_clock_offset) {
                /* Explain again with the identity probe's measurement. */
                r->clock_offset_sec = id->clock_offset_sec;
                r->has_clock_offset = true;
                ret = diagnosis_explain(r, ctx);
                r->has_clock_offset = false;
                if (ret < 0)
                        return ret;
        }
        if (asprintf(&m, "; the identity probe measured %s clock offset (%+" PRId64 " s): one "
                         "clock problem explains both", r->has_clock_offset ? "a" : "this",
                     id->clock_offset_sec) < 0)
                return -ENOMEM;
        return append(&r->message, m);
}

/* NULL fields of @ctx are filled from what the round itself found. */
static DiagnosisContext context_from_report(const ProbeReport *report, const DiagnosisContext *ctx)
{
        DiagnosisContext c = ctx ? *ctx :
                                   (DiagnosisContext) {
                                           .credential_source = _CREDENTIAL_SOURCE_INVALID,
                                   };

        c.region = c.region ?: report->host.region;
        c.account_id = c.account_id ?: report->host.account_id ?: report->identity.account;
        c.instance_id = c.instance_id ?: report->host.instance_id;
        c.principal_arn = c.principal_arn ?: report->identity.arn;
        c.credential_detail = c.credential_detail ?: report->identity.credential_detail;
        if (c.credential_source < 0 || c.credential_source >= _CREDENTIAL_SOURCE_MAX)
                c.credential_source = report->identity.credential_source;
        return c;
}

int diagnosis_explain_report(ProbeReport *report, const DiagnosisContext *ctx)
{
        DiagnosisContext c;
        int r;

        if (!report)
                return -EINVAL;
        c = context_from_report(report, ctx);

        for (size_t i = 0; i < report->n_probes; i++) {
                r = diagnosis_explain(&report->probes[i], &c);
                if (r < 0)
                        return r;
        }

        /* Every result has its own text now. A refinement changes only the result it is about
         * and reads the others' facts (and the endpoint probes' remedies, never refined). */
        for (size_t i = 0; i < report->n_probes; i++) {
                ProbeResult *p = &report->probes[i];

                r = refine_clock(report, &c, p);
                if (r < 0)
                        return r;
                r = refine_namespace(report, p);
                if (r < 0)
                        return r;
                r = refine_principal(report, &c, p);
                if (r < 0)
                        return r;
                r = refine_network(report, p);
                if (r < 0)
                        return r;
        }
        return 0;
}
