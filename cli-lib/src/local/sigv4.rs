//! Verifying AWS Signature Version 4 on requests that reach `tp local`
//! (the AWS proxy, the API's front door), and signing the requests
//! `tp local call` sends.
//!
//! Only the `Authorization` header form is verified (what the AWS SDKs
//! send); the expected signature is computed by `aws-sigv4` over exactly
//! the headers the request's `SignedHeaders` names, and compared in
//! constant time. The payload hash is the request's `x-amz-content-sha256`
//! when it carries one (a hex digest is checked against the body;
//! `UNSIGNED-PAYLOAD` and `STREAMING-UNSIGNED-PAYLOAD-TRAILER`, which the
//! JavaScript SDK sends for S3 stream bodies, leave the body unsigned, as in
//! AWS), otherwise the SHA-256 of the body.

use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use aws_sigv4::http_request::{
    PercentEncodingMode, SignableBody, SignableRequest, SignatureLocation, SigningSettings,
    UriPathNormalizationMode,
};
use sha2::{Digest, Sha256};

use super::types::{AuthFailure, Credentials, KeyStore, Principal, RequestAuthenticator};

/// How far a request's `X-Amz-Date` may be from now, as AWS allows.
pub const MAX_CLOCK_SKEW: Duration = Duration::from_secs(15 * 60);

const ALGORITHM: &str = "AWS4-HMAC-SHA256";

/// The parts of an `Authorization: AWS4-HMAC-SHA256 ...` header.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Authorization {
    pub access_key_id: String,
    /// `YYYYMMDD` of the credential scope.
    pub date: String,
    pub region: String,
    pub service: String,
    /// Lowercase header names, in the order given.
    pub signed_headers: Vec<String>,
    /// Lowercase hex.
    pub signature: String,
}

impl Authorization {
    /// Parses the `Authorization` header of `headers`: `Missing` without one,
    /// `Malformed` naming the part that is wrong otherwise.
    pub fn from_headers(headers: &http::HeaderMap) -> Result<Authorization, AuthFailure> {
        let value = headers
            .get(http::header::AUTHORIZATION)
            .ok_or(AuthFailure::Missing)?;
        let value = value.to_str().map_err(|_| {
            AuthFailure::Malformed("the Authorization header is not ASCII".to_owned())
        })?;
        Authorization::parse(value)
    }

    /// Parses `AWS4-HMAC-SHA256 Credential=AKID/DATE/REGION/SERVICE/aws4_request,
    /// SignedHeaders=a;b, Signature=hex`.
    pub fn parse(value: &str) -> Result<Authorization, AuthFailure> {
        let malformed = |what: &str| AuthFailure::Malformed(what.to_owned());
        let rest = value
            .trim()
            .strip_prefix(ALGORITHM)
            .filter(|r| r.starts_with(' '))
            .ok_or_else(|| {
                malformed("the Authorization header does not start with AWS4-HMAC-SHA256")
            })?;
        let (mut credential, mut signed, mut signature) = (None, None, None);
        for part in rest.split(',') {
            let part = part.trim();
            if let Some(v) = part.strip_prefix("Credential=") {
                credential = Some(v);
            } else if let Some(v) = part.strip_prefix("SignedHeaders=") {
                signed = Some(v);
            } else if let Some(v) = part.strip_prefix("Signature=") {
                signature = Some(v);
            }
        }
        let credential = credential.ok_or_else(|| malformed("Authorization has no Credential"))?;
        let signed = signed.ok_or_else(|| malformed("Authorization has no SignedHeaders"))?;
        let signature = signature.ok_or_else(|| malformed("Authorization has no Signature"))?;
        let scope: Vec<&str> = credential.split('/').collect();
        let [key, date, region, service, terminator] = scope[..] else {
            return Err(malformed(
                "Credential is not ACCESS_KEY/YYYYMMDD/REGION/SERVICE/aws4_request",
            ));
        };
        if terminator != "aws4_request" || key.is_empty() || date.len() != 8 {
            return Err(malformed(
                "Credential is not ACCESS_KEY/YYYYMMDD/REGION/SERVICE/aws4_request",
            ));
        }
        if signature.len() != 64 || !signature.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(malformed("Signature is not 64 hex digits"));
        }
        let signed_headers: Vec<String> = signed
            .split(';')
            .map(|h| h.trim().to_ascii_lowercase())
            .collect();
        if signed_headers.iter().any(String::is_empty) {
            return Err(malformed("SignedHeaders has an empty header name"));
        }
        Ok(Authorization {
            access_key_id: key.to_owned(),
            date: date.to_owned(),
            region: region.to_owned(),
            service: service.to_owned(),
            signed_headers,
            signature: signature.to_ascii_lowercase(),
        })
    }
}

/// Verifies requests against the keys `tp local` issued.
pub struct SigV4Authenticator {
    pub keys: Arc<dyn KeyStore>,
}

impl SigV4Authenticator {
    /// [`RequestAuthenticator::authenticate`] with `now` as the current time.
    #[allow(clippy::too_many_arguments)]
    pub fn authenticate_at(
        &self,
        service: &str,
        region: &str,
        method: &http::Method,
        uri: &http::Uri,
        headers: &http::HeaderMap,
        body: &[u8],
        now: SystemTime,
    ) -> Result<Principal, AuthFailure> {
        let auth = Authorization::from_headers(headers)?;
        if auth.service != service || auth.region != region {
            return Err(AuthFailure::WrongScope(format!(
                "the credential scope is {}/{} but this endpoint is {service}/{region}",
                auth.service, auth.region
            )));
        }
        let date = header_str(headers, "x-amz-date")?.ok_or_else(|| {
            AuthFailure::Malformed("the request has no X-Amz-Date header".to_owned())
        })?;
        let time = parse_amz_date(date).ok_or_else(|| {
            AuthFailure::Malformed(format!("X-Amz-Date {date:?} is not YYYYMMDDTHHMMSSZ"))
        })?;
        if !date.starts_with(&auth.date) {
            return Err(AuthFailure::Malformed(format!(
                "the credential scope's date {} is not X-Amz-Date's {date}",
                auth.date
            )));
        }
        let skew = now.duration_since(time).unwrap_or_else(|e| e.duration());
        if skew > MAX_CLOCK_SKEW {
            return Err(AuthFailure::Expired);
        }
        let (principal, credentials) = self
            .keys
            .lookup(&auth.access_key_id)
            .ok_or_else(|| AuthFailure::UnknownKey(auth.access_key_id.clone()))?;
        // Temporary credentials are only valid with their own session token.
        if let Some(token) = &credentials.session_token {
            let sent = header_str(headers, "x-amz-security-token")?.unwrap_or_default();
            if !constant_time_eq(sent.as_bytes(), token.as_bytes()) {
                return Err(AuthFailure::UnknownKey(auth.access_key_id));
            }
        }
        let expected = expected_signature(&auth, method, uri, headers, body, &credentials, time)?;
        if constant_time_eq(expected.as_bytes(), auth.signature.as_bytes()) {
            Ok(principal)
        } else {
            Err(AuthFailure::BadSignature)
        }
    }
}

impl RequestAuthenticator for SigV4Authenticator {
    fn authenticate(
        &self,
        service: &str,
        region: &str,
        method: &http::Method,
        uri: &http::Uri,
        headers: &http::HeaderMap,
        body: &[u8],
    ) -> Result<Principal, AuthFailure> {
        self.authenticate_at(
            service,
            region,
            method,
            uri,
            headers,
            body,
            SystemTime::now(),
        )
    }
}

fn header_str<'h>(
    headers: &'h http::HeaderMap,
    name: &str,
) -> Result<Option<&'h str>, AuthFailure> {
    match headers.get(name) {
        None => Ok(None),
        Some(v) => v
            .to_str()
            .map(Some)
            .map_err(|_| AuthFailure::Malformed(format!("the {name} header is not ASCII"))),
    }
}

/// S3 signs the path as sent (single encoding, no normalization); every
/// other service double-encodes and normalizes it.
fn settings_for(service: &str) -> SigningSettings {
    let mut settings = SigningSettings::default();
    settings.signature_location = SignatureLocation::Headers;
    if service == "s3" {
        settings.percent_encoding_mode = PercentEncodingMode::Single;
        settings.uri_path_normalization_mode = UriPathNormalizationMode::Disabled;
    }
    settings
}

/// The signature the request should carry, computed by `aws-sigv4` over the
/// headers `SignedHeaders` names, with the request's own values.
fn expected_signature(
    auth: &Authorization,
    method: &http::Method,
    uri: &http::Uri,
    headers: &http::HeaderMap,
    body: &[u8],
    credentials: &Credentials,
    time: SystemTime,
) -> Result<String, AuthFailure> {
    let mut signed: Vec<(&str, String)> = Vec::with_capacity(auth.signed_headers.len());
    for name in &auth.signed_headers {
        let values: Vec<&str> = headers
            .get_all(name.as_str())
            .iter()
            .map(|v| v.to_str())
            .collect::<Result<_, _>>()
            .map_err(|_| AuthFailure::Malformed(format!("the {name} header is not ASCII")))?;
        if values.is_empty() {
            return Err(AuthFailure::Malformed(format!(
                "SignedHeaders names {name}, which the request does not carry"
            )));
        }
        signed.push((name.as_str(), values.join(",")));
    }
    let payload = match header_str(headers, "x-amz-content-sha256")? {
        Some(hash) if hash.len() == 64 && hash.bytes().all(|b| b.is_ascii_hexdigit()) => {
            if !hash.eq_ignore_ascii_case(&hex(&Sha256::digest(body))) {
                return Err(AuthFailure::BadSignature);
            }
            SignableBody::Precomputed(hash.to_ascii_lowercase())
        }
        Some(literal) => SignableBody::Precomputed(literal.to_owned()),
        None => SignableBody::Bytes(body),
    };
    let path_and_query = uri.path_and_query().map(|p| p.as_str()).unwrap_or("/");
    let mut settings = settings_for(&auth.service);
    // Every header the request signed is passed in; sign those and no others.
    settings.excluded_headers = None;
    let identity = aws_credential_types::Credentials::new(
        &credentials.access_key_id,
        &credentials.secret_access_key,
        None,
        None,
        "tp-local",
    )
    .into();
    let params = aws_sigv4::sign::v4::SigningParams::builder()
        .identity(&identity)
        .region(&auth.region)
        .name(&auth.service)
        .time(time)
        .settings(settings)
        .build()
        .map_err(|e| AuthFailure::Malformed(format!("cannot sign: {e}")))?
        .into();
    let request = SignableRequest::new(
        method.as_str(),
        path_and_query,
        signed.iter().map(|(k, v)| (*k, v.as_str())),
        payload,
    )
    .map_err(|e| AuthFailure::Malformed(format!("the request cannot be canonicalized: {e}")))?;
    let output = aws_sigv4::http_request::sign(request, &params)
        .map_err(|e| AuthFailure::Malformed(format!("the request cannot be canonicalized: {e}")))?;
    // aws-sigv4 always signs host and x-amz-date; a request that signed
    // other headers than it would has a signature it cannot match.
    let (instructions, signature) = output.into_parts();
    let ours = instructions
        .headers()
        .find(|(k, _)| *k == "authorization")
        .and_then(|(_, v)| v.split("SignedHeaders=").nth(1))
        .and_then(|v| v.split(',').next())
        .unwrap_or_default()
        .to_owned();
    let mut theirs = auth.signed_headers.clone();
    theirs.sort();
    theirs.dedup();
    if ours != theirs.join(";") {
        return Err(AuthFailure::Malformed(format!(
            "SignedHeaders must include host and x-amz-date (signed: {})",
            auth.signed_headers.join(";")
        )));
    }
    Ok(signature)
}

/// Signs a request with `credentials` for `service` in `region` at `time`,
/// returning the headers to add (`authorization`, `x-amz-date`, and
/// `x-amz-security-token` for temporary credentials). `url` is absolute
/// (`http://127.0.0.1:PORT/path?query`, already percent-encoded);
/// `headers` are the request's other headers, all of which are signed.
#[allow(clippy::too_many_arguments)]
pub fn sign(
    method: &str,
    url: &str,
    headers: &[(&str, &str)],
    body: &[u8],
    credentials: &Credentials,
    service: &str,
    region: &str,
    time: SystemTime,
) -> anyhow::Result<Vec<(String, String)>> {
    let identity = aws_credential_types::Credentials::new(
        &credentials.access_key_id,
        &credentials.secret_access_key,
        credentials.session_token.clone(),
        None,
        "tp-local",
    )
    .into();
    let params = aws_sigv4::sign::v4::SigningParams::builder()
        .identity(&identity)
        .region(region)
        .name(service)
        .time(time)
        .settings(settings_for(service))
        .build()?
        .into();
    let request = SignableRequest::new(
        method,
        url,
        headers.iter().copied(),
        SignableBody::Bytes(body),
    )?;
    let (instructions, _) = aws_sigv4::http_request::sign(request, &params)?.into_parts();
    Ok(instructions
        .headers()
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect())
}

/// `20150830T123600Z` as a time.
pub fn parse_amz_date(value: &str) -> Option<SystemTime> {
    let b = value.as_bytes();
    if b.len() != 16 || b[8] != b'T' || b[15] != b'Z' {
        return None;
    }
    let num = |range: std::ops::Range<usize>| -> Option<i64> {
        let s = value.get(range)?;
        s.bytes()
            .all(|c| c.is_ascii_digit())
            .then(|| s.parse().ok())?
    };
    let (year, month, day) = (num(0..4)?, num(4..6)?, num(6..8)?);
    let (hour, minute, second) = (num(9..11)?, num(11..13)?, num(13..15)?);
    if !(1..=12).contains(&month)
        || !(1..=31).contains(&day)
        || hour > 23
        || minute > 59
        || second > 60
    {
        return None;
    }
    let days = days_from_civil(year, month, day);
    let secs = days * 86_400 + hour * 3600 + minute * 60 + second;
    u64::try_from(secs)
        .ok()
        .map(|s| UNIX_EPOCH + Duration::from_secs(s))
}

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's
/// algorithm).
pub(crate) fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (month + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The civil date of a day count since 1970-01-01 (inverse of [`days_from_civil`]).
pub(crate) fn civil_from_days(days: i64) -> (i64, i64, i64) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    (yoe + era * 400 + i64::from(month <= 2), month, day)
}

fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write;
    bytes.iter().fold(String::with_capacity(64), |mut s, b| {
        let _ = write!(s, "{b:02x}");
        s
    })
}

/// Compares without an early exit, so the time taken does not tell how
/// much of a guessed signature was right.
fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    const SECRET: &str = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";

    struct Keys(HashMap<String, (Principal, Credentials)>);

    impl KeyStore for Keys {
        fn lookup(&self, id: &str) -> Option<(Principal, Credentials)> {
            self.0.get(id).cloned()
        }
    }

    fn principal(name: &str) -> Principal {
        Principal {
            arn: format!("arn:aws:iam::123456789012:user/{name}"),
            identity_arn: format!("arn:aws:iam::123456789012:user/{name}"),
            account: "123456789012".into(),
            user_id: "AIDAEXAMPLE".into(),
        }
    }

    fn creds(id: &str, secret: &str, token: Option<&str>) -> Credentials {
        Credentials {
            access_key_id: id.into(),
            secret_access_key: secret.into(),
            session_token: token.map(str::to_owned),
        }
    }

    fn authenticator() -> SigV4Authenticator {
        let mut keys = HashMap::new();
        keys.insert(
            "AKIDEXAMPLE".to_owned(),
            (principal("example"), creds("AKIDEXAMPLE", SECRET, None)),
        );
        keys.insert(
            "ASIATEMP".to_owned(),
            (
                principal("temp"),
                creds("ASIATEMP", "tempsecret", Some("TOKEN123")),
            ),
        );
        SigV4Authenticator {
            keys: Arc::new(Keys(keys)),
        }
    }

    fn vanilla_time() -> SystemTime {
        parse_amz_date("20150830T123600Z").unwrap()
    }

    fn header_map(pairs: &[(&str, &str)]) -> http::HeaderMap {
        let mut map = http::HeaderMap::new();
        for (k, v) in pairs {
            map.append(
                http::HeaderName::from_bytes(k.as_bytes()).unwrap(),
                http::HeaderValue::from_str(v).unwrap(),
            );
        }
        map
    }

    /// AWS's published SigV4 test-suite request `get-vanilla`.
    #[test]
    fn get_vanilla_from_the_aws_test_suite_verifies() {
        let headers = header_map(&[
            ("host", "example.amazonaws.com"),
            ("x-amz-date", "20150830T123600Z"),
            (
                "authorization",
                "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, \
                 SignedHeaders=host;x-amz-date, \
                 Signature=5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31",
            ),
        ]);
        let uri: http::Uri = "/".parse().unwrap();
        let got = authenticator().authenticate_at(
            "service",
            "us-east-1",
            &http::Method::GET,
            &uri,
            &headers,
            b"",
            vanilla_time(),
        );
        assert_eq!(got, Ok(principal("example")));

        // One digit off is a bad signature.
        let mut bad = headers.clone();
        bad.insert(
            "authorization",
            http::HeaderValue::from_static(
                "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, \
                 SignedHeaders=host;x-amz-date, \
                 Signature=5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf30",
            ),
        );
        let got = authenticator().authenticate_at(
            "service",
            "us-east-1",
            &http::Method::GET,
            &uri,
            &bad,
            b"",
            vanilla_time(),
        );
        assert_eq!(got, Err(AuthFailure::BadSignature));
    }

    #[test]
    fn sign_reproduces_get_vanilla() {
        let out = sign(
            "GET",
            "http://example.amazonaws.com/",
            &[],
            b"",
            &creds("AKIDEXAMPLE", SECRET, None),
            "service",
            "us-east-1",
            vanilla_time(),
        )
        .unwrap();
        let auth = out.iter().find(|(k, _)| k == "authorization").unwrap();
        assert!(
            auth.1.ends_with(
                "Signature=5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31"
            ),
            "{}",
            auth.1
        );
    }

    /// A request as an SDK sends it: signed by aws-sigv4 with the
    /// x-amz-content-sha256 header, as the JavaScript SDK does.
    struct Signed {
        method: http::Method,
        uri: http::Uri,
        headers: http::HeaderMap,
        body: Vec<u8>,
    }

    fn signed_request(
        service: &str,
        method: &str,
        path: &str,
        body: &[u8],
        c: &Credentials,
        time: SystemTime,
    ) -> Signed {
        let hash = hex(&Sha256::digest(body));
        let base = [
            ("host", "127.0.0.1:4566"),
            ("content-type", "application/x-amz-json-1.0"),
            ("x-amz-target", "DynamoDB_20120810.GetItem"),
            ("x-amz-content-sha256", hash.as_str()),
        ];
        let url = format!("http://127.0.0.1:4566{path}");
        let added = sign(method, &url, &base, body, c, service, "us-east-1", time).unwrap();
        let mut headers = header_map(&base);
        for (k, v) in &added {
            headers.append(
                http::HeaderName::from_bytes(k.as_bytes()).unwrap(),
                http::HeaderValue::from_str(v).unwrap(),
            );
        }
        // Sent but not signed, as SDKs do with user-agent.
        headers.insert("user-agent", http::HeaderValue::from_static("test/1.0"));
        Signed {
            method: method.parse().unwrap(),
            uri: path.parse().unwrap(),
            headers,
            body: body.to_vec(),
        }
    }

    fn check(s: &Signed, service: &str, now: SystemTime) -> Result<Principal, AuthFailure> {
        authenticator().authenticate_at(
            service,
            "us-east-1",
            &s.method,
            &s.uri,
            &s.headers,
            &s.body,
            now,
        )
    }

    #[test]
    fn requests_signed_by_aws_sigv4_round_trip_and_tampering_fails() {
        let now = SystemTime::now();
        let c = creds("AKIDEXAMPLE", SECRET, None);
        let s = signed_request("dynamodb", "POST", "/", br#"{"TableName":"T"}"#, &c, now);
        assert_eq!(check(&s, "dynamodb", now), Ok(principal("example")));

        let mut body = signed_request("dynamodb", "POST", "/", br#"{"TableName":"T"}"#, &c, now);
        body.body = br#"{"TableName":"U"}"#.to_vec();
        assert_eq!(
            check(&body, "dynamodb", now),
            Err(AuthFailure::BadSignature)
        );

        let mut header = signed_request("dynamodb", "POST", "/", b"{}", &c, now);
        header.headers.insert(
            "x-amz-target",
            http::HeaderValue::from_static("DynamoDB_20120810.PutItem"),
        );
        assert_eq!(
            check(&header, "dynamodb", now),
            Err(AuthFailure::BadSignature)
        );

        let mut path = signed_request("dynamodb", "POST", "/a", b"{}", &c, now);
        path.uri = "/b".parse().unwrap();
        assert_eq!(
            check(&path, "dynamodb", now),
            Err(AuthFailure::BadSignature)
        );

        let mut query = signed_request("dynamodb", "POST", "/?x=1", b"{}", &c, now);
        query.uri = "/?x=2".parse().unwrap();
        assert_eq!(
            check(&query, "dynamodb", now),
            Err(AuthFailure::BadSignature)
        );

        // An unsigned header may change freely.
        let mut ua = signed_request("dynamodb", "POST", "/", b"{}", &c, now);
        ua.headers
            .insert("user-agent", http::HeaderValue::from_static("other"));
        assert_eq!(check(&ua, "dynamodb", now), Ok(principal("example")));
    }

    #[test]
    fn wrong_secret_unknown_key_scope_and_clock_are_refused() {
        let now = SystemTime::now();
        let wrong = creds("AKIDEXAMPLE", "not-the-secret", None);
        let s = signed_request("dynamodb", "POST", "/", b"{}", &wrong, now);
        assert_eq!(check(&s, "dynamodb", now), Err(AuthFailure::BadSignature));

        let unknown = creds("AKIDUNKNOWN", SECRET, None);
        let s = signed_request("dynamodb", "POST", "/", b"{}", &unknown, now);
        assert_eq!(
            check(&s, "dynamodb", now),
            Err(AuthFailure::UnknownKey("AKIDUNKNOWN".into()))
        );

        let c = creds("AKIDEXAMPLE", SECRET, None);
        let s = signed_request("dynamodb", "POST", "/", b"{}", &c, now);
        assert!(matches!(
            check(&s, "sqs", now),
            Err(AuthFailure::WrongScope(_))
        ));

        let old = now - Duration::from_secs(16 * 60);
        let s = signed_request("dynamodb", "POST", "/", b"{}", &c, old);
        assert_eq!(check(&s, "dynamodb", now), Err(AuthFailure::Expired));
        let future = now + Duration::from_secs(16 * 60);
        let s = signed_request("dynamodb", "POST", "/", b"{}", &c, future);
        assert_eq!(check(&s, "dynamodb", now), Err(AuthFailure::Expired));
        // Within the skew is fine.
        let s = signed_request(
            "dynamodb",
            "POST",
            "/",
            b"{}",
            &c,
            now - Duration::from_secs(600),
        );
        assert_eq!(check(&s, "dynamodb", now), Ok(principal("example")));

        let none = Signed {
            method: http::Method::GET,
            uri: "/".parse().unwrap(),
            headers: http::HeaderMap::new(),
            body: vec![],
        };
        assert_eq!(check(&none, "dynamodb", now), Err(AuthFailure::Missing));
    }

    #[test]
    fn temporary_credentials_need_their_session_token() {
        let now = SystemTime::now();
        let c = creds("ASIATEMP", "tempsecret", Some("TOKEN123"));
        let s = signed_request("sqs", "POST", "/", b"{}", &c, now);
        assert_eq!(s.headers.get("x-amz-security-token").unwrap(), "TOKEN123");
        assert_eq!(check(&s, "sqs", now), Ok(principal("temp")));

        let forged = creds("ASIATEMP", "tempsecret", Some("OTHER"));
        let s = signed_request("sqs", "POST", "/", b"{}", &forged, now);
        assert_eq!(
            check(&s, "sqs", now),
            Err(AuthFailure::UnknownKey("ASIATEMP".into()))
        );
    }

    #[test]
    fn s3_unsigned_and_streaming_payloads_verify_and_a_wrong_digest_fails() {
        let now = SystemTime::now();
        let c = creds("AKIDEXAMPLE", SECRET, None);
        for literal in ["UNSIGNED-PAYLOAD", "STREAMING-UNSIGNED-PAYLOAD-TRAILER"] {
            let base = [
                ("host", "127.0.0.1:4566"),
                ("x-amz-content-sha256", literal),
            ];
            let url = "http://127.0.0.1:4566/bucket/a%20b.txt?x-id=PutObject";
            let identity =
                aws_credential_types::Credentials::new("AKIDEXAMPLE", SECRET, None, None, "t")
                    .into();
            let params = aws_sigv4::sign::v4::SigningParams::builder()
                .identity(&identity)
                .region("us-east-1")
                .name("s3")
                .time(now)
                .settings(settings_for("s3"))
                .build()
                .unwrap()
                .into();
            let body = SignableBody::Precomputed(literal.to_owned());
            let request = SignableRequest::new("PUT", url, base.iter().copied(), body).unwrap();
            let (instructions, _) = aws_sigv4::http_request::sign(request, &params)
                .unwrap()
                .into_parts();
            let mut headers = header_map(&base);
            for (k, v) in instructions.headers() {
                headers.insert(
                    http::HeaderName::from_bytes(k.as_bytes()).unwrap(),
                    http::HeaderValue::from_str(v).unwrap(),
                );
            }
            let s = Signed {
                method: http::Method::PUT,
                uri: "/bucket/a%20b.txt?x-id=PutObject".parse().unwrap(),
                headers,
                body: b"any body at all".to_vec(),
            };
            assert_eq!(check(&s, "s3", now), Ok(principal("example")), "{literal}");
        }
        // A hex digest must be the body's.
        let mut s = signed_request("s3", "PUT", "/bucket/key", b"hello", &c, now);
        assert_eq!(check(&s, "s3", now), Ok(principal("example")));
        s.body = b"HELLO".to_vec();
        assert_eq!(check(&s, "s3", now), Err(AuthFailure::BadSignature));
    }

    #[test]
    fn malformed_headers_say_what_is_wrong() {
        let err = Authorization::parse(
            "AWS4-HMAC-SHA256 Credential=AKID/2015/us-east-1/s3, SignedHeaders=host, Signature=00",
        )
        .unwrap_err();
        assert!(matches!(err, AuthFailure::Malformed(m) if m.contains("Credential")));
        let err = Authorization::parse("Basic dXNlcg==").unwrap_err();
        assert!(matches!(err, AuthFailure::Malformed(m) if m.contains("AWS4-HMAC-SHA256")));
        let ok = Authorization::parse(
            "AWS4-HMAC-SHA256 Credential=AKID/20150830/eu-west-1/sqs/aws4_request,SignedHeaders=host;x-amz-date,Signature=5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31",
        )
        .unwrap();
        assert_eq!(ok.service, "sqs");
        assert_eq!(ok.region, "eu-west-1");
        assert_eq!(ok.signed_headers, ["host", "x-amz-date"]);
    }

    #[test]
    fn dates_convert_both_ways() {
        assert_eq!(parse_amz_date("19700101T000000Z"), Some(UNIX_EPOCH));
        let t = parse_amz_date("20150830T123600Z").unwrap();
        assert_eq!(
            t.duration_since(UNIX_EPOCH).unwrap().as_secs(),
            1_440_938_160
        );
        assert_eq!(civil_from_days(days_from_civil(2024, 2, 29)), (2024, 2, 29));
        assert_eq!(parse_amz_date("2015-08-30T12:36:00Z"), None);
        assert_eq!(parse_amz_date("20151330T123600Z"), None);
    }
}
