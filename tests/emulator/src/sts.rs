//! AWS STS (AWS Query protocol, API version 2011-06-15, botocore `sts/2011-06-15`): `AssumeRole`
//! with the role's trust policy checked, and `GetCallerIdentity`. Requests are form-encoded POSTs
//! to `/` with `Action=…&Version=2011-06-15`; answers are `<…Response><…Result>` XML; errors are
//! `<ErrorResponse><Error><Type><Code><Message></Error><RequestId>`.

use chrono::{SecondsFormat, TimeZone, Utc};

use crate::accounts::{
    Caller, Credential, Session, TrustRequest, CHAINED_SESSION_SECONDS, DEFAULT_SESSION_SECONDS,
    KEY_ALPHABET, MAX_ROLE_SESSION_SECONDS, MIN_SESSION_SECONDS, SECRET_ALPHABET,
};
use crate::http::{
    form, query_error_body, query_operation, xml_escape, xml_response, Call, Protocol, Req, Resp,
    Routed,
};
use crate::state::{now_ms, ApiError, State};

pub const SERVICE: &str = "sts";
pub const VERSION: &str = "2011-06-15";
const XMLNS: &str = "https://sts.amazonaws.com/doc/2011-06-15/";
const OPERATIONS: [&str; 2] = ["AssumeRole", "GetCallerIdentity"];

/// Whether a form-encoded POST to `/` is for STS: its `Version` is STS's, or (without a
/// `Version`) it is signed for `sts` or its `Action` is one of STS's. SNS's requests carry
/// `Version=2010-03-31`.
pub fn matches(req: &Req) -> bool {
    if !crate::sns::matches(req) {
        return false;
    }
    let f = form(req);
    match f.get("Version") {
        Some(v) => v == VERSION,
        None => {
            Credential::of(req).is_some_and(|c| c.service == SERVICE)
                || f.get("Action")
                    .is_some_and(|a| OPERATIONS.contains(&a.as_str()))
        }
    }
}

pub fn route(req: &Req) -> Routed {
    let (f, op) = match query_operation(req, SERVICE, &OPERATIONS, |action| {
        format!("Could not find operation {action} for version {VERSION}")
    }) {
        Ok(found) => found,
        Err(reply) => return *reply,
    };
    let mut call = Call::new(SERVICE, Protocol::Query, op);
    if op == "AssumeRole" {
        if let Some(arn) = f.get("RoleArn") {
            call = call.resource(arn.clone());
        }
        if let Some(name) = f.get("RoleSessionName") {
            call = call.param("RoleSessionName", name.clone());
        }
        if f.contains_key("ExternalId") {
            call = call.param("ExternalId", "given");
        }
        if let Some(d) = f.get("DurationSeconds") {
            call = call.param("DurationSeconds", d.clone());
        }
    }
    Routed::Call(call)
}

fn validation(message: impl Into<String>) -> ApiError {
    ApiError::new(400, "ValidationError", message)
}

/// `1 validation error detected: Value '<v>' at '<member>' failed to satisfy constraint: <c>`,
/// the form of STS's own messages.
fn constraint(value: &str, member: &str, rule: &str) -> ApiError {
    validation(format!(
        "1 validation error detected: Value '{value}' at '{member}' failed to satisfy constraint: {rule}"
    ))
}

fn check_length(value: &str, member: &str, min: usize, max: usize) -> Result<(), ApiError> {
    let n = value.chars().count();
    if n < min {
        return Err(constraint(
            value,
            member,
            &format!("Member must have length greater than or equal to {min}"),
        ));
    }
    if n > max {
        return Err(constraint(
            value,
            member,
            &format!("Member must have length less than or equal to {max}"),
        ));
    }
    Ok(())
}

fn check_pattern(value: &str, member: &str, extra: &str, pattern: &str) -> Result<(), ApiError> {
    if value
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || c == '_' || extra.contains(c))
    {
        Ok(())
    } else {
        Err(constraint(
            value,
            member,
            &format!("Member must satisfy regular expression pattern: {pattern}"),
        ))
    }
}

fn required<'a>(
    f: &'a std::collections::BTreeMap<String, String>,
    name: &str,
    member: &str,
) -> Result<&'a str, ApiError> {
    f.get(name).map(String::as_str).ok_or_else(|| {
        validation(format!(
            "1 validation error detected: Value null at '{member}' failed to satisfy constraint: Member must not be null"
        ))
    })
}

/// `User: <caller> is not authorized to perform: sts:AssumeRole on resource: <role>`.
fn access_denied(caller: &Caller, role_arn: &str) -> ApiError {
    ApiError::new(
        403,
        "AccessDenied",
        format!(
            "User: {} is not authorized to perform: sts:AssumeRole on resource: {role_arn}",
            caller.principal
        ),
    )
}

fn ok(operation: &str, result: String) -> Resp {
    xml_response(
        200,
        format!(
            "<{operation}Response xmlns=\"{XMLNS}\">\n  <{operation}Result>\n{result}  </{operation}Result>\n  <ResponseMetadata>\n    <RequestId>{}</RequestId>\n  </ResponseMetadata>\n</{operation}Response>\n",
            request_id()
        ),
    )
}

fn request_id() -> String {
    let now = now_ms() as u64;
    format!(
        "{:08x}-{:04x}-4{:03x}-8{:03x}-{:012x}",
        now as u32,
        (now >> 32) as u16,
        now % 0xfff,
        (now / 7) % 0xfff,
        now.wrapping_mul(2654435761) & 0xffff_ffff_ffff
    )
}

/// The `<ErrorResponse>` document of STS.
pub fn error_body(err: &ApiError) -> String {
    query_error_body(XMLNS, err, &request_id())
}

fn iso(ms: i64) -> String {
    Utc.timestamp_millis_opt(ms)
        .single()
        .map(|t| t.to_rfc3339_opts(SecondsFormat::Secs, true))
        .unwrap_or_default()
}

pub fn handle(call: &Call, req: &Req, state: &State, caller: &Caller) -> Result<Resp, ApiError> {
    match call.operation {
        "GetCallerIdentity" => Ok(ok(
            "GetCallerIdentity",
            format!(
                "    <Arn>{}</Arn>\n    <UserId>{}</UserId>\n    <Account>{}</Account>\n",
                xml_escape(&caller.principal),
                xml_escape(&caller.user_id),
                xml_escape(&caller.scope.account)
            ),
        )),
        "AssumeRole" => assume_role(req, state, caller),
        _ => Err(ApiError::new(400, "InvalidAction", "unknown action")),
    }
}

fn assume_role(req: &Req, state: &State, caller: &Caller) -> Result<Resp, ApiError> {
    let f = form(req);
    // The model's constraints first (lengths, patterns, ranges), as the service checks its input.
    let role_arn = required(&f, "RoleArn", "roleArn")?;
    check_length(role_arn, "roleArn", 20, 2048)?;
    let session_name = required(&f, "RoleSessionName", "roleSessionName")?;
    check_length(session_name, "roleSessionName", 2, 64)?;
    check_pattern(session_name, "roleSessionName", "+=,.@-", "[\\w+=,.@-]*")?;
    let external_id = f.get("ExternalId").map(String::as_str);
    if let Some(x) = external_id {
        check_length(x, "externalId", 2, 1224)?;
        check_pattern(x, "externalId", "+=,./@:-", "[\\w+=,./@:-]*")?;
    }
    let duration = match f.get("DurationSeconds") {
        None => None,
        Some(d) => {
            let n: u64 = d.parse().map_err(|_| {
                validation(format!(
                    "Value '{d}' for parameter DurationSeconds is invalid. It must be an integer."
                ))
            })?;
            if n < MIN_SESSION_SECONDS {
                return Err(constraint(
                    d,
                    "durationSeconds",
                    "Member must have value greater than or equal to 900",
                ));
            }
            if n > MAX_ROLE_SESSION_SECONDS {
                return Err(constraint(
                    d,
                    "durationSeconds",
                    "Member must have value less than or equal to 43200",
                ));
            }
            Some(n)
        }
    };
    let override_seconds = state.settings().sts_session_seconds;
    let mut iam = state.iam();
    // A role that does not exist is refused as one that does not trust the caller: the caller
    // cannot tell the two apart.
    let Some(role) = iam.roles.get(role_arn).cloned() else {
        return Err(access_denied(caller, role_arn));
    };
    let trusted = role.trust.allows(&TrustRequest {
        action: "sts:AssumeRole",
        caller_account: &caller.scope.account,
        caller_role_arn: caller.role_arn.as_deref(),
        organization: caller.organization.as_deref(),
        external_id,
    });
    if !trusted {
        return Err(access_denied(caller, role_arn));
    }
    let seconds = duration.unwrap_or(DEFAULT_SESSION_SECONDS);
    if caller.is_session() && seconds > CHAINED_SESSION_SECONDS {
        return Err(validation(
            "The requested DurationSeconds exceeds the 1 hour session limit for roles assumed by role chaining.",
        ));
    }
    if seconds > role.max_session_seconds {
        return Err(validation(
            "The requested DurationSeconds exceeds the MaxSessionDuration set for this role.",
        ));
    }
    let lifetime = override_seconds.unwrap_or(seconds);
    let expires_ms = now_ms() + (lifetime as i64) * 1000;
    let session = Session {
        access_key_id: format!("ASIA{}", iam.random(KEY_ALPHABET, 16)),
        secret_access_key: iam.random(SECRET_ALPHABET, 40),
        session_token: format!("IQoJb3JpZ2luX2VjE{}", iam.random(SECRET_ALPHABET, 300)),
        account: role.account.clone(),
        role_arn: role.arn.clone(),
        role_name: role.name.clone(),
        role_id: role.role_id.clone(),
        session_name: session_name.to_string(),
        expires_ms,
    };
    // Expired sessions are kept: a client using one is told it expired, not that it is unknown.
    iam.sessions
        .insert(session.access_key_id.clone(), session.clone());
    Ok(ok(
        "AssumeRole",
        format!(
            "    <Credentials>\n      <AccessKeyId>{}</AccessKeyId>\n      <SecretAccessKey>{}</SecretAccessKey>\n      <SessionToken>{}</SessionToken>\n      <Expiration>{}</Expiration>\n    </Credentials>\n    <AssumedRoleUser>\n      <AssumedRoleId>{}</AssumedRoleId>\n      <Arn>{}</Arn>\n    </AssumedRoleUser>\n",
            session.access_key_id,
            xml_escape(&session.secret_access_key),
            xml_escape(&session.session_token),
            iso(session.expires_ms),
            xml_escape(&session.assumed_role_id()),
            xml_escape(&session.arn()),
        ),
    ))
}
