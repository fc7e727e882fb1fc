/* SPDX-License-Identifier: MIT */
/*
 * probe.c: the data model of a round — string tables, destructors and small queries over
 * ProbeReport. The round (round.c) fills it, diagnosis.c explains it, status.c turns it into
 * JSON; nothing here does I/O.
 */

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>

#include "common/probe.h"

static const char *const probe_kind_table[_PROBE_KIND_MAX] = {
        [PROBE_KIND_IMDS] = "imds",
        [PROBE_KIND_IDENTITY] = "identity",
        [PROBE_KIND_METRICS] = "metrics",
        [PROBE_KIND_LOGS] = "logs",
        [PROBE_KIND_ENDPOINT] = "endpoint",
        [PROBE_KIND_AGENT] = "agent",
};

DEFINE_STRING_TABLE_LOOKUP(probe_kind, ProbeKind, _PROBE_KIND_MAX);

static const char *const address_scope_table[_ADDRESS_SCOPE_MAX] = {
        [ADDRESS_SCOPE_UNKNOWN] = "unknown",
        [ADDRESS_SCOPE_PUBLIC] = "public",
        [ADDRESS_SCOPE_PRIVATE] = "private",
        [ADDRESS_SCOPE_LOOPBACK] = "loopback",
        [ADDRESS_SCOPE_LINK_LOCAL] = "link-local",
};

DEFINE_STRING_TABLE_LOOKUP(address_scope, AddressScope, _ADDRESS_SCOPE_MAX);

static AddressScope address_scope_of_v4(uint32_t a)
{
        if ((a >> 24) == 127)
                return ADDRESS_SCOPE_LOOPBACK;
        if ((a >> 16) == 0xa9fe)                          /* 169.254.0.0/16 */
                return ADDRESS_SCOPE_LINK_LOCAL;
        if ((a >> 24) == 10 ||                            /* 10.0.0.0/8 */
            (a >> 20) == 0xac1 ||                         /* 172.16.0.0/12 */
            (a >> 16) == 0xc0a8 ||                        /* 192.168.0.0/16 */
            (a >> 22) == (0x64400000U >> 22))             /* 100.64.0.0/10 (RFC 6598) */
                return ADDRESS_SCOPE_PRIVATE;
        return ADDRESS_SCOPE_PUBLIC;
}

AddressScope address_scope_of(const char *address)
{
        struct in_addr a4;
        struct in6_addr a6;

        if (!address)
                return ADDRESS_SCOPE_UNKNOWN;
        if (inet_pton(AF_INET, address, &a4) == 1)
                return address_scope_of_v4(ntohl(a4.s_addr));
        if (inet_pton(AF_INET6, address, &a6) != 1)
                return ADDRESS_SCOPE_UNKNOWN;
        if (IN6_IS_ADDR_V4MAPPED(&a6)) {
                uint32_t v;

                memcpy(&v, &a6.s6_addr[12], sizeof(v));
                return address_scope_of_v4(ntohl(v));
        }
        if (IN6_IS_ADDR_LOOPBACK(&a6))
                return ADDRESS_SCOPE_LOOPBACK;
        if (IN6_IS_ADDR_LINKLOCAL(&a6))
                return ADDRESS_SCOPE_LINK_LOCAL;
        if ((a6.s6_addr[0] & 0xfe) == 0xfc)               /* fc00::/7 unique local */
                return ADDRESS_SCOPE_PRIVATE;
        return ADDRESS_SCOPE_PUBLIC;
}

void probe_agent_done(ProbeAgent *a)
{
        if (!a)
                return;
        free(a->unit);
        free(a->load_state);
        free(a->active_state);
        free(a->sub_state);
        free(a->unit_result);
        free(a->log);
        free(a->last_line);
        *a = (ProbeAgent) {};
}

void probe_result_done(ProbeResult *r)
{
        if (!r)
                return;
        free(r->id);
        free(r->target);
        free(r->endpoint);
        free(r->source);
        free(r->aws_error_code);
        free(r->request_id);
        free(r->aws_message);
        access_denied_done(&r->denied);
        free(r->message);
        free(r->remedy);
        free(r->net.host);
        free(r->net.address);
        free(r->net.evidence);
        probe_agent_done(&r->agent);
        free(r->operation);
        free(r->role_arn);
        for (size_t i = 0; i < r->n_debug; i++)
                aws_call_debug_done(&r->debug[i]);
        free(r->debug);
        *r = (ProbeResult) {};
}

void probe_report_done(ProbeReport *r)
{
        if (!r)
                return;
        free(r->host.instance_id);
        free(r->host.region);
        free(r->host.account_id);
        free(r->host.availability_zone);
        free(r->host.auto_scaling_group);
        free(r->host.hostname);
        free(r->identity.arn);
        free(r->identity.account);
        free(r->identity.user_id);
        free(r->identity.credential_detail);
        free(r->identity.access_key_id);
        free(r->identity.role_arn);
        free(r->identity.credential_warning);
        for (size_t i = 0; i < r->n_probes; i++)
                probe_result_done(&r->probes[i]);
        free(r->probes);
        *r = (ProbeReport) { .heartbeat_value = -1 };
        r->identity.credential_source = _CREDENTIAL_SOURCE_INVALID;
}

ProbeResult *probe_report_find(const ProbeReport *r, const char *id)
{
        for (size_t i = 0; i < r->n_probes; i++)
                if (streq_ptr(r->probes[i].id, id))
                        return &r->probes[i];
        return NULL;
}

size_t probe_report_n_failing(const ProbeReport *r)
{
        size_t n = 0;

        for (size_t i = 0; i < r->n_probes; i++)
                if (!r->probes[i].ok)
                        n++;
        return n;
}
