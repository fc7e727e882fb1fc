/* SPDX-License-Identifier: MIT */
/*
 * agent-log.c: finds the CloudWatch agent's error lines in its own log file. The agent (telegraf's
 * logger) writes "2024-01-02T15:04:05Z E! [outputs.cloudwatchlogs] Aws error received when
 * sending logs to G/S: AccessDeniedException: User: ... is not authorized to perform: ..."; an
 * AccessDenied inside is parsed by access_denied_parse(), as for a probe's own call. Two ways to
 * look: since a cursor kept by the daemon between rounds (following the file across rename
 * rotation and copytruncate as `tail -F` does, holding back a partial last line), and within a
 * time window for a one-shot check. A scan reads at most AGENT_LOG_READ_MAX bytes, synchronously:
 * the file is local and the cap bounds the time. Pure library code: no logging, no event loop.
 * The bytes are untrusted; whatever is kept of them is made one valid UTF-8 line, capped.
 */

#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "common/agent-log.h"

/* Records stamped up to this far in the future still count in a window (clock steps). */
#define AGENT_LOG_FUTURE_SLACK (60 * USEC_PER_SEC)

/* ---- one line -------------------------------------------------------------------------------- */

static bool is_digit(char c)
{
        return c >= '0' && c <= '9';
}

static bool digits(const char *p, size_t n, int *ret)
{
        int v = 0;

        for (size_t i = 0; i < n; i++) {
                if (!is_digit(p[i]))
                        return false;
                v = v * 10 + (p[i] - '0');
        }
        *ret = v;
        return true;
}

/*
 * RFC 3339 as Go's time.RFC3339 writes it: "2006-01-02T15:04:05Z" or "...05+02:00", fractions
 * of a second allowed. Returns the length consumed, 0 if @p does not start with one.
 */
static size_t timestamp_parse(const char *p, size_t n, usec_t *ret)
{
        int Y, M, D, h, m, s, oh = 0, om = 0, sign = 0;
        struct tm tm = {};
        size_t i = 19;
        time_t t;

        if (n < 20 || !digits(p, 4, &Y) || p[4] != '-' || !digits(p + 5, 2, &M) || p[7] != '-' ||
            !digits(p + 8, 2, &D) || (p[10] != 'T' && p[10] != ' ') || !digits(p + 11, 2, &h) ||
            p[13] != ':' || !digits(p + 14, 2, &m) || p[16] != ':' || !digits(p + 17, 2, &s))
                return 0;
        if (M < 1 || M > 12 || D < 1 || D > 31 || h > 23 || m > 59 || s > 60)
                return 0;
        if (i < n && (p[i] == '.' || p[i] == ',')) {
                i++;
                while (i < n && is_digit(p[i]))
                        i++;
        }
        if (i < n && p[i] == 'Z')
                i++;
        else if (i + 6 <= n && (p[i] == '+' || p[i] == '-') && digits(p + i + 1, 2, &oh) &&
                 p[i + 3] == ':' && digits(p + i + 4, 2, &om)) {
                sign = p[i] == '+' ? 1 : -1;
                i += 6;
        } else
                return 0;

        tm = (struct tm) { .tm_year = Y - 1900, .tm_mon = M - 1, .tm_mday = D, .tm_hour = h,
                           .tm_min = m, .tm_sec = s > 59 ? 59 : s };
        t = timegm(&tm);
        t -= sign * (oh * 3600 + om * 60);
        if (t <= 0)
                return 0;
        *ret = (usec_t) t * USEC_PER_SEC;
        return i;
}

static bool contains(const char *p, size_t n, const char *needle)
{
        return memmem(p, n, needle, strlen(needle)) != NULL;
}

void agent_log_line_parse(const char *line, size_t n, AgentLogLine *ret)
{
        AgentLogLine l = {};
        size_t i;

        if (n > AGENT_LOG_RECORD_MAX)
                n = AGENT_LOG_RECORD_MAX;
        i = timestamp_parse(line, n, &l.timestamp);
        if (i > 0) {
                while (i < n && line[i] == ' ')
                        i++;
                /* telegraf's levels: "E! ", "W! ", "I! ", "D! " (logger.go). */
                if (i + 1 < n && line[i + 1] == '!' && strchr("EWID", line[i]) && line[i])
                        l.level = line[i];
        }
        l.access_denied = contains(line, n, "AccessDenied");
        /* "All N retries to G/S failed for PutLogEvents, request dropped." is an E! line; a W!
         * saying data was dropped ("Metric buffer overflow; N metrics have been dropped") means
         * data is being lost too. */
        l.error = l.level == 'E' || l.access_denied || contains(line, n, "request dropped") ||
                  (l.level == 'W' && contains(line, n, "dropped"));
        *ret = l;
}

/* ---- sanitising ------------------------------------------------------------------------------ */

/* The length of the valid UTF-8 sequence at @p (at most @n bytes), 0 if it is not one. */
static size_t utf8_len(const unsigned char *p, size_t n)
{
        size_t len;
        uint32_t c;

        if (p[0] < 0x80)
                return 1;
        if (p[0] >= 0xC2 && p[0] <= 0xDF)
                len = 2, c = p[0] & 0x1F;
        else if (p[0] >= 0xE0 && p[0] <= 0xEF)
                len = 3, c = p[0] & 0x0F;
        else if (p[0] >= 0xF0 && p[0] <= 0xF4)
                len = 4, c = p[0] & 0x07;
        else
                return 0;
        if (len > n)
                return 0;
        for (size_t i = 1; i < len; i++) {
                if ((p[i] & 0xC0) != 0x80)
                        return 0;
                c = (c << 6) | (p[i] & 0x3F);
        }
        if ((len == 3 && (c < 0x800 || (c >= 0xD800 && c <= 0xDFFF))) ||
            (len == 4 && (c < 0x10000 || c > 0x10FFFF)))
                return 0;
        return len;
}

/* One line of valid UTF-8 without control characters, at most @max bytes (+ "..." if cut). */
static char *sanitise(const char *p, size_t n, size_t max)
{
        char *s = malloc(n + 4), *o = s;

        if (!s)
                return NULL;
        for (size_t i = 0; i < n;) {
                size_t k = utf8_len((const unsigned char *) p + i, n - i);

                if (k == 0) {
                        *o++ = '?';
                        i++;
                        continue;
                }
                memcpy(o, p + i, k);
                o += k;
                i += k;
        }
        *o = 0;
        /* Control characters (ESC, CR, C1 ...) become spaces: no terminal escapes, no new
         * journal fields, no second line. */
        string_one_line(s, max);
        if ((size_t) (o - s) > strlen(s))
                strcat(s, "...");
        /* Trailing blanks (a CR before the newline) say nothing. */
        for (o = s + strlen(s); o > s && o[-1] == ' '; o--)
                o[-1] = 0;
        return s;
}

/* ---- scanning -------------------------------------------------------------------------------- */

typedef struct Scanner {
        AgentLogScan *scan;
        usec_t now, window;            /* now == 0: every error record counts */
        char line[AGENT_LOG_RECORD_MAX];
        size_t line_n;
        char rec[AGENT_LOG_RECORD_MAX];
        size_t rec_n;
        bool have_rec;
        char last[AGENT_LOG_RECORD_MAX];
        size_t last_n;
        usec_t last_at;
        bool have_last;
} Scanner;

static bool in_window(const Scanner *sc, usec_t t)
{
        if (sc->now == 0)
                return true;
        if (t == 0)
                return false;  /* no time: cannot be placed in the window */
        return t <= sc->now + AGENT_LOG_FUTURE_SLACK &&
               (sc->window >= sc->now || t >= sc->now - sc->window);
}

static void record_flush(Scanner *sc)
{
        AgentLogLine l;

        if (!sc->have_rec)
                return;
        sc->have_rec = false;
        agent_log_line_parse(sc->rec, sc->rec_n, &l);
        if (!l.error || !in_window(sc, l.timestamp))
                return;
        sc->scan->error_lines++;
        memcpy(sc->last, sc->rec, sc->rec_n);
        sc->last_n = sc->rec_n;
        sc->last_at = l.timestamp;
        sc->have_last = true;
}

static void record_append(Scanner *sc, const char *p, size_t n)
{
        size_t room = sizeof(sc->rec) - sc->rec_n;

        if (n > room)
                n = room;
        memcpy(sc->rec + sc->rec_n, p, n);
        sc->rec_n += n;
}

/* A complete line: a timestamped one starts a record, any other continues the current one. */
static void line_end(Scanner *sc)
{
        usec_t t;
        size_t n = sc->line_n;

        sc->line_n = 0;
        while (n > 0 && (sc->line[n - 1] == '\r' || sc->line[n - 1] == ' '))
                n--;
        if (n == 0)
                return;
        if (timestamp_parse(sc->line, n, &t) > 0 || !sc->have_rec) {
                record_flush(sc);
                sc->rec_n = 0;
                sc->have_rec = true;
        } else
                record_append(sc, " ", 1);
        record_append(sc, sc->line, n);
}

static void scanner_feed(Scanner *sc, const char *p, size_t n)
{
        while (n > 0) {
                const char *nl = memchr(p, '\n', n);
                size_t k = nl ? (size_t) (nl - p) : n, room = sizeof(sc->line) - sc->line_n;

                /* Beyond the record size the rest of a line is not looked at. */
                memcpy(sc->line + sc->line_n, p, k < room ? k : room);
                sc->line_n += k < room ? k : room;
                if (!nl)
                        return;
                line_end(sc);
                p = nl + 1;
                n -= k + 1;
        }
}

static int scanner_finish(Scanner *sc)
{
        AgentLogScan *s = sc->scan;
        const char *ad;
        int r;

        if (sc->line_n > 0)
                line_end(sc);
        record_flush(sc);
        if (!sc->have_last)
                return 0;

        s->last_line_at = sc->last_at;
        s->last_line = sanitise(sc->last, sc->last_n, AGENT_LOG_QUOTE_MAX);
        if (!s->last_line)
                return -ENOMEM;
        ad = memmem(sc->last, sc->last_n, "AccessDenied", STRLEN("AccessDenied"));
        if (!ad)
                return 0;
        {
                /* Parse the whole record from the error code on (not the capped quote). */
                _cleanup_free_ char *text = sanitise(ad, sc->last_n - (size_t) (ad - sc->last),
                                                     AGENT_LOG_RECORD_MAX);
                const char *code_end;

                if (!text)
                        return -ENOMEM;
                s->access_denied = true;
                code_end = text + strspn(text, "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
                                               "abcdefghijklmnopqrstuvwxyz");
                s->aws_error_code = strndup(text, (size_t) (code_end - text));
                if (!s->aws_error_code)
                        return -ENOMEM;
                access_denied_done(&s->denied);
                r = access_denied_parse(text, &s->denied);
                if (r < 0)
                        return r;
        }
        return 0;
}

static Scanner *scanner_new(AgentLogScan *scan, usec_t now, usec_t window)
{
        Scanner *sc = calloc(1, sizeof(Scanner));

        if (!sc)
                return NULL;
        sc->scan = scan;
        sc->now = now;
        sc->window = window;
        return sc;
}

static void freep_scanner(Scanner **sc)
{
        free(*sc);
}

/*
 * Scan [@from, @to) of @fd. Over the cap, only the tail is read, from the first line that starts
 * in it. With @hold_partial, a last line without '\n' is not read and *@ret_end stays before it.
 */
static int scan_range(Scanner *sc, int fd, uint64_t from, uint64_t to, bool hold_partial,
                      bool count_skipped, uint64_t *ret_end)
{
        _cleanup_free_ char *buf = NULL;
        uint64_t skip = 0, len;
        size_t got = 0;
        const char *p, *end;
        bool resync = false;

        if (to <= from) {
                *ret_end = from;
                return 0;
        }
        len = to - from;
        if (len > AGENT_LOG_READ_MAX) {
                skip = len - AGENT_LOG_TAIL;
                from += skip;
                len = AGENT_LOG_TAIL;
                resync = true;
        }
        buf = malloc(len);
        if (!buf)
                return -ENOMEM;
        while (got < len) {
                ssize_t k = pread(fd, buf + got, len - got, (off_t) (from + got));

                if (k < 0 && errno == EINTR)
                        continue;
                if (k < 0)
                        return -errno;
                if (k == 0)
                        break;
                got += (size_t) k;
        }

        p = buf;
        end = buf + got;
        if (resync) {
                const char *nl = memchr(p, '\n', got);

                p = nl ? nl + 1 : end;
                skip += (uint64_t) (p - buf);
        }
        if (hold_partial && p < end && end[-1] != '\n') {
                const char *nl = memrchr(p, '\n', (size_t) (end - p));

                /* A "line" as long as the tail is no line being written: take it. */
                if (nl)
                        end = nl + 1;
                else if ((uint64_t) (end - p) < AGENT_LOG_TAIL)
                        end = p;
        }
        scanner_feed(sc, p, (size_t) (end - p));
        if (!hold_partial && sc->line_n > 0)
                line_end(sc);  /* a finished (rotated-away) file's last line is complete */
        sc->scan->bytes_read += (uint64_t) (end - p);
        if (count_skipped)
                sc->scan->skipped_bytes += skip;
        *ret_end = from + (uint64_t) (end - buf);
        return 0;
}

static int open_log(const char *path, struct stat *ret_st)
{
        _cleanup_close_ int fd = -1;

        fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
        if (fd < 0)
                return -errno;
        if (fstat(fd, ret_st) < 0)
                return -errno;
        if (!S_ISREG(ret_st->st_mode))
                return -EBADFD;
        return TAKE_FD(fd);
}

void agent_log_cursor_done(AgentLogCursor *c)
{
        if (!c)
                return;
        safe_close(c->fd);
        *c = AGENT_LOG_CURSOR_NULL;
}

void agent_log_scan_done(AgentLogScan *s)
{
        if (!s)
                return;
        free(s->last_line);
        free(s->aws_error_code);
        access_denied_done(&s->denied);
        *s = (AgentLogScan) {};
}

int agent_log_scan_since(AgentLogCursor *c, const char *path, AgentLogScan *ret)
{
        _cleanup_(freep_scanner) Scanner *sc = NULL;
        struct stat st, old;
        bool exists, scanned = false;
        int r;

        if (!c || !path || !ret)
                return -EINVAL;
        agent_log_scan_done(ret);
        sc = scanner_new(ret, 0, 0);
        if (!sc)
                return -ENOMEM;

        if (!c->active) {
                /* Placed at the end: only what is written from now on counts. */
                c->active = true;
                c->fd = open_log(path, &st);
                if (c->fd < 0) {
                        r = c->fd;
                        c->fd = -1;
                        return r;
                }
                c->dev = st.st_dev;
                c->ino = st.st_ino;
                c->offset = (uint64_t) st.st_size;
                return 0;
        }

        exists = stat(path, &st) >= 0;
        if (!exists && errno != ENOENT)
                return -errno;

        if (c->fd >= 0) {
                if (fstat(c->fd, &old) < 0)
                        return -errno;
                if (!exists || st.st_dev != c->dev || st.st_ino != c->ino) {
                        uint64_t end;

                        /* Rotated (renamed away, maybe compressed later): finish the old file
                         * through the descriptor we hold, then the new one from its start. */
                        ret->rotated = true;
                        r = scan_range(sc, c->fd, c->offset, (uint64_t) old.st_size, false, true,
                                       &end);
                        if (r < 0)
                                return r;
                        scanned = true;
                        c->fd = safe_close(c->fd);
                        c->offset = 0;
                } else if ((uint64_t) st.st_size < c->offset) {
                        /* Truncated in place (copytruncate): the new content starts at 0. */
                        ret->truncated = true;
                        c->offset = 0;
                }
        }

        if (c->fd < 0) {
                if (!exists) {
                        r = scanner_finish(sc);
                        if (r < 0)
                                return r;
                        return scanned ? 0 : -ENOENT;
                }
                r = open_log(path, &st);
                if (r < 0)
                        return r;
                c->fd = r;
                c->dev = st.st_dev;
                c->ino = st.st_ino;
                c->offset = 0;
        }

        if (fstat(c->fd, &st) < 0)
                return -errno;
        r = scan_range(sc, c->fd, c->offset, (uint64_t) st.st_size, true, true, &c->offset);
        if (r < 0)
                return r;
        return scanner_finish(sc);
}

int agent_log_scan_window(const char *path, usec_t now, usec_t window, AgentLogCursor *ret_cursor,
                          AgentLogScan *ret)
{
        _cleanup_(freep_scanner) Scanner *sc = NULL;
        _cleanup_close_ int fd = -1;
        struct stat st;
        uint64_t size, end;
        int r;

        if (!path || !ret)
                return -EINVAL;
        agent_log_scan_done(ret);
        if (ret_cursor)
                agent_log_cursor_done(ret_cursor);
        sc = scanner_new(ret, now ?: 1, window);
        if (!sc)
                return -ENOMEM;

        fd = open_log(path, &st);
        if (fd < 0)
                return fd;
        size = (uint64_t) st.st_size;
        /* The tail only: a window of minutes is at the end of even a 1 GB log. Over the cap the
         * rest is outside the window by construction, so it is not counted as skipped. */
        r = scan_range(sc, fd, size > AGENT_LOG_READ_MAX ? size - AGENT_LOG_READ_MAX - 1 : 0, size,
                       true, false, &end);
        if (r < 0)
                return r;
        r = scanner_finish(sc);
        if (r < 0)
                return r;
        if (ret_cursor)
                *ret_cursor = (AgentLogCursor) { .active = true, .fd = TAKE_FD(fd),
                                                 .dev = st.st_dev, .ino = st.st_ino,
                                                 .offset = end };
        return 0;
}

int agent_log_scan_buffer(const char *data, size_t n, usec_t now, usec_t window,
                          AgentLogScan *ret)
{
        _cleanup_(freep_scanner) Scanner *sc = NULL;

        if ((!data && n > 0) || !ret)
                return -EINVAL;
        agent_log_scan_done(ret);
        sc = scanner_new(ret, now, window);
        if (!sc)
                return -ENOMEM;
        scanner_feed(sc, data, n);
        ret->bytes_read = n;
        return scanner_finish(sc);
}
