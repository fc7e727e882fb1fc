/* SPDX-License-Identifier: MIT */
/*
 * xml.c: the only XML reader of cwguard. AWS query-protocol replies (STS, CloudWatch query
 * errors, EC2-style error envelopes) are tiny documents from which we want a handful of element
 * texts, so instead of building a tree we stream the document through expat once and copy out
 * the text of the elements whose absolute path the caller asked for. The reader owns nothing
 * past the call, has no global state and never logs. Its limits are deliberate: documents over
 * 1 MiB, nesting deeper than 64 and any DTD are refused; element texts are truncated at 64 KiB.
 * Expat itself is iterative, so hostile nesting costs a counter, not stack.
 */

#include <errno.h>
#include <string.h>

#include <expat.h>

#include "common/xml.h"

#define NAME_MAX_LEN 63U

typedef struct XmlState {
        XML_Parser parser;
        const XmlPath *paths;
        size_t n_paths;
        char **values;
        size_t n_values;

        /* Names of the open elements for the first XML_DOC_MAX_PATH levels (prefix removed). */
        char names[XML_DOC_MAX_PATH][NAME_MAX_LEN + 1];
        size_t name_len[XML_DOC_MAX_PATH];
        bool name_long[XML_DOC_MAX_PATH];
        size_t depth;

        /* The element whose text is being collected, if any. */
        size_t capture_depth;   /* 0: none */
        size_t capture_slot;
        char *buf;
        size_t buf_len, buf_alloc;

        int r;
} XmlState;

static void xml_fail(XmlState *st, int r)
{
        if (st->r >= 0)
                st->r = r;
        (void) XML_StopParser(st->parser, XML_FALSE);
}

static bool path_matches(const XmlState *st, const char *path)
{
        const char *p = path;
        size_t level = 0;

        while (*p == '/') {
                const char *e;
                size_t n;

                p++;
                e = strchrnul(p, '/');
                n = (size_t) (e - p);
                if (level >= st->depth || level >= XML_DOC_MAX_PATH)
                        return false;
                if (!(n == 1 && p[0] == '*') &&
                    (st->name_long[level] || st->name_len[level] != n ||
                     memcmp(st->names[level], p, n) != 0))
                        return false;
                level++;
                p = e;
        }
        return *p == 0 && level == st->depth;
}

static void on_start(void *userdata, const XML_Char *name, const XML_Char **attrs)
{
        XmlState *st = userdata;
        const char *local;
        size_t n;

        if (st->r < 0)
                return;
        if (st->depth >= XML_DOC_MAX_DEPTH)
                return xml_fail(st, -EBADMSG);
        st->depth++;

        if (st->depth > XML_DOC_MAX_PATH)
                return;

        /* Compare local names: "aws:Code" and "Code" are the same element to us. */
        local = strrchr(name, ':');
        local = local ? local + 1 : name;
        n = strlen(local);
        st->name_long[st->depth - 1] = n > NAME_MAX_LEN;
        st->name_len[st->depth - 1] = MIN(n, NAME_MAX_LEN);
        memcpy(st->names[st->depth - 1], local, MIN(n, NAME_MAX_LEN));
        st->names[st->depth - 1][MIN(n, NAME_MAX_LEN)] = 0;

        if (st->capture_depth > 0)
                return;
        for (size_t i = 0; i < st->n_paths; i++) {
                if (st->values[st->paths[i].slot] || !path_matches(st, st->paths[i].path))
                        continue;
                st->capture_depth = st->depth;
                st->capture_slot = st->paths[i].slot;
                st->buf_len = 0;
                break;
        }
}

static void on_end(void *userdata, const XML_Char *name)
{
        XmlState *st = userdata;

        if (st->r < 0)
                return;
        if (st->capture_depth > 0 && st->capture_depth == st->depth) {
                /* Not strndup(): the buffer has no terminator. */
                char *v = malloc(st->buf_len + 1);

                if (!v)
                        return xml_fail(st, -ENOMEM);
                if (st->buf_len > 0)
                        memcpy(v, st->buf, st->buf_len);
                v[st->buf_len] = 0;
                st->values[st->capture_slot] = v;
                st->capture_depth = 0;
        }
        if (st->depth > 0)
                st->depth--;
}

static void on_text(void *userdata, const XML_Char *s, int len)
{
        XmlState *st = userdata;
        size_t n;

        if (st->r < 0 || st->capture_depth == 0 || len <= 0)
                return;
        n = MIN((size_t) len, XML_DOC_MAX_VALUE - st->buf_len);
        if (n == 0)
                return;
        if (st->buf_len + n > st->buf_alloc) {
                size_t want = MIN(MAX(st->buf_alloc * 2, st->buf_len + n), XML_DOC_MAX_VALUE);
                char *t = realloc(st->buf, want);

                if (!t)
                        return xml_fail(st, -ENOMEM);
                st->buf = t;
                st->buf_alloc = want;
        }
        memcpy(st->buf + st->buf_len, s, n);
        st->buf_len += n;
}

/* No DTDs at all: AWS never sends one, and refusing them removes entity expansion and XXE. */
static void on_doctype(void *userdata, const XML_Char *name, const XML_Char *sysid,
                       const XML_Char *pubid, int has_internal_subset)
{
        xml_fail(userdata, -EBADMSG);
}

static void on_entity_decl(void *userdata, const XML_Char *name, int is_parameter_entity,
                           const XML_Char *value, int value_length, const XML_Char *base,
                           const XML_Char *system_id, const XML_Char *public_id,
                           const XML_Char *notation_name)
{
        xml_fail(userdata, -EBADMSG);
}

static void xml_parser_freep(XML_Parser *p)
{
        if (*p)
                XML_ParserFree(*p);
}

static void values_clear(char **values, size_t n_values)
{
        for (size_t i = 0; i < n_values; i++) {
                free(values[i]);
                values[i] = NULL;
        }
}

int xml_extract(const char *xml, size_t size, const XmlPath *paths, size_t n_paths, char **values,
                size_t n_values)
{
        _cleanup_(xml_parser_freep) XML_Parser parser = NULL;
        _cleanup_free_ char *buf = NULL;
        XmlState st = {};
        enum XML_Status status;

        if ((!xml && size > 0) || (!paths && n_paths > 0) || (!values && n_values > 0))
                return -EINVAL;
        for (size_t i = 0; i < n_paths; i++) {
                size_t segments = 0;

                if (!paths[i].path || paths[i].path[0] != '/' || paths[i].slot >= n_values)
                        return -EINVAL;
                for (const char *p = paths[i].path; *p; p++)
                        segments += *p == '/';
                if (segments > XML_DOC_MAX_PATH)
                        return -EINVAL;
        }
        if (size > XML_DOC_MAX_SIZE)
                return -EFBIG;

        parser = XML_ParserCreate(/* encoding= */ NULL);
        if (!parser)
                return -ENOMEM;
        (void) XML_SetParamEntityParsing(parser, XML_PARAM_ENTITY_PARSING_NEVER);

        st = (XmlState) {
                .parser = parser,
                .paths = paths,
                .n_paths = n_paths,
                .values = values,
                .n_values = n_values,
        };
        XML_SetUserData(parser, &st);
        XML_SetElementHandler(parser, on_start, on_end);
        XML_SetCharacterDataHandler(parser, on_text);
        XML_SetStartDoctypeDeclHandler(parser, on_doctype);
        XML_SetEntityDeclHandler(parser, on_entity_decl);

        status = XML_Parse(parser, xml ?: "", (int) size, /* isFinal= */ XML_TRUE);
        buf = TAKE_PTR(st.buf);
        if (st.r < 0) {
                values_clear(values, n_values);
                return st.r;
        }
        if (status != XML_STATUS_OK) {
                values_clear(values, n_values);
                return -EBADMSG;
        }
        return 0;
}
