/* SPDX-License-Identifier: MIT */
/*
 * diagnosis-remedy.c: the text for each failure class, one writer per class in a table indexed
 * by ResultClass (access-denied and kms-denied live in diagnosis-access.c, the agent's classes
 * in diagnosis-agent.c). Each writer
 * finishes the message ("<subject>: " is already written) and writes the remedy: the layer to
 * change in the words an operator searches for (hop limit, trust policy, VPC interface
 * endpoint...), and the exact command or cwguard setting. The writers print into the
 * Explain's memory streams and cannot fail except for the ARNs they build; diagnosis.c checks
 * the streams once at the end.
 * Deliberately conservative: where the facts do not single out a cause, the remedy lists the
 * few likely ones in the order to check them instead of guessing.
 */

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/assume-role.h"
#include "common/diagnosis-internal.h"
#include "common/policy.h"

typedef int (*FailureWriter)(Explain *e);

/* ---- credentials --------------------------------------------------------------------------- */

static int explain_credentials_expired(Explain *e)
{
        fputs("the credentials from ", e->msg);
        explain_credential_source(e, e->msg);
        fputs(" have expired", e->msg);
        explain_quote(e);

        switch (e->ctx->credential_source) {
        case CREDENTIAL_SOURCE_ENVIRONMENT:
                fputs("Refresh the temporary keys in AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY "
                      "(and AWS_SESSION_TOKEN) in the environment of cwguardd (a systemd drop-in "
                      "or EnvironmentFile=) and restart it, or remove them so that the instance "
                      "profile is used: credentials from the environment are never refreshed.",
                      e->rem);
                break;
        case CREDENTIAL_SOURCE_SHARED_FILE:
                fputs("Refresh the temporary credentials in ", e->rem);
                explain_credential_source(e, e->rem);
                fputs(": whatever writes them (`aws sso login`, a cron job, a credential helper) "
                      "has stopped; or use long-term keys or the instance profile instead.",
                      e->rem);
                break;
        case CREDENTIAL_SOURCE_IMDS:
                fputs("The instance profile credentials expired without being refreshed from "
                      "IMDS, which normally rotates them well before expiry: see the imds probe "
                      "(IMDS reachable, hop limit, role still attached).", e->rem);
                break;
        default:
                fputs("Refresh the credentials where they come from (the environment, the shared "
                      "credentials file or the instance profile).", e->rem);
                break;
        }
        return 0;
}

static int explain_credentials_invalid(Explain *e)
{
        fputs("AWS does not recognise the access key id or session token from ", e->msg);
        explain_credential_source(e, e->msg);
        fputs(" (a deleted or deactivated key, a key of another partition, or a truncated token)",
              e->msg);
        explain_quote(e);

        switch (e->ctx->credential_source) {
        case CREDENTIAL_SOURCE_ENVIRONMENT:
                fputs("Put a valid, active key pair into AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY "
                      "in the environment (AWS_SESSION_TOKEN only with temporary keys), or unset "
                      "them so that the instance profile is used; `aws iam list-access-keys` "
                      "shows whether a key is active.", e->rem);
                break;
        case CREDENTIAL_SOURCE_SHARED_FILE:
                fputs("Fix aws_access_key_id (and aws_session_token) in ", e->rem);
                explain_credential_source(e, e->rem);
                fprintf(e->rem, ": the key must exist, be active (`aws iam list-access-keys`) and "
                                "belong to the %s partition of region %s.",
                        aws_partition_of_region(e->region), e->region_text);
                break;
        case CREDENTIAL_SOURCE_IMDS:
                fputs("The instance profile's credentials were rejected: check that `endpoints:` "
                      "and the proxy do not send requests to another region's or partition's "
                      "endpoint, then re-associate the instance profile (`aws ec2 "
                      "replace-iam-instance-profile-association`).", e->rem);
                break;
        default:
                fputs("Replace the credentials with a valid, active key pair (`aws iam "
                      "list-access-keys` shows whether a key is active), or attach an instance "
                      "profile.", e->rem);
                break;
        }
        return 0;
}

static int explain_signature_mismatch(Explain *e)
{
        fputs("AWS calculated a different request signature: the secret access key from ", e->msg);
        explain_credential_source(e, e->msg);
        fputs(" does not belong to its key id, or something between here and AWS altered the "
              "request", e->msg);
        explain_quote(e);

        switch (e->ctx->credential_source) {
        case CREDENTIAL_SOURCE_ENVIRONMENT:
                fputs("Fix the secret: AWS_SECRET_ACCESS_KEY in the environment must be the one "
                      "issued with AWS_ACCESS_KEY_ID (no stray quotes or whitespace).", e->rem);
                break;
        case CREDENTIAL_SOURCE_SHARED_FILE:
                fputs("Fix the secret: aws_secret_access_key in ", e->rem);
                explain_credential_source(e, e->rem);
                fputs(" must be the one issued with its aws_access_key_id (no stray quotes or "
                      "whitespace).", e->rem);
                break;
        default:
                fputs("Check that the secret access key is the one issued with the key id (the "
                      "instance profile issues both together, so there a wrong secret is "
                      "unlikely).", e->rem);
                break;
        }
        fputs(" Also check for proxies that alter requests: a TLS-intercepting proxy that rewrites "
              "headers or the body breaks the signature (try `proxy: url: \"\"` or NO_PROXY for "
              "the endpoint).", e->rem);
        return 0;
}

static int explain_clock_skew(Explain *e)
{
        const ProbeResult *r = e->r;
        uint64_t n = 0;

        if (r->has_clock_offset && r->clock_offset_sec != 0)
                /* The offset is server minus local: positive, the local clock is behind. */
                n = r->clock_offset_sec < 0 ? -(uint64_t) r->clock_offset_sec :
                                              (uint64_t) r->clock_offset_sec;

        /* A 2xx with a far-off Date header: accepted (STS allows 15 minutes), but CloudWatch
         * and Logs will not be. */
        if (r->http_status >= 200 && r->http_status < 300)
                fputs("AWS answered, but its Date header shows that ", e->msg);
        else
                fputs("AWS rejected the request's timestamp: ", e->msg);
        if (n > 0)
                fprintf(e->msg, "the clock is %" PRIu64 " seconds %s AWS's time", n,
                        r->clock_offset_sec > 0 ? "behind" : "ahead of");
        else
                fputs("the local clock differs from AWS's by more than SigV4 allows (offset not "
                      "measured)", e->msg);
        fputs(" (SigV4 accepts 5 minutes, STS 15)", e->msg);

        if (n > 0)
                fprintf(e->rem, "The clock is off by %" PRIu64 " seconds (%s): synchronise it. ",
                        n, r->clock_offset_sec > 0 ? "behind" : "ahead");
        fputs("Run chrony (or systemd-timesyncd) against the Amazon Time "
              "Sync Service at 169.254.169.123 (`server 169.254.169.123 prefer iburst` in "
              "/etc/chrony.conf, then `chronyc makestep`), and check that `timedatectl` reports "
              "the clock synchronised.", e->rem);
        return 0;
}

static void attach_instance_profile(Explain *e)
{
        fprintf(e->rem, "`aws ec2 associate-iam-instance-profile --instance-id %s "
                        "--iam-instance-profile Name=<profile>`",
                explain_instance_text(e));
}

static int explain_no_credentials(Explain *e)
{
        fputs("no AWS credentials were found (not in the environment, the shared credentials "
              "file or an instance profile)", e->msg);
        explain_quote(e);
        fputs("Attach an instance profile (an IAM role) to this instance: ", e->rem);
        attach_instance_profile(e);
        fputs("; off EC2, put keys into the shared credentials file (`credentials:` file and "
              "profile) or AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY in the environment of "
              "cwguardd.", e->rem);
        return 0;
}

/* ---- IMDS ---------------------------------------------------------------------------------- */

static const char *imds_text(const Explain *e)
{
        return e->r->kind == PROBE_KIND_IMDS && e->r->endpoint ? e->r->endpoint :
                                                                  "169.254.169.254";
}

/* "IMDS " where the subject is another probe's ("... was not run ...: IMDS did not answer"). */
static const char *imds_lead(const Explain *e)
{
        return e->r->kind == PROBE_KIND_IMDS ? "" : "IMDS ";
}

static int explain_imds_unreachable(Explain *e)
{
        if (e->r->kind == PROBE_KIND_IMDS)
                fprintf(e->msg, "no answer from %s", imds_text(e));
        else
                fprintf(e->msg, "IMDS at %s did not answer", imds_text(e));
        explain_quote(e);
        fprintf(e->rem, "On EC2, make sure the metadata endpoint is enabled (`aws ec2 "
                        "modify-instance-metadata-options --instance-id %s --http-endpoint "
                        "enabled`), that no local firewall (iptables/nftables) blocks "
                        "169.254.169.254, and that NO_PROXY includes 169.254.169.254; off EC2 "
                        "this is expected: set `region:` and provide credentials in the shared "
                        "credentials file or the environment.",
                explain_instance_text(e));
        return 0;
}

static int explain_imds_token_timeout(Explain *e)
{
        fprintf(e->msg, "%sdid not answer the IMDSv2 session-token request (PUT "
                        "/latest/api/token) in time: the reply was most likely dropped by the "
                        "metadata hop limit",
                imds_lead(e));
        explain_quote(e);
        fprintf(e->rem, "Raise the IMDS hop limit to 2 (typical in containers, where the extra "
                        "network hop drops the token reply): `aws ec2 "
                        "modify-instance-metadata-options --instance-id %s "
                        "--http-put-response-hop-limit 2`.",
                explain_instance_text(e));
        return 0;
}

static int explain_imds_token_refused(Explain *e)
{
        long status = e->r->http_status;

        fprintf(e->msg, "%srefused to issue an IMDSv2 session token", imds_lead(e));
        if (status > 0)
                fprintf(e->msg, " (HTTP %ld)", status);
        explain_quote(e);
        if (status == 400)
                fputs("A 400 means the X-aws-ec2-metadata-token-ttl-seconds header was missing "
                      "or invalid, usually stripped by a proxy: keep 169.254.169.254 in NO_PROXY "
                      "and `imds: token_ttl:` between 1s and 6h.", e->rem);
        else
                fprintf(e->rem, "IMDS is turned off for this instance, or the request carried "
                                "X-Forwarded-For (a proxy in the path): enable it with `aws ec2 "
                                "modify-instance-metadata-options --instance-id %s --http-endpoint "
                                "enabled --http-tokens required` and keep 169.254.169.254 in "
                                "NO_PROXY.",
                        explain_instance_text(e));
        return 0;
}

static int explain_imds_no_role(Explain *e)
{
        fputs("no IAM role is attached to this instance (IMDS lists no instance profile role)",
              e->msg);
        explain_quote(e);
        fputs("Attach an instance profile: ", e->rem);
        attach_instance_profile(e);
        fputs(" (or `aws ec2 replace-iam-instance-profile-association` to change one), and grant "
              "its role the policy `cwguardctl policy` prints.", e->rem);
        return 0;
}

static int explain_imds_credentials_error(Explain *e)
{
        fprintf(e->msg, "%scould not get credentials for the instance profile's role",
                imds_lead(e));
        if (e->r->aws_error_code)
                fprintf(e->msg, " (%s)", e->r->aws_error_code);
        explain_quote(e);
        fprintf(e->rem, "The trust policy of role '%s' must allow the service principal "
                        "ec2.amazonaws.com to call sts:AssumeRole (`aws iam "
                        "update-assume-role-policy --role-name %s --policy-document "
                        "file://trust.json`); also check that the role behind the instance "
                        "profile still exists.",
                explain_role_text(e), explain_role_text(e));
        return 0;
}

/* ---- AWS answered, but not as hoped -------------------------------------------------------- */

static int explain_bad_response(Explain *e)
{
        fputs("the reply could not be understood", e->msg);
        if (e->r->http_status > 0)
                fprintf(e->msg, " (HTTP %ld)", e->r->http_status);
        explain_quote(e);
        if (e->r->kind == PROBE_KIND_IMDS)
                fputs("Check that `imds: endpoint:` (or AWS_EC2_METADATA_SERVICE_ENDPOINT) is "
                      "http://169.254.169.254 and that nothing else answers on that address.",
                      e->rem);
        else
                fputs("Check that the endpoint URL (`endpoints:` or AWS_ENDPOINT_URL*) points at "
                      "the AWS service itself and that no proxy or captive portal answers in its "
                      "place (proxy.url / HTTPS_PROXY).", e->rem);
        return 0;
}

static int explain_not_found(Explain *e)
{
        _cleanup_free_ char *arn = NULL;
        const char *group = strna(e->r->target);
        int r;

        if (e->r->kind != PROBE_KIND_LOGS) {
                fputs("AWS reports that a resource does not exist", e->msg);
                explain_quote(e);
                fprintf(e->rem, "Check `region:` (%s) and the endpoint URL in `endpoints:`: the "
                                "request went to %s.",
                        e->region_text, e->host ?: imds_text(e));
                return 0;
        }

        r = explain_log_arn(e, ":*", &arn);
        if (r < 0)
                return r;
        if (e->quote && strstr(e->quote, "log stream")) {
                fputs("the log stream", e->msg);
                if (e->ctx->log_stream)
                        fprintf(e->msg, " '%s'", e->ctx->log_stream);
                fputs(" does not exist although the probe creates a missing stream first, so it "
                      "vanished in between (deleted, or removed by retention)", e->msg);
                fprintf(e->rem, "cwguardd creates missing streams itself, so this should clear "
                                "next round; if it still shows, find who deletes streams in log "
                                "group '%s' and check that `logs:CreateLogStream` and "
                                "`logs:DescribeLogStreams` are allowed on `%s`.",
                        group, arn);
                return 0;
        }

        fprintf(e->msg, "the log group '%s' does not exist in region %s", group, e->region_text);
        if (e->ctx->create_log_group)
                fputs(" although probes.create_log_group is on", e->msg);
        if (e->ctx->create_log_group)
                fprintf(e->rem, "cwguardd is set to create it (probes.create_log_group: true) but "
                                "could not: allow `logs:CreateLogGroup` on `%s`, or create it "
                                "yourself with `aws logs create-log-group --log-group-name %s "
                                "--region %s`.",
                        arn, group, e->region_text);
        else
                fprintf(e->rem, "Create it: `aws logs create-log-group --log-group-name %s "
                                "--region %s`, or set `probes.create_log_group: true` (needs "
                                "`logs:CreateLogGroup` on `%s`); also check that `region:` is "
                                "the region the agent writes to.",
                        group, e->region_text, arn);
        return 0;
}

static int explain_invalid_request(Explain *e)
{
        fputs("AWS rejected the request as invalid", e->msg);
        if (e->r->aws_error_code)
                fprintf(e->msg, " (%s)", e->r->aws_error_code);
        explain_quote(e);
        if (e->r->kind == PROBE_KIND_METRICS)
                fprintf(e->rem, "Check namespace '%s' in `probes.metrics` (1 to 255 characters, "
                                "not starting with 'AWS/')",
                        strna(e->r->target));
        else if (e->r->kind == PROBE_KIND_LOGS)
                fprintf(e->rem, "Check log group '%s' in `probes.logs` and `probes.log_stream` "
                                "(no ':' or '*')",
                        strna(e->r->target));
        else
                fputs("Check `region:` and `endpoints:`", e->rem);
        fputs("; if the configuration is right, report it as a cwguard bug", e->rem);
        if (e->r->request_id)
                fprintf(e->rem, " with request id %s", e->r->request_id);
        fputs(".", e->rem);
        return 0;
}

static int explain_throttled(Explain *e)
{
        fputs("AWS throttled the request", e->msg);
        if (e->r->aws_error_code)
                fprintf(e->msg, " (%s)", e->r->aws_error_code);
        if (e->r->attempts > 1)
                fprintf(e->msg, " on all %u attempts", e->r->attempts);
        explain_quote(e);
        if (e->r->kind == PROBE_KIND_IMDS)
                fputs("IMDS throttles per instance: find the process on this host that queries "
                      "it in a loop (an SDK without credential caching).", e->rem);
        else
                fprintf(e->rem, "Usually transient: the %s request rate is shared by every caller "
                                "in the account and region; if it persists, find the heavy caller "
                                "in CloudTrail or request a higher quota in Service Quotas.",
                        e->action ?: "API");
        return 0;
}

static int explain_server_error(Explain *e)
{
        fputs("AWS returned a server error", e->msg);
        if (e->r->http_status > 0)
                fprintf(e->msg, " (HTTP %ld%s%s)", e->r->http_status,
                        e->r->aws_error_code ? " " : "", strempty(e->r->aws_error_code));
        if (e->r->attempts > 1)
                fprintf(e->msg, " on all %u attempts", e->r->attempts);
        explain_quote(e);
        fprintf(e->rem, "Usually transient on AWS's side and retried next round; if it persists, "
                        "check the AWS Health Dashboard for %s in %s",
                e->r->kind == PROBE_KIND_IMDS ? "EC2" : e->service ?: "the service",
                e->region_text);
        if (e->r->request_id)
                fprintf(e->rem, " and give AWS Support the request id %s", e->r->request_id);
        fputs(".", e->rem);
        return 0;
}

/* ---- network ------------------------------------------------------------------------------- */

static void vpc_endpoint_name(Explain *e, FILE *f)
{
        fprintf(f, "`com.amazonaws.%s.%s`", e->region_text, e->service ?: "<service>");
}

static int explain_dns(Explain *e)
{
        const char *host = e->host ?: imds_text(e);

        if (e->r->kind == PROBE_KIND_ENDPOINT)
                fputs("the name does not resolve", e->msg);
        else
                fprintf(e->msg, "could not resolve %s", host);
        if (e->r->net.via_proxy)
                fputs(" (the proxy resolves names)", e->msg);
        explain_quote(e);
        if (e->r->kind == PROBE_KIND_IMDS)
                fputs("Check `imds: endpoint:` (or AWS_EC2_METADATA_SERVICE_ENDPOINT): IMDS is "
                      "the literal address 169.254.169.254 and needs no DNS.", e->rem);
        else if (e->r->net.via_proxy)
                fprintf(e->rem, "The proxy could not resolve %s: fix the proxy's resolver, or "
                                "bypass the proxy for AWS endpoints with NO_PROXY.",
                        host);
        else
                fprintf(e->rem, "Check the resolver (/etc/resolv.conf, `resolvectl status`): in "
                                "a VPC the Amazon-provided DNS needs the VPC attribute "
                                "`enableDnsSupport` (and `enableDnsHostnames` for a VPC "
                                "endpoint's private DNS), and a private hosted zone for %s must "
                                "be associated with this VPC; also check the name in "
                                "`endpoints:` (or AWS_ENDPOINT_URL*).",
                        host);
        return 0;
}

/* connect-failed and timeout: the path to the endpoint, judged by where its address lives. */
static int explain_unreachable(Explain *e)
{
        const ProbeNetwork *n = &e->r->net;
        bool timeout = e->r->class == RESULT_CLASS_TIMEOUT;
        const char *host = e->host ?: imds_text(e);

        if (e->r->kind == PROBE_KIND_ENDPOINT) {
                fputs("TCP connection", e->msg);
                if (n->address)
                        fprintf(e->msg, " (%s, %s address)", n->address,
                                address_scope_to_string(n->scope) ?: "unknown");
                fprintf(e->msg, timeout ? " to port %u timed out" : " to port %u failed",
                        e->port);
        } else {
                fprintf(e->msg, "no answer from %s: %s", host,
                        timeout ? "timed out" : "connection failed");
                if (e->r->attempts > 1)
                        fprintf(e->msg, " on all %u attempts", e->r->attempts);
        }
        if (n->via_proxy)
                fputs(" (through the proxy)", e->msg);
        explain_quote(e);

        if (e->r->kind == PROBE_KIND_IMDS) {
                fprintf(e->rem, "IMDS is the link-local 169.254.169.254: check that it is enabled "
                                "(`aws ec2 modify-instance-metadata-options --instance-id %s "
                                "--http-endpoint enabled`) and that no local firewall blocks it.",
                        explain_instance_text(e));
        } else if (n->via_proxy)
                fprintf(e->rem, "The connection goes through the proxy: check that the proxy "
                                "(proxy.url / HTTPS_PROXY) is up and allows CONNECT to %s:443.",
                        host);
        else if (e->r->kind == PROBE_KIND_ENDPOINT && n->scope == ADDRESS_SCOPE_PUBLIC) {
                fputs("No route to the public endpoint from a private subnet: create the VPC "
                      "interface endpoint ", e->rem);
                vpc_endpoint_name(e, e->rem);
                fputs(" (with private DNS), or a NAT gateway; in a public subnet check the "
                      "security group egress (TCP 443) and the network ACL (443 out, ports "
                      "1024-65535 back).", e->rem);
        } else if (e->r->kind == PROBE_KIND_ENDPOINT && n->scope == ADDRESS_SCOPE_PRIVATE)
                fprintf(e->rem, "%s resolves to a private address, a VPC interface endpoint: its "
                                "security group must allow inbound TCP 443 from this instance, "
                                "this instance's security group egress must allow 443 to it, and "
                                "the network ACLs of both subnets must pass the traffic.",
                        host);
        else {
                fputs("Check the security group egress (TCP 443), the network ACL (443 out, ports "
                      "1024-65535 back) and the route table: a private subnet needs a NAT gateway "
                      "or the VPC interface endpoint ", e->rem);
                vpc_endpoint_name(e, e->rem);
                fprintf(e->rem, " (with private DNS)%s.",
                        e->r->kind == PROBE_KIND_ENDPOINT ? "" : "; see the endpoint probe");
        }
        return 0;
}

static int explain_tls(Explain *e)
{
        if (e->r->kind == PROBE_KIND_ENDPOINT)
                fputs("the TLS handshake failed", e->msg);
        else
                fprintf(e->msg, "the TLS handshake with %s failed", e->host ?: imds_text(e));
        explain_quote(e);
        if (e->r->kind == PROBE_KIND_IMDS) {
                fputs("Check `imds: endpoint:`: IMDS is plain http://169.254.169.254; an https:// "
                      "endpoint needs a certificate the system store (or `ca_bundle:`) trusts.",
                      e->rem);
                return 0;
        }
        fprintf(e->rem, "If a TLS-intercepting proxy or firewall sits in the path, add its CA "
                        "certificate to a bundle named by `ca_bundle:` (or AWS_CA_BUNDLE); "
                        "otherwise check the endpoint name in `endpoints:` (the certificate covers "
                        "%s.%s.amazonaws.com and the VPC endpoint's vpce- names, not a custom "
                        "alias), the system CA store and the clock.",
                e->service ?: "<service>", e->region_text);
        return 0;
}

static int explain_proxy(Explain *e)
{
        fputs("the proxy failed the connection", e->msg);
        if (e->host && e->r->kind != PROBE_KIND_ENDPOINT)
                fprintf(e->msg, " to %s", e->host);
        explain_quote(e);
        if (e->r->kind == PROBE_KIND_IMDS)
                fputs("IMDS must be reached directly: add 169.254.169.254 to NO_PROXY (or "
                      "`proxy: no_proxy:`).", e->rem);
        else
                fprintf(e->rem, "Check proxy.url (or HTTPS_PROXY/https_proxy): host, port and "
                                "credentials, and that the proxy allows CONNECT to %s:443; keep "
                                "169.254.169.254 in NO_PROXY so that IMDS is reached directly, or "
                                "set `proxy: url: \"\"` to go without a proxy.",
                        e->host ?: "the endpoint");
        return 0;
}

/* The 12 digits after "arn:aws...:iam::" of a role ARN, or NULL. */
static char *role_account(const char *arn)
{
        const char *p = arn ? strstr(arn, ":iam::") : NULL;

        if (!p || strspn(p + 6, "0123456789") != 12 || p[18] != ':')
                return NULL;
        return strndup(p + 6, 12);
}

/*
 * RegionDisabledException from AssumeRole: the role's account has STS deactivated in the
 * region, and the agent's fallback (round-role.c: the partition's fallback region) failed too,
 * which the quoted message says. Either side fixes it.
 */
static int explain_sts_region_disabled(Explain *e)
{
        _cleanup_free_ char *account = role_account(e->r->role_arn);
        const char *fallback = sts_fallback_region(e->region);

        fprintf(e->msg, "STS is deactivated in %s for account %s, so no session of the role "
                        "is issued there", e->region_text, account ?: "<the role's account>");
        explain_quote(e);
        fprintf(e->rem, "Activate STS in %s for account %s (IAM console > Account settings > "
                        "Security Token Service (STS) > Endpoints > %s > Activate; an "
                        "administrator of that account)",
                e->region_text, account ?: "<the role's account>", e->region_text);
        if (fallback)
                fprintf(e->rem, ", or let this host reach STS in %s, where the agent falls back "
                                "(https://sts.%s.amazonaws.com%s, through a NAT gateway or proxy: "
                                "a VPC interface endpoint serves only its own region)",
                        fallback, fallback, strncmp(fallback, "cn-", 3) == 0 ? ".cn" : "");
        fputs(".", e->rem);
        return 0;
}

/* A class this file has no writer for (a new one, or ok/not-applicable on a failed result). */
static int explain_other(Explain *e)
{
        const char *c = result_class_to_string(e->r->class);

        fprintf(e->msg, "failed (%s)", c ?: "unknown class");
        explain_quote(e);
        fputs("See the AWS error code and message in the probe's details (`cwguardctl status`).",
              e->rem);
        return 0;
}

static const FailureWriter failure_table[_RESULT_CLASS_MAX] = {
        [RESULT_CLASS_ACCESS_DENIED] = explain_access_denied,
        [RESULT_CLASS_KMS_DENIED] = explain_kms_denied,
        [RESULT_CLASS_CREDENTIALS_EXPIRED] = explain_credentials_expired,
        [RESULT_CLASS_CREDENTIALS_INVALID] = explain_credentials_invalid,
        [RESULT_CLASS_SIGNATURE_MISMATCH] = explain_signature_mismatch,
        [RESULT_CLASS_CLOCK_SKEW] = explain_clock_skew,
        [RESULT_CLASS_NO_CREDENTIALS] = explain_no_credentials,
        [RESULT_CLASS_IMDS_UNREACHABLE] = explain_imds_unreachable,
        [RESULT_CLASS_IMDS_TOKEN_TIMEOUT] = explain_imds_token_timeout,
        [RESULT_CLASS_IMDS_TOKEN_REFUSED] = explain_imds_token_refused,
        [RESULT_CLASS_IMDS_NO_ROLE] = explain_imds_no_role,
        [RESULT_CLASS_IMDS_CREDENTIALS_ERROR] = explain_imds_credentials_error,
        [RESULT_CLASS_BAD_RESPONSE] = explain_bad_response,
        [RESULT_CLASS_RESOURCE_NOT_FOUND] = explain_not_found,
        [RESULT_CLASS_INVALID_REQUEST] = explain_invalid_request,
        [RESULT_CLASS_THROTTLED] = explain_throttled,
        [RESULT_CLASS_SERVER_ERROR] = explain_server_error,
        [RESULT_CLASS_DNS_FAILURE] = explain_dns,
        [RESULT_CLASS_CONNECT_FAILED] = explain_unreachable,
        [RESULT_CLASS_TIMEOUT] = explain_unreachable,
        [RESULT_CLASS_TLS_FAILURE] = explain_tls,
        [RESULT_CLASS_PROXY_FAILURE] = explain_proxy,
        [RESULT_CLASS_STS_REGION_DISABLED] = explain_sts_region_disabled,
        [RESULT_CLASS_AGENT_NOT_RUNNING] = explain_agent_not_running,
        [RESULT_CLASS_AGENT_ERRORS] = explain_agent_errors,
};

int explain_failure(Explain *e)
{
        ResultClass c = e->r->class;
        FailureWriter w = c >= 0 && c < _RESULT_CLASS_MAX ? failure_table[c] : NULL;

        return (w ?: explain_other)(e);
}
