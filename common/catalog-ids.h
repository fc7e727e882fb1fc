#pragma once
/* SPDX-License-Identifier: MIT */
/* catalog-ids.h: the MESSAGE_IDs of cwguard's journal entries, each explained in the catalog. */

#include "common/macro.h"
#include "common/result-class.h"

/*
 * Every id is listed here once, as the 32 hex digits journald stores in MESSAGE_ID= (use them
 * as "MESSAGE_ID=" CWGUARD_MESSAGE_X, or sd_id128_from_string() for the binary form). Each has
 * exactly one entry in systemd/cwguard.catalog, which `journalctl -x` shows with the entry's
 * CWGUARD_* fields substituted; tests/journal/check-catalog enforces the one-to-one mapping.
 * Ids are a public contract (operators alert on them): never change or reuse one. New ids
 * come from `systemd-id128 new`.
 *
 * Only operator-actionable events carry an id: a probe entering (or staying in) a failure
 * class, a probe recovering, the heartbeat failing or recovering, the daemon starting and
 * becoming ready, a configuration being rejected, credentials being unavailable.
 */

/* A probe failed, one id per failure class (catalog_id_for_class() maps them). */
#define CWGUARD_MESSAGE_PROBE_ACCESS_DENIED          "81364cedb9094de4a9cb7be68e68da04"
#define CWGUARD_MESSAGE_PROBE_KMS_DENIED             "fea0eba6eeeb4f8399291cdbf3c573f9"
#define CWGUARD_MESSAGE_PROBE_CREDENTIALS_EXPIRED    "017f4047e50e4693b6dd8fa7ed5d6d8b"
#define CWGUARD_MESSAGE_PROBE_CREDENTIALS_INVALID    "47750a89354a4b32a53f0871b1351ff5"
#define CWGUARD_MESSAGE_PROBE_SIGNATURE_MISMATCH     "0088984d40534967809d858246e7f3d3"
#define CWGUARD_MESSAGE_PROBE_CLOCK_SKEW             "8b8c5cdda17b40e99704e2daabf5deda"
#define CWGUARD_MESSAGE_PROBE_NO_CREDENTIALS         "e3e274ba16624947a63b7cc00c024e39"
#define CWGUARD_MESSAGE_PROBE_IMDS_UNREACHABLE       "1cf3c90ba205414ba6b07eb0e54e0da3"
#define CWGUARD_MESSAGE_PROBE_IMDS_TOKEN_TIMEOUT     "f82b29bd2a2f4358bfbedeef7c90352b"
#define CWGUARD_MESSAGE_PROBE_IMDS_TOKEN_REFUSED     "d7f19bec7e254d4590092f0673081a93"
#define CWGUARD_MESSAGE_PROBE_IMDS_NO_ROLE           "2134f7442faa473c82426e64f9c150b4"
#define CWGUARD_MESSAGE_PROBE_IMDS_CREDENTIALS_ERROR "1452c09872d44dd3813b976eff3ccc58"
#define CWGUARD_MESSAGE_PROBE_BAD_RESPONSE           "50311598035e49ecb316e733ad70fcea"
#define CWGUARD_MESSAGE_PROBE_RESOURCE_NOT_FOUND     "be7a6547217c49b1b73060834a9eea42"
#define CWGUARD_MESSAGE_PROBE_INVALID_REQUEST        "281aa2bb9c974257a8ea279babc05492"
#define CWGUARD_MESSAGE_PROBE_THROTTLED              "affe585337d842f9b7e2d77c805673c1"
#define CWGUARD_MESSAGE_PROBE_SERVER_ERROR           "613e5fcb6866454caa8f15b1ed7090bc"
#define CWGUARD_MESSAGE_PROBE_DNS_FAILURE            "cfc0a09d69ba4234a0d239e865b5ee14"
#define CWGUARD_MESSAGE_PROBE_CONNECT_FAILED         "d81e95e2e8d34038b882d46b54469c37"
#define CWGUARD_MESSAGE_PROBE_TIMEOUT                "ecc37514b4064569b010d8d37176bf1a"
#define CWGUARD_MESSAGE_PROBE_TLS_FAILURE            "6be1a4b2e270412bb6ac02d589aef3cc"
#define CWGUARD_MESSAGE_PROBE_PROXY_FAILURE          "862298df9bd14322902f6b6b57c633ed"
#define CWGUARD_MESSAGE_PROBE_STS_REGION_DISABLED    "fb45da90cdc848efa0a08cbe050c9392"
#define CWGUARD_MESSAGE_PROBE_AGENT_NOT_RUNNING      "71add4e5130142129cdf1a32f739d616"
#define CWGUARD_MESSAGE_PROBE_AGENT_ERRORS           "df997ced0d344467827960092ce1d396"

/* A probe that was failing is ok again. */
#define CWGUARD_MESSAGE_PROBE_RECOVERED              "8b46d4c4f58a40d99e0ce46bf48b80d6"

/* The heartbeat metric could not be delivered (the heartbeat alarm will fire), then could. */
#define CWGUARD_MESSAGE_HEARTBEAT_FAILED             "e487ae4ff66e4c4b94b3732f99edb8d9"
#define CWGUARD_MESSAGE_HEARTBEAT_RECOVERED          "e017143351cd48df9c7744d45dd811b9"

/* The daemon's life cycle. */
#define CWGUARD_MESSAGE_DAEMON_STARTED               "d61eec7a4487404797713eb9d2ee0a26"
#define CWGUARD_MESSAGE_DAEMON_READY                 "87e59ad56435467cb0f70b99d356b970"
#define CWGUARD_MESSAGE_CONFIG_REJECTED              "1d0cfd2eeab7414e96ae68fe42cf7766"
#define CWGUARD_MESSAGE_CREDENTIALS_UNAVAILABLE      "5ab28fcacc834d3ca40413b731ea0baf"

/**
 * catalog_id_for_class() - the MESSAGE_ID of a probe failure of class @c.
 * @c: the result's class.
 *
 * Return: the 32 hex digits, or NULL for ok, not-applicable and out-of-range values (those
 *         results are not failures and carry no id).
 */
const char *catalog_id_for_class(ResultClass c) _const_;
