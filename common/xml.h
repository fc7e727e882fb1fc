#pragma once
/* SPDX-License-Identifier: MIT */
/* xml.h: extract element texts by path from small untrusted XML documents (expat). */

#include <stddef.h>

#include "common/macro.h"

/* Hard limits for every document parsed here; AWS replies are a few KiB. */
#define XML_DOC_MAX_SIZE (1024U * 1024U)  /* larger documents are refused with -EFBIG */
#define XML_DOC_MAX_DEPTH 64U              /* deeper nesting is refused with -EBADMSG */
#define XML_DOC_MAX_VALUE (64U * 1024U)    /* longer element texts are truncated */
#define XML_DOC_MAX_PATH 8U                /* at most this many segments in an XmlPath */

/*
 * One wanted element. @path is absolute, "/"-separated, and compares element names with any
 * namespace prefix removed ("aws:Code" matches "Code"); a "*" segment matches any one element.
 * Several paths may share a @slot (alternative locations of the same value); the first element
 * in document order that matches any of them fills the slot. Paths are meant to name leaves:
 * while one element's text is being collected, the elements inside it are not matched.
 */
typedef struct XmlPath {
        const char *path;
        size_t slot;
} XmlPath;

/**
 * xml_extract() - parse a document and collect the text of the elements named by @paths.
 * @xml: the document; need not be NUL-terminated.
 * @size: its length in bytes.
 * @paths: the wanted elements.
 * @n_paths: their number.
 * @values: @n_values strings, all NULL on entry. On success a slot holds the element's text
 *          (all character data inside it, children included; "" for an empty element) or stays
 *          NULL if no element matched. On failure every slot is NULL again.
 * @n_values: the number of slots; every @paths[i].slot must be below it.
 *
 * The document must be well-formed. A DOCTYPE or entity declaration is refused outright, so
 * there is no DTD processing, no entity expansion and no external fetch (billion laughs, XXE).
 * Parsing is iterative (expat keeps no recursion on nesting), and depth and size are capped.
 *
 * Return: 0; -EBADMSG if the document is malformed, too deep or declares a DTD; -EFBIG if it is
 * larger than XML_DOC_MAX_SIZE; -EINVAL for bad arguments; -ENOMEM.
 */
int xml_extract(const char *xml, size_t size, const XmlPath *paths, size_t n_paths, char **values,
                size_t n_values);
