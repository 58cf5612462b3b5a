//! `batch.create`: an S3 Batch Operations job request, validated field by field before anything
//! is sent, with an idempotency token derived from its content when none is given.
//!
//! ```json
//! {"action": "batch.create",
//!  "operation": {"type": "S3InitiateRestoreObject", "expiration_days": 7, "tier": "BULK"},
//!  "manifest": {"object_arn": "arn:aws:s3:::media-manifests/restore.csv", "etag": "60e4…", "fields": ["Bucket", "Key"]},
//!  "report": {"enabled": true, "bucket_arn": "arn:aws:s3:::media-reports", "prefix": "batch", "scope": "FailedTasksOnly"},
//!  "priority": 50, "role_arn": "arn:aws:iam::123456789012:role/batch-operations",
//!  "description": "restore: masters for the re-edit", "confirmation_required": true}
//! ```

use std::collections::BTreeMap;

use mediaops::model::{
    BatchManifest, BatchOperation, BatchReport, NewBatchJob, MAX_BATCH_PRIORITY,
};
use serde::de::DeserializeOwned;
use serde::Deserialize;
use serde_json::{Map, Value};
use sha2::{Digest, Sha256};

pub const OPERATIONS: [&str; 5] = [
    "LambdaInvoke",
    "S3PutObjectCopy",
    "S3PutObjectTagging",
    "S3PutObjectAcl",
    "S3InitiateRestoreObject",
];
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
const TIERS: [&str; 2] = ["BULK", "STANDARD"];
const SCOPES: [&str; 2] = ["AllTasks", "FailedTasksOnly"];
const DIRECTIVES: [&str; 2] = ["COPY", "REPLACE"];

const FORM: &str = "{operation: {type, …}, manifest: {object_arn, etag, fields?, version_id?}, report: {enabled, bucket_arn?, prefix?, scope?}, priority: 0-2147483647, role_arn, description?, confirmation_required?: true, client_request_token?}";

/// Deserializes `v` as the part `at` of the request; the error names the part and its form.
fn part<T: DeserializeOwned>(at: &str, v: Value, form: &str) -> Result<T, String> {
    serde_json::from_value(v).map_err(|e| format!("batch.create: {at}: {e}; expected {form}"))
}

fn check(ok: bool, field: &str, value: &str, form: &str) -> Result<(), String> {
    if ok {
        Ok(())
    } else {
        Err(format!("batch.create: {field} {value:?} is not {form}"))
    }
}

fn one_of(field: &str, value: &str, allowed: &[&str]) -> Result<String, String> {
    check(
        allowed.contains(&value),
        field,
        value,
        &format!("one of {}", allowed.join(", ")),
    )?;
    Ok(value.to_string())
}

/// An S3 bucket ARN.
fn bucket_arn(field: &str, value: &str) -> Result<(), String> {
    let form = "an S3 bucket ARN (arn:aws:s3:::<bucket>)";
    check(is_bucket_arn(value), field, value, form)
}

/// An optional string of 1 to `max` characters (its length in bytes).
fn up_to(field: &str, value: &Option<String>, max: usize) -> Result<(), String> {
    match value {
        Some(v) => check(
            (1..=max).contains(&v.len()),
            field,
            v,
            &format!("1 to {max} characters"),
        ),
        None => Ok(()),
    }
}

/// `arn:<partition>:<service>:<region>:<account>:<resource>` as [service, region, account,
/// resource], for a partition `aws…`.
fn arn_parts(s: &str) -> Option<[&str; 4]> {
    let mut it = s.splitn(6, ':');
    if it.next()? != "arn" || !it.next()?.starts_with("aws") {
        return None;
    }
    Some([it.next()?, it.next()?, it.next()?, it.next()?])
}

fn bucket_name_ok(b: &str) -> bool {
    (3..=63).contains(&b.len())
        && b.chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '.' || c == '-')
}

pub fn is_bucket_arn(s: &str) -> bool {
    matches!(arn_parts(s), Some(["s3", "", "", b]) if bucket_name_ok(b))
}

pub fn is_object_arn(s: &str) -> bool {
    matches!(arn_parts(s), Some(["s3", "", "", rest])
        if rest.split_once('/').is_some_and(|(b, k)| bucket_name_ok(b) && !k.is_empty()))
}

fn account_ok(a: &str) -> bool {
    a.len() == 12 && a.chars().all(|c| c.is_ascii_digit())
}

pub fn is_lambda_arn(s: &str) -> bool {
    matches!(arn_parts(s), Some(["lambda", region, account, rest])
    if !region.is_empty() && account_ok(account)
        && rest.strip_prefix("function:").is_some_and(|f| {
            let name = f.split(':').next().unwrap_or("");
            !name.is_empty() && name.len() <= 140
                && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
        }))
}

pub fn is_role_arn(s: &str) -> bool {
    matches!(arn_parts(s), Some(["iam", "", account, rest])
        if account_ok(account) && rest.strip_prefix("role/").is_some_and(|r| !r.is_empty()))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Params {
    operation: Value,
    manifest: Value,
    report: Value,
    priority: i64,
    role_arn: String,
    #[serde(default)]
    description: Option<String>,
    #[serde(default)]
    confirmation_required: Option<bool>,
    #[serde(default)]
    client_request_token: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct LambdaParams {
    function_arn: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CopyParams {
    target_bucket_arn: String,
    #[serde(default)]
    storage_class: Option<String>,
    #[serde(default)]
    target_key_prefix: Option<String>,
    #[serde(default)]
    metadata_directive: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct TaggingParams {
    tags: BTreeMap<String, String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct AclParams {
    canned_acl: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RestoreParams {
    expiration_days: i64,
    #[serde(default)]
    tier: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ManifestParams {
    object_arn: String,
    etag: String,
    #[serde(default)]
    fields: Option<Vec<String>>,
    #[serde(default)]
    version_id: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ReportParams {
    enabled: bool,
    #[serde(default)]
    bucket_arn: Option<String>,
    #[serde(default)]
    prefix: Option<String>,
    #[serde(default)]
    scope: Option<String>,
}

fn operation(v: Value) -> Result<BatchOperation, String> {
    let Value::Object(mut m) = v else {
        return Err(format!(
            "batch.create: operation must be an object {{type: {}, …}}",
            OPERATIONS.join(" | ")
        ));
    };
    let ty = match m.remove("type") {
        Some(Value::String(t)) => t,
        _ => {
            return Err(format!(
                "batch.create: operation.type is required: one of {}",
                OPERATIONS.join(", ")
            ))
        }
    };
    let rest = Value::Object(m);
    Ok(match ty.as_str() {
        "LambdaInvoke" => {
            let p: LambdaParams = part("operation (LambdaInvoke)", rest, "{type, function_arn}")?;
            check(
                is_lambda_arn(&p.function_arn),
                "operation.function_arn",
                &p.function_arn,
                "a Lambda function ARN (arn:aws:lambda:<region>:<account>:function:<name>[:<qualifier>])",
            )?;
            BatchOperation::LambdaInvoke {
                function_arn: p.function_arn,
            }
        }
        "S3PutObjectCopy" => {
            let p: CopyParams = part(
                "operation (S3PutObjectCopy)",
                rest,
                "{type, target_bucket_arn, storage_class?, target_key_prefix?, metadata_directive?: COPY|REPLACE}",
            )?;
            bucket_arn("operation.target_bucket_arn", &p.target_bucket_arn)?;
            up_to("operation.target_key_prefix", &p.target_key_prefix, 1024)?;
            BatchOperation::S3PutObjectCopy {
                target_bucket_arn: p.target_bucket_arn,
                storage_class: p
                    .storage_class
                    .map(|c| one_of("operation.storage_class", &c, &STORAGE_CLASSES))
                    .transpose()?,
                target_key_prefix: p.target_key_prefix,
                metadata_directive: p
                    .metadata_directive
                    .map(|d| one_of("operation.metadata_directive", &d, &DIRECTIVES))
                    .transpose()?,
            }
        }
        "S3PutObjectTagging" => {
            let p: TaggingParams = part(
                "operation (S3PutObjectTagging)",
                rest,
                "{type, tags: {key: value, …} (at most 10)}",
            )?;
            if p.tags.len() > 10 {
                return Err(format!(
                    "batch.create: operation.tags has {} tags; S3 allows at most 10 per object",
                    p.tags.len()
                ));
            }
            for (k, v) in &p.tags {
                check(
                    (1..=128).contains(&k.chars().count()),
                    "operation.tags key",
                    k,
                    "1 to 128 characters",
                )?;
                check(
                    v.chars().count() <= 256,
                    &format!("operation.tags.{k}"),
                    v,
                    "at most 256 characters",
                )?;
            }
            BatchOperation::S3PutObjectTagging { tags: p.tags }
        }
        "S3PutObjectAcl" => {
            let p: AclParams = part("operation (S3PutObjectAcl)", rest, "{type, canned_acl}")?;
            BatchOperation::S3PutObjectAcl {
                canned_acl: one_of("operation.canned_acl", &p.canned_acl, &CANNED_ACLS)?,
            }
        }
        "S3InitiateRestoreObject" => {
            let p: RestoreParams = part(
                "operation (S3InitiateRestoreObject)",
                rest,
                "{type, expiration_days: 1-30000, tier?: BULK|STANDARD}",
            )?;
            if !(1..=30_000).contains(&p.expiration_days) {
                return Err(format!(
                    "batch.create: operation.expiration_days {} is not a number of days from 1 to 30000",
                    p.expiration_days
                ));
            }
            BatchOperation::S3InitiateRestoreObject {
                expiration_days: p.expiration_days as i32,
                tier: one_of(
                    "operation.tier",
                    p.tier.as_deref().unwrap_or("BULK"),
                    &TIERS,
                )?,
            }
        }
        other => {
            return Err(format!(
                "batch.create: operation.type {other:?} is not one of {}",
                OPERATIONS.join(", ")
            ))
        }
    })
}

fn manifest(v: Value) -> Result<BatchManifest, String> {
    let p: ManifestParams = part(
        "manifest",
        v,
        "{object_arn, etag, fields?: [Bucket, Key, VersionId?], version_id?}",
    )?;
    check(
        is_object_arn(&p.object_arn),
        "manifest.object_arn",
        &p.object_arn,
        "an S3 object ARN of a CSV manifest (arn:aws:s3:::<bucket>/<key>)",
    )?;
    let etag = p.etag.trim().trim_matches('"').to_string();
    check(
        (1..=1024).contains(&etag.len()),
        "manifest.etag",
        &p.etag,
        "the manifest object's ETag (S3 requires it: aws s3api head-object … --query ETag)",
    )?;
    let fields = p
        .fields
        .unwrap_or_else(|| vec!["Bucket".into(), "Key".into()]);
    let ok = matches!(
        fields
            .iter()
            .map(String::as_str)
            .collect::<Vec<_>>()
            .as_slice(),
        ["Bucket", "Key"] | ["Bucket", "Key", "VersionId"]
    );
    check(
        ok,
        "manifest.fields",
        &fields.join(","),
        "[\"Bucket\", \"Key\"] or [\"Bucket\", \"Key\", \"VersionId\"] (the CSV's columns)",
    )?;
    if let Some(v) = &p.version_id {
        check(
            !v.is_empty() && v.len() <= 2000,
            "manifest.version_id",
            v,
            "the manifest object's version id",
        )?;
    }
    Ok(BatchManifest {
        object_arn: p.object_arn,
        etag,
        object_version_id: p.version_id,
        fields,
    })
}

fn report(v: Value) -> Result<BatchReport, String> {
    let p: ReportParams = part(
        "report",
        v,
        "{enabled: false} or {enabled: true, bucket_arn, prefix?, scope?: AllTasks|FailedTasksOnly}",
    )?;
    if !p.enabled {
        if p.bucket_arn.is_some() || p.prefix.is_some() || p.scope.is_some() {
            return Err("batch.create: report is disabled (enabled: false) but names a bucket_arn, prefix or scope; set enabled: true or drop them".into());
        }
        return Ok(BatchReport {
            enabled: false,
            bucket_arn: None,
            prefix: None,
            scope: None,
        });
    }
    let bucket = p.bucket_arn.ok_or(
        "batch.create: report.bucket_arn is required when the report is enabled (arn:aws:s3:::<bucket>)",
    )?;
    bucket_arn("report.bucket_arn", &bucket)?;
    up_to("report.prefix", &p.prefix, 512)?;
    Ok(BatchReport {
        enabled: true,
        bucket_arn: Some(bucket),
        prefix: p.prefix,
        scope: Some(one_of(
            "report.scope",
            p.scope.as_deref().unwrap_or("AllTasks"),
            &SCOPES,
        )?),
    })
}

/// The token a request without one gets: a digest of everything it asks for, so the same
/// request sent twice creates one job.
pub fn derived_token(job: &NewBatchJob) -> String {
    let mut j = job.clone();
    j.client_request_token = String::new();
    let canonical = serde_json::to_string(&j).unwrap_or_default();
    let digest = Sha256::digest(canonical.as_bytes());
    let hex: String = digest.iter().take(16).map(|b| format!("{b:02x}")).collect();
    format!("mediaops-{hex}")
}

/// Parses `batch.create`'s parameters. Returns the job and whether its token was derived.
pub fn parse(map: Map<String, Value>) -> Result<(NewBatchJob, bool), String> {
    let p: Params = serde_json::from_value(Value::Object(map))
        .map_err(|e| format!("batch.create: {e}; expected {FORM}"))?;
    let operation = operation(p.operation)?;
    let manifest = manifest(p.manifest)?;
    let report = report(p.report)?;
    if !(0..=MAX_BATCH_PRIORITY).contains(&p.priority) {
        return Err(format!(
            "batch.create: priority {} is not a number from 0 to 2147483647",
            p.priority
        ));
    }
    check(
        is_role_arn(&p.role_arn),
        "role_arn",
        &p.role_arn,
        "an IAM role ARN S3 Batch Operations can assume (arn:aws:iam::<account>:role/<name>)",
    )?;
    if let Some(d) = &p.description {
        check(
            (1..=256).contains(&d.chars().count()),
            "description",
            d,
            "1 to 256 characters",
        )?;
    }
    up_to("client_request_token", &p.client_request_token, 64)?;
    let mut job = NewBatchJob {
        operation,
        manifest,
        report,
        priority: p.priority as i32,
        role_arn: p.role_arn,
        description: p.description,
        confirmation_required: p.confirmation_required.unwrap_or(true),
        client_request_token: p.client_request_token.clone().unwrap_or_default(),
    };
    let derived = p.client_request_token.is_none();
    if derived {
        job.client_request_token = derived_token(&job);
    }
    Ok((job, derived))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn base(op: Value) -> Map<String, Value> {
        let Value::Object(m) = json!({
            "operation": op,
            "manifest": { "object_arn": "arn:aws:s3:::media-manifests/restore.csv", "etag": "\"60e460c9d1046e73f7dde5043ac3ae85\"" },
            "report": { "enabled": true, "bucket_arn": "arn:aws:s3:::media-reports", "prefix": "batch" },
            "priority": 50,
            "role_arn": "arn:aws:iam::123456789012:role/batch-operations",
            "description": "restore: masters"
        }) else {
            unreachable!()
        };
        m
    }

    fn with(op: Value, field: &str, value: Value) -> Map<String, Value> {
        let mut m = base(op);
        let mut parts = field.split('.');
        let first = parts.next().unwrap();
        match parts.next() {
            None => {
                m.insert(first.into(), value);
            }
            Some(second) => {
                m.get_mut(first).unwrap()[second] = value;
            }
        }
        m
    }

    fn restore() -> Value {
        json!({ "type": "S3InitiateRestoreObject", "expiration_days": 7 })
    }

    #[test]
    fn every_operation_parses_with_its_parameters() {
        let cases = [
            json!({ "type": "LambdaInvoke", "function_arn": "arn:aws:lambda:us-east-1:123456789012:function:thumbs:live" }),
            json!({ "type": "S3PutObjectCopy", "target_bucket_arn": "arn:aws:s3:::dr-renditions", "storage_class": "STANDARD_IA", "target_key_prefix": "dr/", "metadata_directive": "COPY" }),
            json!({ "type": "S3PutObjectCopy", "target_bucket_arn": "arn:aws:s3:::dr-renditions" }),
            json!({ "type": "S3PutObjectTagging", "tags": { "archive": "true", "season": "" } }),
            json!({ "type": "S3PutObjectAcl", "canned_acl": "bucket-owner-full-control" }),
            json!({ "type": "S3InitiateRestoreObject", "expiration_days": 7, "tier": "STANDARD" }),
            restore(),
        ];
        for op in cases {
            let (job, derived) = parse(base(op.clone())).unwrap_or_else(|e| panic!("{op}: {e}"));
            assert_eq!(job.operation.name(), op["type"]);
            assert!(derived);
            assert!(
                job.confirmation_required,
                "held for confirmation by default"
            );
            assert_eq!(
                job.manifest.etag, "60e460c9d1046e73f7dde5043ac3ae85",
                "quotes dropped"
            );
            assert_eq!(job.manifest.fields, vec!["Bucket", "Key"]);
            assert_eq!(job.report.scope.as_deref(), Some("AllTasks"));
        }
        let (job, _) = parse(base(restore())).unwrap();
        assert_eq!(
            job.operation,
            BatchOperation::S3InitiateRestoreObject {
                expiration_days: 7,
                tier: "BULK".into()
            }
        );
    }

    #[test]
    fn each_invalid_field_is_named_with_its_form() {
        let lambda = json!({ "type": "LambdaInvoke", "function_arn": "arn:aws:lambda:us-east-1:123456789012:function:f" });
        let copy =
            json!({ "type": "S3PutObjectCopy", "target_bucket_arn": "arn:aws:s3:::dr-copies" });
        let cases: Vec<(Map<String, Value>, &str)> = vec![
            (
                base(json!({ "type": "S3DeleteEverything" })),
                "operation.type \"S3DeleteEverything\" is not one of LambdaInvoke",
            ),
            (
                base(json!({ "expiration_days": 7 })),
                "operation.type is required",
            ),
            (base(json!("S3PutObjectAcl")), "operation must be an object"),
            (
                base(json!({ "type": "LambdaInvoke" })),
                "operation (LambdaInvoke): missing field `function_arn`",
            ),
            (
                base(json!({ "type": "LambdaInvoke", "function_arn": "thumbs" })),
                "operation.function_arn \"thumbs\" is not a Lambda function ARN",
            ),
            (
                base(
                    json!({ "type": "LambdaInvoke", "function_arn": "arn:aws:lambda:us-east-1:123456789012:function:f", "payload": 1 }),
                ),
                "unknown field `payload`",
            ),
            (
                base(json!({ "type": "S3PutObjectCopy", "target_bucket_arn": "dr-renditions" })),
                "operation.target_bucket_arn \"dr-renditions\" is not an S3 bucket ARN",
            ),
            (
                base(
                    json!({ "type": "S3PutObjectCopy", "target_bucket_arn": "arn:aws:s3:::dr-copies", "storage_class": "COLD" }),
                ),
                "operation.storage_class \"COLD\" is not one of STANDARD",
            ),
            (
                base(
                    json!({ "type": "S3PutObjectCopy", "target_bucket_arn": "arn:aws:s3:::dr-copies", "metadata_directive": "MERGE" }),
                ),
                "operation.metadata_directive \"MERGE\" is not one of COPY, REPLACE",
            ),
            (
                base(json!({ "type": "S3PutObjectTagging" })),
                "missing field `tags`",
            ),
            (
                base(json!({ "type": "S3PutObjectTagging", "tags": { "": "x" } })),
                "operation.tags key \"\" is not 1 to 128 characters",
            ),
            (
                base(
                    json!({ "type": "S3PutObjectTagging", "tags": (0..11).map(|i| (format!("k{i}"), json!("v"))).collect::<Map<String, Value>>() }),
                ),
                "at most 10",
            ),
            (
                base(json!({ "type": "S3PutObjectAcl", "canned_acl": "everyone" })),
                "operation.canned_acl \"everyone\" is not one of private",
            ),
            (
                base(json!({ "type": "S3InitiateRestoreObject", "expiration_days": 0 })),
                "operation.expiration_days 0 is not a number of days from 1 to 30000",
            ),
            (
                base(
                    json!({ "type": "S3InitiateRestoreObject", "expiration_days": 7, "tier": "EXPEDITED" }),
                ),
                "operation.tier \"EXPEDITED\" is not one of BULK, STANDARD",
            ),
            (
                with(restore(), "manifest.etag", json!("")),
                "manifest.etag \"\" is not the manifest object's ETag",
            ),
            (
                with(
                    restore(),
                    "manifest.object_arn",
                    json!("s3://media-manifests/restore.csv"),
                ),
                "manifest.object_arn \"s3://media-manifests/restore.csv\" is not an S3 object ARN",
            ),
            (
                with(
                    restore(),
                    "manifest.object_arn",
                    json!("arn:aws:s3:::media-manifests"),
                ),
                "is not an S3 object ARN",
            ),
            (
                with(restore(), "manifest.fields", json!(["Key", "Bucket"])),
                "manifest.fields \"Key,Bucket\" is not",
            ),
            (
                with(
                    lambda.clone(),
                    "manifest",
                    json!({ "object_arn": "arn:aws:s3:::m/x.csv" }),
                ),
                "manifest: missing field `etag`",
            ),
            (
                with(copy.clone(), "report", json!({ "enabled": true })),
                "report.bucket_arn is required",
            ),
            (
                with(
                    copy.clone(),
                    "report",
                    json!({ "enabled": true, "bucket_arn": "arn:aws:s3:::rpts", "scope": "Some" }),
                ),
                "report.scope \"Some\" is not one of AllTasks, FailedTasksOnly",
            ),
            (
                with(
                    copy.clone(),
                    "report",
                    json!({ "enabled": false, "bucket_arn": "arn:aws:s3:::rpts" }),
                ),
                "report is disabled",
            ),
            (
                with(
                    copy.clone(),
                    "report",
                    json!({ "bucket_arn": "arn:aws:s3:::rpts" }),
                ),
                "report: missing field `enabled`",
            ),
            (
                with(copy.clone(), "priority", json!(2_147_483_648i64)),
                "priority 2147483648 is not a number from 0 to 2147483647",
            ),
            (
                with(copy.clone(), "priority", json!(-1)),
                "priority -1 is not",
            ),
            (
                with(copy.clone(), "role_arn", json!("batch-operations")),
                "role_arn \"batch-operations\" is not an IAM role ARN",
            ),
            (
                with(copy.clone(), "description", json!("x".repeat(257))),
                "description",
            ),
            (
                with(copy.clone(), "client_request_token", json!("t".repeat(65))),
                "client_request_token",
            ),
            (
                with(copy.clone(), "surprise", json!(1)),
                "unknown field `surprise`",
            ),
        ];
        for (req, want) in cases {
            let err = parse(req.clone()).unwrap_err();
            assert!(err.contains(want), "{want:?} not in {err:?}");
            assert!(err.starts_with("batch.create: "), "{err}");
        }
        let mut missing = base(restore());
        missing.remove("report");
        assert!(parse(missing)
            .unwrap_err()
            .contains("missing field `report`"));
    }

    #[test]
    fn the_derived_token_follows_the_content() {
        let (a, _) = parse(base(restore())).unwrap();
        let (b, _) = parse(base(restore())).unwrap();
        assert_eq!(a.client_request_token, b.client_request_token);
        assert!(
            a.client_request_token.starts_with("mediaops-") && a.client_request_token.len() <= 64
        );
        let (c, _) = parse(with(restore(), "priority", json!(51))).unwrap();
        assert_ne!(a.client_request_token, c.client_request_token);
        let (d, derived) = parse(with(restore(), "client_request_token", json!("mine-1"))).unwrap();
        assert!(!derived);
        assert_eq!(d.client_request_token, "mine-1");
    }

    #[test]
    fn arns() {
        assert!(is_bucket_arn("arn:aws:s3:::media-reports"));
        assert!(is_bucket_arn("arn:aws-us-gov:s3:::media.reports"));
        assert!(!is_bucket_arn("arn:aws:s3:::Media"));
        assert!(!is_bucket_arn("arn:aws:s3:::media/key"));
        assert!(is_object_arn("arn:aws:s3:::media/dir/key.csv"));
        assert!(!is_object_arn("arn:aws:s3:::media/"));
        assert!(is_lambda_arn(
            "arn:aws:lambda:eu-west-1:123456789012:function:f-1_x"
        ));
        assert!(is_lambda_arn(
            "arn:aws:lambda:eu-west-1:123456789012:function:f:$LATEST"
        ));
        assert!(!is_lambda_arn("arn:aws:lambda:eu-west-1:1234:function:f"));
        assert!(!is_lambda_arn(
            "arn:aws:lambda:eu-west-1:123456789012:layer:f"
        ));
        assert!(is_role_arn("arn:aws:iam::123456789012:role/service/batch"));
        assert!(!is_role_arn("arn:aws:iam::123456789012:user/batch"));
        assert!(!is_role_arn(
            "arn:aws:iam:us-east-1:123456789012:role/batch"
        ));
    }
}
