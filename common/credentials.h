#pragma once
/* SPDX-License-Identifier: MIT */
/* credentials.h: the AWS credential provider chain (environment, shared file, IMDS) and refresh. */

#include <stdbool.h>
#include <stddef.h>

#include <systemd/sd-event.h>

#include "common/http.h"
#include "common/imds.h"
#include "common/result-class.h"
#include "common/util.h"

typedef struct CredentialsProvider CredentialsProvider;
typedef struct CredentialsRefresh CredentialsRefresh;

/* Where credentials came from. Strings are a public contract (status JSON, journal, CLI). */
typedef enum CredentialSource {
        CREDENTIAL_SOURCE_ENVIRONMENT,  /* "environment" */
        CREDENTIAL_SOURCE_SHARED_FILE,  /* "shared-file" */
        CREDENTIAL_SOURCE_IMDS,         /* "imds" */
        CREDENTIAL_SOURCE_ASSUME_ROLE,  /* "assume-role": an STS AssumeRole session signed with
                                         * one of the above (never produced by the chain) */
        /* append new sources here */
        _CREDENTIAL_SOURCE_MAX,
        _CREDENTIAL_SOURCE_INVALID = -EINVAL,
} CredentialSource;

/**
 * credential_source_to_string() - stable name of a source, NULL if out of range.
 */
const char *credential_source_to_string(CredentialSource s) _const_;

/**
 * credential_source_from_string() - the inverse; _CREDENTIAL_SOURCE_INVALID if unknown.
 */
CredentialSource credential_source_from_string(const char *s) _pure_;

/* secret_access_key and session_token are secrets: wiped by aws_credentials_free(). */
typedef struct AwsCredentials {
        char *access_key_id;
        char *secret_access_key;
        char *session_token;          /* NULL for long-term keys */
        usec_t expiration;            /* realtime µs; 0 = none */
        CredentialSource source;
        char *source_detail;          /* "environment", "profile P in /path", "role R"; no secret */
} AwsCredentials;

/**
 * aws_credentials_free() - wipe the secret and the session token, free everything.
 * @c: the credentials, may be NULL.
 *
 * Return: NULL.
 */
AwsCredentials *aws_credentials_free(AwsCredentials *c);
DEFINE_TRIVIAL_CLEANUP_FUNC(AwsCredentials *, aws_credentials_free);

/**
 * aws_credentials_copy() - deep copy.
 * @c: the credentials.
 * @ret: the copy.
 *
 * Return: 0 or -ENOMEM.
 */
int aws_credentials_copy(const AwsCredentials *c, AwsCredentials **ret);

/**
 * aws_credentials_expired() - whether @c has an expiration and it is not after @now.
 * @c: the credentials.
 * @now: realtime µs.
 */
bool aws_credentials_expired(const AwsCredentials *c, usec_t now) _pure_;

/**
 * credentials_file_parse() - find a profile's keys in a shared credentials file.
 * @data: the file's contents, not necessarily NUL-terminated.
 * @size: their length.
 * @profile: the section to look for (verbatim, e.g. "default" or "AmazonCloudWatchAgent").
 * @ret: on success, credentials with source shared-file and no source_detail.
 * @reterr_message: optional; on -EBADMSG a one-line reason (never a secret), caller frees.
 *
 * The subset of INI the SDKs read: "[section]", "key = value" (or "key: value"), whole-line
 * "#"/";" comments, keys case-insensitive; aws_access_key_id, aws_secret_access_key and
 * aws_session_token (or the legacy aws_security_token) are used, anything else is ignored.
 * Lines of other sections are not checked.
 *
 * Return: 0; -ENOENT if the profile is not in the file; -EBADMSG if it is there but lacks the
 * key id or the secret, or holds a malformed line or value; -ENOMEM.
 */
int credentials_file_parse(const char *data, size_t size, const char *profile,
                           AwsCredentials **ret, char **reterr_message);

#define CREDENTIALS_DEFAULT_PROFILE "AmazonCloudWatchAgent"

typedef struct CredentialsOptions {
        char *const *envp;        /* the environment to consult, NULL-terminated; NULL: empty */
        const char *file;         /* NULL: $AWS_SHARED_CREDENTIALS_FILE, else
                                   * $HOME/.aws/credentials */
        const char *profile;      /* NULL: $AWS_PROFILE, else "AmazonCloudWatchAgent" */
        ImdsOptions imds;
        usec_t retry_initial;     /* first retry after a failed refresh (jittered down to half,
                                   * never below 0.5 s); 0: 5 s */
        usec_t retry_max;         /* cap of the exponential backoff; 0: 5 min */
} CredentialsOptions;

/* The outcome of one run of the chain. */
typedef struct CredentialsResult {
        ResultClass class;             /* ok, or why the chain produced nothing */
        char *message;                 /* one line, never a secret; NULL when ok */
        CredentialSource source;       /* the source that answered or failed; _INVALID when
                                        * every source came up empty (class no-credentials) */
        ResultClass imds_class;        /* IMDS's own outcome if it was asked, else _INVALID */
        char *imds_code;               /* IMDS "Code" (e.g. AssumeRoleUnauthorizedAccess) */
        long imds_http_status;
        bool insecure_permissions;     /* the credentials file is readable by group or other */
} CredentialsResult;

/**
 * credentials_result_done() - free what a #CredentialsResult owns and reset it.
 * @r: the result, may be NULL.
 */
void credentials_result_done(CredentialsResult *r);

/* What credentials_provider_get_status() reports; strings point into the provider and stay valid
 * until the provider next changes (at most until the next loop iteration). */
typedef struct CredentialsStatus {
        ResultClass class;              /* ok: usable credentials; credentials-expired; or why
                                         * there are none (no-credentials, imds-*, ...) */
        const char *message;            /* one line, NULL when ok and the last refresh worked */
        bool have_credentials;
        CredentialSource source;        /* of the current credentials, _INVALID if none */
        const char *source_detail;
        usec_t expiration;              /* realtime µs, 0: none */
        usec_t next_refresh;            /* realtime µs, 0: none scheduled */
        usec_t last_success;            /* realtime µs of the last good refresh, 0: never */
        ResultClass last_error_class;   /* of the last refresh if it failed, else ok */
        const char *last_error_message;
        unsigned n_failures;            /* consecutive failed refreshes */
        bool insecure_permissions;
        bool refreshing;
} CredentialsStatus;

/**
 * credentials_provider_new() - create a provider; nothing is fetched until the first refresh.
 * @event: the loop for timers and callbacks; the provider takes a reference.
 * @http: the HTTP client for IMDS; must outlive the provider.
 * @opts: options, may be NULL for defaults. Everything is copied.
 * @ret: the provider.
 *
 * Return: 0, -EINVAL for bad IMDS options, or -ENOMEM.
 */
int credentials_provider_new(sd_event *event, HttpClient *http, const CredentialsOptions *opts,
                             CredentialsProvider **ret);

/**
 * credentials_provider_free() - cancel refreshes (their callbacks are not called), wipe the
 * credentials, free.
 * @p: the provider, may be NULL.
 *
 * Return: NULL.
 */
CredentialsProvider *credentials_provider_free(CredentialsProvider *p);
DEFINE_TRIVIAL_CLEANUP_FUNC(CredentialsProvider *, credentials_provider_free);

typedef void (*CredentialsRefreshCallback)(CredentialsProvider *p, const CredentialsResult *result,
                                           void *userdata);
typedef void (*CredentialsChangeCallback)(CredentialsProvider *p, void *userdata);

/**
 * credentials_provider_refresh() - run the chain now (or join the run in flight).
 * @p: the provider.
 * @callback: called once from the loop with this run's outcome; may be NULL.
 * @userdata: passed to @callback.
 * @ret: optional handle for credentials_refresh_cancel(), valid until @callback runs.
 *
 * A failed refresh keeps the current credentials until they expire. After a refresh the
 * provider arms its own timers: before expiration (expiration - min(15 min, lifetime / 2))
 * and, after a failure, a retry with capped, jittered exponential backoff.
 *
 * Return: 0, or a negative errno if the run could not be started (no callback then).
 */
int credentials_provider_refresh(CredentialsProvider *p, CredentialsRefreshCallback callback,
                                 void *userdata, CredentialsRefresh **ret);

/**
 * credentials_refresh_cancel() - forget a pending refresh callback (the run itself goes on).
 * @r: the handle, may be NULL.
 *
 * Return: NULL.
 */
CredentialsRefresh *credentials_refresh_cancel(CredentialsRefresh *r);

/* credentials_provider_get() returns this when the credentials it hands out have expired. */
#define CREDENTIALS_EXPIRED 1

/**
 * credentials_provider_get() - the current credentials.
 * @p: the provider.
 * @ret: the credentials, owned by the provider, valid until it next changes them (copy with
 *       aws_credentials_copy() to keep them); may be NULL.
 *
 * Return: 0; CREDENTIALS_EXPIRED (the expired credentials are still returned, for diagnosis);
 * -ENOKEY if there are none.
 */
int credentials_provider_get(CredentialsProvider *p, const AwsCredentials **ret);

/**
 * credentials_provider_get_status() - the provider's state as data (for status and the journal).
 * @p: the provider.
 * @ret: filled; see #CredentialsStatus for the lifetime of its strings.
 */
void credentials_provider_get_status(CredentialsProvider *p, CredentialsStatus *ret);

/**
 * credentials_provider_set_on_change() - be told when credentials or the status class change.
 * @p: the provider.
 * @callback: called from the loop after credentials were acquired, replaced by different ones,
 *            or expired, and whenever the status class changes; NULL to unset.
 * @userdata: passed to @callback.
 */
void credentials_provider_set_on_change(CredentialsProvider *p, CredentialsChangeCallback callback,
                                        void *userdata);

/**
 * credentials_provider_get_imds() - the provider's IMDS client (shared token cache), e.g. for
 * the imds probe.
 */
ImdsClient *credentials_provider_get_imds(CredentialsProvider *p);
