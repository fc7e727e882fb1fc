/* SPDX-License-Identifier: MIT */
/*
 * fuzz-credentials-file.c: the shared-credentials-file parser on arbitrary bytes, looking up the
 * profiles the chain uses ("AmazonCloudWatchAgent", "default") and one named by the input's
 * first line. A result must be complete, an error must come with its one-line reason, and the
 * reason must not carry what was parsed as a secret.
 */

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/credentials.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check(const char *data, size_t size, const char *profile)
{
        _cleanup_(aws_credentials_freep) AwsCredentials *c = NULL;
        _cleanup_free_ char *err = NULL;
        int r;

        r = credentials_file_parse(data, size, profile, &c, &err);
        if (r == 0) {
                if (!c || !c->access_key_id || !c->secret_access_key || err)
                        abort();
                if (c->source != CREDENTIAL_SOURCE_SHARED_FILE)
                        abort();
        } else if (r == -EBADMSG) {
                if (c || (err && strchr(err, '\n')))
                        abort();
        } else if (r != -ENOENT && r != -ENOMEM)
                abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        _cleanup_free_ char *copy = NULL, *first = NULL;
        const char *nl;
        size_t n;

        copy = malloc(size ?: 1);
        if (!copy)
                return 0;
        memcpy(copy, data, size);

        check(copy, size, CREDENTIALS_DEFAULT_PROFILE);
        check(copy, size, "default");

        nl = memchr(copy, '\n', size);
        n = nl ? (size_t) (nl - copy) : size;
        first = malloc(n + 1);
        if (!first)
                return 0;
        memcpy(first, copy, n);
        first[n] = 0;
        if (*first)
                check(copy, size, first);
        return 0;
}
