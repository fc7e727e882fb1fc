/* SPDX-License-Identifier: MIT */
/*
 * probe-net.c: the probes that need no AWS credentials — imds (a fresh IMDSv2 token PUT and the
 * identity document, which also gives the round its region and instance id) and endpoint (DNS,
 * TCP connect and TLS handshake to one service endpoint on a fresh connection, each timed, and
 * whether the name resolved to a private address, i.e. a VPC interface endpoint). They keep
 * reporting when IAM is broken. A fresh check costs a TLS handshake, so the round schedules them
 * (first round, after a failure, every endpoint_check_interval) and judges the endpoint by warm
 * requests in between. Runs on the round's event loop; never logs.
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/round-internal.h"

static ProbeResult *run_result(ProbeRun *run)
{
        return &run->round->report.probes[run->index];
}

void probe_run_cancel(ProbeRun *run)
{
        run->call = aws_call_cancel(run->call);
        run->request = http_request_cancel(run->request);
        run->imds = imds_operation_cancel(run->imds);
        run->unit_query = agent_unit_query_cancel(run->unit_query);
}

/* ---- imds -------------------------------------------------------------------------------- */

static void on_imds(ImdsClient *c, ImdsResult *result, const ImdsHealth *health,
                    ImdsIdentity *identity, void *userdata)
{
        ProbeRun *run = userdata;
        Round *rd = run->round;
        ProbeResult *res = run_result(run);

        run->imds = NULL;
        run->finished = true;
        res->class = result->class;
        res->ok = result->class == RESULT_CLASS_OK;
        res->latency = result->latency;
        res->attempts = 1;
        res->http_status = result->http_status;
        free_and_replace(res->aws_error_code, result->code);
        free_and_replace(res->aws_message, result->message);
        if (res->ok && health->v1_fallback)
                (void) free_and_strdup(&res->aws_message,
                                       "IMDSv2 tokens are refused; IMDSv1 was used because "
                                       "imds.allow_v1 is set");

        round_imds_finished(rd, result->class, health->get_ok ? identity : NULL);
        round_op_done(rd);
}

int probe_imds_start(ProbeRun *run)
{
        ImdsClient *imds = credentials_provider_get_imds(run->round->prober->credentials);
        ProbeResult *res = run_result(run);
        int r;

        if (!imds)
                return -EINVAL;
        r = free_and_strdup(&res->endpoint, imds_client_get_endpoint(imds));
        if (r < 0)
                return r;
        return imds_check(imds, on_imds, run, &run->imds);
}

/* ---- endpoint ---------------------------------------------------------------------------- */

/* The host part of "https://host[:port][/...]" or "https://[v6]:port". */
static int url_host(const char *url, char **ret)
{
        const char *p = strstr(url, "://"), *e;
        char *h;

        p = p ? p + 3 : url;
        if (*p == '[') {
                e = strchr(p, ']');
                if (!e)
                        return -EINVAL;
                p++;
        } else
                e = p + strcspn(p, ":/?#");
        if (e == p)
                return -EINVAL;
        h = strndup(p, e - p);
        if (!h)
                return -ENOMEM;
        *ret = h;
        return 0;
}

static usec_t phase(usec_t end, usec_t start)
{
        return end > start ? end - start : 0;
}

/* Record a fresh check of @run's endpoint, whatever made the connection, and finish @run. */
static void endpoint_record(ProbeRun *run, ResultClass class, usec_t latency, char **address,
                            bool connected, const HttpTiming *t, usec_t at)
{
        Round *rd = run->round;
        Prober *p = rd->prober;
        ProbeResult *res = run_result(run);
        ProbeNetwork *net = &res->net;

        run->finished = true;
        res->class = class;
        res->ok = class == RESULT_CLASS_OK;
        res->latency = latency;
        res->attempts = 1;
        free_and_replace(net->address, *address);
        net->scope = address_scope_of(net->address);
        net->fresh = true;
        net->connected = connected;
        net->via_proxy = rd->via_proxy;
        /* libcurl reports offsets from the start; operators want each phase's own duration. */
        net->dns = t->dns;
        net->connect = t->connect ? phase(t->connect, t->dns) : 0;
        net->tls = t->tls ? phase(t->tls, t->connect) : 0;
        net->last_fresh_check = at;

        p->endpoints[run->service].last_fresh_check = at;
        p->endpoints[run->service].failed = !res->ok;
}

static void on_endpoint(HttpRequest *req, HttpResponse *resp, void *userdata)
{
        ProbeRun *run = userdata;
        ProbeResult *res = run_result(run);

        run->request = NULL;
        free_and_replace(res->aws_message, resp->error);
        endpoint_record(run, result_class_from_transport(resp->transport), resp->timing.total,
                        &resp->remote_ip, resp->connected, &resp->timing,
                        now_usec(CLOCK_REALTIME));
        round_op_done(run->round);
}

/*
 * The fresh check taken from a connection a signed probe (@src) opened this round: the same
 * DNS lookup, TCP connect and TLS handshake the check would have made. Finishes @run without
 * a request (it was never started).
 */
void probe_endpoint_from_connection(ProbeRun *run, const ProbeResult *src,
                                    const AwsCallConnection *c)
{
        ProbeResult *res = run_result(run);
        char *address = c->remote_ip ? strdup(c->remote_ip) : NULL;

        if (!res->net.host)
                (void) url_host(run->round->endpoints[run->service], &res->net.host);
        endpoint_record(run, RESULT_CLASS_OK, c->timing.tls ?: c->timing.connect, &address,
                        /* connected= */ true, &c->timing, c->at);
        (void) free_and_strdup(&res->net.evidence, src->id);
}

int probe_endpoint_start(ProbeRun *run)
{
        Round *rd = run->round;
        ProbeResult *res = run_result(run);
        const char *url = rd->endpoints[run->service];
        HttpRequestOptions o = {
                .method = "GET",
                .url = url,
                .timeout = rd->timeout,
                .connect_only = true,
                .fresh_connect = true,
        };
        int r;

        if (!url)
                return -EINVAL;
        if (!res->net.host) {
                r = url_host(url, &res->net.host);
                if (r < 0)
                        return r;
        }
        return http_request_start(rd->prober->http, &o, on_endpoint, run, &run->request);
}
