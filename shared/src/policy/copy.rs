//! A job's copy, made from the job's JSON as the service answered GetJob / ReadJob: which of its
//! members go into CreateJob, under which name, which stay behind as the service's own account of
//! the run, and what a copy cannot carry. Pure: the rules are a service's facts from its botocore
//! model ([`crate::services::mediaconvert::COPY`], [`crate::services::transcoder::COPY`], each
//! held to the vendored model by the integration tests), the document is what the service sent.
//!
//! A carried member goes as it came: the same JSON value (a whole number stays whole, an empty
//! list stays empty, members the SDK's typed model lacks stay), under CreateJob's name for it.
//! Only the copy's metadata (the original's pairs plus the marker) and its idempotency token are
//! the copy's own. A member the document has that the rules do not know — neither carried nor the
//! service's own: the service is newer than mediaops's model — is not sent (CreateJob might refuse
//! it, or it might be the service's own) and is named in [`NotCarried`], as are the CreateJob
//! members the document never has (MediaConvert's `tags`).

use std::collections::BTreeMap;

use serde::Serialize;
use serde_json::{Map, Value};

/// The members of one object of a job's document.
#[derive(Debug)]
pub struct Members {
    /// Carried into CreateJob.
    pub carried: &'static [Carried],
    /// The service's account of the run (id, status, timing, …): the model has no CreateJob
    /// member for them; a copy gets its own.
    pub services_own: &'static [&'static str],
}

/// One carried member: its name in the job's document, its name in CreateJob, and, when the two
/// shapes differ, the rules for its value (each item of a list, or the one object).
#[derive(Debug)]
pub struct Carried {
    pub job: &'static str,
    pub create: &'static str,
    /// `None`: the value goes whole (the same shape on both sides).
    pub each: Option<&'static Members>,
}

impl Carried {
    pub const fn same(name: &'static str) -> Self {
        Self {
            job: name,
            create: name,
            each: None,
        }
    }
}

/// How a service's job document becomes its copy's CreateJob request.
#[derive(Debug)]
pub struct CopyRules {
    /// The operation whose answer the document is (`GetJob`, `ReadJob`).
    pub read_op: &'static str,
    /// Where the rules come from, for a member they do not know.
    pub model: &'static str,
    pub members: Members,
    /// The metadata member: the copy's is the original's pairs plus the marker.
    pub metadata: &'static str,
    /// The idempotency token member, if the service has one: the copy's is its own.
    pub token: Option<&'static str>,
    /// CreateJob members the document never has, and why: no copy carries them.
    pub never_returned: &'static [(&'static str, &'static str)],
    /// (one, many): the document repeats the first item of `many` as `one` (Elastic Transcoder's
    /// `Input` / `Inputs`, `Output` / `Outputs`); CreateJob takes one of the two, so `one` goes
    /// only when `many` is empty.
    pub first_of: &'static [(&'static str, &'static str)],
}

/// A member a copy does not carry: where (`tags`, `Outputs/0/NewMember`), and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct NotCarried {
    pub member: String,
    pub why: String,
}

/// What no copy carries, known before any job is read: the CreateJob members the service's job
/// document never has.
pub fn never_carried(rules: &CopyRules) -> Vec<NotCarried> {
    rules
        .never_returned
        .iter()
        .map(|(member, why)| NotCarried {
            member: member.to_string(),
            why: why.to_string(),
        })
        .collect()
}

/// The metadata pairs of a job's document.
pub fn job_metadata(rules: &CopyRules, job: &Value) -> BTreeMap<String, String> {
    job.get(rules.metadata)
        .and_then(Value::as_object)
        .map(|m| {
            m.iter()
                .map(|(k, v)| {
                    let v = v
                        .as_str()
                        .map(str::to_string)
                        .unwrap_or_else(|| v.to_string());
                    (k.clone(), v)
                })
                .collect()
        })
        .unwrap_or_default()
}

fn unknown(rules: &CopyRules, at: &str) -> NotCarried {
    NotCarried {
        member: at.to_string(),
        why: format!(
            "{} returned it and mediaops's copy rules (after {}) do not know it: whether CreateJob takes it is not known, so it is not sent",
            rules.read_op, rules.model
        ),
    }
}

/// The object `v` as CreateJob takes it under `members`; what it leaves out is added to `lost`.
fn project(
    rules: &CopyRules,
    members: &Members,
    v: &Map<String, Value>,
    at: &str,
    skip: &[&str],
    lost: &mut Vec<NotCarried>,
) -> Map<String, Value> {
    let mut out = Map::new();
    for (k, x) in v {
        if skip.contains(&k.as_str()) || members.services_own.contains(&k.as_str()) {
            continue;
        }
        let here = format!("{at}{k}");
        match members.carried.iter().find(|c| c.job == k) {
            None => lost.push(unknown(rules, &here)),
            Some(c) => {
                let value = match (c.each, x) {
                    (None, _) => x.clone(),
                    (Some(inner), Value::Array(items)) => Value::Array(
                        items
                            .iter()
                            .enumerate()
                            .map(|(i, item)| match item {
                                Value::Object(o) => Value::Object(project(
                                    rules,
                                    inner,
                                    o,
                                    &format!("{here}/{i}/"),
                                    &[],
                                    lost,
                                )),
                                other => other.clone(),
                            })
                            .collect(),
                    ),
                    (Some(inner), Value::Object(o)) => {
                        Value::Object(project(rules, inner, o, &format!("{here}/"), &[], lost))
                    }
                    (Some(_), other) => other.clone(),
                };
                out.insert(c.create.to_string(), value);
            }
        }
    }
    out
}

/// The CreateJob request of the copy of `job` (the service's document of it): every member the
/// rules carry, as it is, under CreateJob's name; `metadata` as its metadata; `token` as its
/// idempotency token (when the service has one). With it, what the copy does not carry.
pub fn copy_request(
    rules: &CopyRules,
    job: &Value,
    metadata: &BTreeMap<String, String>,
    token: &str,
) -> (Value, Vec<NotCarried>) {
    let empty = Map::new();
    let doc = job.as_object().unwrap_or(&empty);
    let mut lost = Vec::new();
    let mut skip: Vec<&str> = vec![rules.metadata];
    skip.extend(rules.token);
    for (one, many) in rules.first_of {
        let first = doc
            .get(*many)
            .and_then(Value::as_array)
            .and_then(|items| items.first());
        let (Some(first), Some(single)) = (first, doc.get(*one)) else {
            // `one` alone: it goes, and an empty `many` beside it adds nothing.
            if doc.contains_key(*one)
                && doc
                    .get(*many)
                    .and_then(Value::as_array)
                    .is_some_and(Vec::is_empty)
            {
                skip.push(many);
            }
            continue;
        };
        skip.push(one);
        // The same once both are as CreateJob takes them: nothing is lost by leaving it.
        let as_sent = |v: &Value| {
            let carried = rules.members.carried.iter().find(|c| c.job == *many);
            match (carried.and_then(|c| c.each), v) {
                (Some(inner), Value::Object(o)) => {
                    Value::Object(project(rules, inner, o, "", &[], &mut Vec::new()))
                }
                _ => v.clone(),
            }
        };
        if as_sent(single) != as_sent(first) {
            lost.push(NotCarried {
                member: one.to_string(),
                why: format!(
                    "{} returned {one} other than the first of {many}; CreateJob takes one of the two, and the copy sends {many}",
                    rules.read_op
                ),
            });
        }
    }
    let mut out = project(rules, &rules.members, doc, "", &skip, &mut lost);
    out.insert(
        rules.metadata.to_string(),
        Value::Object(
            metadata
                .iter()
                .map(|(k, v)| (k.clone(), Value::String(v.clone())))
                .collect(),
        ),
    );
    if let Some(t) = rules.token {
        out.insert(t.to_string(), Value::String(token.to_string()));
    }
    lost.extend(never_carried(rules));
    (Value::Object(out), lost)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    static ITEM: Members = Members {
        carried: &[Carried::same("Key"), Carried::same("Spec")],
        services_own: &["Status"],
    };
    static RULES: CopyRules = CopyRules {
        read_op: "GetJob",
        model: "the test model",
        members: Members {
            carried: &[
                Carried::same("settings"),
                Carried {
                    job: "versionRequested",
                    create: "version",
                    each: None,
                },
                Carried {
                    job: "Output",
                    create: "Output",
                    each: Some(&ITEM),
                },
                Carried {
                    job: "Outputs",
                    create: "Outputs",
                    each: Some(&ITEM),
                },
            ],
            services_own: &["id", "status"],
        },
        metadata: "meta",
        token: Some("token"),
        never_returned: &[("tags", "never returned")],
        first_of: &[("Output", "Outputs")],
    };

    fn meta() -> BTreeMap<String, String> {
        BTreeMap::from([("a".to_string(), "1".to_string())])
    }

    #[test]
    fn carried_members_go_as_they_are_and_the_services_own_stay() {
        let job = json!({
            "id": "j", "status": "ERROR", "token": "theirs", "meta": { "a": "1", "b": "2" },
            "settings": { "gopSize": 90, "ratio": 2.0, "empty": [], "unknownToTheSdk": { "x": 1 } },
            "versionRequested": "2023-07-31",
        });
        let (req, lost) = copy_request(&RULES, &job, &meta(), "mine");
        assert_eq!(
            req,
            json!({
                "settings": { "gopSize": 90, "ratio": 2.0, "empty": [], "unknownToTheSdk": { "x": 1 } },
                "version": "2023-07-31", "meta": { "a": "1" }, "token": "mine",
            })
        );
        assert!(req["settings"]["gopSize"].is_u64() && req["settings"]["ratio"].is_f64());
        assert_eq!(
            serde_json::to_string(&req["settings"]).unwrap(),
            serde_json::to_string(&job["settings"]).unwrap()
        );
        assert_eq!(lost, never_carried(&RULES));
        assert_eq!(lost[0].member, "tags");
    }

    #[test]
    fn numbers_are_written_back_as_they_were_read() {
        // Whole and fractional, and doubles the default float parser reads one unit in the last
        // place off (the workspace enables serde_json's float_roundtrip).
        let text = r#"{"gopSize":90,"ratio":2.0,"fps":29.97,"tiny":1.0715660391465826e-75,"neg":-1.81996730402717e-179,"big":18446744073709551615,"less":-9223372036854775808}"#;
        let job: Value = serde_json::from_str(&format!(r#"{{"settings":{text}}}"#)).unwrap();
        let (req, _) = copy_request(&RULES, &job, &meta(), "t");
        assert_eq!(serde_json::to_string(&req["settings"]).unwrap(), text);
    }

    #[test]
    fn a_member_the_rules_do_not_know_is_named_not_sent() {
        let job = json!({ "settings": {}, "newTopLevel": { "on": true },
            "Outputs": [ { "Key": "k", "Status": "Error", "Extra": 1 } ] });
        let (req, lost) = copy_request(&RULES, &job, &meta(), "t");
        assert!(req.get("newTopLevel").is_none());
        assert_eq!(req["Outputs"], json!([ { "Key": "k" } ]));
        let names: Vec<&str> = lost.iter().map(|n| n.member.as_str()).collect();
        // In the document's order (serde_json keeps it), then what no copy carries.
        assert_eq!(names, ["newTopLevel", "Outputs/0/Extra", "tags"]);
        assert!(lost[0]
            .why
            .contains("(after the test model) do not know it"));
    }

    #[test]
    fn the_first_repeated_alone_goes_once_and_a_different_one_is_named() {
        let same = json!({ "Output": { "Key": "a", "Status": "Error" },
            "Outputs": [ { "Key": "a", "Status": "Error" }, { "Key": "b" } ] });
        let (req, lost) = copy_request(&RULES, &same, &meta(), "t");
        assert!(req.get("Output").is_none());
        assert_eq!(req["Outputs"], json!([ { "Key": "a" }, { "Key": "b" } ]));
        assert_eq!(lost, never_carried(&RULES));
        let other = json!({ "Output": { "Key": "z" }, "Outputs": [ { "Key": "a" } ] });
        let (_, lost) = copy_request(&RULES, &other, &meta(), "t");
        assert_eq!(lost[0].member, "Output");
        // One alone is carried.
        let alone = json!({ "Output": { "Key": "z", "Status": "Error" }, "Outputs": [] });
        let (req, _) = copy_request(&RULES, &alone, &meta(), "t");
        assert_eq!(req["Output"], json!({ "Key": "z" }));
        assert!(req.get("Outputs").is_none());
    }

    #[test]
    fn metadata_is_read_as_strings() {
        let job = json!({ "meta": { "a": "1", "n": 2 } });
        assert_eq!(
            job_metadata(&RULES, &job),
            BTreeMap::from([("a".into(), "1".into()), ("n".into(), "2".into())])
        );
        assert!(job_metadata(&RULES, &json!({})).is_empty());
    }
}
