/* SPDX-License-Identifier: MIT */
/*
 * assume-role.c: what cwguard needs to assume a role the way the CloudWatch agent does — the
 * role ARN check, the AssumeRole request body (the agent's SDK defaults: a 15-minute session
 * named after the clock in nanoseconds), the refresh rule, and the cache that keeps one session
 * per role (and base credential source) from one round to the next. The cache owns the
 * sessions' secrets and wipes them when a session is replaced or the cache freed. The call
 * itself is made by the round (round-role.c) through aws-call.c, on the event loop. Pure data:
 * no I/O, no logging.
 */

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/assume-role.h"
#include "common/aws-call.h"

typedef struct RoleSession {
        char *role_arn;
        CredentialSource base_source;
        char *base_detail;
        char *assumed_arn;
        const char *fallback_region;    /* static; NULL: issued in the round's region */
        usec_t obtained;
        AwsCredentials *creds;
} RoleSession;

struct RoleSessions {
        RoleSession entries[ASSUME_ROLE_CACHE_MAX];
        size_t n;
};

static bool is_digits(const char *s, size_t n)
{
        for (size_t i = 0; i < n; i++)
                if (s[i] < '0' || s[i] > '9')
                        return false;
        return true;
}

const char *sts_fallback_region(const char *region)
{
        static const struct {
                const char *prefix, *fallback;
        } partitions[] = {
                /* Longest prefix first: us-isob- before us-iso-. */
                { "cn-", "cn-north-1" },
                { "us-gov-", "us-gov-west-1" },
                { "us-isob-", "us-isob-east-1" },
                { "us-iso-", "us-iso-east-1" },
        };
        const char *f = "us-east-1";

        if (!region)
                return NULL;
        for (size_t i = 0; i < ELEMENTSOF(partitions); i++)
                if (strncmp(region, partitions[i].prefix, strlen(partitions[i].prefix)) == 0) {
                        f = partitions[i].fallback;
                        break;
                }
        return streq(region, f) ? NULL : f;
}

const char *role_arn_check(const char *arn)
{
        const char *p, *name;
        size_t n;

        if (isempty(arn))
                return "empty";
        n = strlen(arn);
        if (n > ROLE_ARN_MAX)
                return "longer than 2048 characters";
        if (strncmp(arn, "arn:aws", 7) != 0)
                return "not an ARN of the aws partitions (arn:aws...:iam::ACCOUNT:role/NAME)";
        /* arn:aws[-a-z]*: aws, aws-cn, aws-us-gov, aws-iso-b ... */
        for (p = arn + 7; *p == '-' || (*p >= 'a' && *p <= 'z'); p++)
                ;
        if (*p != ':')
                return "not an ARN of the aws partitions (arn:aws...:iam::ACCOUNT:role/NAME)";
        p++;
        if (strncmp(p, "iam::", 5) != 0)
                return "not an IAM ARN (arn:aws:iam::ACCOUNT:role/NAME)";
        p += 5;
        if (!is_digits(p, 12) || p[12] != ':')
                return "the account is not 12 digits";
        p += 13;
        if (strncmp(p, "role/", 5) != 0)
                return "not a role (arn:aws:iam::ACCOUNT:role/NAME)";
        for (const char *q = p; *q; q++)
                if (*q <= ' ' || *q >= 0x7f)
                        return "contains spaces or control characters";
        name = strrchr(p, '/') + 1;
        n = strlen(name);
        if (n < 1 || n > 64)
                return "the role name is not 1 to 64 characters";
        for (const char *q = name; *q; q++)
                if (!strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789+=,.@_-",
                            *q))
                        return "the role name has characters other than [A-Za-z0-9+=,.@_-]";
        return NULL;
}

bool role_arn_is_valid(const char *arn)
{
        return !role_arn_check(arn);
}

char *assume_role_session_name(usec_t now, char buf[static 32])
{
        /* aws-sdk-go v1 stscreds: RoleSessionName = fmt.Sprintf("%d", time.Now().UTC().UnixNano()) */
        (void) snprintf(buf, 32, "%" PRIu64, (uint64_t) now * 1000U);
        return buf;
}

int assume_role_request_body(const char *role_arn, const char *session_name,
                             unsigned duration_sec, char **ret)
{
        _cleanup_free_ char *b = NULL;
        int r;

        if (!role_arn || !session_name || !ret)
                return -EINVAL;
        r = strextend_printf(&b, "Action=AssumeRole");
        if (r >= 0 && duration_sec > 0)
                r = strextend_printf(&b, "&DurationSeconds=%u", duration_sec);
        if (r >= 0)
                r = strextend_printf(&b, "&RoleArn=");
        if (r >= 0)
                r = aws_form_escape(&b, role_arn);
        if (r >= 0)
                r = strextend_printf(&b, "&RoleSessionName=");
        if (r >= 0)
                r = aws_form_escape(&b, session_name);
        if (r >= 0)
                r = strextend_printf(&b, "&Version=2011-06-15");
        if (r < 0)
                return r;
        *ret = TAKE_PTR(b);
        return 0;
}

bool assume_role_needs_refresh(const AwsCredentials *c, usec_t obtained, usec_t now)
{
        usec_t lifetime, margin;

        if (!c || c->expiration == 0)
                return !c;
        if (now >= c->expiration)
                return true;
        lifetime = c->expiration > obtained ? c->expiration - obtained : 0;
        margin = MIN(ASSUME_ROLE_REFRESH_MARGIN, lifetime / 2);
        return now + margin >= c->expiration;
}

static void role_session_done(RoleSession *e)
{
        free(e->role_arn);
        free(e->base_detail);
        free(e->assumed_arn);
        aws_credentials_free(e->creds);
        *e = (RoleSession) {};
}

int role_sessions_new(RoleSessions **ret)
{
        RoleSessions *s;

        if (!ret)
                return -EINVAL;
        s = calloc(1, sizeof(RoleSessions));
        if (!s)
                return -ENOMEM;
        *ret = s;
        return 0;
}

RoleSessions *role_sessions_free(RoleSessions *s)
{
        if (!s)
                return NULL;
        for (size_t i = 0; i < s->n; i++)
                role_session_done(&s->entries[i]);
        return mfree(s);
}

size_t role_sessions_size(const RoleSessions *s)
{
        return s ? s->n : 0;
}

static RoleSession *find(RoleSessions *s, const char *role_arn, const AwsCredentials *base)
{
        for (size_t i = 0; i < s->n; i++) {
                RoleSession *e = &s->entries[i];

                if (streq(e->role_arn, role_arn) && e->base_source == base->source &&
                    streq_ptr(e->base_detail, base->source_detail))
                        return e;
        }
        return NULL;
}

const AwsCredentials *role_sessions_get(RoleSessions *s, const char *role_arn,
                                        const AwsCredentials *base, usec_t now,
                                        const char **ret_assumed_arn,
                                        const char **ret_fallback_region)
{
        RoleSession *e;

        if (!s || !role_arn || !base)
                return NULL;
        e = find(s, role_arn, base);
        if (!e || assume_role_needs_refresh(e->creds, e->obtained, now))
                return NULL;
        if (ret_assumed_arn)
                *ret_assumed_arn = e->assumed_arn;
        if (ret_fallback_region)
                *ret_fallback_region = e->fallback_region;
        return e->creds;
}

int role_sessions_put(RoleSessions *s, const char *role_arn, const AwsCredentials *base,
                      StsAssumedRole *session, const char *fallback_region, usec_t now,
                      const AwsCredentials **ret)
{
        _cleanup_(aws_credentials_freep) AwsCredentials *c = NULL;
        RoleSession n = {}, *e;

        if (!s || !role_arn || !base || !session || !session->access_key_id ||
            !session->secret_access_key)
                return -EINVAL;

        c = calloc(1, sizeof(AwsCredentials));
        if (!c)
                return -ENOMEM;
        c->source = CREDENTIAL_SOURCE_ASSUME_ROLE;
        c->expiration = session->expiration;
        if (asprintf(&c->source_detail, "role %s", role_arn) < 0) {
                c->source_detail = NULL;
                return -ENOMEM;
        }
        n.role_arn = strdup(role_arn);
        n.base_detail = base->source_detail ? strdup(base->source_detail) : NULL;
        n.assumed_arn = session->arn ? strdup(session->arn) : NULL;
        if (!n.role_arn || (base->source_detail && !n.base_detail) ||
            (session->arn && !n.assumed_arn)) {
                role_session_done(&n);
                return -ENOMEM;
        }
        c->access_key_id = TAKE_PTR(session->access_key_id);
        c->secret_access_key = TAKE_PTR(session->secret_access_key);
        c->session_token = TAKE_PTR(session->session_token);
        n.base_source = base->source;
        n.fallback_region = fallback_region;
        n.obtained = now;
        n.creds = TAKE_PTR(c);

        e = find(s, role_arn, base);
        if (!e && s->n < ASSUME_ROLE_CACHE_MAX)
                e = &s->entries[s->n++];
        else if (!e) {
                /* Full: drop the session closest to expiry. */
                e = &s->entries[0];
                for (size_t i = 1; i < s->n; i++)
                        if (s->entries[i].creds->expiration < e->creds->expiration)
                                e = &s->entries[i];
        }
        role_session_done(e);
        *e = n;
        if (ret)
                *ret = e->creds;
        return 0;
}
