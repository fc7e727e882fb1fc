/* SPDX-License-Identifier: MIT */
/*
 * fuzz-agent-log.c: the CloudWatch agent's log as agent:log reads it — the line classifier on
 * every line, the buffer scanner with and without a time window (records, continuation lines,
 * the AccessDenied parse of the last error, the sanitised quote), and the sanitised quote's
 * promises: one line, no control characters, valid UTF-8, capped.
 */

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/agent-log.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_quote(const char *s)
{
        if (!s)
                return;
        if (strlen(s) > AGENT_LOG_QUOTE_MAX + 3)
                abort();
        for (const unsigned char *p = (const unsigned char *) s; *p; p++)
                if (*p < 0x20 || *p == 0x7f || (p[0] == 0xC2 && p[1] >= 0x80 && p[1] <= 0x9F))
                        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        _cleanup_(agent_log_scan_done) AgentLogScan s = {};
        const char *p = (const char *) data, *end = p + size;
        AgentLogLine l;

        while (p < end) {
                const char *nl = memchr(p, '\n', (size_t) (end - p));
                size_t n = nl ? (size_t) (nl - p) : (size_t) (end - p);

                agent_log_line_parse(p, n, &l);
                p += n + 1;
        }
        if (agent_log_scan_buffer((const char *) data, size, 0, 0, &s) < 0)
                return 0;
        check_quote(s.last_line);
        /* 2024-01-02T15:00:00Z, a 10 minute window. */
        if (agent_log_scan_buffer((const char *) data, size, (usec_t) 1704207600 * USEC_PER_SEC,
                                  10 * USEC_PER_MINUTE, &s) < 0)
                return 0;
        check_quote(s.last_line);
        return 0;
}
