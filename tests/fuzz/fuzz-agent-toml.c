/* SPDX-License-Identifier: MIT */
/*
 * fuzz-agent-toml.c: the common-config.toml subset parser on arbitrary bytes. It must return a
 * result or one reason, never crash, leak or read past the end (the input is not NUL-terminated
 * on purpose): a result holds only values without control characters, each with its line; a
 * refusal is one line that starts with the file name and a position.
 */

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/agent-toml.h"
#include "common/util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_value(const AgentTomlValue *v)
{
        if (!v->value) {
                if (v->line != 0)
                        abort();
                return;
        }
        if (v->line == 0 || strlen(v->value) > AGENT_TOML_VALUE_MAX ||
            string_has_cc(v->value, NULL))
                abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        _cleanup_(agent_toml_done) AgentToml t = {};
        _cleanup_free_ char *copy = NULL, *err = NULL;
        int r;

        copy = malloc(size ?: 1);
        if (!copy)
                return 0;
        memcpy(copy, data, size);

        r = agent_toml_parse(copy, size, "common-config.toml", &t, &err);
        if (r == 0) {
                if (err)
                        abort();
                check_value(&t.profile);
                check_value(&t.credentials_file);
                check_value(&t.http_proxy);
                check_value(&t.https_proxy);
                check_value(&t.no_proxy);
                check_value(&t.ca_bundle_path);
                if (t.imds_retries < -1 || (t.imds_retries >= 0 && t.imds_retries_line == 0))
                        abort();
                STRV_FOREACH(n, t.notes)
                        if (string_has_cc(*n, NULL) ||
                            strncmp(*n, "common-config.toml:", 19) != 0)
                                abort();
                return 0;
        }
        if (r == -ENOMEM)
                return 0;
        if (r != -EBADMSG && r != -EFBIG)
                abort();
        if (!err || strncmp(err, "common-config.toml:", 19) != 0 || string_has_cc(err, NULL))
                abort();
        return 0;
}
