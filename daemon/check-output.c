/* SPDX-License-Identifier: MIT */
/*
 * check-output.c: the readable form of a round for `cwguardctl check` — who we are, a table
 * of probe, state, latency and class, and under each probe its one-line diagnosis, the remedy
 * when it fails, the AWS facts an operator pastes into a ticket (request id, principal, action,
 * resource, policy layer), and with --debug every request's canonical request and string to
 * sign. Colour only on a terminal. Every string printed comes from the report, which never
 * holds a secret but does hold text from AWS, the network and the status file: it is printed
 * with every control character (C0, DEL, C1) as a space, so no value can start a line of its
 * own, move the cursor or recolour the terminal.
 */

#include <stdarg.h>
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

/* @s with every control character as a space; C1 (two bytes in UTF-8) as two. */
static void put_clean(FILE *f, const char *s)
{
        for (const char *p = s; *p; p++)
                if ((unsigned char) *p < 0x20 || *p == 0x7f)
                        fputc(' ', f);
                else if (utf8_is_c1(p)) {
                        fputs("  ", f);
                        p++;
                } else
                        fputc(*p, f);
}

/* One line of output: formatted, cleaned of control characters, then the newline. */
static void print_line(FILE *f, const char *format, ...) _printf_(2, 3);
static void print_line(FILE *f, const char *format, ...)
{
        _cleanup_free_ char *s = NULL;
        va_list ap;
        int k;

        va_start(ap, format);
        k = vasprintf(&s, format, ap);
        va_end(ap);
        if (k >= 0)
                put_clean(f, s);
        else
                s = NULL;  /* out of memory: an empty line rather than none */
        fputc('\n', f);
}

static void print_indented(FILE *f, const char *indent, const char *text)
{
        const char *p = text;

        while (p && *p) {
                size_t n = strcspn(p, "\n");

                print_line(f, "%s%.*s", indent, (int) n, p);
                p += n;
                if (*p == '\n')
                        p++;
        }
}

static void print_debug(FILE *f, const ProbeResult *r)
{
        for (size_t i = 0; i < r->n_debug; i++) {
                const AwsCallDebug *d = &r->debug[i];

                print_line(f, "      request %zu: %s %s -> HTTP %ld", i + 1, strna(d->method),
                           strna(d->url), d->status);
                print_line(f, "        signed headers: %s", strna(d->signed_headers));
                fprintf(f, "        canonical request:\n");
                print_indented(f, "          ", d->canonical_request);
                fprintf(f, "        string to sign:\n");
                print_indented(f, "          ", d->string_to_sign);
                fprintf(f, "        response headers:\n");
                STRV_FOREACH(h, d->response_headers)
                        print_line(f, "          %s", *h);
        }
}

static void print_facts(FILE *f, const ProbeResult *r)
{
        const AccessDenied *d = &r->denied;

        if (r->http_status > 0 || r->aws_error_code || r->request_id)
                print_line(f, "      AWS: HTTP %ld %s, request id %s%s%s", r->http_status,
                           strna(r->aws_error_code), strna(r->request_id),
                           r->operation ? ", operation " : "", strempty(r->operation));
        if (d->principal || d->action || d->resource)
                print_line(f, "      principal %s, action %s, resource %s", strna(d->principal),
                           strna(d->action), d->resource ?: "(none: not resource-scoped)");
        if (r->class == RESULT_CLASS_ACCESS_DENIED || r->class == RESULT_CLASS_KMS_DENIED)
                print_line(f, "      policy layer: %s, %s deny%s%s",
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

        print_line(f, "Host      %s, region %s, account %s%s%s", strna(h->instance_id ?: h->hostname),
                   strna(h->region), id->account ?: strna(h->account_id),
                   h->auto_scaling_group ? ", Auto Scaling group " : "",
                   strempty(h->auto_scaling_group));
        print_line(f, "Identity  %s", id->arn ?: "(unknown: GetCallerIdentity did not succeed)");
        if (id->credential_source >= 0)
                print_line(f, "          credentials: %s (%s), key %s%s%s",
                           credential_source_to_string(id->credential_source),
                           strna(id->credential_detail), strna(id->access_key_id),
                           id->expires_at ? ", expire " : "",
                           id->expires_at ? iso8601_format(id->expires_at, when) : "");
        if (id->credential_warning) {
                fprintf(f, "          %swarning:%s ", color ? ANSI_RED : "",
                        color ? ANSI_RESET : "");
                print_line(f, "%s", id->credential_warning);
        }
        if (config)
                print_line(f, "Config    %s", config);
        fputc('\n', f);

        fprintf(f, "%s%-34s %-5s %8s  %s%s\n", color ? ANSI_BOLD : "", "PROBE", "STATE",
                "LATENCY", "CLASS", color ? ANSI_RESET : "");
        for (size_t i = 0; i < rep->n_probes; i++) {
                const ProbeResult *r = &rep->probes[i];
                const char *state = r->ok ? "ok" : r->skipped ? "SKIP" : "FAIL";

                put_clean(f, strna(r->id));
                fprintf(f, "%*s %s%-5s%s ", (int) (34 - MIN(strlen(strna(r->id)), 34U)), "",
                        color ? (r->ok ? ANSI_GREEN : ANSI_RED) : "", state,
                        color ? ANSI_RESET : "");
                print_latency(f, r->latency);
                fprintf(f, "  %s\n", strna(result_class_to_string(r->class)));
                if (r->message)
                        print_line(f, "    %s", r->message);
                /* Discovered probes say where they came from (config/default go unsaid). */
                if (r->source && !streq(r->source, "config") && !streq(r->source, "default"))
                        print_line(f, "    from %s", r->source);
                if (!r->ok) {
                        if (r->remedy) {
                                fprintf(f, "    %sremedy:%s ", color ? ANSI_BOLD : "",
                                        color ? ANSI_RESET : "");
                                print_line(f, "%s", r->remedy);
                        }
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

void check_output_print_agent(FILE *f, const Config *c)
{
        bool metrics = c->origins[CONFIG_SETTING_PROBES_METRICS].source == CONFIG_SOURCE_AGENT,
             logs = c->origins[CONFIG_SETTING_PROBES_LOGS].source == CONFIG_SOURCE_AGENT;

        if (!c->agent.installed)
                print_line(f, "CloudWatch agent: not installed (no %s): the configured or default "
                              "probes ran", c->agent.config);
        else
                print_line(f, "CloudWatch agent: %s: %s", c->agent.config,
                           metrics && logs ? "namespace and log groups taken from it"
                           : metrics      ? "namespace taken from it (probes.logs is configured)"
                           : logs         ? "log groups taken from it (probes.metrics is configured)"
                                          : "probes.metrics and probes.logs are configured");
        STRV_FOREACH(n, c->agent.notes)
                print_line(f, "  note: %s", *n);
}
