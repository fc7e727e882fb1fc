/* SPDX-License-Identifier: MIT */
/*
 * util.c: the handful of generic helpers every module needs: clocks in microseconds, the two
 * timestamp formats AWS speaks (ISO 8601 in bodies, IMF-fixdate in the Date header), string
 * vectors, hex, reading small files with a size cap, and wiping secrets before they are freed.
 * Pure functions, no logging, no global state; safe on any loop.
 */

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include <openssl/crypto.h>
#include <openssl/rand.h>

#include "common/util.h"

usec_t now_usec(clockid_t clock)
{
        struct timespec ts;

        if (clock_gettime(clock, &ts) < 0)
                return 0;
        return (usec_t) ts.tv_sec * USEC_PER_SEC + (usec_t) ts.tv_nsec / 1000;
}

int parse_fixed_digits(const char *s, size_t n, int *ret)
{
        int v = 0;

        for (size_t i = 0; i < n; i++) {
                if (s[i] < '0' || s[i] > '9')
                        return -EINVAL;
                v = v * 10 + (s[i] - '0');
        }
        *ret = v;
        return 0;
}

static int tm_to_usec(struct tm *tm, usec_t frac, usec_t *ret)
{
        time_t t;

        if (tm->tm_mon < 0 || tm->tm_mon > 11 || tm->tm_mday < 1 || tm->tm_mday > 31 ||
            tm->tm_hour > 23 || tm->tm_min > 59 || tm->tm_sec > 60 || tm->tm_year < 70)
                return -EINVAL;
        t = timegm(tm);
        if (t == (time_t) -1 || t < 0)
                return -EINVAL;
        *ret = (usec_t) t * USEC_PER_SEC + frac;
        return 0;
}

int iso8601_parse(const char *s, usec_t *ret)
{
        struct tm tm = {};
        usec_t frac = 0;
        int y, mo, d, h, mi, se;
        const char *p;

        if (!s || strlen(s) < 20)
                return -EINVAL;
        if (parse_fixed_digits(s, 4, &y) < 0 || s[4] != '-' ||
            parse_fixed_digits(s + 5, 2, &mo) < 0 || s[7] != '-' ||
            parse_fixed_digits(s + 8, 2, &d) < 0 || (s[10] != 'T' && s[10] != 't') ||
            parse_fixed_digits(s + 11, 2, &h) < 0 || s[13] != ':' ||
            parse_fixed_digits(s + 14, 2, &mi) < 0 || s[16] != ':' ||
            parse_fixed_digits(s + 17, 2, &se) < 0)
                return -EINVAL;
        p = s + 19;
        if (*p == '.') {
                usec_t scale = 100000;

                p++;
                if (*p < '0' || *p > '9')
                        return -EINVAL;
                for (; *p >= '0' && *p <= '9'; p++) {
                        frac += (usec_t) (*p - '0') * scale;
                        scale /= 10;
                }
        }
        if (!((p[0] == 'Z' || p[0] == 'z') && p[1] == 0) && !streq(p, "+00:00"))
                return -EINVAL;

        tm.tm_year = y - 1900;
        tm.tm_mon = mo - 1;
        tm.tm_mday = d;
        tm.tm_hour = h;
        tm.tm_min = mi;
        tm.tm_sec = se;
        return tm_to_usec(&tm, frac, ret);
}

char *iso8601_format(usec_t t, char buf[static ISO8601_MAX])
{
        time_t sec = (time_t) (t / USEC_PER_SEC);
        struct tm tm;

        if (!gmtime_r(&sec, &tm) || strftime(buf, ISO8601_MAX, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
                snprintf(buf, ISO8601_MAX, "1970-01-01T00:00:00Z");
        return buf;
}

int http_date_parse(const char *s, usec_t *ret)
{
        static const char months[12][4] = { "Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                            "Jul", "Aug", "Sep", "Oct", "Nov", "Dec" };
        struct tm tm = {};
        int d, y, h, mi, se, mo = -1;

        /* "Sun, 06 Nov 1994 08:49:37 GMT": fixed width, 29 characters. */
        if (!s || strlen(s) != 29 || s[3] != ',' || s[4] != ' ' || s[7] != ' ' || s[11] != ' ' ||
            s[16] != ' ' || s[19] != ':' || s[22] != ':' || s[25] != ' ' || !streq(s + 26, "GMT"))
                return -EINVAL;
        for (int i = 0; i < 12; i++)
                if (strncasecmp(s + 8, months[i], 3) == 0)
                        mo = i;
        if (mo < 0 || parse_fixed_digits(s + 5, 2, &d) < 0 ||
            parse_fixed_digits(s + 12, 4, &y) < 0 || parse_fixed_digits(s + 17, 2, &h) < 0 ||
            parse_fixed_digits(s + 20, 2, &mi) < 0 || parse_fixed_digits(s + 23, 2, &se) < 0)
                return -EINVAL;

        tm.tm_year = y - 1900;
        tm.tm_mon = mo;
        tm.tm_mday = d;
        tm.tm_hour = h;
        tm.tm_min = mi;
        tm.tm_sec = se;
        return tm_to_usec(&tm, 0, ret);
}

int string_table_lookup(const char *const *table, size_t n, const char *s)
{
        if (!s)
                return -EINVAL;
        for (size_t i = 0; i < n; i++)
                if (table[i] && streq(table[i], s))
                        return (int) i;
        return -EINVAL;
}

void hexlify(const void *p, size_t n, char *out)
{
        static const char digits[] = "0123456789abcdef";
        const uint8_t *b = p;

        for (size_t i = 0; i < n; i++) {
                out[2 * i] = digits[b[i] >> 4];
                out[2 * i + 1] = digits[b[i] & 15];
        }
        out[2 * n] = 0;
}

char **strv_free(char **l)
{
        STRV_FOREACH(s, l)
                free(*s);
        free(l);
        return NULL;
}

size_t strv_length(char *const *l)
{
        size_t n = 0;

        while (l && l[n])
                n++;
        return n;
}

int strv_extend(char ***l, const char *s)
{
        return strv_extendf(l, "%s", s);
}

int strv_extendv(char ***l, const char *fmt, va_list ap)
{
        size_t n = strv_length(*l);
        _cleanup_free_ char *c = NULL;
        char **t;

        if (vasprintf(&c, fmt, ap) < 0) {
                c = NULL;
                return -ENOMEM;
        }
        t = realloc(*l, sizeof(char *) * (n + 2));
        if (!t)
                return -ENOMEM;
        t[n] = TAKE_PTR(c);
        t[n + 1] = NULL;
        *l = t;
        return 0;
}

int strv_extendf(char ***l, const char *fmt, ...)
{
        va_list ap;
        int r;

        va_start(ap, fmt);
        r = strv_extendv(l, fmt, ap);
        va_end(ap);
        return r;
}

int strv_copy(char *const *l, char ***ret)
{
        _cleanup_strv_free_ char **c = NULL;
        size_t n = strv_length(l);

        c = calloc(n + 1, sizeof(char *));
        if (!c)
                return -ENOMEM;
        for (size_t i = 0; i < n; i++) {
                c[i] = strdup(l[i]);
                if (!c[i])
                        return -ENOMEM;
        }
        *ret = TAKE_PTR(c);
        return 0;
}

bool strv_contains(char *const *l, const char *s)
{
        for (size_t i = 0; l && l[i]; i++)
                if (streq(l[i], s))
                        return true;
        return false;
}

char *erase_and_free(char *s)
{
        if (s) {
                OPENSSL_cleanse(s, strlen(s));
                free(s);
        }
        return NULL;
}

int read_fd_capped(int fd, size_t max, char **ret, size_t *ret_size)
{
        _cleanup_free_ char *buf = NULL;
        size_t size = 0, alloc = 0;

        for (;;) {
                ssize_t n;

                if (size + 1 >= alloc) {
                        size_t want = alloc ? alloc * 2 : 4096;
                        char *t;

                        if (alloc > max + 1)
                                return -EFBIG;
                        t = realloc(buf, want);
                        if (!t)
                                return -ENOMEM;
                        buf = t;
                        alloc = want;
                }
                n = read(fd, buf + size, alloc - size - 1);
                if (n < 0) {
                        if (errno == EINTR)
                                continue;
                        return -errno;
                }
                if (n == 0)
                        break;
                size += (size_t) n;
                if (size > max)
                        return -EFBIG;
        }
        if (!buf) {
                buf = strdup("");
                if (!buf)
                        return -ENOMEM;
        }
        buf[size] = 0;
        *ret = TAKE_PTR(buf);
        if (ret_size)
                *ret_size = size;
        return 0;
}

int read_file_capped(const char *path, size_t max, char **ret, size_t *ret_size)
{
        _cleanup_close_ int fd = -1;
        struct stat st;

        fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
        if (fd < 0)
                return -errno;
        if (fstat(fd, &st) < 0)
                return -errno;
        if (S_ISDIR(st.st_mode))
                return -EISDIR;
        if (S_ISREG(st.st_mode) && (uint64_t) st.st_size > max)
                return -EFBIG;
        return read_fd_capped(fd, max, ret, ret_size);
}

bool string_has_cc(const char *s, const char *ok)
{
        for (const unsigned char *p = (const unsigned char *) s; *p; p++) {
                if (ok && strchr(ok, *p))
                        continue;
                if (*p < ' ' || *p == 127)
                        return true;
        }
        return false;
}

void string_one_line(char *s, size_t max)
{
        size_t n = strlen(s);

        for (char *p = s; *p; p++)
                if ((unsigned char) *p < ' ' || *p == 127)
                        *p = ' ';
                else if (utf8_is_c1(p))
                        p[0] = p[1] = ' ';
        if (n > max) {
                while (max > 0 && ((unsigned char) s[max] & 0xC0) == 0x80)
                        max--;
                s[max] = 0;
        }
}

int strextend_printf(char **p, const char *fmt, ...)
{
        _cleanup_free_ char *add = NULL;
        size_t old = *p ? strlen(*p) : 0;
        va_list ap;
        char *t;
        int n;

        va_start(ap, fmt);
        n = vasprintf(&add, fmt, ap);
        va_end(ap);
        if (n < 0) {
                add = NULL;
                return -ENOMEM;
        }
        t = realloc(*p, old + (size_t) n + 1);
        if (!t)
                return -ENOMEM;
        memcpy(t + old, add, (size_t) n + 1);
        *p = t;
        return 0;
}

double random_unit(void)
{
        uint32_t v;

        /* Jitter needs no cryptographic quality, but RAND_bytes is there and never blocks. */
        if (RAND_bytes((unsigned char *) &v, sizeof(v)) != 1)
                return 0.5;
        return (double) v / 4294967296.0;
}
