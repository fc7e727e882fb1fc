/* SPDX-License-Identifier: MIT */
/*
 * fuzz-status-json.c: the status document reader on arbitrary bytes. Whatever the input,
 * status_report_parse() must return cleanly (a report or a negative errno: no crash, leak or
 * read past the end; the input is not NUL-terminated on purpose). Whatever it accepts must
 * format, and the formatted text must read back to a report that formats to the same text, in
 * both layouts: the writer and the reader agree on every value, however odd.
 */

#include <stdint.h>
#include <stdlib.h>

#include "common/status.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_round_trip(const ProbeReport *report, StatusJsonFlags flags)
{
        _cleanup_free_ char *text = NULL, *again = NULL;
        _cleanup_(probe_report_done) ProbeReport back = {};

        if (status_report_format(report, flags, &text) < 0)
                abort();
        if (status_report_parse(text, strlen(text), &back) < 0)
                abort();
        if (status_report_format(&back, flags, &again) < 0)
                abort();
        if (!streq(text, again))
                abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        _cleanup_free_ char *copy = NULL;
        _cleanup_(probe_report_done) ProbeReport report = {};
        int r;

        /* An exact-size heap copy, so ASan sees any read past the end. */
        copy = malloc(size ?: 1);
        if (!copy)
                return 0;
        memcpy(copy, data, size);

        r = status_report_parse(copy, size, &report);
        if (r < 0) {
                if (r != -EBADMSG && r != -EPROTONOSUPPORT && r != -EFBIG && r != -ENOMEM)
                        abort();
                return 0;
        }

        check_round_trip(&report, 0);
        check_round_trip(&report, STATUS_JSON_PRETTY | STATUS_JSON_DEBUG);
        return 0;
}
