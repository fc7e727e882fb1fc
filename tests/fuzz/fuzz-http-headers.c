/* SPDX-License-Identifier: MIT */
/*
 * fuzz-http-headers.c: the response-header parser (http_response_add_header_line()) on arbitrary
 * header blocks, exactly as libcurl's CURLOPT_HEADERFUNCTION would feed it: the input is cut after
 * every LF and each line, LF included, goes in as its own exact-size heap buffer (no NUL at the
 * end, so ASan sees any read past it). The first error ends the exchange, as the callback would.
 * Then the invariants: the caps hold, every stored name and value is a NUL-terminated string
 * without CR or LF, names are non-empty and colon-free, and the captured convenience fields are
 * the values a lookup by name returns.
 */

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/http-internal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_field(const HttpResponse *r, const char *field, const char *name)
{
        const char *v = http_response_header(r, name);

        if (!field)
                return;
        if (!v || !streq(field, v))
                abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        HttpResponse resp = {};
        size_t header_bytes = 0, fed = 0;
        int r = 0;

        for (size_t off = 0; off < size;) {
                const uint8_t *lf = memchr(data + off, '\n', size - off);
                size_t n = lf ? (size_t) (lf - (data + off)) + 1 : size - off;
                char *line;

                line = malloc(n);
                if (!line)
                        break;
                memcpy(line, data + off, n);
                r = http_response_add_header_line(&resp, line, n, &header_bytes);
                free(line);
                off += n;
                fed += n;
                if (r < 0)
                        break;
        }

        /* Errors are only the documented ones, and only when their cap says so. */
        if (r < 0 && r != -EMSGSIZE && r != -E2BIG && r != -ENOMEM)
                abort();
        if (header_bytes != fed)
                abort();
        if ((r == -EMSGSIZE) != (fed > HTTP_MAX_HEADER_BYTES))
                abort();
        if (r == -E2BIG && resp.n_headers != HTTP_MAX_HEADERS)
                abort();

        if (resp.n_headers > HTTP_MAX_HEADERS || (resp.n_headers > 0) != !!resp.headers)
                abort();
        for (size_t i = 0; i < resp.n_headers; i++) {
                const char *name = resp.headers[i].name, *value = resp.headers[i].value;

                /* strlen() under ASan also proves the NUL is inside the allocation. */
                if (!name || !value || strlen(name) == 0)
                        abort();
                if (strpbrk(name, "\r\n:") || strpbrk(value, "\r\n"))
                        abort();
                if (strlen(name) + strlen(value) > fed)
                        abort();
        }

        if (r >= 0 && http_response_capture_fields(&resp) == 0) {
                check_field(&resp, resp.date, "Date");
                check_field(&resp, resp.query_error, "x-amzn-query-error");
                check_field(&resp, resp.content_type, "Content-Type");
                if (resp.request_id) {
                        const char *v = http_response_header(&resp, "x-amzn-RequestId") ?:
                                        http_response_header(&resp, "x-amz-request-id");

                        if (!v || !streq(v, resp.request_id))
                                abort();
                }
                if (!resp.date != !http_response_header(&resp, "Date"))
                        abort();
        }

        http_response_done(&resp);
        return 0;
}
