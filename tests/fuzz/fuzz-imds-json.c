/* SPDX-License-Identifier: MIT */
/*
 * fuzz-imds-json.c: every IMDS document parser on the same bytes (credentials, identity,
 * iam/info, the role listing). Whatever the input, each must return cleanly: a filled result or
 * a negative errno, never a crash, a leak or an out-of-bounds read (the input is not
 * NUL-terminated on purpose).
 */

#include <stdint.h>
#include <stdlib.h>

#include "common/imds.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        _cleanup_free_ char *copy = NULL;
        ImdsCredentials c = {};
        ImdsIdentity i = {};
        ImdsInfo info = {};
        char *role = NULL;
        int r;

        /* An exact-size heap copy, so ASan sees any read past the end. */
        copy = malloc(size ?: 1);
        if (!copy)
                return 0;
        memcpy(copy, data, size);

        r = imds_parse_credentials(copy, size, &c);
        if (r == 0 && (!c.access_key_id || !c.secret_access_key || !c.token || !c.expiration))
                abort();
        if (r == IMDS_DOCUMENT_ERROR && !c.code)
                abort();
        imds_credentials_done(&c);

        r = imds_parse_identity(copy, size, &i);
        if (r == 0 && (!i.account_id || !i.instance_id || !i.region))
                abort();
        imds_identity_done(&i);

        r = imds_parse_info(copy, size, &info);
        if (r == 0 && !info.instance_profile_arn)
                abort();
        imds_info_done(&info);

        r = imds_parse_role_listing(copy, size, &role);
        if (r == 0 && (!role || !*role))
                abort();
        free(role);

        /* An instance tag value becomes a metric dimension, a journal field and JSON: one line
         * of printable UTF-8. */
        r = imds_parse_tag_value(copy, size, &role);
        if (r == 0) {
                size_t n = strlen(role);

                if (n == 0 || n > IMDS_TAG_VALUE_MAX)
                        abort();
                for (size_t k = 0; k < n; k++)
                        if ((unsigned char) role[k] < 0x20 || role[k] == 0x7f)
                                abort();
                free(role);
        }
        return 0;
}
