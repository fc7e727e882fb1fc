#pragma once
/* SPDX-License-Identifier: MIT */
/* agent-log.h: the error lines of the CloudWatch agent's own log, new since the last look. */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "common/aws-error.h"
#include "common/macro.h"
#include "common/util.h"

/* At most this much is read per scan; beyond it only the last AGENT_LOG_TAIL bytes are read. */
#define AGENT_LOG_READ_MAX ((uint64_t) 4 * 1024 * 1024)
#define AGENT_LOG_TAIL ((uint64_t) 1024 * 1024)
/* A record (a timestamped line and its continuation lines) is judged on its first this many
 * bytes; the quoted line is cut to AGENT_LOG_QUOTE_MAX. */
#define AGENT_LOG_RECORD_MAX 8192
#define AGENT_LOG_QUOTE_MAX 512

/*
 * AgentLogLine - what one line of the agent's log says about itself. The agent logs through
 * telegraf's logger: "2024-01-02T15:04:05Z E! [outputs.cloudwatchlogs] ..." (RFC 3339 time,
 * then a level letter and '!').
 */
typedef struct AgentLogLine {
        usec_t timestamp;     /* realtime µs; 0: the line has none (a continuation line) */
        char level;           /* 'E', 'W', 'I', 'D', or 0 when there is no level */
        bool error;           /* an error line: E!, AccessDenied, a dropped request, or a W!
                               * line saying data was dropped */
        bool access_denied;   /* mentions AccessDenied / AccessDeniedException */
} AgentLogLine;

/**
 * agent_log_line_parse() - classify one line (or a record: a line and its continuations).
 * @line: the bytes, need not be NUL-terminated; NUL bytes are allowed.
 * @n: their number; only the first AGENT_LOG_RECORD_MAX are looked at.
 * @ret: the classification.
 *
 * Pure; linear in @n.
 */
void agent_log_line_parse(const char *line, size_t n, AgentLogLine *ret);

/*
 * AgentLogCursor - how far the daemon has read the log, kept between rounds. @fd is the file as
 * last seen (kept open so that a rotated-away file can be read to its end). AGENT_LOG_CURSOR_NULL
 * initialises it; @active is false until the first scan placed it.
 */
typedef struct AgentLogCursor {
        bool active;
        int fd;               /* -1: no file (it did not exist at the last scan) */
        dev_t dev;
        ino_t ino;
        uint64_t offset;      /* the end of the last complete line read */
} AgentLogCursor;

#define AGENT_LOG_CURSOR_NULL ((AgentLogCursor) { .fd = -1 })

/**
 * agent_log_cursor_done() - close the cursor's file and reset it to AGENT_LOG_CURSOR_NULL.
 */
void agent_log_cursor_done(AgentLogCursor *c);

/* What one scan found. Strings are owned and sanitised: one line, valid UTF-8, capped. */
typedef struct AgentLogScan {
        uint64_t error_lines;       /* error records found */
        char *last_line;            /* the last of them (AGENT_LOG_QUOTE_MAX bytes at most) */
        usec_t last_line_at;        /* its timestamp, 0: none */
        bool access_denied;         /* the last error record mentions AccessDenied */
        AccessDenied denied;        /* ... parsed by access_denied_parse() */
        char *aws_error_code;       /* "AccessDeniedException" (or "AccessDenied") when it does */
        uint64_t bytes_read;
        uint64_t skipped_bytes;     /* not read (over AGENT_LOG_READ_MAX) */
        bool rotated;               /* since mode: the file was replaced since the last scan */
        bool truncated;             /* since mode: the file shrank (copytruncate) */
} AgentLogScan;

/**
 * agent_log_scan_done() - free what @s owns and reset it (idempotent).
 */
void agent_log_scan_done(AgentLogScan *s);

/**
 * agent_log_scan_since() - the error records written since @c was last placed (daemon mode).
 * @c: the cursor; an inactive cursor is placed at the end of the file without reading (the
 *     caller does a window scan first, see agent_log_scan_window()).
 * @path: the log file.
 * @ret: what was found (overwritten).
 *
 * Like `tail -F`: when @path is another file than the cursor's (rotated by rename), the old file
 * is read to its end first, then the new one from its start; when the file is shorter than the
 * cursor's offset (truncated in place), it is read from its start. A last line without its
 * newline is left for the next scan. More than AGENT_LOG_READ_MAX new bytes: only the last
 * AGENT_LOG_TAIL are read, the rest counted in @ret->skipped_bytes. Synchronous local reads.
 *
 * Return: 0; -ENOENT if @path does not exist (the cursor still finishes a rotated-away file,
 *         and reads the new file from its start when it appears); -EACCES and other negative
 *         errno values of open()/read() (nothing found then); -ENOMEM.
 */
int agent_log_scan_since(AgentLogCursor *c, const char *path, AgentLogScan *ret);

/**
 * agent_log_scan_window() - the error records whose time is within @window before @now.
 * @path: the log file.
 * @now: realtime µs.
 * @window: how far back; records up to a minute in the future count too (clock steps).
 * @ret_cursor: if not NULL, placed after the last complete line read, for daemon mode.
 * @ret: what was found (overwritten).
 *
 * Reads the tail only (at most AGENT_LOG_READ_MAX; a larger file: its last AGENT_LOG_TAIL
 * bytes). Continuation lines (without a timestamp) belong to the record before them; records
 * without any timestamp are not counted.
 *
 * Return: 0; -ENOENT, -EACCES and other negative errno values of open()/read(); -ENOMEM.
 */
int agent_log_scan_window(const char *path, usec_t now, usec_t window, AgentLogCursor *ret_cursor,
                          AgentLogScan *ret);

/**
 * agent_log_scan_buffer() - scan bytes already in memory (the fuzzer's and tests' entry).
 * @data: the bytes.
 * @n: their number.
 * @now: as for agent_log_scan_window(); 0 counts every error record whatever its time.
 * @window: as for agent_log_scan_window().
 * @ret: what was found (overwritten).
 *
 * Return: 0 or -ENOMEM.
 */
int agent_log_scan_buffer(const char *data, size_t n, usec_t now, usec_t window,
                          AgentLogScan *ret);
