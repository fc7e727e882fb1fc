#pragma once
/* SPDX-License-Identifier: MIT */
/* credentials-internal.h: what the provider (credentials.c) and its local sources
 * (credentials-file.c) share; private to libcwg-common, not part of credentials.h. */

#include <stdarg.h>

#include "common/credentials.h"

/* What a source found: credentials (*ret set), nothing (a reason appended to *reasons, the chain
 * goes on), or an error that ends the chain (@res says what). Negative: errno. */
enum {
        SOURCE_ABSENT,
        SOURCE_FOUND,
        SOURCE_FAILED,
};

/**
 * credentials_strdup_or_null() - strdup() that maps NULL to NULL.
 * @s: the string, may be NULL.
 * @ret: the copy, or NULL if @s is NULL.
 *
 * Return: 0 or -ENOMEM.
 */
int credentials_strdup_or_null(const char *s, char **ret);

/**
 * credentials_format_message() - format a one-line message that cannot break the line.
 * @fmt: printf format.
 * @ap: its arguments.
 *
 * Control characters become spaces and the text is cut at 2048 bytes (on a UTF-8 boundary).
 *
 * Return: the message (free()), or NULL on OOM.
 */
char *credentials_format_message(const char *fmt, va_list ap) _printf_(1, 0);

/**
 * credentials_set_message() - replace *@p with a message from credentials_format_message().
 * @p: the message to replace; freed first, NULL on OOM (the class still tells what happened).
 * @fmt: printf format, then its arguments.
 */
void credentials_set_message(char **p, const char *fmt, ...) _printf_(2, 3);

/**
 * credentials_source_environment() - the environment source.
 * @envp: the environment vector the provider was given (never getenv()).
 * @ret: the credentials, when found.
 * @res: source and class set; a message when the chain must end here.
 * @reasons: why nothing was found, appended to.
 *
 * AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, optionally AWS_SESSION_TOKEN (or
 * AWS_SECURITY_TOKEN) and AWS_CREDENTIAL_EXPIRATION. An ID without a secret, or invalid values,
 * end the chain.
 *
 * Return: SOURCE_ABSENT, SOURCE_FOUND, SOURCE_FAILED, or -ENOMEM.
 */
int credentials_source_environment(char *const *envp, AwsCredentials **ret,
                                   CredentialsResult *res, char **reasons);

/**
 * credentials_source_shared_file() - the shared credentials file source.
 * @envp: the environment vector (AWS_PROFILE, AWS_SHARED_CREDENTIALS_FILE, HOME).
 * @file: the file to read, or NULL for $AWS_SHARED_CREDENTIALS_FILE, else ~/.aws/credentials.
 * @profile: the profile, or NULL for $AWS_PROFILE, else CREDENTIALS_DEFAULT_PROFILE.
 * @ret: the credentials, when found.
 * @res: source and class set; insecure_permissions and a message when the profile is malformed.
 * @reasons: why nothing was found (no file, unreadable, no such profile), appended to.
 *
 * Return: SOURCE_ABSENT, SOURCE_FOUND, SOURCE_FAILED, or -ENOMEM.
 */
int credentials_source_shared_file(char *const *envp, const char *file, const char *profile,
                                   AwsCredentials **ret, CredentialsResult *res, char **reasons);
