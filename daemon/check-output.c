/* SPDX-License-Identifier: MIT */
/*
 * check-output.c: the readable form of a round for `cwguardctl check` — who we are, a table
 * of probe, state, latency and class, and under each probe its one-line diagnosis, the remedy
 * when it fails, the AWS facts an operator pastes into a ticket (request id, principal, action,
 * resource, policy layer), and with --debug every request's canonical request and string to
 * sign. Colour only on a terminal. Every string printed comes from the report, which never
 * holds a secret.
 */

#include <stdio.h>
#include <string.h>

#include "common/aws-error.h"
#include "daemon/check-output.h"

#define ANSI_RED "\033[1;31m"
#define ANSI_GREEN "\033[32m"
#define ANSI_BOLD "\033[1m"
#define ANSI_RESET "\033[0m"

static void print_latency(FILE *f, usec_t t)
{
        if (t == 0)
                fprintf(f, "%8s", "-");
        else if (t < 10 * USEC_PER_MSEC)
                fprintf(f, "%5.1f ms", (double) t / USEC_PER_MSEC);
        else
                fprintf(f, "%5.0f ms", (double) t / USEC_PER_MSEC);
}

static void print_indented(FILE *f, const char *indent, const char *text)
{
        const char *p = text;

        while (p && *p) {
                size_t n = strcspn(p, "\n");

                fprintf(f, "%s%.*s\n", indent, (int) n, p);
                p += n;
                if (*p == '\n')
                        p++;
        }
}

static void print_debug(FILE *f, const ProbeResult *r)
{
        for (size_t i = 0; i < r->n_debug; i++) {
                const AwsCallDebug *d = &r->debug[i];

                fprintf(f, "      request %zu: %s %s -> HTTP %ld\n", i + 1, strna(d->method),
                        strna(d->url), d->status);
                fprintf(f, "        signed headers: %s\n", strna(d->signed_headers));
                fprintf(f, "        canonical request:\n");
                print_indented(f, "          ", d->canonical_request);
                fprintf(f, "        string to sign:\n");
                print_indented(f, "          ", d->string_to_sign);
                fprintf(f, "        response headers:\n");
                STRV_FOREACH(h, d->response_headers)
                        fprintf(f, "          %s\n", *h);
        }
}

static void print_facts(FILE *f, const ProbeResult *r)
{
        const AccessDenied *d = &r->denied;

        if (r->http_status > 0 || r->aws_error_code || r->request_id)
                fprintf(f, "      AWS: HTTP %ld %s, request id %s%s%s\n", r->http_status,
                        strna(r->aws_error_code), strna(r->request_id),
                        r->operation ? ", operation " : "", strempty(r->operation));
        if (d->principal || d->action || d->resource)
                fprintf(f, "      principal %s, action %s, resource %s\n", strna(d->principal),
                        strna(d->action), d->resource ?: "(none: not resource-scoped)");
        if (r->class == RESULT_CLASS_ACCESS_DENIED || r->class == RESULT_CLASS_KMS_DENIED)
                fprintf(f, "      policy layer: %s, %s deny%s%s\n",
                        policy_type_to_string(d->policy_type), deny_kind_to_string(d->deny),
                        d->policy_arn ? ", policy " : "", strempty(d->policy_arn));
}

void check_output_print(FILE *f, const ProbeReport *rep, const char *config, bool debug,
                        bool color)
{
        const ProbeHost *h = &rep->host;
        const ProbeIdentity *id = &rep->identity;
        size_t failing = probe_report_n_failing(rep);
        char when[ISO8601_MAX];

        fprintf(f, "Host      %s, region %s, account %s%s%s\n", h->instance_id ?: h->hostname,
                strna(h->region), id->account ?: strna(h->account_id),
                h->auto_scaling_group ? ", Auto Scaling group " : "",
                strempty(h->auto_scaling_group));
        fprintf(f, "Identity  %s\n", id->arn ?: "(unknown: GetCallerIdentity did not succeed)");
        if (id->credential_source >= 0)
                fprintf(f, "          credentials: %s (%s), key %s%s%s\n",
                        credential_source_to_string(id->credential_source),
                        strna(id->credential_detail), strna(id->access_key_id),
                        id->expires_at ? ", expire " : "",
                        id->expires_at ? iso8601_format(id->expires_at, when) : "");
        if (config)
                fprintf(f, "Config    %s\n", config);
        fputc('\n', f);

        fprintf(f, "%s%-34s %-5s %8s  %s%s\n", color ? ANSI_BOLD : "", "PROBE", "STATE",
                "LATENCY", "CLASS", color ? ANSI_RESET : "");
        for (size_t i = 0; i < rep->n_probes; i++) {
                const ProbeResult *r = &rep->probes[i];
                const char *state = r->ok ? "ok" : r->skipped ? "SKIP" : "FAIL";

                fprintf(f, "%-34s %s%-5s%s ", r->id,
                        color ? (r->ok ? ANSI_GREEN : ANSI_RED) : "", state,
                        color ? ANSI_RESET : "");
                print_latency(f, r->latency);
                fprintf(f, "  %s\n", result_class_to_string(r->class));
                if (r->message)
                        fprintf(f, "    %s\n", r->message);
                if (!r->ok) {
                        if (r->remedy)
                                fprintf(f, "    %sremedy:%s %s\n", color ? ANSI_BOLD : "",
                                        color ? ANSI_RESET : "", r->remedy);
                        print_facts(f, r);
                }
                if (debug)
                        print_debug(f, r);
        }

        fprintf(f, "\n%zu probe%s, %zu failing.", rep->n_probes, rep->n_probes == 1 ? "" : "s",
                failing);
        if (rep->heartbeat_value >= 0)
                fprintf(f, " Heartbeat sent with value %d.", rep->heartbeat_value);
        else
                fprintf(f, " No heartbeat was sent.");
        fputc('\n', f);
}
