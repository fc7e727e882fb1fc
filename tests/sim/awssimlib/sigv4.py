# SPDX-License-Identifier: MIT
"""SigV4 verification with botocore, independent of cwguard's C signer.

The Authorization header is parsed, the request rebuilt with exactly the client's SignedHeaders
and body, and botocore.auth.SigV4Auth computes canonical request, string to sign and signature
for the X-Amz-Date the client used. The checks run in the order AWS's front end applies them
(as quoted from real DynamoDB answers in mhart/dynalite): missing header, incomplete
Authorization, date format and clock skew, Host signed, algorithm, credential scope, key id,
session token, expiry, signature.
"""

import datetime
import email.utils
import hmac
import sys

from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.compat import HTTPHeaders
from botocore.credentials import Credentials

from .errors import AwsError
from .state import amz_date

# Clock-skew window by service: STS says "(... - 15 min.)", CloudWatch and Logs 5 min.
SKEW_WINDOW = {'sts': 15, 'monitoring': 5, 'logs': 5}


class _ClientHeadersSigV4(SigV4Auth):
    """SigV4Auth that signs exactly the header names the client declared, in the request's
    values (botocore's default filter would drop e.g. user-agent)."""

    def __init__(self, credentials, service, region, signed, raw_headers):
        super().__init__(credentials, service, region)
        self._signed = signed
        self._raw = raw_headers

    def headers_to_sign(self, request):
        hm = HTTPHeaders()
        for name in self._signed:
            for k, v in self._raw:
                if k.lower() == name:
                    hm[name] = v
        return hm


class Verdict:
    """Outcome of verification: access_key_id (or None); ok: whether the signature matched (None
    when it could not be computed); error: the AwsError to answer (None: authenticated); the
    principal (arn, user_id) when the key is known."""

    def __init__(self):
        self.access_key_id = None
        self.ok = None
        self.error = None
        self.arn = None
        self.user_id = None
        self.region = None      # the credential scope's region


def _parse_authorization(auth):
    algo, _, rest = auth.strip().partition(' ')
    params = {}
    for part in rest.split(','):
        k, eq, v = part.strip().partition('=')
        if eq:
            params[k.strip()] = v.strip()
    return algo, params


def _parse_date(raw_headers):
    """(X-Amz-Date value, or the Date header converted to basic format, or None)."""
    hd = {k.lower(): v for k, v in raw_headers}
    if 'x-amz-date' in hd:
        return hd['x-amz-date'].strip()
    if 'date' in hd:
        try:
            dt = email.utils.parsedate_to_datetime(hd['date'])
            return dt.astimezone(datetime.timezone.utc).strftime('%Y%m%dT%H%M%SZ')
        except (TypeError, ValueError):
            return hd['date'].strip()
    return None


def verify(state, service, method, path, raw_headers, body, region):
    """Verify a request; service is the signing name the routed operation needs, region the
    region (or a list of the regions) the credential scope may name. The verdict
    carries the first error in AWS's order; the signature itself is still checked whenever the
    key is known, so that records say whether it was right (signature_ok)."""
    v = Verdict()
    errors = []
    auth = None
    for k, val in raw_headers:
        if k.lower() == 'authorization':
            auth = val
    if not auth or not auth.strip().startswith('AWS4-'):
        v.error = AwsError.common('missing-auth')
        return v

    algo, params = _parse_authorization(auth)
    date = _parse_date(raw_headers)
    cred = params.get('Credential', '')
    v.access_key_id = cred.split('/')[0] or None
    msg = ''
    for p in ('Credential', 'Signature', 'SignedHeaders'):
        if not params.get(p):
            msg += "Authorization header requires '%s' parameter. " % p
    if not date:
        msg += ("Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' "
                "header. ")
    if msg:
        # AWS appends "Authorization=<header>"; the signature is left out here on purpose.
        v.error = AwsError.common('incomplete', msg + 'Authorization=%s' % algo)
        return v

    try:
        req_dt = datetime.datetime.strptime(date, '%Y%m%dT%H%M%SZ').replace(
            tzinfo=datetime.timezone.utc)
    except ValueError:
        v.error = AwsError.common('incomplete', "Date must be in ISO-8601 'basic format'. Got "
                                  "'%s'. See http://en.wikipedia.org/wiki/ISO_8601" % date)
        return v
    now = state.now()
    win = SKEW_WINDOW.get(service, 5)
    req_t = req_dt.timestamp()
    if req_t < now - win * 60:
        errors.append(AwsError.common('signature', 'Signature expired: %s is now earlier than %s '
                                      '(%s - %d min.)' % (date, amz_date(now - win * 60),
                                                          amz_date(now), win)))
    elif req_t > now + win * 60:
        errors.append(AwsError.common('signature', 'Signature not yet current: %s is still later '
                                      'than %s (%s + %d min.)' % (date, amz_date(now + win * 60),
                                                                  amz_date(now), win)))

    signed = [h.strip().lower() for h in params['SignedHeaders'].split(';') if h.strip()]
    if 'host' not in signed:
        errors.append(AwsError.common('signature', "'Host' must be a 'SignedHeader' in the AWS "
                                      "Authorization."))
    if algo != 'AWS4-HMAC-SHA256':
        v.error = errors[0] if errors else AwsError.common(
            'incomplete', "Unsupported AWS 'algorithm': '%s' (only AWS4-HMAC-SHA256 for now). "
            % algo)
        return v
    parts = cred.rstrip('/').split('/')
    if len(parts) != 5:
        v.error = errors[0] if errors else AwsError.common(
            'incomplete', 'Credential must have exactly 5 slash-delimited elements, e.g. '
            "keyid/date/region/service/term, got '%s'" % cred)
        return v
    akid, sdate, sregion, sservice, term = parts
    v.region = sregion
    msg = ''
    if sregion not in ([region] if isinstance(region, str) else region):
        msg += "Credential should be scoped to a valid region, not '%s'. " % sregion
    if sservice != service:
        msg += "Credential should be scoped to correct service: '%s'. " % service
    if term != 'aws4_request':
        msg += ("Credential should be scoped with a valid terminator: 'aws4_request', "
                "not '%s'. " % term)
    if sdate != date[:8]:
        msg += ("Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date "
                "from HTTP: '%s' != '%s', from '%s'." % (sdate, date[:8], date))
    if msg:
        errors.append(AwsError.common('signature', msg))

    key = state.lookup_key(akid)
    if key is None:
        errors.append(AwsError.common('invalid-token'))
        v.error = errors[0]
        return v
    secret, token, expired, v.arn, v.user_id = key
    sent_token = None
    for k, val in raw_headers:
        if k.lower() == 'x-amz-security-token':
            sent_token = val.strip()
    if token is not None and not hmac.compare_digest((sent_token or '').encode(),
                                                     token.encode()):
        # A session key is only usable with its own token.
        errors.append(AwsError.common('invalid-token'))
    if expired:
        errors.append(AwsError.common('expired-token'))

    signer = _ClientHeadersSigV4(Credentials(akid, secret, token), sservice, sregion, signed,
                                 raw_headers)
    req = AWSRequest(method=method, url='https://sim' + path, data=body or b'')
    req.context['timestamp'] = date
    canonical = signer.canonical_request(req)
    sts = signer.string_to_sign(req, canonical)
    want = signer.signature(sts, req)
    v.ok = hmac.compare_digest(want.encode(), params['Signature'].encode())
    if not v.ok:
        _debug_mismatch(canonical, sts, (token, sent_token))
        errors.append(AwsError.common('signature'))
    if token is None and sent_token:
        # A permanent key with a session token attached (no trailing period, as observed).
        errors.append(AwsError.common('invalid-token',
                                      'The security token included in the request is invalid'))
    v.error = errors[0] if errors else None
    return v


def _debug_mismatch(canonical, sts, tokens):
    """What AWS JSON services append to the message, on stderr only (tokens redacted)."""
    for t in tokens:
        if t:
            canonical = canonical.replace(t, '<token>')
    sys.stderr.write('awssim: signature mismatch\n--- canonical request\n%s\n'
                     '--- string to sign\n%s\n---\n' % (canonical, sts))
    sys.stderr.flush()
