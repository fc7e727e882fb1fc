#pragma once
/* SPDX-License-Identifier: MIT */
/* assume-role.h: STS AssumeRole as the CloudWatch agent does it — request, session cache, refresh. */

#include <stdbool.h>
#include <stddef.h>

#include "common/aws-response.h"
#include "common/credentials.h"
#include "common/util.h"

/*
 * The agent (cfg/aws/credentials.go, newStsCredentials) uses aws-sdk-go's
 * stscreds.AssumeRoleProvider with Duration: stscreds.DefaultDuration, i.e. 15 minutes, and no
 * RoleSessionName, for which the SDK uses the current time in nanoseconds.
 */
#define ASSUME_ROLE_DURATION_SEC 900U
/*
 * A session is renewed before use once it has less than min(this, half its lifetime) left. The
 * agent's provider has no ExpiryWindow (aws-sdk-go v1 default 0: renewed only once expired,
 * when the next call needs credentials); renewing 5 minutes early keeps a round from signing
 * with a session that expires while it runs, and matches the window IMDS gives its own
 * credentials ("at least five minutes before the expiration of the old").
 */
#define ASSUME_ROLE_REFRESH_MARGIN (5 * USEC_PER_MINUTE)
/* At most this many distinct sessions are cached (one per role and base credential source). */
#define ASSUME_ROLE_CACHE_MAX 16U
#define ROLE_ARN_MAX 2048U

/**
 * role_arn_is_valid() - whether @arn names an IAM role: arn:aws[-a-z]*:iam::<12 digits>:role/<path
 * and name>, the name 1-64 of [A-Za-z0-9+=,.@_-], path and name of printable characters only.
 * @arn: the ARN, may be NULL.
 */
bool role_arn_is_valid(const char *arn) _pure_;

/**
 * role_arn_check() - role_arn_is_valid() as a reason.
 * @arn: the ARN.
 *
 * Return: NULL if valid, else a short static text saying what is wrong.
 */
const char *role_arn_check(const char *arn) _pure_;

/**
 * assume_role_session_name() - the RoleSessionName the agent's SDK would use: the realtime
 * clock in nanoseconds, as decimal digits (within [\w+=,.@-]{2,64}).
 * @now: realtime µs.
 * @buf: at least 32 bytes.
 *
 * Return: @buf.
 */
char *assume_role_session_name(usec_t now, char buf[static 32]);

/**
 * assume_role_request_body() - the form body of an AssumeRole call.
 * @role_arn: the role.
 * @session_name: the RoleSessionName.
 * @duration_sec: DurationSeconds; 0 leaves it out (STS default: 3600).
 * @ret: the body (free()).
 *
 * Return: 0, -EINVAL for a NULL argument, -ENOMEM.
 */
int assume_role_request_body(const char *role_arn, const char *session_name,
                             unsigned duration_sec, char **ret);

/**
 * assume_role_needs_refresh() - whether a session obtained at @obtained must be renewed at @now:
 * less than min(ASSUME_ROLE_REFRESH_MARGIN, lifetime / 2) left, or expired.
 * @c: the session.
 * @obtained: realtime µs when it was obtained.
 * @now: realtime µs.
 */
bool assume_role_needs_refresh(const AwsCredentials *c, usec_t obtained, usec_t now) _pure_;

/**
 * sts_fallback_region() - where the agent assumes a role when STS answers
 * RegionDisabledException in @region: the region of its partition whose STS cannot be
 * deactivated (cfg/aws/sts.go, getFallbackRegion): cn-north-1 for cn-*, us-gov-west-1 for
 * us-gov-*, us-isob-east-1 for us-isob-*, us-iso-east-1 for us-iso-*, else us-east-1.
 * @region: the region, may be NULL.
 *
 * Return: a static string; NULL when there is nowhere else to go (@region NULL, or already
 * the fallback).
 */
const char *sts_fallback_region(const char *region) _pure_;

typedef struct RoleSessions RoleSessions;

/**
 * role_sessions_new() - an empty cache of assumed-role sessions.
 * @ret: the cache.
 *
 * Return: 0 or -ENOMEM.
 */
int role_sessions_new(RoleSessions **ret);

/**
 * role_sessions_free() - wipe every session and free the cache.
 * @s: the cache, may be NULL.
 *
 * Return: NULL.
 */
RoleSessions *role_sessions_free(RoleSessions *s);
DEFINE_TRIVIAL_CLEANUP_FUNC(RoleSessions *, role_sessions_free);

/**
 * role_sessions_get() - a cached session that needs no refresh yet.
 * @s: the cache.
 * @role_arn: the role.
 * @base: the base credentials it was (or would be) assumed with; a session assumed with
 *        credentials of another source (another profile, another instance role) does not count.
 * @now: realtime µs.
 * @ret_assumed_arn: optional; the session's principal ARN (valid as long as the session).
 * @ret_fallback_region: optional; the fallback region STS issued it in (see
 *                       role_sessions_put()), NULL if the round's own.
 *
 * Return: the session (owned by the cache, valid until the next role_sessions_put()), or NULL.
 */
const AwsCredentials *role_sessions_get(RoleSessions *s, const char *role_arn,
                                        const AwsCredentials *base, usec_t now,
                                        const char **ret_assumed_arn,
                                        const char **ret_fallback_region);

/**
 * role_sessions_put() - store a new session of @role_arn, replacing the old one.
 * @s: the cache.
 * @role_arn: the role.
 * @base: the base credentials the session was assumed with (only their source is kept).
 * @session: what STS answered; the key, secret and token are taken (the rest stays).
 * @fallback_region: a static string (sts_fallback_region()) when STS issued the session in the
 *                   fallback region because the round's region has STS deactivated; NULL else.
 * @now: realtime µs, when the session was obtained.
 * @ret: optional; the stored credentials (source assume-role, detail "role ARN"), owned by the
 *       cache.
 *
 * When the cache is full, the session closest to expiry is dropped.
 *
 * Return: 0, -EINVAL, or -ENOMEM (nothing stored then; @session keeps its secrets).
 */
int role_sessions_put(RoleSessions *s, const char *role_arn, const AwsCredentials *base,
                      StsAssumedRole *session, const char *fallback_region, usec_t now,
                      const AwsCredentials **ret);

/**
 * role_sessions_size() - how many sessions are cached.
 */
size_t role_sessions_size(const RoleSessions *s) _pure_;
