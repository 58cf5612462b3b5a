//! S3 Control batch operations jobs (REST-XML, API version 2018-08-20; account from `x-amz-account-id`).

use std::collections::HashMap;
use std::ops::Bound;

use chrono::{SecondsFormat, TimeZone, Utc};
use http::Method;
use quick_xml::events::Event;
use quick_xml::Reader;

use crate::http::{xml_escape, xml_response, Call, Protocol, Req, Resp, Routed};
use crate::state::{now_ms, ApiError, BatchJob, State, World, BATCH_TERMINAL};

pub const SERVICE: &str = "s3control";
pub const REGION: &str = "us-east-1";
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

/// The child elements of the document's root: name → inner XML (raw, not unescaped).
pub fn top_level_fields(xml: &str) -> Result<HashMap<String, String>, String> {
    let mut reader = Reader::from_str(xml);
    let mut depth = 0usize;
    let mut current: Option<(String, usize)> = None;
    let mut fields = HashMap::new();
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
                        fields.insert(name, xml.get(start..before).unwrap_or("").to_string());
                    }
                }
                depth = depth.saturating_sub(1);
            }
            Ok(Event::Empty(e)) if depth == 1 => {
                let name = String::from_utf8_lossy(e.local_name().as_ref()).into_owned();
                fields.insert(name, String::new());
            }
            Ok(Event::Eof) => break,
            Err(e) => return Err(format!("malformed XML: {e}")),
            _ => {}
        }
    }
    Ok(fields)
}

fn first_element_name(xml: &str) -> Option<String> {
    let mut reader = Reader::from_str(xml);
    loop {
        match reader.read_event() {
            Ok(Event::Start(e)) | Ok(Event::Empty(e)) => {
                return Some(String::from_utf8_lossy(e.local_name().as_ref()).into_owned())
            }
            Ok(Event::Eof) | Err(_) => return None,
            _ => {}
        }
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

pub fn describe_xml(j: &BatchJob) -> String {
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
        "<JobArn>arn:aws:s3:{REGION}:{}:job/{}</JobArn><Status>{}</Status><Manifest>{}</Manifest><Operation>{}</Operation><Priority>{}</Priority>{}",
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

pub fn handle(call: &Call, req: &Req, world: &mut World, state: &State) -> Result<Resp, ApiError> {
    let account = req
        .header("x-amz-account-id")
        .filter(|a| a.len() == 12 && a.chars().all(|c| c.is_ascii_digit()))
        .ok_or_else(|| bad_request("x-amz-account-id must be a 12-digit AWS account id"))?
        .to_string();
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
                .ok_or_else(|| bad_request("ClientRequestToken is required"))?;
            if let Some(existing) = s3.tokens.get(&(account.clone(), token.clone())) {
                return Ok(result(
                    "CreateJobResult",
                    &format!("<JobId>{}</JobId>", xml_escape(existing)),
                ));
            }
            let role = f
                .get("RoleArn")
                .map(|t| text(t))
                .filter(|t| !t.is_empty())
                .ok_or_else(|| bad_request("RoleArn is required"))?;
            let priority: i64 = f
                .get("Priority")
                .map(|t| text(t))
                .ok_or_else(|| bad_request("Priority is required"))?
                .parse()
                .map_err(|_| bad_request("Priority must be an integer"))?;
            if !(0..=MAX_PRIORITY).contains(&priority) {
                return Err(bad_request(format!(
                    "Priority must be between 0 and {MAX_PRIORITY}"
                )));
            }
            let operation_xml = f
                .get("Operation")
                .cloned()
                .ok_or_else(|| bad_request("Operation is required"))?;
            let operation = first_element_name(&operation_xml)
                .ok_or_else(|| bad_request("Operation must name exactly one operation"))?;
            let report_xml = f
                .get("Report")
                .cloned()
                .ok_or_else(|| bad_request("Report is required"))?;
            let manifest_xml = match (f.get("Manifest"), f.get("ManifestGenerator")) {
                (Some(m), _) => m.clone(),
                (None, Some(_)) => DEFAULT_MANIFEST_XML.to_string(),
                (None, None) => {
                    return Err(bad_request("Manifest or ManifestGenerator is required"))
                }
            };
            let confirmation_required = f
                .get("ConfirmationRequired")
                .map(|t| text(t) == "true")
                .unwrap_or(false);
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
                &format!("<Job>{}</Job>", describe_xml(j)),
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
            let size = world.settings.page_size("ListJobs", requested);
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
        assert_eq!(
            first_element_name(&f["Operation"]).as_deref(),
            Some("S3PutObjectTagging")
        );
    }

    #[test]
    fn job_ids_are_distinct() {
        let ids: std::collections::HashSet<String> = (0..1000).map(new_job_id).collect();
        assert_eq!(ids.len(), 1000);
    }
}
