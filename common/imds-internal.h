#pragma once
/* SPDX-License-Identifier: MIT */
/* imds-internal.h: what the IMDS client (imds.c) and its parsers (imds-parse.c) share; private. */

#include <stddef.h>

/**
 * imds_one_line() - make remote text fit for a one-line message, in place.
 * @s: the NUL-terminated text.
 * @max: the most bytes to keep.
 *
 * Control characters become spaces, and the text is cut at @max bytes without splitting a UTF-8
 * sequence. Used for IMDS "Message" fields and for every ImdsResult message.
 */
void imds_one_line(char *s, size_t max);
