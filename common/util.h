#pragma once
/* SPDX-License-Identifier: MIT */
/* util.h: time, string-vector, hex and secret-wiping helpers shared by every module. */

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "common/macro.h"

typedef uint64_t usec_t;
#define USEC_INFINITY ((usec_t) UINT64_MAX)
#define USEC_PER_SEC ((usec_t) 1000000ULL)
#define USEC_PER_MSEC ((usec_t) 1000ULL)
#define USEC_PER_MINUTE (60 * USEC_PER_SEC)
#define USEC_PER_HOUR (60 * USEC_PER_MINUTE)
#define MSEC_PER_SEC 1000ULL

/**
 * now_usec() - read a clock in microseconds.
 * @clock: CLOCK_REALTIME, CLOCK_MONOTONIC, CLOCK_BOOTTIME...
 *
 * Return: the time, or 0 if the clock cannot be read (never happens for the standard clocks).
 */
usec_t now_usec(clockid_t clock);

/**
 * iso8601_parse() - parse "YYYY-MM-DDTHH:MM:SSZ" (optionally with fractional seconds).
 * @s: the text; only UTC ("Z") is accepted, as AWS and IMDS always send it.
 * @ret: realtime microseconds since the epoch.
 *
 * Return: 0, or -EINVAL if @s is not of that form.
 */
int iso8601_parse(const char *s, usec_t *ret);

/**
 * iso8601_format() - format realtime microseconds as "YYYY-MM-DDTHH:MM:SSZ".
 * @t: the time.
 * @buf: at least ISO8601_MAX bytes.
 *
 * Return: @buf.
 */
#define ISO8601_MAX 32
char *iso8601_format(usec_t t, char buf[static ISO8601_MAX]);

/**
 * http_date_parse() - parse an RFC 7231 IMF-fixdate ("Sun, 06 Nov 1994 08:49:37 GMT").
 * @s: the Date header's value.
 * @ret: realtime microseconds.
 *
 * Return: 0, or -EINVAL.
 */
int http_date_parse(const char *s, usec_t *ret);

/**
 * string_table_lookup() - index of @s in a designated-initializer string table.
 * @table: the table (NULL holes allowed).
 * @n: its size.
 * @s: the string to look up; NULL gives -EINVAL.
 *
 * Return: the index, or -EINVAL if @s is not in the table. Feeds every *_from_string().
 */
int string_table_lookup(const char *const *table, size_t n, const char *s) _pure_;

/*
 * DEFINE_STRING_TABLE_LOOKUP() - define name##_to_string() (NULL when out of range) and
 * name##_from_string() (-EINVAL, i.e. the enum's _INVALID value, when unknown) over the
 * designated-initializer table name##_table[max]. One table per enum feeds the journal, the
 * JSON and the CLI.
 */
#define DEFINE_STRING_TABLE_LOOKUP(name, type, max)                                        \
        const char *name##_to_string(type i)                                               \
        {                                                                                  \
                if ((int) i < 0 || (int) i >= (int) (max))                                 \
                        return NULL;                                                       \
                return name##_table[i];                                                    \
        }                                                                                  \
        type name##_from_string(const char *s)                                             \
        {                                                                                  \
                return (type) string_table_lookup(name##_table, (max), s);                 \
        }                                                                                  \
        struct __useless_struct_to_allow_trailing_semicolon__

/**
 * parse_fixed_digits() - parse exactly @n ASCII digits at @s as a decimal number.
 *
 * Return: 0, or -EINVAL if any of the @n characters is not a digit.
 */
int parse_fixed_digits(const char *s, size_t n, int *ret);

/**
 * hexlify() - lower-case hex of a byte buffer.
 * @p: bytes.
 * @n: their count.
 * @out: 2*@n+1 bytes.
 */
void hexlify(const void *p, size_t n, char *out);

/**
 * strv_free() - free a NULL-terminated vector of strings and the vector itself.
 * @l: the vector, or NULL.
 *
 * Return: NULL.
 */
char **strv_free(char **l);
static inline void strv_freep(char ***l)
{
        strv_free(*l);
}
#define _cleanup_strv_free_ _cleanup_(strv_freep)

/**
 * strv_extend() - append a copy of @s to the vector *@l (allocated as needed).
 * @l: the vector; *@l may be NULL.
 * @s: the string to copy.
 *
 * Return: 0, or -ENOMEM (then *@l is unchanged).
 */
int strv_extend(char ***l, const char *s);

/**
 * strv_extendf() - append formatted text to the vector *@l (allocated as needed).
 * @l: the vector; *@l may be NULL.
 * @fmt: printf format.
 *
 * Return: 0, or -ENOMEM (then *@l is unchanged).
 */
int strv_extendf(char ***l, const char *fmt, ...) _printf_(2, 3);

/**
 * strv_extendv() - strv_extendf() with a va_list.
 */
int strv_extendv(char ***l, const char *fmt, va_list ap) _printf_(2, 0);

/**
 * strv_length() - number of strings in @l (NULL is empty).
 */
size_t strv_length(char *const *l);

/**
 * strv_copy() - deep copy of a vector (NULL gives an empty vector).
 * @l: the vector.
 * @ret: the copy.
 *
 * Return: 0 or -ENOMEM.
 */
int strv_copy(char *const *l, char ***ret);

/**
 * strv_contains() - whether @l holds a string equal to @s.
 */
bool strv_contains(char *const *l, const char *s);

/**
 * erase_and_free() - wipe a NUL-terminated secret with OPENSSL_cleanse() and free it.
 * @s: the secret, or NULL.
 *
 * Return: NULL.
 */
char *erase_and_free(char *s);
static inline void erase_and_freep(char **s)
{
        erase_and_free(*s);
}
#define _cleanup_erase_free_ _cleanup_(erase_and_freep)

/**
 * read_file_capped() - read a whole file into a NUL-terminated buffer.
 * @path: the file.
 * @max: refuse files larger than this many bytes (-EFBIG).
 * @ret: the contents (NUL-terminated; embedded NULs are kept).
 * @ret_size: the number of bytes read, may be NULL.
 *
 * Return: 0 or a negative errno (-ENOENT for a missing file).
 */
int read_file_capped(const char *path, size_t max, char **ret, size_t *ret_size);

/**
 * read_fd_capped() - read from @fd to its end into a NUL-terminated buffer.
 * @fd: an open file descriptor, read from its current position.
 * @max: refuse more than this many bytes (-EFBIG).
 * @ret: the contents (NUL-terminated; embedded NULs are kept).
 * @ret_size: the number of bytes read, may be NULL.
 *
 * Return: 0 or a negative errno.
 */
int read_fd_capped(int fd, size_t max, char **ret, size_t *ret_size);

/**
 * string_has_cc() - whether @s holds control characters (other than those in @ok).
 * Used to refuse values that could inject terminal escapes or journal fields.
 */
bool string_has_cc(const char *s, const char *ok);

/**
 * utf8_is_c1() - whether @p starts a C1 control character (U+0080..U+009F) in UTF-8: bytes 0xC2
 * 0x80..0x9F. Terminals act on these as on ESC sequences (U+009B is CSI), so whatever blanks
 * C0 controls for a terminal or a log line blanks them too. @p must be NUL-terminated.
 */
static inline bool utf8_is_c1(const char *p)
{
        return (unsigned char) p[0] == 0xC2 && (unsigned char) p[1] >= 0x80 &&
               (unsigned char) p[1] <= 0x9F;
}

/**
 * u64_round() - @x rounded to the nearest integer, halves away from zero, for finite
 * 0 <= @x < 2^63: what llround() gives there, without libm. Two call sites needed it, and
 * libm cost every process that loads it about 300 KiB of resident text (issue 7's RSS).
 * x - t is exact (below 2^52 both have the same exponent or less; above, x is an integer).
 */
static inline uint64_t u64_round(double x)
{
        uint64_t t = (uint64_t) x;

        return x - (double) t >= 0.5 ? t + 1 : t;
}

/**
 * string_one_line() - make text fit for a one-line message, in place: control characters (C0,
 * DEL, and C1 as two spaces) become spaces (remote or user text cannot break a log line or
 * drive a terminal), and the text is cut at @max bytes without splitting a UTF-8 sequence.
 */
void string_one_line(char *s, size_t max);

/**
 * strextend_printf() - append formatted text to a heap string.
 * @p: the string; *@p may be NULL.
 *
 * Return: 0 or -ENOMEM (then *@p is unchanged).
 */
int strextend_printf(char **p, const char *fmt, ...) _printf_(2, 3);

/**
 * random_unit() - a uniformly distributed value in [0, 1) for jitter and splay (OpenSSL's
 * RAND_bytes: never blocks; not for secrets). 0.5 if the generator fails.
 */
double random_unit(void);
