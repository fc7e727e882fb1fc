#pragma once
/* SPDX-License-Identifier: MIT */
/* log.h: cwguardd's logging — structured journal entries, or readable lines on stderr. */

#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <sys/uio.h>
#include <syslog.h>

#include "common/macro.h"

/*
 * Only the daemon logs (house style #7): common/ and config/ return errors and results as
 * data, daemon/ logs each error once. The pattern is
 *
 *         return log_error_errno(r, "Failed to refresh credentials from IMDS: %m");
 *
 * Every log_*() function sets errno to the error for the duration of the call, so "%m" works,
 * leaves the caller's errno untouched, and returns -abs(error) (0 if @error is 0). A made-up
 * error that no system call returned is written SYNTHETIC_ERRNO(EINVAL): it is returned and
 * shown by "%m" like any other, but not recorded as ERRNO= in the journal.
 */

#define _LOG_SYNTHETIC_BIT (1 << 30)
#define SYNTHETIC_ERRNO(num) (_LOG_SYNTHETIC_BIT | abs(num))
#define ERRNO_IS_SYNTHETIC(val) (((abs(val)) & _LOG_SYNTHETIC_BIT) != 0)
#define ERRNO_VALUE(val) (abs(val) & ~_LOG_SYNTHETIC_BIT)

/* Where entries go: decided once by log_open(). Before log_open() it is stderr. */
typedef enum LogTarget {
        LOG_TARGET_STDERR,   /* one readable line per entry */
        LOG_TARGET_JOURNAL,  /* sd_journal_sendv(): every field, binary-safe */
        _LOG_TARGET_MAX,
        _LOG_TARGET_INVALID = -EINVAL,
} LogTarget;

#define LOG_JOURNAL_SOCKET "/run/systemd/journal/socket"

/* The SYSLOG_IDENTIFIER= of every entry. */
#define LOG_IDENTIFIER "cwguardd"

/**
 * log_open() - choose the destination: the journal if its socket exists, else stderr.
 * @journal_socket: the socket to look for; NULL for LOG_JOURNAL_SOCKET. Entries always go to
 *                  the standard socket through libsystemd: a test that wants stderr passes a
 *                  path that does not exist; one that wants a private journald runs it in a
 *                  mount namespace where the standard path is its own.
 *
 * Return: the target chosen (never fails).
 */
LogTarget log_open(const char *journal_socket);

/**
 * log_get_target() - where entries go now.
 */
LogTarget log_get_target(void) _pure_;

/**
 * log_set_max_level() - drop entries less severe than @level (LOG_DEBUG ... LOG_EMERG).
 * The default is LOG_INFO. Values out of range are clamped.
 */
void log_set_max_level(int level);
int log_get_max_level(void) _pure_;

/* The functions behind the macros; call the macros, which add the caller's location. */
int log_internal(int level, int error, const char *file, int line, const char *func,
                 const char *format, ...) _printf_(6, 7);
int log_struct_internal(int level, int error, const char *file, int line, const char *func,
                        const char *format, ...) _printf_(6, 0) _sentinel_;
int log_struct_iovec_internal(int level, int error, const char *file, int line,
                              const char *func, const struct iovec *iov, size_t n_iov);

#define _LOG_ENABLED(level) ((level) <= log_get_max_level())

/*
 * log_full_errno(): log one message at @level with @error (0: none). The arguments are not
 * evaluated when @level is filtered out; the return value is -ERRNO_VALUE(@error) either way.
 */
#define log_full_errno(level, error, ...)                                                  \
        ({                                                                                 \
                int _level_ = (level), _error_ = (error);                                  \
                _LOG_ENABLED(_level_)                                                      \
                        ? log_internal(_level_, _error_, __FILE__, __LINE__, __func__,     \
                                       __VA_ARGS__)                                        \
                        : -ERRNO_VALUE(_error_);                                           \
        })
#define log_full(level, ...) ((void) log_full_errno((level), 0, __VA_ARGS__))

#define log_debug(...) log_full(LOG_DEBUG, __VA_ARGS__)
#define log_info(...) log_full(LOG_INFO, __VA_ARGS__)
#define log_notice(...) log_full(LOG_NOTICE, __VA_ARGS__)
#define log_warning(...) log_full(LOG_WARNING, __VA_ARGS__)
#define log_error(...) log_full(LOG_ERR, __VA_ARGS__)

#define log_debug_errno(error, ...) log_full_errno(LOG_DEBUG, (error), __VA_ARGS__)
#define log_info_errno(error, ...) log_full_errno(LOG_INFO, (error), __VA_ARGS__)
#define log_notice_errno(error, ...) log_full_errno(LOG_NOTICE, (error), __VA_ARGS__)
#define log_warning_errno(error, ...) log_full_errno(LOG_WARNING, (error), __VA_ARGS__)
#define log_error_errno(error, ...) log_full_errno(LOG_ERR, (error), __VA_ARGS__)

/* "return log_oom();" */
#define log_oom() log_full_errno(LOG_ERR, ENOMEM, "Out of memory.")

/*
 * Structured entries, systemd's log_struct(): each argument is a printf format for one
 * "FIELD=value" pair, followed by its own arguments, exactly as sd_journal_send() takes them;
 * the macro adds the terminating NULL. Field names are fixed upper-case strings; exactly one
 * argument should be LOG_MESSAGE(). PRIORITY=, SYSLOG_IDENTIFIER=, CODE_FILE=, CODE_LINE=,
 * CODE_FUNC= and ERRNO= are added here.
 *
 *         log_struct(LOG_NOTICE,
 *                    LOG_MESSAGE_ID(CWGUARD_MESSAGE_DAEMON_READY),
 *                    "CWGUARD_CONFIG=%s", path,
 *                    LOG_MESSAGE("Ready, configuration '%s'.", path));
 *
 * Values are sent binary-safe, so a newline in a value cannot start a new field; callers still
 * strip control characters from untrusted values so that entries read well (journal.c does).
 * On stderr the message is printed, followed by the CWGUARD_* fields it does not already
 * contain.
 */
#define LOG_MESSAGE(fmt, ...) "MESSAGE=" fmt, ##__VA_ARGS__
#define LOG_MESSAGE_ID(id) "MESSAGE_ID=" id

#define log_struct_errno(level, error, ...)                                                \
        ({                                                                                 \
                int _level_ = (level), _error_ = (error);                                  \
                _LOG_ENABLED(_level_)                                                      \
                        ? log_struct_internal(_level_, _error_, __FILE__, __LINE__,        \
                                              __func__, __VA_ARGS__, NULL)                 \
                        : -ERRNO_VALUE(_error_);                                           \
        })
#define log_struct(level, ...) ((void) log_struct_errno((level), 0, __VA_ARGS__))

/*
 * The vector form: @iov holds "FIELD=value" entries (values may contain any byte), one of them
 * "MESSAGE=...". For entries assembled field by field, such as a probe result's.
 */
#define log_struct_iovec_errno(level, error, iov, n_iov)                                   \
        ({                                                                                 \
                int _level_ = (level), _error_ = (error);                                  \
                _LOG_ENABLED(_level_)                                                      \
                        ? log_struct_iovec_internal(_level_, _error_, __FILE__, __LINE__,  \
                                                    __func__, (iov), (n_iov))              \
                        : -ERRNO_VALUE(_error_);                                           \
        })
#define log_struct_iovec(level, iov, n_iov)                                                \
        ((void) log_struct_iovec_errno((level), 0, (iov), (n_iov)))
