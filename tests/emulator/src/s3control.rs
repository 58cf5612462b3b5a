//! S3 Control batch operations jobs (REST-XML, API version 2018-08-20; account from `x-amz-account-id`).

use std::collections::HashMap;
use std::ops::Bound;

use chrono::{SecondsFormat, TimeZone, Utc};
use http::Method;
use quick_xml::events::Event;
use quick_xml::Reader;

use crate::accounts::Scope;
use crate::http::{xml_escape, xml_response, Call, Protocol, Req, Resp, Routed};
use crate::state::{now_ms, ApiError, BatchJob, Settings, State, World, BATCH_TERMINAL};

pub const SERVICE: &str = "s3control";
pub const XMLNS: &str = "http://awss3control.amazonaws.com/doc/2018-08-20/";
pub const MAX_PRIORITY: i64 = 2_147_483_647;
pub const JOB_STATUSES: [&str; 13] = [
    "Active",
    "Cancelled",
    "Cancelling",
    "Complete",
    "Completing",
    "Failed",
    "Failing",
    "New",
    "Paused",
    "Pausing",
    "Preparing",
    "Ready",
    "Suspended",
];
/// States from which a job can no longer be cancelled.
const NOT_CANCELLABLE: [&str; 6] = [
    "Complete",
    "Failed",
    "Cancelled",
    "Completing",
    "Failing",
    "Cancelling",
];

pub const DEFAULT_MANIFEST_XML: &str = "<Spec><Format>S3BatchOperations_CSV_20180820</Format><Fields><member>Bucket</member><member>Key</member></Fields></Spec><Location><ObjectArn>arn:aws:s3:::media-manifests/manifest.csv</ObjectArn><ETag>60e460c9d1046e73f7dde5043ac3ae85</ETag></Location>";
pub const DEFAULT_REPORT_XML: &str = "<Enabled>false</Enabled>";

fn call(op: &'static str) -> Call {
    Call::new(SERVICE, Protocol::RestXml, op)
}

pub fn route(req: &Req) -> Routed {
    let seg = req.segments();
    let s: Vec<&str> = seg.iter().map(String::as_str).collect();
    let m = &req.method;
    let mut c = match (m, &s[1..]) {
        (&Method::POST, ["jobs"]) => call("CreateJob"),
        (&Method::GET, ["jobs"]) => call("ListJobs"),
        (&Method::GET, ["jobs", id]) => call("DescribeJob").resource(*id),
        (&Method::POST, ["jobs", id, "priority"]) => call("UpdateJobPriority").resource(*id),
        (&Method::POST, ["jobs", id, "status"]) => call("UpdateJobStatus").resource(*id),
        _ => {
            return Routed::Reply(
                call("Unknown"),
                ApiError::new(
                    404,
                    "UnknownOperationException",
                    format!("S3 Control has no operation at {} {}", m, req.path),
                ),
            )
        }
    };
    for (k, v) in &req.query {
        let key = k.clone();
        let merged = match c.params.get(&key) {
            Some(prev) => format!("{prev},{v}"),
            None => v.clone(),
        };
        c.params.insert(key, merged);
    }
    if let Some(a) = req.header("x-amz-account-id") {
        c = c.param("account", a);
    }
    Routed::Call(c)
}

pub fn iso(ms: i64) -> String {
    Utc.timestamp_millis_opt(ms)
        .single()
        .unwrap_or_default()
        .to_rfc3339_opts(SecondsFormat::Millis, true)
}

pub fn new_job_id(seq: u64) -> String {
    let h = seq.wrapping_mul(0x9E37_79B9_7F4A_7C15).rotate_left(17) ^ (now_ms() as u64);
    format!(
        "{:08x}-{:04x}-4{:03x}-a{:03x}-{:012x}",
        (h >> 32) as u32,
        (h >> 16) as u16,
        seq & 0xfff,
        (h >> 4) & 0xfff,
        (seq << 16 | (h & 0xffff)) & 0xffff_ffff_ffff
    )
}

fn bad_request(msg: impl Into<String>) -> ApiError {
    ApiError::new(400, "InvalidRequestException", msg)
}

fn not_found(id: &str) -> ApiError {
    ApiError::new(404, "NotFoundException", format!("Job {id} does not exist"))
}

fn job_status_error(msg: impl Into<String>) -> ApiError {
    ApiError::new(400, "JobStatusException", msg)
}

/// The child elements of the document's root, in order: (name, inner XML raw, not unescaped).
pub fn top_level_list(xml: &str) -> Result<Vec<(String, String)>, String> {
    let mut reader = Reader::from_str(xml);
    let mut depth = 0usize;
    let mut current: Option<(String, usize)> = None;
    let mut fields = Vec::new();
    loop {
        let before = reader.buffer_position() as usize;
        match reader.read_event() {
            Ok(Event::Start(e)) => {
                depth += 1;
                if depth == 2 {
                    let name = String::from_utf8_lossy(e.local_name().as_ref()).into_owned();
                    current = Some((name, reader.buffer_position() as usize));
                }
            }
            Ok(Event::End(_)) => {
                if depth == 2 {
                    if let Some((name, start)) = current.take() {
                        fields.push((name, xml.get(start..before).unwrap_or("").to_string()));
                    }
                }
                depth = depth.saturating_sub(1);
            }
            Ok(Event::Empty(e)) if depth == 1 => {
                let name = String::from_utf8_lossy(e.local_name().as_ref()).into_owned();
                fields.push((name, String::new()));
            }
            Ok(Event::Eof) => break,
            Err(e) => return Err(format!("malformed XML: {e}")),
            _ => {}
        }
    }
    Ok(fields)
}

/// The child elements of the document's root: name → inner XML (raw, not unescaped; the last
/// of repeated names).
pub fn top_level_fields(xml: &str) -> Result<HashMap<String, String>, String> {
    Ok(top_level_list(xml)?.into_iter().collect())
}

/// The children of an element's inner XML.
fn children(inner: &str) -> Result<HashMap<String, String>, ApiError> {
    top_level_fields(&format!("<r>{inner}</r>")).map_err(invalid)
}

fn children_list(inner: &str) -> Result<Vec<(String, String)>, ApiError> {
    top_level_list(&format!("<r>{inner}</r>")).map_err(invalid)
}

/// CreateJob's validation errors, as the operation's model names them.
fn invalid(msg: impl Into<String>) -> ApiError {
    ApiError::new(400, "BadRequestException", msg)
}

const MANIFEST_FORMATS: [&str; 2] = [
    "S3BatchOperations_CSV_20180820",
    "S3InventoryReport_CSV_20161130",
];
const MANIFEST_FIELDS: [&str; 4] = ["Ignore", "Bucket", "Key", "VersionId"];
const STORAGE_CLASSES: [&str; 7] = [
    "STANDARD",
    "STANDARD_IA",
    "ONEZONE_IA",
    "GLACIER",
    "INTELLIGENT_TIERING",
    "DEEP_ARCHIVE",
    "GLACIER_IR",
];
const CANNED_ACLS: [&str; 7] = [
    "private",
    "public-read",
    "public-read-write",
    "aws-exec-read",
    "authenticated-read",
    "bucket-owner-read",
    "bucket-owner-full-control",
];

fn required(f: &HashMap<String, String>, name: &str, at: &str) -> Result<String, ApiError> {
    f.get(name)
        .map(|t| text(t))
        .filter(|t| !t.is_empty())
        .ok_or_else(|| invalid(format!("{at}{name} is required")))
}

fn enum_value(value: &str, allowed: &[&str], what: &str) -> Result<(), ApiError> {
    if allowed.contains(&value) {
        Ok(())
    } else {
        Err(invalid(format!(
            "{what} {value:?} is not one of {}",
            allowed.join(", ")
        )))
    }
}

fn s3_arn(value: &str, what: &str) -> Result<(), ApiError> {
    if value.starts_with("arn:") && value.split(':').nth(2) == Some("s3") {
        Ok(())
    } else {
        Err(invalid(format!("{what} {value:?} is not an S3 ARN")))
    }
}

/// What S3 Control checks of one operation's members.
fn validate_operation(name: &str, inner: &str) -> Result<(), ApiError> {
    let f = children(inner)?;
    let at = format!("Operation.{name}.");
    match name {
        "LambdaInvoke" => {
            let arn = required(&f, "FunctionArn", &at)?;
            if !(arn.contains(":lambda:")
                || arn
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || "-_:".contains(c)))
            {
                return Err(invalid(format!(
                    "{at}FunctionArn {arn:?} is not a Lambda function"
                )));
            }
        }
        "S3PutObjectCopy" => {
            s3_arn(
                &required(&f, "TargetResource", &at)?,
                &format!("{at}TargetResource"),
            )?;
            if let Some(c) = f.get("StorageClass") {
                enum_value(&text(c), &STORAGE_CLASSES, &format!("{at}StorageClass"))?;
            }
            if let Some(d) = f.get("MetadataDirective") {
                enum_value(
                    &text(d),
                    &["COPY", "REPLACE"],
                    &format!("{at}MetadataDirective"),
                )?;
            }
        }
        "S3PutObjectTagging" => {
            // TagSet is optional in the model (absent or empty: the objects end with no tags).
            let tags = f.get("TagSet").map(String::as_str).unwrap_or("");
            for (_, tag) in children_list(tags)? {
                let t = children(&tag)?;
                let key = required(&t, "Key", &format!("{at}TagSet.member."))?;
                if key.chars().count() > 128 {
                    return Err(invalid(format!(
                        "{at}TagSet: key {key:?} is longer than 128 characters"
                    )));
                }
                if !t.contains_key("Value") {
                    return Err(invalid(format!("{at}TagSet.member.Value is required")));
                }
            }
        }
        "S3PutObjectAcl" => {
            let policy = f
                .get("AccessControlPolicy")
                .ok_or_else(|| invalid(format!("{at}AccessControlPolicy is required")))?;
            let p = children(policy)?;
            match (p.get("CannedAccessControlList"), p.get("AccessControlList")) {
                (Some(c), _) => enum_value(
                    &text(c),
                    &CANNED_ACLS,
                    &format!("{at}AccessControlPolicy.CannedAccessControlList"),
                )?,
                (None, Some(_)) => {}
                (None, None) => {
                    return Err(invalid(format!(
                    "{at}AccessControlPolicy needs CannedAccessControlList or AccessControlList"
                )))
                }
            }
        }
        "S3InitiateRestoreObject" => {
            let days = required(&f, "ExpirationInDays", &at)?;
            if days.parse::<i64>().map_or(true, |d| d < 0) {
                return Err(invalid(format!(
                    "{at}ExpirationInDays {days:?} is not a number of days"
                )));
            }
            if let Some(t) = f.get("GlacierJobTier") {
                enum_value(
                    &text(t),
                    &["BULK", "STANDARD"],
                    &format!("{at}GlacierJobTier"),
                )?;
            }
        }
        _ => {}
    }
    Ok(())
}

fn validate_manifest(inner: &str) -> Result<(), ApiError> {
    let m = children(inner)?;
    let spec = children(
        m.get("Spec")
            .ok_or_else(|| invalid("Manifest.Spec is required"))?,
    )?;
    let format = required(&spec, "Format", "Manifest.Spec.")?;
    enum_value(&format, &MANIFEST_FORMATS, "Manifest.Spec.Format")?;
    if format == "S3BatchOperations_CSV_20180820" {
        let fields: Vec<String> =
            children_list(spec.get("Fields").map(String::as_str).unwrap_or(""))?
                .into_iter()
                .map(|(_, v)| text(&v))
                .collect();
        if fields.is_empty() {
            return Err(invalid(
                "Manifest.Spec.Fields is required for a CSV manifest",
            ));
        }
        for f in &fields {
            enum_value(f, &MANIFEST_FIELDS, "Manifest.Spec.Fields member")?;
        }
        if fields.first().map(String::as_str) != Some("Bucket")
            || fields.get(1).map(String::as_str) != Some("Key")
        {
            return Err(invalid(format!(
                "Manifest.Spec.Fields {fields:?} must begin with Bucket, Key"
            )));
        }
    }
    let loc = children(
        m.get("Location")
            .ok_or_else(|| invalid("Manifest.Location is required"))?,
    )?;
    let arn = required(&loc, "ObjectArn", "Manifest.Location.")?;
    s3_arn(&arn, "Manifest.Location.ObjectArn")?;
    if !arn.split(":::").nth(1).is_some_and(|r| {
        r.split_once('/')
            .is_some_and(|(b, k)| !b.is_empty() && !k.is_empty())
    }) {
        return Err(invalid(format!(
            "Manifest.Location.ObjectArn {arn:?} does not name an object"
        )));
    }
    required(&loc, "ETag", "Manifest.Location.")?;
    Ok(())
}

fn validate_report(inner: &str) -> Result<(), ApiError> {
    let r = children(inner)?;
    let enabled = required(&r, "Enabled", "Report.")?;
    match enabled.as_str() {
        "false" => Ok(()),
        "true" => {
            s3_arn(&required(&r, "Bucket", "Report.")?, "Report.Bucket")?;
            enum_value(
                &required(&r, "Format", "Report.")?,
                &["Report_CSV_20180820"],
                "Report.Format",
            )?;
            enum_value(
                &required(&r, "ReportScope", "Report.")?,
                &["AllTasks", "FailedTasksOnly"],
                "Report.ReportScope",
            )
        }
        other => Err(invalid(format!(
            "Report.Enabled {other:?} is not true or false"
        ))),
    }
}

fn text(raw: &str) -> String {
    quick_xml::escape::unescape(raw.trim())
        .map(|c| c.into_owned())
        .unwrap_or_else(|_| raw.trim().to_string())
}

pub fn operation_xml(op: &str) -> String {
    match op {
        "LambdaInvoke" => "<LambdaInvoke><FunctionArn>arn:aws:lambda:us-east-1:123456789012:function:batch-worker</FunctionArn></LambdaInvoke>".to_string(),
        other => format!("<{other}></{other}>"),
    }
}

fn progress_xml(j: &BatchJob) -> String {
    format!(
        "<ProgressSummary><TotalNumberOfTasks>{}</TotalNumberOfTasks><NumberOfTasksSucceeded>{}</NumberOfTasksSucceeded><NumberOfTasksFailed>{}</NumberOfTasksFailed></ProgressSummary>",
        j.total_tasks, j.tasks_succeeded, j.tasks_failed
    )
}

pub fn describe_xml(j: &BatchJob, scope: &Scope) -> String {
    let mut x = String::with_capacity(1024);
    x.push_str(&format!(
        "<JobId>{}</JobId><ConfirmationRequired>{}</ConfirmationRequired>",
        xml_escape(&j.id),
        j.confirmation_required
    ));
    if let Some(d) = &j.description {
        x.push_str(&format!("<Description>{}</Description>", xml_escape(d)));
    }
    x.push_str(&format!(
        "<JobArn>arn:{}:s3:{}:{}:job/{}</JobArn><Status>{}</Status><Manifest>{}</Manifest><Operation>{}</Operation><Priority>{}</Priority>{}",
        scope.partition(),
        xml_escape(&scope.region),
        xml_escape(&j.account_id),
        xml_escape(&j.id),
        j.status,
        j.manifest_xml,
        j.operation_xml,
        j.priority,
        progress_xml(j)
    ));
    if let Some(r) = &j.status_update_reason {
        x.push_str(&format!(
            "<StatusUpdateReason>{}</StatusUpdateReason>",
            xml_escape(r)
        ));
    }
    if j.status == "Failed" {
        x.push_str("<FailureReasons><member><FailureCode>InternalError</FailureCode><FailureReason>The job failed.</FailureReason></member></FailureReasons>");
    }
    x.push_str(&format!(
        "<Report>{}</Report><CreationTime>{}</CreationTime>",
        j.report_xml,
        iso(j.creation_ms)
    ));
    if let Some(t) = j.termination_ms {
        x.push_str(&format!("<TerminationDate>{}</TerminationDate>", iso(t)));
    }
    x.push_str(&format!("<RoleArn>{}</RoleArn>", xml_escape(&j.role_arn)));
    if let Some(t) = j.suspended_ms {
        x.push_str(&format!("<SuspendedDate>{}</SuspendedDate>", iso(t)));
    }
    if let Some(c) = &j.suspended_cause {
        x.push_str(&format!(
            "<SuspendedCause>{}</SuspendedCause>",
            xml_escape(c)
        ));
    }
    x
}

fn list_member_xml(j: &BatchJob) -> String {
    let mut x = format!("<member><JobId>{}</JobId>", xml_escape(&j.id));
    if let Some(d) = &j.description {
        x.push_str(&format!("<Description>{}</Description>", xml_escape(d)));
    }
    x.push_str(&format!(
        "<Operation>{}</Operation><Priority>{}</Priority><Status>{}</Status><CreationTime>{}</CreationTime>",
        j.operation,
        j.priority,
        j.status,
        iso(j.creation_ms)
    ));
    if let Some(t) = j.termination_ms {
        x.push_str(&format!("<TerminationDate>{}</TerminationDate>", iso(t)));
    }
    x.push_str(&progress_xml(j));
    x.push_str("</member>");
    x
}

fn result(root: &str, inner: &str) -> Resp {
    xml_response(
        200,
        format!("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<{root} xmlns=\"{XMLNS}\">{inner}</{root}>"),
    )
}

/// The status a new job settles in: Suspended awaiting confirmation, or Ready.
pub fn initial_status(confirmation_required: bool) -> &'static str {
    if confirmation_required {
        "Suspended"
    } else {
        "Ready"
    }
}

pub fn handle(
    call: &Call,
    req: &Req,
    world: &mut World,
    state: &State,
    scope: &Scope,
    settings: &Settings,
) -> Result<Resp, ApiError> {
    let account = req
        .header("x-amz-account-id")
        .filter(|a| a.len() == 12 && a.chars().all(|c| c.is_ascii_digit()))
        .ok_or_else(|| bad_request("x-amz-account-id must be a 12-digit AWS account id"))?
        .to_string();
    // S3 Control acts only on the caller's own account: another account's id is refused.
    if account != scope.account {
        return Err(ApiError::new(403, "AccessDenied", "Access Denied"));
    }
    let s3 = &mut world.s3control;
    let id = call.resource.clone().unwrap_or_default();
    let now = now_ms();
    match call.operation {
        "CreateJob" => {
            let xml =
                std::str::from_utf8(&req.body).map_err(|_| bad_request("body is not UTF-8"))?;
            let f = top_level_fields(xml).map_err(bad_request)?;
            let token = f
                .get("ClientRequestToken")
                .map(|t| text(t))
                .filter(|t| !t.is_empty())
                .ok_or_else(|| invalid("ClientRequestToken is required"))?;
            if token.len() > 64 {
                return Err(invalid("ClientRequestToken must be at most 64 characters"));
            }
            let role = f
                .get("RoleArn")
                .map(|t| text(t))
                .filter(|t| !t.is_empty())
                .ok_or_else(|| invalid("RoleArn is required"))?;
            if !(role.starts_with("arn:aws") && role.contains(":iam::") && role.contains(":role/"))
            {
                return Err(invalid(format!("RoleArn {role:?} is not an IAM role ARN")));
            }
            let priority: i64 = f
                .get("Priority")
                .map(|t| text(t))
                .ok_or_else(|| invalid("Priority is required"))?
                .parse()
                .map_err(|_| invalid("Priority must be an integer"))?;
            if !(0..=MAX_PRIORITY).contains(&priority) {
                return Err(invalid(format!(
                    "Priority must be between 0 and {MAX_PRIORITY}"
                )));
            }
            if f.get("Description")
                .is_some_and(|d| text(d).chars().count() > 256)
            {
                return Err(invalid("Description must be at most 256 characters"));
            }
            let operation_xml = f
                .get("Operation")
                .cloned()
                .ok_or_else(|| invalid("Operation is required"))?;
            let ops = children_list(&operation_xml)?;
            let [(operation, op_inner)] = ops.as_slice() else {
                return Err(invalid("Operation must name exactly one operation"));
            };
            validate_operation(operation, op_inner)?;
            let operation = operation.clone();
            let report_xml = f
                .get("Report")
                .cloned()
                .ok_or_else(|| invalid("Report is required"))?;
            validate_report(&report_xml)?;
            let manifest_xml = match (f.get("Manifest"), f.get("ManifestGenerator")) {
                (Some(m), _) => {
                    validate_manifest(m)?;
                    m.clone()
                }
                (None, Some(_)) => DEFAULT_MANIFEST_XML.to_string(),
                (None, None) => return Err(invalid("Manifest or ManifestGenerator is required")),
            };
            let confirmation_required = f
                .get("ConfirmationRequired")
                .map(|t| text(t) == "true")
                .unwrap_or(false);
            // The same token again: the same job if the request is the same, else refused.
            if let Some(existing) = s3.tokens.get(&(account.clone(), token.clone())) {
                let same = s3
                    .jobs
                    .get(&(account.clone(), existing.clone()))
                    .is_some_and(|j| {
                        j.operation_xml == operation_xml
                            && j.manifest_xml == manifest_xml
                            && j.report_xml == report_xml
                            && j.priority == priority
                            && j.role_arn == role
                            && j.confirmation_required == confirmation_required
                    });
                if !same {
                    return Err(ApiError::new(
                        409,
                        "IdempotencyException",
                        format!(
                            "ClientRequestToken {token:?} was used for a different job request"
                        ),
                    ));
                }
                return Ok(result(
                    "CreateJobResult",
                    &format!("<JobId>{}</JobId>", xml_escape(existing)),
                ));
            }
            let seq = state.next_seq();
            let job = BatchJob {
                account_id: account,
                id: new_job_id(seq),
                status: initial_status(confirmation_required).to_string(),
                priority,
                description: f.get("Description").map(|t| text(t)),
                operation,
                operation_xml,
                manifest_xml,
                report_xml,
                role_arn: role,
                confirmation_required,
                client_request_token: Some(token),
                creation_ms: now,
                termination_ms: None,
                suspended_ms: confirmation_required.then_some(now),
                suspended_cause: confirmation_required.then(|| "AwaitingConfirmation".to_string()),
                status_update_reason: None,
                total_tasks: 0,
                tasks_succeeded: 0,
                tasks_failed: 0,
                seq,
            };
            let body = format!("<JobId>{}</JobId>", xml_escape(&job.id));
            s3.insert(job);
            Ok(result("CreateJobResult", &body))
        }
        "DescribeJob" => {
            let j = s3
                .jobs
                .get(&(account, id.clone()))
                .ok_or_else(|| not_found(&id))?;
            Ok(result(
                "DescribeJobResult",
                &format!("<Job>{}</Job>", describe_xml(j, scope)),
            ))
        }
        "ListJobs" => {
            let statuses = req.q_all("jobStatuses");
            if let Some(bad) = statuses.iter().find(|s| !JOB_STATUSES.contains(s)) {
                return Err(bad_request(format!(
                    "jobStatuses value {bad:?} is not a job status"
                )));
            }
            let requested = match req.q("maxResults") {
                None => None,
                Some(v) => match v.parse::<usize>() {
                    Ok(n @ 1..=1000) => Some(n),
                    _ => {
                        return Err(bad_request(format!(
                            "maxResults must be between 1 and 1000, not {v:?}"
                        )))
                    }
                },
            };
            let size = settings.page_size("ListJobs", requested);
            let upper = match req.q("nextToken").filter(|t| !t.is_empty()) {
                Some(t) => {
                    let mut parts = t.splitn(3, ':');
                    let (Some(ms), Some(seq), Some(jid)) =
                        (parts.next(), parts.next(), parts.next())
                    else {
                        return Err(bad_request("nextToken is not valid"));
                    };
                    let (Ok(ms), Ok(seq)) = (ms.parse::<i64>(), seq.parse::<u64>()) else {
                        return Err(bad_request("nextToken is not valid"));
                    };
                    Bound::Included((account.clone(), ms, seq, jid.to_string()))
                }
                None => Bound::Included((account.clone(), i64::MAX, u64::MAX, String::new())),
            };
            let lower = Bound::Included((account.clone(), i64::MIN, 0, String::new()));
            let s3 = &world.s3control;
            let mut page: Vec<&BatchJob> = s3
                .order
                .range((lower, upper))
                .rev()
                .filter_map(|(a, _, _, jid)| s3.jobs.get(&(a.clone(), jid.clone())))
                .filter(|j| statuses.is_empty() || statuses.contains(&j.status.as_str()))
                .take(size + 1)
                .collect();
            let next = if page.len() > size {
                page.pop()
                    .map(|j| format!("{}:{}:{}", j.creation_ms, j.seq, j.id))
            } else {
                None
            };
            let mut inner = String::new();
            if let Some(n) = next {
                inner.push_str(&format!("<NextToken>{}</NextToken>", xml_escape(&n)));
            }
            inner.push_str("<Jobs>");
            for j in page {
                inner.push_str(&list_member_xml(j));
            }
            inner.push_str("</Jobs>");
            Ok(result("ListJobsResult", &inner))
        }
        "UpdateJobPriority" => {
            let raw = req
                .q("priority")
                .ok_or_else(|| bad_request("priority is required"))?;
            let priority: i64 = raw
                .parse()
                .map_err(|_| bad_request(format!("priority {raw:?} is not an integer")))?;
            if !(0..=MAX_PRIORITY).contains(&priority) {
                return Err(bad_request(format!(
                    "priority must be between 0 and {MAX_PRIORITY}, not {priority}"
                )));
            }
            let j = s3
                .jobs
                .get_mut(&(account, id.clone()))
                .ok_or_else(|| not_found(&id))?;
            if BATCH_TERMINAL.contains(&j.status.as_str()) {
                return Err(job_status_error(format!(
                    "Job {id} is {} and its priority can no longer change",
                    j.status
                )));
            }
            j.priority = priority;
            Ok(result(
                "UpdateJobPriorityResult",
                &format!(
                    "<JobId>{}</JobId><Priority>{priority}</Priority>",
                    xml_escape(&id)
                ),
            ))
        }
        "UpdateJobStatus" => {
            let requested = req
                .q("requestedJobStatus")
                .ok_or_else(|| bad_request("requestedJobStatus is required"))?
                .to_string();
            let reason = req.q("statusUpdateReason").map(str::to_string);
            let j = s3
                .jobs
                .get_mut(&(account, id.clone()))
                .ok_or_else(|| not_found(&id))?;
            match requested.as_str() {
                "Ready" => {
                    if j.status != "Suspended" {
                        return Err(job_status_error(format!(
                            "Job {id} is {}; only a Suspended job can be moved to Ready",
                            j.status
                        )));
                    }
                    j.status = "Ready".into();
                    j.suspended_cause = None;
                }
                "Cancelled" => {
                    if NOT_CANCELLABLE.contains(&j.status.as_str()) {
                        return Err(job_status_error(format!(
                            "Job {id} is {} and cannot be cancelled",
                            j.status
                        )));
                    }
                    j.status = "Cancelled".into();
                    j.termination_ms = Some(now);
                }
                other => {
                    return Err(bad_request(format!(
                        "requestedJobStatus must be Ready or Cancelled, not {other:?}"
                    )))
                }
            }
            j.status_update_reason = reason.clone();
            let mut inner = format!(
                "<JobId>{}</JobId><Status>{}</Status>",
                xml_escape(&id),
                j.status
            );
            if let Some(r) = reason {
                inner.push_str(&format!(
                    "<StatusUpdateReason>{}</StatusUpdateReason>",
                    xml_escape(&r)
                ));
            }
            Ok(result("UpdateJobStatusResult", &inner))
        }
        other => Err(ApiError::new(
            404,
            "UnknownOperationException",
            format!("unknown operation {other}"),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn top_level_fields_keep_inner_xml() {
        let xml = r#"<?xml version="1.0"?><CreateJobRequest xmlns="x"><Priority>10</Priority><Operation><S3PutObjectTagging><TagSet><member><Key>a</Key></member></TagSet></S3PutObjectTagging></Operation><Description>a &amp; b</Description><Report/></CreateJobRequest>"#;
        let f = top_level_fields(xml).unwrap();
        assert_eq!(f["Priority"], "10");
        assert_eq!(text(&f["Description"]), "a & b");
        assert_eq!(f["Report"], "");
        assert!(f["Operation"].starts_with("<S3PutObjectTagging><TagSet>"));
        let ops = children_list(&f["Operation"]).unwrap();
        assert_eq!(ops.len(), 1);
        assert_eq!(ops[0].0, "S3PutObjectTagging");
        let tags = children_list(&children(&ops[0].1).unwrap()["TagSet"]).unwrap();
        assert_eq!(tags.len(), 1, "lists keep every member");
    }

    #[test]
    fn job_ids_are_distinct() {
        let ids: std::collections::HashSet<String> = (0..1000).map(new_job_id).collect();
        assert_eq!(ids.len(), 1000);
    }
}
