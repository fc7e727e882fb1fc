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

static void on_endpoint(HttpRequest *req, HttpResponse *resp, void *userdata)
{
        ProbeRun *run = userdata;
        Round *rd = run->round;
        Prober *p = rd->prober;
        ProbeResult *res = run_result(run);
        ProbeNetwork *net = &res->net;

        run->request = NULL;
        run->finished = true;
        res->class = result_class_from_transport(resp->transport);
        res->ok = res->class == RESULT_CLASS_OK;
        res->latency = resp->timing.total;
        res->attempts = 1;
        free_and_replace(res->aws_message, resp->error);
        free_and_replace(net->address, resp->remote_ip);
        net->scope = address_scope_of(net->address);
        net->fresh = true;
        net->connected = resp->connected;
        net->via_proxy = rd->via_proxy;
        /* libcurl reports offsets from the start; operators want each phase's own duration. */
        net->dns = resp->timing.dns;
        net->connect = resp->timing.connect ? phase(resp->timing.connect, resp->timing.dns) : 0;
        net->tls = resp->timing.tls ? phase(resp->timing.tls, resp->timing.connect) : 0;
        net->last_fresh_check = now_usec(CLOCK_REALTIME);

        p->endpoints[run->service].last_fresh_check = net->last_fresh_check;
        p->endpoints[run->service].failed = !res->ok;
        round_op_done(rd);
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
