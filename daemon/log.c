/* SPDX-License-Identifier: MIT */
/*
 * log.c: the daemon's one way to say something. An entry is a set of "FIELD=value" pairs with a
 * MESSAGE=; under journald it is sent whole and binary-safe by sd_journal_sendv_with_location(),
 * with PRIORITY=, SYSLOG_IDENTIFIER=, the caller's CODE_FILE/LINE/FUNC= and ERRNO= added, so
 * operators can filter on the CWGUARD_* fields and `journalctl -x` can explain it from the
 * catalog. Without journald (a terminal, a container) it is one readable line on stderr: the
 * message, then the CWGUARD_* facts it does not already say. The destination is chosen once,
 * by log_open(); a send that fails later (journald restarting) falls back to stderr for that
 * entry rather than losing it.
 * State is two globals (target, maximum level): the daemon is single-threaded on its event
 * loop, and logging must work before anything else exists. Plain messages never allocate, so
 * log_oom() works.
 */

#include <limits.h>
#include <printf.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#define SD_JOURNAL_SUPPRESS_LOCATION  /* we pass the caller's location ourselves */
#include <systemd/sd-journal.h>

#include "daemon/log.h"

/* Fields log_struct() accepts; more are dropped (ours use about 25). */
#define LOG_STRUCT_FIELDS_MAX 64
/* Fields added to every journal entry besides the location: PRIORITY, SYSLOG_IDENTIFIER, ERRNO. */
#define LOG_HEADER_FIELDS 3

static LogTarget log_target = LOG_TARGET_STDERR;
static int log_max_level = LOG_INFO;

LogTarget log_open(const char *journal_socket)
{
        /* stderr is unbuffered: each character of an entry would be a write(2) (a thousand a
         * round). Fully buffered, every entry is one write, as log_write_stderr() flushes it. */
        static char stderr_buffer[16 * 1024];
        static bool buffered = false;
        int saved_errno = errno;
        struct stat st;

        if (stat(journal_socket ?: LOG_JOURNAL_SOCKET, &st) >= 0 && S_ISSOCK(st.st_mode))
                log_target = LOG_TARGET_JOURNAL;
        else {
                log_target = LOG_TARGET_STDERR;
                /* Once, and (fflush first) without losing what was written before. */
                if (!buffered) {
                        (void) fflush(stderr);
                        (void) setvbuf(stderr, stderr_buffer, _IOFBF, sizeof(stderr_buffer));
                        buffered = true;
                }
        }
        errno = saved_errno;
        return log_target;
}

LogTarget log_get_target(void)
{
        return log_target;
}

void log_set_max_level(int level)
{
        log_max_level = CLAMP(level, LOG_EMERG, LOG_DEBUG);
}

int log_get_max_level(void)
{
        return log_max_level;
}

/* __FILE__ is relative to the build directory ("../daemon/manager.c"): name the source file. */
static const char *log_source_file(const char *file)
{
        while (file && strncmp(file, "../", 3) == 0)
                file += 3;
        return file ?: "";
}

/* Whether the iovec is "NAME=..." and, if so, where its value starts and how long it is. */
static bool field_is(const struct iovec *f, const char *name, const char **ret_value,
                     size_t *ret_len)
{
        size_t n = strlen(name);

        if (f->iov_len <= n || memcmp(f->iov_base, name, n) != 0 ||
            ((const char *) f->iov_base)[n] != '=')
                return false;
        *ret_value = (const char *) f->iov_base + n + 1;
        *ret_len = f->iov_len - n - 1;
        return true;
}

/* Print @n bytes with every control character (C0, DEL, C1) as a space: one entry stays one
 * line, a value cannot forge a line (or a "<3>" priority prefix when stderr is a journal
 * stream), nor drive a terminal. */
static void put_sanitised(const char *s, size_t n)
{
        for (size_t i = 0; i < n; i++) {
                unsigned char c = s[i];

                if (c == 0xC2 && i + 1 < n && (unsigned char) s[i + 1] >= 0x80 &&
                    (unsigned char) s[i + 1] <= 0x9F) {
                        putc_unlocked(' ', stderr);
                        putc_unlocked(' ', stderr);
                        i++;
                        continue;
                }
                putc_unlocked(c < 0x20 || c == 0x7f ? ' ' : c, stderr);
        }
}

/*
 * Whether the message already says @v: it starts with "<v>: " (the probe id of a probe entry),
 * or contains @v word for word and @v is long enough (a remedy) not to match by accident, as
 * "1" or "logs" would.
 */
static bool message_says(const char *msg, size_t msg_len, const char *v, size_t n)
{
        if (!msg)
                return false;
        if (msg_len >= n + 2 && memcmp(msg, v, n) == 0 && msg[n] == ':' && msg[n + 1] == ' ')
                return true;
        return n >= 10 && memmem(msg, msg_len, v, n);
}

/* A value with blanks is printed in single quotes, so the summary stays readable. */
static bool needs_quotes(const char *s, size_t n)
{
        for (size_t i = 0; i < n; i++)
                if ((unsigned char) s[i] <= ' ' || s[i] == 0x7f)
                        return true;
        return false;
}

static void log_write_stderr(const struct iovec *fields, size_t n_fields)
{
        const char *msg = NULL, *v;
        size_t msg_len = 0, n;
        bool first = true;

        for (size_t i = 0; i < n_fields; i++)
                if (field_is(&fields[i], "MESSAGE", &msg, &msg_len))
                        break;

        flockfile(stderr);
        if (msg)
                put_sanitised(msg, msg_len);

        for (size_t i = 0; i < n_fields; i++) {
                const char *base = fields[i].iov_base, *eq;

                if (fields[i].iov_len <= STRLEN("CWGUARD_") ||
                    memcmp(base, "CWGUARD_", STRLEN("CWGUARD_")) != 0)
                        continue;
                eq = memchr(base, '=', fields[i].iov_len);
                if (!eq)
                        continue;
                v = eq + 1;
                n = fields[i].iov_len - (size_t) (v - base);
                if (n == 0 || message_says(msg, msg_len, v, n))
                        continue;

                fputs(first ? " [" : " ", stderr);
                first = false;
                for (const char *k = base + STRLEN("CWGUARD_"); k < eq; k++)
                        putc_unlocked(*k >= 'A' && *k <= 'Z' ? *k - 'A' + 'a' : *k, stderr);
                putc_unlocked('=', stderr);
                if (needs_quotes(v, n)) {
                        putc_unlocked('\'', stderr);
                        put_sanitised(v, n);
                        putc_unlocked('\'', stderr);
                } else
                        put_sanitised(v, n);
        }
        if (!first)
                putc_unlocked(']', stderr);
        putc_unlocked('\n', stderr);
        fflush_unlocked(stderr);
        funlockfile(stderr);
}

static int log_write_journal(int level, int error, const char *file, int line, const char *func,
                             const struct iovec *fields, size_t n_fields)
{
        char priority[STRLEN("PRIORITY=") + 4], code_line[STRLEN("CODE_LINE=") + 12],
                errno_field[STRLEN("ERRNO=") + 12], code_file[STRLEN("CODE_FILE=") + 256];
        struct iovec small[LOG_HEADER_FIELDS + 4], *iov = small;
        _cleanup_free_ struct iovec *big = NULL;
        size_t n = 0;

        /* Plain messages (one field) fit on the stack: log_oom() must not need memory. */
        if (n_fields > ELEMENTSOF(small) - LOG_HEADER_FIELDS) {
                big = calloc(n_fields + LOG_HEADER_FIELDS, sizeof(struct iovec));
                if (!big)
                        return -ENOMEM;
                iov = big;
        }

        (void) snprintf(priority, sizeof(priority), "PRIORITY=%d", level);
        iov[n++] = (struct iovec) { priority, strlen(priority) };
        iov[n++] = (struct iovec) { (char *) "SYSLOG_IDENTIFIER=" LOG_IDENTIFIER,
                                    STRLEN("SYSLOG_IDENTIFIER=" LOG_IDENTIFIER) };
        /* ERRNO= is "the low-level Unix error number causing this entry": not a made-up one. */
        if (error != 0 && !ERRNO_IS_SYNTHETIC(error)) {
                (void) snprintf(errno_field, sizeof(errno_field), "ERRNO=%d", ERRNO_VALUE(error));
                iov[n++] = (struct iovec) { errno_field, strlen(errno_field) };
        }
        memcpy(iov + n, fields, n_fields * sizeof(struct iovec));

        /* The caller's location, not this function's (which plain sd_journal_sendv() adds). */
        (void) snprintf(code_file, sizeof(code_file), "CODE_FILE=%s", log_source_file(file));
        (void) snprintf(code_line, sizeof(code_line), "CODE_LINE=%d", line);
        return sd_journal_sendv_with_location(code_file, code_line, func ?: "", iov,
                                              (int) (n + n_fields));
}

static void log_dispatch(int level, int error, const char *file, int line, const char *func,
                         const struct iovec *fields, size_t n_fields)
{
        level = CLAMP(level, LOG_EMERG, LOG_DEBUG);
        if (level > log_max_level)
                return;
        if (log_target == LOG_TARGET_JOURNAL &&
            log_write_journal(level, error, file, line, func, fields, n_fields) >= 0)
                return;
        /* Not under journald, or the send failed: better a line on stderr than nothing. */
        log_write_stderr(fields, n_fields);
}

int log_internal(int level, int error, const char *file, int line, const char *func,
                 const char *format, ...)
{
        char buf[STRLEN("MESSAGE=") + LINE_MAX] = "MESSAGE=";
        int saved_errno = errno;
        struct iovec iov;
        va_list ap;

        if (error != 0)
                errno = ERRNO_VALUE(error);
        va_start(ap, format);
        (void) vsnprintf(buf + STRLEN("MESSAGE="), sizeof(buf) - STRLEN("MESSAGE="), format, ap);
        va_end(ap);

        iov = (struct iovec) { buf, strlen(buf) };
        log_dispatch(level, error, file, line, func, &iov, 1);
        errno = saved_errno;
        return -ERRNO_VALUE(error);
}

/*
 * Step @ap over the arguments one printf @format consumes, as sd_journal_send() does: glibc's
 * parse_printf_format() tells their types. Return: 0, or -EINVAL if the format takes more
 * arguments than we track or a type we cannot skip (then the rest of the list is unusable).
 */
static int va_skip_format(const char *format, va_list *ap)
{
        int types[16];
        size_t n;

        n = parse_printf_format(format, ELEMENTSOF(types), types);
        if (n > ELEMENTSOF(types))
                return -EINVAL;

        for (size_t i = 0; i < n; i++) {
                if (types[i] & PA_FLAG_PTR) {
                        (void) va_arg(*ap, void *);
                        continue;
                }
                switch (types[i] & ~PA_FLAG_MASK) {
                case PA_INT:
                case PA_CHAR:
                case PA_WCHAR:
                        if (types[i] & PA_FLAG_LONG_LONG)
                                (void) va_arg(*ap, long long);
                        else if (types[i] & PA_FLAG_LONG)
                                (void) va_arg(*ap, long);
                        else
                                (void) va_arg(*ap, int);  /* char, short and wint_t promote */
                        break;
                case PA_STRING:
                case PA_WSTRING:
                case PA_POINTER:
                        (void) va_arg(*ap, void *);
                        break;
                case PA_FLOAT:
                case PA_DOUBLE:
                        if (types[i] & PA_FLAG_LONG_DOUBLE)
                                (void) va_arg(*ap, long double);
                        else
                                (void) va_arg(*ap, double);  /* float promotes */
                        break;
                default:
                        return -EINVAL;
                }
        }
        return 0;
}

#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"
int log_struct_internal(int level, int error, const char *file, int line, const char *func,
                        const char *format, ...)
{
        struct iovec iov[LOG_STRUCT_FIELDS_MAX];
        int saved_errno = errno;
        size_t n = 0;
        va_list ap;

        va_start(ap, format);
        for (const char *f = format; f; f = va_arg(ap, const char *)) {
                char *s = NULL;
                va_list aq;
                int k;

                if (error != 0)
                        errno = ERRNO_VALUE(error);
                va_copy(aq, ap);
                k = vasprintf(&s, f, aq);
                va_end(aq);
                if (k < 0)
                        s = NULL;  /* out of memory: lose this field, keep the others */
                else if (n < ELEMENTSOF(iov))
                        iov[n++] = (struct iovec) { s, (size_t) k };
                else
                        free(s);
                if (va_skip_format(f, &ap) < 0)
                        break;
        }
        va_end(ap);

        log_dispatch(level, error, file, line, func, iov, n);
        for (size_t i = 0; i < n; i++)
                free(iov[i].iov_base);
        errno = saved_errno;
        return -ERRNO_VALUE(error);
}
#pragma GCC diagnostic pop

int log_struct_iovec_internal(int level, int error, const char *file, int line,
                              const char *func, const struct iovec *iov, size_t n_iov)
{
        int saved_errno = errno;

        if (iov || n_iov == 0)
                log_dispatch(level, error, file, line, func, iov, n_iov);
        errno = saved_errno;
        return -ERRNO_VALUE(error);
}
