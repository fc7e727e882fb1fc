/* SPDX-License-Identifier: MIT */
/*
 * fuzz-agent-config.c: the CloudWatch agent's JSON configuration on arbitrary bytes. The input
 * is split at its first NUL into two documents merged in turn, as a main file and a .d fragment
 * are, so conflicts and concatenated collect_lists are exercised too. Whatever the input, the
 * parser must return cleanly, every kept template must be a bounded line without control
 * characters and with its source, every message one line, and expanding each template must
 * give text without control characters (the input is not NUL-terminated on purpose).
 */

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/agent-config.h"
#include "common/util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_item(const AgentItem *i, size_t max)
{
        if (!i->value) {
                if (i->source)
                        abort();
                return;
        }
        if (!i->source || strlen(i->value) > max || string_has_cc(i->value, NULL) ||
            string_has_cc(i->source, NULL))
                abort();
}

static void check_messages(char **l)
{
        if (strv_length(l) > AGENT_MESSAGES_MAX + 1)
                abort();
        STRV_FOREACH(m, l)
                if (string_has_cc(*m, NULL))
                        abort();
}

static void parse(const char *data, size_t size, const char *source, AgentConfig *c)
{
        char *copy;
        int r;

        /* An exact-size heap copy, so ASan sees any read past the end. */
        copy = malloc(size ?: 1);
        if (!copy)
                return;
        memcpy(copy, data, size);
        r = agent_config_parse(copy, size, source, c);
        free(copy);
        if (r < 0 && r != -EBADMSG && r != -ENOMEM)
                abort();
        if (r == -EBADMSG && strv_length(c->errors) == 0)
                abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        _cleanup_(agent_config_done) AgentConfig c = {};
        const AgentPlaceholders values = {
                .instance_id = "i-0123456789abcdef0",
                .hostname = "ip-10-0-0-1.ec2.internal",
                .local_hostname = "web-1",
                .ip_address = "10.0.0.1",
                .region = "eu-west-1",
                .account_id = "123456789012",
                .date = "2024-02-29",
        };
        const char *nul = memchr(data, 0, size);

        if (nul) {
                parse((const char *) data, (size_t) (nul - (const char *) data), "/etc/a.json", &c);
                parse(nul + 1, size - (size_t) (nul - (const char *) data) - 1,
                      "/etc/a.d/file_b", &c);
        } else
                parse((const char *) data, size, "/etc/a.json", &c);

        check_item(&c.region, AGENT_REGION_MAX * 4);
        check_item(&c.role_arn, AGENT_ROLE_ARN_MAX * 4);
        check_item(&c.metrics_role_arn, AGENT_ROLE_ARN_MAX * 4);
        check_item(&c.logs_role_arn, AGENT_ROLE_ARN_MAX * 4);
        check_item(&c.logfile, AGENT_LOGFILE_MAX * 4);
        check_item(&c.namespace, AGENT_NAMESPACE_MAX * 4);
        check_item(&c.metrics_endpoint, AGENT_ENDPOINT_MAX * 4);
        check_item(&c.logs_endpoint, AGENT_ENDPOINT_MAX * 4);
        check_item(&c.log_stream, AGENT_LOG_GROUP_NAME_MAX * 4);
        if (c.metrics != !!c.namespace.value)
                abort();
        if (c.n_log_groups > AGENT_LOG_GROUPS_MAX ||
            (c.n_log_groups_dropped > 0 && c.n_log_groups != AGENT_LOG_GROUPS_MAX))
                abort();
        check_messages(c.errors);
        check_messages(c.notes);

        for (size_t i = 0; i < c.n_log_groups; i++) {
                _cleanup_free_ char *name = NULL;

                check_item(&c.log_groups[i], AGENT_LOG_GROUP_NAME_MAX * 4);
                if (!*c.log_groups[i].value)
                        abort();
                for (size_t k = 0; k < i; k++)
                        if (streq(c.log_groups[k].value, c.log_groups[i].value))
                                abort();
                if (agent_expand_placeholders(c.log_groups[i].value, &values, &name) < 0)
                        abort();
                if (!*name || string_has_cc(name, NULL))
                        abort();
                (void) agent_log_group_name_is_valid(name);
        }
        for (AgentSection s = 0; s < _AGENT_SECTION_MAX; s++) {
                const AgentItem *arn = agent_config_role_arn(&c, s);

                if (arn && !arn->value)
                        abort();
        }
        return 0;
}
