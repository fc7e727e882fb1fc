/* SPDX-License-Identifier: MIT */
/*
 * fuzz-access-denied.c: the natural-language parsers (access-denied grammar, SigV4 clock-skew
 * text, the message classifier) on arbitrary NUL-terminated text.
 */

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/aws-error.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        _cleanup_(access_denied_done) AccessDenied d = {};
        _cleanup_free_ char *m = NULL;
        int64_t off;

        m = malloc(size + 1);
        if (!m)
                return 0;
        memcpy(m, data, size);
        m[size] = 0;

        (void) access_denied_parse(m, &d);
        (void) aws_clock_skew_from_message(m, &off);
        (void) aws_error_classify(403, "AccessDenied", m);
        return 0;
}
