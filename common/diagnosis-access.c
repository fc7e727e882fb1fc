/* SPDX-License-Identifier: MIT */
/*
 * diagnosis-access.c: the text for access-denied and kms-denied results, the ones operators
 * most often get wrong. AWS's own message names the policy layer that denied (identity-based,
 * service control, resource control, permissions boundary, session, resource-based, VPC endpoint,
 * role trust) and whether the deny was explicit or implicit; the remedy names where that layer
 * is changed and by whom, and the exact action and resource pattern to allow (with the namespace
 * condition for PutMetricData, the :log-stream:* ARN for PutLogEvents). An explicit Deny is never
 * answered with "add an Allow". Text only: written into the Explain's streams, no I/O.
 */

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "common/diagnosis-internal.h"
#include "common/policy.h"

/*
 * The exact permission the failed call needs: "`cloudwatch:PutMetricData` on `*` with a
 * `cloudwatch:namespace` condition ..." or "`logs:PutLogEvents` on `arn:...:log-stream:*`".
 */
static int write_needed(Explain *e, FILE *f)
{
        _cleanup_free_ char *arn = NULL;
        int r;

        if (!e->action) {
                fputs("the call", f);
                return 0;
        }
        fprintf(f, "`%s` on ", e->action);
        if (streq(e->action, "cloudwatch:PutMetricData")) {
                fputs("`*` with a `cloudwatch:namespace` condition", f);
                if (e->r->target)
                        fprintf(f, " naming '%s'", e->r->target);
                fputs(" (StringEquals; the condition is case-sensitive)", f);
                return 0;
        }
        if (e->r->kind == PROBE_KIND_LOGS && strncmp(e->action, "logs:", 5) == 0) {
                /* PutLogEvents is authorised against the stream: log-group:G alone never
                 * matches it, the classic mistake. The other calls act on the group. */
                r = explain_log_arn(e,
                                    streq_ptr(e->operation, "PutLogEvents") ? ":log-stream:*" :
                                                                              ":*",
                                    &arn);
                if (r < 0)
                        return r;
                fprintf(f, "`%s`", arn);
                return 0;
        }
        fprintf(f, "`%s`", e->r->denied.resource ?: "*");
        return 0;
}

/* ---- access denied ------------------------------------------------------------------------- */

static const struct {
        const char *article;
        const char *name;
} layer_table[_POLICY_TYPE_MAX] = {
        [POLICY_TYPE_IDENTITY_BASED] = { "an", "identity-based policy" },
        [POLICY_TYPE_SERVICE_CONTROL] = { "a", "service control policy" },
        [POLICY_TYPE_RESOURCE_CONTROL] = { "a", "resource control policy" },
        [POLICY_TYPE_PERMISSIONS_BOUNDARY] = { "a", "permissions boundary" },
        [POLICY_TYPE_SESSION] = { "a", "session policy" },
        [POLICY_TYPE_RESOURCE_BASED] = { "a", "resource-based policy" },
        [POLICY_TYPE_VPC_ENDPOINT] = { "a", "VPC endpoint policy" },
        [POLICY_TYPE_ROLE_TRUST] = { "the", "role trust policy" },
};

static void iam_put_policy_command(Explain *e, FILE *f)
{
        bool user = streq_ptr(e->role_kind, "user");

        fprintf(f, "`aws iam put-%s-policy --%s-name %s --policy-name cwguard --policy-document "
                   "file://policy.json`",
                user ? "user" : "role", user ? "user" : "role", explain_role_text(e));
}

/* Which policy of the layer denies: "a service control policy (SCP) of your AWS organization". */
static void layer_describe(Explain *e, FILE *f)
{
        const AccessDenied *d = &e->r->denied;

        switch (d->policy_type) {
        case POLICY_TYPE_IDENTITY_BASED:
                fputs("an identity-based policy attached to ", f);
                explain_who(e, f);
                break;
        case POLICY_TYPE_SERVICE_CONTROL:
                fputs("a service control policy (SCP) of your AWS organization", f);
                break;
        case POLICY_TYPE_RESOURCE_CONTROL:
                fputs("a resource control policy (RCP) of your AWS organization", f);
                break;
        case POLICY_TYPE_PERMISSIONS_BOUNDARY:
                fputs("the permissions boundary of ", f);
                explain_who(e, f);
                break;
        case POLICY_TYPE_SESSION:
                fputs("the session policy of these temporary credentials", f);
                break;
        case POLICY_TYPE_RESOURCE_BASED:
                fprintf(f, "the resource-based policy of %s", d->resource ?: "the resource");
                break;
        case POLICY_TYPE_VPC_ENDPOINT:
                fprintf(f, "the VPC endpoint policy of the interface endpoint "
                           "`com.amazonaws.%s.%s` this host reaches AWS through",
                        e->region_text, e->service ?: "<service>");
                break;
        case POLICY_TYPE_ROLE_TRUST:
                fputs("the trust policy of ", f);
                explain_who(e, f);
                break;
        default:
                fputs("a policy", f);
                break;
        }
        if (d->policy_arn)
                fprintf(f, " (%s)", d->policy_arn);
}

/* Where the fix is made and by whom, after "... must be removed or narrowed" / "add ... ". */
static void layer_where(Explain *e, FILE *f, bool allow)
{
        const AccessDenied *d = &e->r->denied;

        switch (d->policy_type) {
        case POLICY_TYPE_IDENTITY_BASED:
                if (allow) {
                        fputs(" to an identity-based policy attached to ", f);
                        explain_who(e, f);
                        fputs(" (", f);
                        iam_put_policy_command(e, f);
                        fputs("; `cwguardctl policy` prints the least-privilege policy)", f);
                } else
                        fprintf(f, " in that policy (`aws iam list-attached-role-policies "
                                   "--role-name %s` and `aws iam list-role-policies --role-name "
                                   "%s` list them)", explain_role_text(e), explain_role_text(e));
                break;
        case POLICY_TYPE_SERVICE_CONTROL:
                fprintf(f, "%s in AWS Organizations by the organization's management account "
                           "(or a delegated administrator), not on the role: nothing attached to ",
                        allow ? " to the service control policies of this account and of each "
                                "organizational unit above it," : "");
                explain_who(e, f);
                fputs(" can override an SCP", f);
                break;
        case POLICY_TYPE_RESOURCE_CONTROL:
                fputs(" in AWS Organizations by the organization's management account, not on the "
                      "role (resource control policies only deny: look at the Deny statement's "
                      "conditions)", f);
                break;
        case POLICY_TYPE_PERMISSIONS_BOUNDARY:
                fprintf(f, "%s (`aws iam get-role --role-name %s` names the boundary policy)",
                        allow ? " to the permissions boundary policy too: an action needs an Allow "
                                "in both the identity-based policy and the permissions boundary" :
                                " in the boundary policy",
                        explain_role_text(e));
                break;
        case POLICY_TYPE_SESSION:
                fputs(" in the session policy given when the session was created (the Policy or "
                      "PolicyArns of AssumeRole, AssumeRoleWithWebIdentity or "
                      "GetFederationToken), i.e. where ", f);
                explain_credential_source(e, f);
                fputs(" gets its credentials", f);
                break;
        case POLICY_TYPE_RESOURCE_BASED:
                if (allow && e->principal)
                        fprintf(f, " for %s", e->principal);
                fputs(" in the resource-based policy (for CloudWatch Logs: "
                      "`aws logs describe-resource-policies`, then `aws logs "
                      "put-resource-policy`)", f);
                break;
        case POLICY_TYPE_VPC_ENDPOINT:
                if (allow && e->principal)
                        fprintf(f, " for %s", e->principal);
                fprintf(f, " in that VPC endpoint policy (`aws ec2 describe-vpc-endpoints "
                           "--filters Name=service-name,Values=com.amazonaws.%s.%s`, then `aws "
                           "ec2 modify-vpc-endpoint --vpc-endpoint-id vpce-... --policy-document "
                           "file://endpoint-policy.json`); the role's own policy is not enough",
                        e->region_text, e->service ?: "<service>");
                break;
        case POLICY_TYPE_ROLE_TRUST:
                fprintf(f, " in the role's trust policy, which must allow the service principal "
                           "ec2.amazonaws.com to call sts:AssumeRole (`aws iam "
                           "update-assume-role-policy --role-name %s --policy-document "
                           "file://trust.json`)", explain_role_text(e));
                break;
        default:
                break;
        }
}

/*
 * sts:AssumeRole of the role the agent is configured with. STS gives the same AccessDenied,
 * without a policy layer, when the caller lacks the permission, when the role's trust policy
 * does not name the caller, and when the role does not exist: name all of them.
 */
static void assume_role_remedy(Explain *e)
{
        const AccessDenied *d = &e->r->denied;
        const char *role = d->resource ?: e->r->role_arn;
        const char *name = role && strrchr(role, '/') ? strrchr(role, '/') + 1 : "<role>";
        FILE *f = e->rem;

        fprintf(f, "The agent (and cwguard like it) assumes %s with the base credentials of ",
                role ?: "the configured role");
        explain_who(e, f);
        fputs(", and both sides must allow it: add an Allow for `sts:AssumeRole` on ", f);
        fprintf(f, "`%s` to an identity-based policy attached to ", role ?: "<role-arn>");
        explain_who(e, f);
        fputs(" (`cwguardctl policy` prints it), and check the trust policy of the target role "
              "names ", f);
        if (e->account && e->role && streq_ptr(e->role_kind, "role"))
                fprintf(f, "`arn:aws:iam::%s:role/%s`", e->account, e->role);
        else
                explain_who(e, f);
        fprintf(f, " as a principal allowed to call sts:AssumeRole (`aws iam get-role "
                   "--role-name %s` shows it, `aws iam update-assume-role-policy --role-name %s "
                   "--policy-document file://trust.json` changes it). AWS answers with the same "
                   "message for either, and when the role does not exist.",
                name, name);
}

static int access_denied_remedy(Explain *e)
{
        const AccessDenied *d = &e->r->denied;
        FILE *f = e->rem;
        int r;

        if (streq_ptr(d->action, "sts:AssumeRole") && streq_ptr(e->r->operation, "AssumeRole") &&
            (d->policy_type <= POLICY_TYPE_UNKNOWN || d->policy_type >= _POLICY_TYPE_MAX ||
             d->policy_type == POLICY_TYPE_ROLE_TRUST ||
             (d->policy_type == POLICY_TYPE_IDENTITY_BASED && d->deny != DENY_KIND_EXPLICIT))) {
                assume_role_remedy(e);
                return 0;
        }

        if (e->r->kind == PROBE_KIND_IDENTITY &&
            (d->policy_type == POLICY_TYPE_UNKNOWN ||
             d->policy_type == POLICY_TYPE_IDENTITY_BASED)) {
                /* "If an administrator attaches a policy to your identity that explicitly denies
                 * access to the sts:GetCallerIdentity action, you can still perform this
                 * operation." (STS API reference) */
                fprintf(f, "sts:GetCallerIdentity needs no permission and a policy on the role "
                           "cannot deny it, so something other than the role's policies answered: "
                           "check `endpoints: sts:` (or AWS_ENDPOINT_URL_STS) is a real STS "
                           "endpoint, the policy of a VPC interface endpoint "
                           "`com.amazonaws.%s.sts` if there is one, and any proxy in the path.",
                        e->region_text);
                return 0;
        }

        if (d->policy_type <= POLICY_TYPE_UNKNOWN || d->policy_type >= _POLICY_TYPE_MAX) {
                fputs("AWS did not say which policy denied it: add an Allow for ", f);
                r = write_needed(e, f);
                if (r < 0)
                        return r;
                fputs(" to an identity-based policy attached to ", f);
                explain_who(e, f);
                fputs(" (`cwguardctl policy` prints it). If that Allow is already there, look for "
                      "an explicit Deny in a service control policy of your organization, a "
                      "permissions boundary, a VPC endpoint policy or a resource-based policy.", f);
                return 0;
        }

        if (d->policy_type == POLICY_TYPE_ROLE_TRUST) {
                /* Not the call's permission: the role itself could not be assumed. */
                fputs("The role could not be assumed", f);
                if (d->policy_arn)
                        fprintf(f, " (%s)", d->policy_arn);
                fputs(": fix it", f);
                layer_where(e, f, false);
                fputs(d->deny == DENY_KIND_EXPLICIT ? "; an explicit Deny there must be removed or "
                                                      "narrowed, adding an Allow does not help." :
                                                      ".",
                      f);
        } else if (d->deny == DENY_KIND_EXPLICIT) {
                fputs("An explicit Deny in ", f);
                layer_describe(e, f);
                fputs(" blocks ", f);
                r = write_needed(e, f);
                if (r < 0)
                        return r;
                fputs(": it must be removed or narrowed", f);
                layer_where(e, f, false);
                fputs("; adding an Allow does not help.", f);
        } else {
                if (d->deny == DENY_KIND_IMPLICIT)
                        fprintf(f, "No %s allows it (implicit deny)",
                                layer_table[d->policy_type].name);
                else {
                        fputs("Denied by ", f);
                        layer_describe(e, f);
                }
                if (d->policy_arn && d->deny == DENY_KIND_IMPLICIT)
                        fprintf(f, " (%s)", d->policy_arn);
                fputs(": add an Allow for ", f);
                r = write_needed(e, f);
                if (r < 0)
                        return r;
                layer_where(e, f, true);
                fputs(d->deny == DENY_KIND_IMPLICIT ? "." :
                                                      ", and remove any explicit Deny there.", f);
        }
        if (d->transitive_via_scp)
                fputs(" The denial applies transitively through a service control policy, so the "
                      "organization's management account has to be involved.", f);
        return 0;
}

int explain_access_denied(Explain *e)
{
        const AccessDenied *d = &e->r->denied;
        bool known = d->policy_type > POLICY_TYPE_UNKNOWN && d->policy_type < _POLICY_TYPE_MAX;
        const char *action = e->action ?: "the action";
        FILE *m = e->msg;

        fputs("access denied", m);
        if (d->principal)
                fprintf(m, " to %s", d->principal);
        if (!known)
                fprintf(m, " for %s", action);
        else if (d->deny == DENY_KIND_EXPLICIT)
                fprintf(m, ": an explicit Deny in %s %s blocks %s",
                        layer_table[d->policy_type].article, layer_table[d->policy_type].name,
                        action);
        else if (d->deny == DENY_KIND_IMPLICIT)
                fprintf(m, ": no %s allows %s", layer_table[d->policy_type].name, action);
        else
                fprintf(m, ": %s %s denies %s", layer_table[d->policy_type].article,
                        layer_table[d->policy_type].name, action);
        if (d->resource)
                fprintf(m, " on %s", d->resource);
        if (known && d->deny == DENY_KIND_IMPLICIT)
                fputs(" (implicit deny)", m);
        if (d->transitive_via_scp)
                fputs(", transitively through a service control policy", m);
        if (d->policy_arn)
                fprintf(m, " (policy %s)", d->policy_arn);
        if (!known) {
                fputs(" (AWS did not say which policy)", m);
                explain_quote(e);
        }
        if (e->r->kind == PROBE_KIND_METRICS && e->r->target &&
            streq_ptr(e->r->target, e->ctx->heartbeat_namespace))
                fputs("; this is the heartbeat namespace, so the Heartbeat metric is not being "
                      "published either", m);
        return access_denied_remedy(e);
}

int explain_kms_denied(Explain *e)
{
        _cleanup_free_ char *arn = NULL;
        int r;

        if (e->r->kind != PROBE_KIND_LOGS) {
                fputs("a KMS key policy denied the request", e->msg);
                explain_quote(e);
                fputs("The KMS key policy of the key involved must allow ", e->rem);
                explain_who(e, e->rem);
                fputs(" to use the key (kms:GenerateDataKey*, kms:Decrypt), and the key must be "
                      "enabled.", e->rem);
                return 0;
        }

        r = explain_log_arn(e, NULL, &arn);
        if (r < 0)
                return r;
        fputs("the log group's KMS key does not let CloudWatch Logs use it", e->msg);
        explain_quote(e);
        fprintf(e->rem, "The KMS key policy of the key associated with log group '%s' must allow "
                        "the service principal `logs.%s.amazonaws.com` kms:Encrypt*, kms:Decrypt*, "
                        "kms:ReEncrypt*, kms:GenerateDataKey* and kms:Describe* with the condition "
                        "`kms:EncryptionContext:aws:logs:arn` = `%s` (`aws kms put-key-policy`). "
                        "If the key is disabled or pending deletion, enable it (`aws kms "
                        "enable-key`), or detach it with `aws logs disassociate-kms-key "
                        "--log-group-name %s`.",
                strna(e->r->target), e->region_text, arn, strna(e->r->target));
        return 0;
}
