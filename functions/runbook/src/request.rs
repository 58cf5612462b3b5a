//! Runbook requests: `{"action": "<name>", ...parameters, "dry_run": false, "confirm": false}`,
//! parsed through the table of services: the action's service parses its parameters into its own
//! type. Every error names the field and the form it expects.

use serde_json::{json, Map, Value};

use crate::action::{params, ActionSpec, Bound, Empty, Registered};
use crate::services::ALL;

/// The one action no service has: the list of the others.
pub static HELP: ActionSpec = ActionSpec {
    name: "help",
    params: "—",
    does: "the actions",
    mutates: false,
    destructive: false,
    args: &[],
};

/// A parsed request.
pub struct Request {
    pub spec: &'static ActionSpec,
    /// The service that parsed it and runs it, with what it parsed (`None`: `help`).
    pub(crate) service: Option<(&'static dyn Registered, Bound)>,
    pub dry_run: bool,
    pub confirm: bool,
}

impl std::fmt::Debug for Request {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Request")
            .field("action", &self.to_json())
            .field("dry_run", &self.dry_run)
            .field("confirm", &self.confirm)
            .finish()
    }
}

impl Request {
    pub fn name(&self) -> &'static str {
        self.spec.name
    }

    /// Whether it changes anything (and so honours `dry_run`).
    pub fn mutates(&self) -> bool {
        self.spec.mutates
    }

    /// Whether this request changes something irreversibly (it needs `"confirm": true`).
    pub fn is_destructive(&self) -> bool {
        self.service.as_ref().is_some_and(|(_, b)| b.destructive)
    }

    /// The request as understood (parameters with defaults filled in).
    pub fn to_json(&self) -> Value {
        match &self.service {
            Some((_, b)) => b.action.to_json(),
            None => json!({ "action": self.spec.name }),
        }
    }

    /// The parsed action as its service's type (`PipelineAction`, …).
    pub fn action<T: 'static>(&self) -> Option<&T> {
        let (_, b) = self.service.as_ref()?;
        (&*b.action as &dyn std::any::Any).downcast_ref::<T>()
    }
}

/// Every action of `services`, then `help`.
pub fn action_names(services: &[&'static dyn Registered]) -> Vec<&'static str> {
    services
        .iter()
        .flat_map(|s| s.actions())
        .map(|a| a.name)
        .chain([HELP.name])
        .collect()
}

/// An action no service has, with the valid ones.
fn unknown(a: &str, services: &[&'static dyn Registered]) -> String {
    format!(
        "unknown action {a:?}; valid actions: {}",
        action_names(services).join(", ")
    )
}

/// Parses a request for the deployed runbook's services.
pub fn parse(payload: Value) -> Result<Request, String> {
    parse_with(ALL, payload)
}

/// Parses a request through `services`; the error says what is wrong and what is expected.
pub fn parse_with(services: &[&'static dyn Registered], payload: Value) -> Result<Request, String> {
    let valid = || action_names(services).join(", ");
    let Value::Object(mut map) = payload else {
        return Err("a request is a JSON object: {\"action\": \"<name>\", ...parameters, \"dry_run\": false, \"confirm\": false}".into());
    };
    let action = match map.remove("action") {
        Some(Value::String(a)) => a,
        Some(other) => {
            return Err(format!(
                "action must be a string, not {other}; valid actions: {}",
                valid()
            ))
        }
        None => return Err(format!("action is required; valid actions: {}", valid())),
    };
    let flag = |map: &mut Map<String, Value>, name: &str| -> Result<bool, String> {
        match map.remove(name) {
            None | Some(Value::Null) => Ok(false),
            Some(Value::Bool(b)) => Ok(b),
            Some(other) => Err(format!("{name} must be true or false, not {other}")),
        }
    };
    let dry_run = flag(&mut map, "dry_run")?;
    let confirm = flag(&mut map, "confirm")?;
    let a = action.as_str();
    if a == HELP.name {
        params::<Empty>(a, map, "no parameters")?;
        return Ok(Request {
            spec: &HELP,
            service: None,
            dry_run,
            confirm,
        });
    }
    let (service, spec) = services
        .iter()
        .find_map(|s| s.actions().iter().find(|x| x.name == a).map(|x| (*s, x)))
        .ok_or_else(|| unknown(a, services))?;
    let bound = service.parse_action(spec, map)?;
    Ok(Request {
        spec,
        service: Some((service, bound)),
        dry_run,
        confirm,
    })
}

/// The README's runbook action table: one row per action of `services` (⚠: destructive), then
/// `help`.
pub fn markdown(services: &[&'static dyn Registered]) -> String {
    let mut out = String::from("| action | parameters | does |\n|---|---|---|\n");
    let specs = services.iter().flat_map(|s| s.actions()).chain([&HELP]);
    for a in specs {
        let warn = if a.destructive { " ⚠" } else { "" };
        out.push_str(&format!(
            "| `{}`{warn} | {} | {} |\n",
            a.name, a.params, a.does
        ));
    }
    out
}

#[cfg(test)]
mod table_tests {
    use super::*;

    const BEGIN: &str = "<!-- runbook actions: generated from functions/runbook/src/services (MEDIAOPS_WRITE_README=1 cargo test -p runbook readme rewrites it) -->\n";
    const END: &str = "<!-- end of runbook actions -->";

    /// The README's table is the table: an action added, renamed or reworded in its service's
    /// file and not in the README fails here (`MEDIAOPS_WRITE_README=1` rewrites the README).
    #[test]
    fn the_readme_action_table_is_the_table() {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../README.md");
        let readme = std::fs::read_to_string(&path).unwrap();
        let start = readme
            .find(BEGIN)
            .expect("the README marks the runbook table")
            + BEGIN.len();
        let end = start + readme[start..].find(END).expect("the table's end marker");
        let table = markdown(ALL);
        if std::env::var_os("MEDIAOPS_WRITE_README").is_some() {
            let new = format!("{}{table}{}", &readme[..start], &readme[end..]);
            std::fs::write(&path, new).unwrap();
            return;
        }
        assert_eq!(readme[start..end], table, "README's runbook action table");
    }

    #[test]
    fn every_action_is_named_once_and_the_destructive_ones_are_the_seven() {
        let names = action_names(ALL);
        let unique: std::collections::BTreeSet<_> = names.iter().collect();
        assert_eq!(unique.len(), names.len(), "{names:?}");
        let destructive: Vec<&str> = ALL
            .iter()
            .flat_map(|s| s.actions())
            .filter(|a| a.destructive)
            .map(|a| a.name)
            .collect();
        assert_eq!(
            destructive,
            [
                "pipeline.drain",
                "pipeline.recover",
                "queue.drain",
                "queue.recover",
                "batch.cancel",
                "logging.stop",
                "harvest.v2.cancel"
            ]
        );
        for a in ALL.iter().flat_map(|s| s.actions()) {
            assert!(!a.destructive || a.mutates, "{}", a.name);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::action::Order;
    use crate::services::batch::BatchAction;
    use crate::services::pipelines::PipelineAction;

    const P: &str = "1111111111111-abcde1";
    const J: &str = "4e3b1f2a-0001-4a00-a000-000000000001";

    fn ok(v: Value) -> Request {
        parse(v.clone()).unwrap_or_else(|e| panic!("{v}: {e}"))
    }

    fn err(v: Value) -> String {
        parse(v.clone()).expect_err(&v.to_string())
    }

    #[test]
    fn every_request_file_parses() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("requests");
        let mut n = 0;
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            let v: Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap())
                .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
            let r = parse(v).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
            let name = path.file_stem().unwrap().to_string_lossy().to_string();
            assert!(
                name.starts_with(&r.name().replace(['.', '_'], "-")),
                "{name} holds {}",
                r.name()
            );
            if let Some(BatchAction::Create { job, .. }) = r.action::<BatchAction>() {
                let op = name.trim_start_matches("batch-create-");
                let want = match op {
                    "restore" => "S3InitiateRestoreObject",
                    "copy" => "S3PutObjectCopy",
                    "tagging" => "S3PutObjectTagging",
                    "acl" => "S3PutObjectAcl",
                    "lambda" => "LambdaInvoke",
                    other => panic!("unexpected batch-create file {other}"),
                };
                assert_eq!(job.operation.name(), want);
            }
            n += 1;
        }
        assert!(n >= 23, "{n} request files");
    }

    /// The parameters a command line is made from are the ones the parser takes: every one is
    /// known to it, the required ones are refused when missing (the message naming them), the
    /// optional ones are not, each is in the table's words, and a destructive action names the
    /// one an operator types to confirm it.
    #[test]
    fn every_actions_parameters_are_the_ones_its_parser_takes() {
        use crate::action::{Kind, Param};
        let sample = |p: &Param| match p.kind {
            Kind::Text => json!("x"),
            Kind::Flag => json!(true),
            Kind::Int => json!(1),
            Kind::Number => json!(1.0),
            Kind::Time => json!("2026-11-30T14:00:00Z"),
            Kind::List => json!(["x"]),
            Kind::IntList => json!([1040]),
            Kind::Json => json!({}),
        };
        let request = |spec: &ActionSpec, without: Option<&str>| {
            let mut m: Map<String, Value> = spec
                .args
                .iter()
                .filter(|p| Some(p.name) != without)
                .map(|p| (p.name.to_string(), sample(p)))
                .collect();
            m.insert("action".into(), json!(spec.name));
            Value::Object(m)
        };
        let mut n = 0;
        for spec in ALL.iter().flat_map(|s| s.actions()) {
            if let Err(e) = parse(request(spec, None)) {
                assert!(!e.contains("unknown field"), "{}: {e}", spec.name);
            }
            for p in spec.args {
                n += 1;
                match parse(request(spec, Some(p.name))) {
                    Err(e) if p.required => {
                        assert!(e.contains(p.name), "{} without {}: {e}", spec.name, p.name)
                    }
                    Ok(_) if p.required => panic!("{} without {} was taken", spec.name, p.name),
                    Err(e) => assert!(
                        !e.contains(&format!("missing field `{}`", p.name)),
                        "{}: {e}",
                        spec.name
                    ),
                    Ok(_) => {}
                }
                assert!(
                    spec.params.contains(&format!("`{}`", p.name))
                        || spec.params.contains("the same as"),
                    "{}: {} is not in the table's words {:?}",
                    spec.name,
                    p.name,
                    spec.params
                );
            }
            let targets = spec.args.iter().filter(|p| p.target).count();
            assert!(targets <= 1, "{}", spec.name);
            if spec.destructive {
                assert_eq!(
                    targets, 1,
                    "{}: what does an operator type to confirm it?",
                    spec.name
                );
            }
            let first = spec.args.iter().take_while(|p| p.positional).count();
            assert!(
                spec.args[first..].iter().all(|p| !p.positional),
                "{}: positional parameters come first",
                spec.name
            );
        }
        assert!(n > 60, "{n} parameters");
    }

    #[test]
    fn valid_requests_for_every_action() {
        let cases = [
            json!({ "action": "pipeline.status", "pipeline_id": P }),
            json!({ "action": "pipeline.pause", "pipeline_id": P }),
            json!({ "action": "pipeline.resume", "pipeline_id": P, "dry_run": true }),
            json!({ "action": "pipeline.drain", "pipeline_id": P, "confirm": true }),
            json!({ "action": "jobs.list", "status": "Error" }),
            json!({ "action": "jobs.list", "pipeline_id": P, "order": "oldest", "limit": 10, "page_token": "x~3" }),
            json!({ "action": "queue.status", "queue": "Default" }),
            json!({ "action": "queue.pause", "queue": "arn:aws:mediaconvert:us-east-1:123456789012:queues/vod-premium" }),
            json!({ "action": "queue.resume", "queue": "vod-premium", "dry_run": true }),
            json!({ "action": "queue.drain", "queue": "vod-premium", "confirm": true }),
            json!({ "action": "queue.recover", "queue": "vod-premium" }),
            json!({ "action": "pipeline.recover", "pipeline_id": P, "since": "2026-11-30T14:00:00Z", "until": "2026-11-30T16:00:00+01:00",
                    "classes": ["pipeline", "job"], "limit": 10, "max_generations": 2, "concurrency": 16, "rate": 0.5, "confirm": true }),
            json!({ "action": "mediaconvert.jobs.list", "queue": "Default", "status": "error", "order": "oldest", "limit": 5 }),
            json!({ "action": "batch.list" }),
            json!({ "action": "batch.list", "statuses": ["Suspended", "Active"], "limit": 5 }),
            json!({ "action": "batch.describe", "job_id": J }),
            serde_json::from_str(include_str!("../requests/batch-create-restore.json")).unwrap(),
            json!({ "action": "batch.set_priority", "job_id": J, "priority": 2147483647 }),
            json!({ "action": "batch.set_priority", "job_id": J, "priority": 0 }),
            json!({ "action": "batch.confirm", "job_id": J }),
            json!({ "action": "batch.cancel", "job_id": J, "reason": "wrong manifest", "confirm": true }),
            json!({ "action": "logging.status" }),
            json!({ "action": "logging.start", "container": "vod-premium" }),
            json!({ "action": "logging.stop", "container": "scratch-encode", "confirm": true }),
            json!({ "action": "harvest.create", "id": "clip-1", "origin_endpoint_id": "sports-hls", "start_time": "2026-11-21T09:00:00Z",
                    "end_time": "2026-11-21T11:00:00+01:00", "bucket_name": "vod", "manifest_key": "a/index.m3u8", "role_arn": "arn:aws:iam::123456789012:role/h" }),
            json!({ "action": "harvest.describe", "id": "clip-1" }),
            json!({ "action": "harvest.list", "channel_id": "sports", "status": "FAILED" }),
            serde_json::from_str(include_str!("../requests/harvest-v2-create.json")).unwrap(),
            json!({ "action": "harvest.v2.describe", "channel_group": "live", "channel": "sports", "origin_endpoint": "hls", "name": "n" }),
            json!({ "action": "harvest.v2.list", "channel_group": "live", "channel": "sports", "status": "QUEUED", "limit": 5 }),
            serde_json::from_str(include_str!("../requests/harvest-v2-cancel.json")).unwrap(),
            json!({ "action": "guard.overview" }),
            json!({ "action": "help" }),
        ];
        let mut seen = std::collections::BTreeSet::new();
        for c in cases {
            let r = ok(c);
            seen.insert(r.name());
        }
        assert_eq!(
            seen.len(),
            action_names(ALL).len(),
            "every action has a valid case"
        );
        let r = ok(
            json!({ "action": "pipeline.drain", "pipeline_id": P, "confirm": true, "dry_run": false }),
        );
        assert!(r.confirm && !r.dry_run && r.is_destructive() && r.mutates());
        assert!(!ok(json!({ "action": "jobs.list", "status": "error" })).mutates());
        match ok(json!({ "action": "jobs.list", "status": "Error" })).action::<PipelineAction>() {
            Some(PipelineAction::JobsList { order, limit, .. }) => {
                assert_eq!((*order, *limit), (Order::Newest, 50))
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn invalid_requests_name_the_field_and_the_form() {
        let cases: Vec<(Value, &str)> = vec![
            (json!("pause it"), "JSON object"),
            (json!({}), "action is required"),
            (json!({ "action": 5 }), "must be a string"),
            (
                json!({ "action": "pipeline.explode" }),
                "valid actions: pipeline.status",
            ),
            (
                json!({ "action": "pipeline.pause" }),
                "missing field `pipeline_id`",
            ),
            (
                json!({ "action": "pipeline.pause", "pipeline_id": "vod-main" }),
                "13 digits",
            ),
            (json!({ "action": "queue.drain" }), "missing field `queue`"),
            (
                json!({ "action": "queue.pause", "queue": "vod premium!" }),
                "queue \"vod premium!\" is not a MediaConvert queue name or ARN",
            ),
            (
                json!({ "action": "mediaconvert.jobs.list", "status": "Submitted-ish" }),
                "status \"Submitted-ish\" is not one of SUBMITTED",
            ),
            (
                json!({ "action": "mediaconvert.jobs.list", "limit": 0 }),
                "limit 0 is not a number from 1 to 1000",
            ),
            (
                json!({ "action": "pipeline.pause", "pipeline_id": P, "pipelineId": P }),
                "unknown field `pipelineId`",
            ),
            (
                json!({ "action": "pipeline.pause", "pipeline_id": P, "confirm": "yes" }),
                "confirm must be true or false",
            ),
            (
                json!({ "action": "pipeline.pause", "pipeline_id": P, "dry_run": 1 }),
                "dry_run must be true or false",
            ),
            (
                json!({ "action": "jobs.list" }),
                "status or pipeline_id is required",
            ),
            (
                json!({ "action": "jobs.list", "status": "Error", "pipeline_id": P }),
                "not both",
            ),
            (
                json!({ "action": "jobs.list", "status": "Failed" }),
                "Submitted, Progressing",
            ),
            (
                json!({ "action": "jobs.list", "status": "Error", "order": "random" }),
                "unknown variant",
            ),
            (
                json!({ "action": "jobs.list", "status": "Error", "limit": 0 }),
                "limit 0",
            ),
            (
                json!({ "action": "jobs.list", "status": "Error", "limit": 1001 }),
                "from 1 to 1000",
            ),
            (
                json!({ "action": "batch.list", "statuses": ["Waiting"] }),
                "not one of Active",
            ),
            (
                json!({ "action": "batch.describe", "job_id": "" }),
                "S3 Batch Operations job id",
            ),
            (
                json!({ "action": "batch.describe", "job_id": "has spaces" }),
                "S3 Batch Operations job id",
            ),
            (
                json!({ "action": "batch.set_priority", "job_id": J, "priority": -1 }),
                "0 to 2147483647",
            ),
            (
                json!({ "action": "batch.set_priority", "job_id": J, "priority": 2147483648i64 }),
                "0 to 2147483647",
            ),
            (
                json!({ "action": "batch.set_priority", "job_id": J, "priority": "high" }),
                "invalid type",
            ),
            (
                json!({ "action": "batch.set_priority", "job_id": J }),
                "missing field `priority`",
            ),
            (
                json!({ "action": "batch.cancel", "job_id": J }),
                "missing field `reason`",
            ),
            (
                json!({ "action": "batch.cancel", "job_id": J, "reason": " " }),
                "say why",
            ),
            (
                json!({ "action": "logging.status", "container": "x" }),
                "unknown field",
            ),
            (
                json!({ "action": "logging.start", "container": "has/slash" }),
                "MediaStore container name",
            ),
            (
                json!({ "action": "logging.stop" }),
                "missing field `container`",
            ),
            (
                json!({ "action": "harvest.create", "id": "c", "origin_endpoint_id": "e", "start_time": "soon", "end_time": "2026-11-21T10:00:00Z",
                     "bucket_name": "b", "manifest_key": "k", "role_arn": "arn:aws:iam::1:role/r" }),
                "start_time \"soon\" is not an ISO-8601",
            ),
            (
                json!({ "action": "harvest.create", "id": "c", "origin_endpoint_id": "e", "start_time": "2026-11-21T10:00:00Z", "end_time": "2026-11-21T09:00:00Z",
                     "bucket_name": "b", "manifest_key": "k", "role_arn": "arn:aws:iam::1:role/r" }),
                "before it starts",
            ),
            (
                json!({ "action": "harvest.create", "id": "c", "origin_endpoint_id": "e", "start_time": "2026-11-20T09:00:00Z", "end_time": "2026-11-21T09:00:01Z",
                     "bucket_name": "b", "manifest_key": "k", "role_arn": "arn:aws:iam::1:role/r" }),
                "24 hours",
            ),
            (
                json!({ "action": "harvest.create", "id": "c d", "origin_endpoint_id": "e", "start_time": "2026-11-21T09:00:00Z", "end_time": "2026-11-21T10:00:00Z",
                     "bucket_name": "b", "manifest_key": "k", "role_arn": "arn:aws:iam::1:role/r" }),
                "MediaPackage id",
            ),
            (
                json!({ "action": "harvest.create", "id": "c", "origin_endpoint_id": "e", "start_time": "2026-11-21T09:00:00Z", "end_time": "2026-11-21T10:00:00Z",
                     "bucket_name": "b", "manifest_key": "k", "role_arn": "MediaPackageRole" }),
                "IAM role ARN",
            ),
            (
                json!({ "action": "harvest.create", "id": "c" }),
                "missing field",
            ),
            (
                json!({ "action": "harvest.describe" }),
                "missing field `id`",
            ),
            (
                json!({ "action": "harvest.list", "status": "DONE" }),
                "IN_PROGRESS, SUCCEEDED, FAILED",
            ),
            (
                json!({ "action": "harvest.list", "channel_id": "" }),
                "MediaPackage id",
            ),
            (
                json!({ "action": "harvest.v2.describe", "channel_group": "g", "channel": "c", "origin_endpoint": "e", "name": "a.m3u8" }),
                "MediaPackage v2 name",
            ),
            (
                json!({ "action": "harvest.v2.list", "channel_group": "g", "status": "SUCCEEDED" }),
                "not one of QUEUED",
            ),
            (
                json!({ "action": "harvest.v2.create", "channel_group": "g", "channel": "c", "origin_endpoint": "e", "name": "n",
                        "start_time": "2026-11-21T09:00:00Z", "end_time": "2026-11-21T10:00:00Z", "bucket_name": "vod", "destination_path": "p/", "manifests": {} }),
                "at least one manifest",
            ),
            (
                json!({ "action": "harvest.v2.create", "channel_group": "g", "channel": "c", "origin_endpoint": "e", "name": "n",
                        "start_time": "2026-11-20T09:00:00Z", "end_time": "2026-11-21T10:00:00Z", "bucket_name": "vod", "destination_path": "p/", "manifests": { "hls": ["i"] } }),
                "24 hours",
            ),
            (
                json!({ "action": "harvest.v2.create", "channel_group": "g", "channel": "c", "origin_endpoint": "e", "name": "n",
                        "start_time": "2026-11-21T09:00:00Z", "end_time": "2026-11-21T10:00:00Z", "bucket_name": "vod", "destination_path": "p /", "manifests": { "hls": ["i"] } }),
                "destination_path",
            ),
            (
                json!({ "action": "harvest.v2.create", "channel_group": "g", "channel": "c", "origin_endpoint": "e", "name": "n",
                        "start_time": "2026-11-21T09:00:00Z", "end_time": "2026-11-21T10:00:00Z", "bucket_name": "vod", "destination_path": "p/",
                        "manifests": { "hls": ["i"] }, "role_arn": "arn:aws:iam::1:role/x" }),
                "unknown field `role_arn`",
            ),
            (
                json!({ "action": "harvest.v2.describe", "channel_group": "g", "channel": "c", "origin_endpoint": "e", "name": "n", "etag": "x" }),
                "harvest.v2.cancel parameter",
            ),
            (json!({ "action": "help", "please": true }), "unknown field"),
            (
                json!({ "action": "queue.recover" }),
                "missing field `queue`",
            ),
            (
                json!({ "action": "queue.recover", "queue": "vod", "sinse": "x" }),
                "unknown field `sinse`",
            ),
            (
                json!({ "action": "queue.recover", "queue": "vod", "since": "yesterday" }),
                "since \"yesterday\" is not an RFC 3339 time",
            ),
            (
                json!({ "action": "queue.recover", "queue": "vod", "since": "2026-11-30T14:00:00Z", "until": "2026-11-30T13:00:00Z" }),
                "until must be after since",
            ),
            (
                json!({ "action": "queue.recover", "queue": "vod", "since": "2026-06-01T00:00:00Z", "until": "2026-11-30T13:00:00Z" }),
                "over 90 days",
            ),
            (
                json!({ "action": "queue.recover", "queue": "vod", "until": "2026-11-30T13:00:00Z" }),
                "until needs since",
            ),
            (
                json!({ "action": "queue.recover", "queue": "vod", "classes": ["pipeline"] }),
                "classes: \"pipeline\" is not one of queue, service, job",
            ),
            (
                json!({ "action": "pipeline.recover", "pipeline_id": P, "classes": ["queue"] }),
                "not one of pipeline, service, job",
            ),
            (
                json!({ "action": "queue.recover", "queue": "vod", "classes": ["job"], "codes": [1040] }),
                "not both",
            ),
            (
                json!({ "action": "queue.recover", "queue": "vod", "codes": [12] }),
                "codes must be",
            ),
            (
                json!({ "action": "queue.recover", "queue": "vod", "max_generations": 4 }),
                "max_generations 4",
            ),
            (
                json!({ "action": "queue.recover", "queue": "vod", "limit": 0 }),
                "limit is not",
            ),
            (
                json!({ "action": "queue.recover", "queue": "vod", "concurrency": 17 }),
                "concurrency 17",
            ),
            (
                json!({ "action": "queue.recover", "queue": "vod", "rate": 1000 }),
                "rate 1000",
            ),
            (
                json!({ "action": "pipeline.recover", "pipeline_id": "vod-main" }),
                "13 digits",
            ),
        ];
        for (v, want) in cases {
            let e = err(v.clone());
            assert!(e.contains(want), "{v}: {e}");
        }
    }
}
