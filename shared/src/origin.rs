//! Where an event comes from, and whether this deployment governs it: the pure origin policy
//! every event-driven function applies before it counts, records or acts.
//!
//! An event states its origin in several places: the EventBridge envelope (`account`,
//! `region`), the ARNs in `resources`, the service's own detail (MediaConvert's
//! `detail.accountId` and `detail.queue`; MediaPackage's harvest job `arn`; S3 Batch Operations'
//! `serviceEventDetails.jobArn`; CloudTrail's
//! `detail.recipientAccountId` and `detail.awsRegion`), and for SNS deliveries each record's
//! `TopicArn`. [`claims`] reads them all; [`judge`] accepts the event only when every claim
//! names the same account and region and that place is governed. Anything else (another
//! account or region, claims that disagree, an event that names no account) is
//! [`Origin::Foreign`]: answered, measured and logged, never acted on (an event that names no
//! account or region at all is [`Origin::Unplaced`], a bad event). A payload with no claim
//! at all (a schedule's constant input, a direct invocation) is [`Origin::Direct`]: only
//! principals the function's resource policy admits can invoke it that way.
//!
//! Which places are governed is the deployment's own account and region
//! ([`Governance::own`]): its account from `MEDIAOPS_ACCOUNT_ID` (the stack sets it to
//! `AWS::AccountId`; Lambda sets no account variable), else from the invocation's function ARN;
//! its region from `AWS_REGION` (Lambda sets it), else from the function ARN.

use std::collections::BTreeSet;

use serde::Serialize;
use serde_json::Value;

/// An account and a region.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub struct Place {
    pub account: String,
    pub region: String,
}

/// One statement an event makes about where it comes from. A part an ARN leaves empty (S3
/// bucket ARNs name no account or region, IAM ARNs no region) states nothing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Claim {
    /// Where in the event it was read (`account`, `resources[0]`, `Records[0].Sns.TopicArn`).
    pub from: String,
    pub account: Option<String>,
    pub region: Option<String>,
}

/// The accounts and regions a deployment governs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Governance {
    pub accounts: BTreeSet<String>,
    /// Every account (central mode with `MEDIAOPS_GOVERNED_ACCOUNTS=*`).
    pub any_account: bool,
    pub regions: BTreeSet<String>,
}

impl Governance {
    /// The deployment's own account and region only.
    pub fn own(place: &Place) -> Self {
        Self {
            accounts: BTreeSet::from([place.account.clone()]),
            any_account: false,
            regions: BTreeSet::from([place.region.clone()]),
        }
    }

    pub fn governs(&self, place: &Place) -> bool {
        (self.any_account || self.accounts.contains(&place.account))
            && self.regions.contains(&place.region)
    }

    /// `accounts A, B; regions R` as a sentence part.
    pub fn describe(&self) -> String {
        let accounts = if self.any_account {
            "any of the organization".to_string()
        } else {
            join(&self.accounts)
        };
        format!("accounts {accounts}; regions {}", join(&self.regions))
    }
}

/// What an event's origin comes to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Origin {
    /// No claim at all: a direct invocation or a schedule's constant input.
    Direct,
    /// Every claim names this governed place.
    Governed(Place),
    /// From elsewhere, or not provably from here (its claims disagree): never acted on.
    Foreign(Foreign),
    /// An event (it has claims) that names no account or no region: not an event as AWS
    /// delivers one, so a bad event (never acted on either).
    Unplaced(String),
}

/// Why an event is foreign, with the account and region it names (when it names one).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Foreign {
    pub account: Option<String>,
    pub region: Option<String>,
    pub reason: String,
}

/// The partition of a region: `aws`, or `aws-cn` / `aws-us-gov` for those regions.
pub fn partition(region: &str) -> &'static str {
    if region.starts_with("cn-") {
        "aws-cn"
    } else if region.starts_with("us-gov-") {
        "aws-us-gov"
    } else {
        "aws"
    }
}

/// The account and region parts of an ARN (`arn:partition:service:region:account:resource`),
/// empty parts as `None`; `None` when the text is not an ARN.
pub fn arn_place(arn: &str) -> Option<(Option<String>, Option<String>)> {
    let parts: Vec<&str> = arn.splitn(6, ':').collect();
    if parts.len() != 6 || parts[0] != "arn" || !parts[1].starts_with("aws") {
        return None;
    }
    let some = |s: &str| (!s.is_empty()).then(|| s.to_string());
    Some((some(parts[4]), some(parts[3])))
}

/// Every origin claim in a payload (see the module's list).
pub fn claims(payload: &Value) -> Vec<Claim> {
    let mut out = Vec::new();
    let text = |v: &Value, key: &str| v.get(key).and_then(Value::as_str).map(str::to_string);
    let mut arn = |from: String, v: Option<&Value>| {
        if let Some((account, region)) = v.and_then(Value::as_str).and_then(arn_place) {
            out.push(Claim {
                from,
                account,
                region,
            });
        }
    };
    if let Some(records) = payload.get("Records").and_then(Value::as_array) {
        for (i, r) in records.iter().enumerate() {
            let topic = r.get("Sns").and_then(|s| s.get("TopicArn"));
            arn(format!("Records[{i}].Sns.TopicArn"), topic);
        }
    }
    if let Some(resources) = payload.get("resources").and_then(Value::as_array) {
        for (i, r) in resources.iter().enumerate() {
            arn(format!("resources[{i}]"), Some(r));
        }
    }
    let detail = payload.get("detail");
    if let Some(d) = detail {
        arn("detail.queue".into(), d.get("queue"));
        arn(
            "detail.harvest_job.arn".into(),
            d.get("harvest_job").and_then(|h| h.get("arn")),
        );
        arn(
            "detail.harvestJob.arn".into(),
            d.get("harvestJob").and_then(|h| h.get("arn")),
        );
        arn(
            "detail.serviceEventDetails.jobArn".into(),
            d.get("serviceEventDetails").and_then(|h| h.get("jobArn")),
        );
    }
    let event_bridge = payload.get("detail-type").is_some() || payload.get("account").is_some();
    if event_bridge {
        out.push(Claim {
            from: "account/region".into(),
            account: text(payload, "account"),
            region: text(payload, "region"),
        });
    }
    if let Some(d) = detail {
        if let Some(account) = text(d, "accountId") {
            out.push(Claim {
                from: "detail.accountId".into(),
                account: Some(account),
                region: None,
            });
        }
        let (account, region) = (text(d, "recipientAccountId"), text(d, "awsRegion"));
        if account.is_some() || region.is_some() {
            out.push(Claim {
                from: "detail.recipientAccountId/awsRegion".into(),
                account,
                region,
            });
        }
    }
    out
}

/// Whether an event with `claims` is governed by `governance`.
pub fn judge(governance: Option<&Governance>, claims: &[Claim]) -> Origin {
    if claims.is_empty() {
        return Origin::Direct;
    }
    let account = one_of(claims, |c| c.account.as_deref(), "account");
    let region = one_of(claims, |c| c.region.as_deref(), "region");
    let (account, region) = match account.and_then(|a| region.map(|r| (a, r))) {
        Ok((Some(a), Some(r))) => (a, r),
        Ok((a, _)) => {
            let missing = if a.is_none() { "account" } else { "region" };
            return Origin::Unplaced(format!(
                "the event names no {missing}: an EventBridge event always does"
            ));
        }
        Err(reason) => {
            return Origin::Foreign(Foreign {
                account: first(claims, |c| c.account.as_deref()),
                region: first(claims, |c| c.region.as_deref()),
                reason,
            })
        }
    };
    let place = Place { account, region };
    let foreign = |reason: String| {
        Origin::Foreign(Foreign {
            account: Some(place.account.clone()),
            region: Some(place.region.clone()),
            reason,
        })
    };
    match governance {
        None => foreign(
            "the deployment's own account is unknown (MEDIAOPS_ACCOUNT_ID is unset and the function ARN names none)"
                .into(),
        ),
        Some(g) if g.governs(&place) => Origin::Governed(place),
        Some(g) => foreign(format!(
            "account {} in {} is not governed here (governed: {})",
            place.account,
            place.region,
            g.describe()
        )),
    }
}

fn join(s: &BTreeSet<String>) -> String {
    s.iter().cloned().collect::<Vec<_>>().join(", ")
}

fn first(claims: &[Claim], part: impl Fn(&Claim) -> Option<&str>) -> Option<String> {
    claims.iter().find_map(|c| part(c).map(str::to_string))
}

/// The one value of `part` every claim that states it agrees on (`None` when none states it);
/// an error when two differ.
fn one_of(
    claims: &[Claim],
    part: impl Fn(&Claim) -> Option<&str>,
    what: &str,
) -> Result<Option<String>, String> {
    let mut seen: Option<(&str, &str)> = None;
    for c in claims {
        let Some(v) = part(c) else { continue };
        match seen {
            None => seen = Some((v, &c.from)),
            Some((s, from)) if s != v => {
                return Err(format!(
                    "the event's claims disagree: {what} {s} ({from}) and {v} ({})",
                    c.from
                ))
            }
            Some(_) => {}
        }
    }
    Ok(seen.map(|(v, _)| v.to_string()))
}

/// The deployment's own place: the configured account and region, each else the function ARN's.
pub fn own_place(account: Option<&str>, region: Option<&str>, function_arn: &str) -> Option<Place> {
    let (arn_account, arn_region) = arn_place(function_arn).unwrap_or((None, None));
    Some(Place {
        account: account.map(str::to_string).or(arn_account)?,
        region: region.map(str::to_string).or(arn_region)?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const HERE: (&str, &str) = ("123456789012", "us-east-1");

    fn here() -> Governance {
        Governance::own(&Place {
            account: HERE.0.into(),
            region: HERE.1.into(),
        })
    }

    fn mc(account: &str, region: &str, queue_account: &str) -> Value {
        json!({
            "version": "0", "id": "e-1", "detail-type": "MediaConvert Job State Change",
            "source": "aws.mediaconvert", "account": account, "region": region,
            "resources": [format!("arn:aws:mediaconvert:{region}::jobs/1-a")],
            "detail": { "accountId": account, "status": "ERROR",
                "queue": format!("arn:aws:mediaconvert:{region}:{queue_account}:queues/Default") }
        })
    }

    fn judged(v: &Value) -> Origin {
        judge(Some(&here()), &claims(v))
    }

    #[test]
    fn an_event_of_the_own_account_and_region_is_governed() {
        assert_eq!(
            judged(&mc(HERE.0, HERE.1, HERE.0)),
            Origin::Governed(Place {
                account: HERE.0.into(),
                region: HERE.1.into()
            })
        );
    }

    #[test]
    fn the_documented_example_of_another_account_is_foreign() {
        let Origin::Foreign(f) = judged(&mc("111122223333", "us-west-2", "111122223333")) else {
            panic!()
        };
        assert_eq!(f.account.as_deref(), Some("111122223333"));
        assert_eq!(f.region.as_deref(), Some("us-west-2"));
        assert!(f.reason.contains("not governed"), "{}", f.reason);
    }

    #[test]
    fn another_region_of_the_own_account_is_foreign() {
        let Origin::Foreign(f) = judged(&mc(HERE.0, "eu-west-1", HERE.0)) else {
            panic!()
        };
        assert_eq!(f.region.as_deref(), Some("eu-west-1"));
    }

    #[test]
    fn claims_that_disagree_are_foreign_whatever_the_envelope_says() {
        let Origin::Foreign(f) = judged(&mc(HERE.0, HERE.1, "111122223333")) else {
            panic!()
        };
        assert!(f.reason.contains("disagree"), "{}", f.reason);
        assert!(f.reason.contains("detail.queue"), "{}", f.reason);
    }

    #[test]
    fn an_event_bridge_event_without_an_account_or_region_is_unplaced() {
        let v = json!({ "detail-type": "Scheduled Event", "region": HERE.1, "detail": {} });
        let Origin::Unplaced(reason) = judged(&v) else {
            panic!()
        };
        assert!(reason.starts_with("the event names no account"), "{reason}");
        let v = json!({ "Records": [{ "Sns": { "TopicArn": "arn:aws:sns:::t" } }] });
        assert!(matches!(judged(&v), Origin::Unplaced(r) if r.contains("no account")));
        let v = json!({ "account": HERE.0, "detail": {} });
        assert!(matches!(judged(&v), Origin::Unplaced(r) if r.contains("no region")));
    }

    #[test]
    fn a_payload_without_claims_is_a_direct_invocation() {
        assert_eq!(judged(&json!({ "action": "sweep" })), Origin::Direct);
        assert_eq!(judged(&json!([1, 2])), Origin::Direct);
    }

    #[test]
    fn sns_records_are_judged_by_their_topic() {
        let sns = |topic: &str| json!({ "Records": [{ "Sns": { "TopicArn": topic } }] });
        assert!(matches!(
            judged(&sns("arn:aws:sns:us-east-1:123456789012:transcoder-jobs")),
            Origin::Governed(_)
        ));
        assert!(matches!(
            judged(&sns("arn:aws:sns:us-east-1:111122223333:transcoder-jobs")),
            Origin::Foreign(_)
        ));
        let two = json!({ "Records": [
            { "Sns": { "TopicArn": "arn:aws:sns:us-east-1:123456789012:t" } },
            { "Sns": { "TopicArn": "arn:aws:sns:us-east-1:111122223333:t" } } ] });
        assert!(matches!(judged(&two), Origin::Foreign(_)));
    }

    #[test]
    fn cloudtrail_recipient_and_region_are_claims() {
        let v = |recipient: &str, region: &str| {
            json!({ "detail-type": "AWS API Call via CloudTrail", "account": HERE.0,
                "region": HERE.1, "detail": { "recipientAccountId": recipient, "awsRegion": region } })
        };
        assert!(matches!(judged(&v(HERE.0, HERE.1)), Origin::Governed(_)));
        assert!(matches!(
            judged(&v("111122223333", HERE.1)),
            Origin::Foreign(_)
        ));
        assert!(matches!(
            judged(&v(HERE.0, "us-west-2")),
            Origin::Foreign(_)
        ));
    }

    #[test]
    fn empty_arn_parts_state_nothing() {
        assert_eq!(arn_place("arn:aws:s3:::bucket/key"), Some((None, None)));
        assert_eq!(arn_place("not an arn"), None);
        assert_eq!(
            arn_place("arn:aws-cn:sns:cn-north-1:123456789012:t"),
            Some((Some("123456789012".into()), Some("cn-north-1".into())))
        );
    }

    #[test]
    fn without_an_own_account_every_claimed_event_is_foreign() {
        let Origin::Foreign(f) = judge(None, &claims(&mc(HERE.0, HERE.1, HERE.0))) else {
            panic!()
        };
        assert!(f.reason.contains("MEDIAOPS_ACCOUNT_ID"));
    }

    #[test]
    fn the_own_place_falls_back_to_the_function_arn() {
        let arn = "arn:aws:lambda:eu-west-1:210987654321:function:queue-guard";
        assert_eq!(
            own_place(None, None, arn),
            Some(Place {
                account: "210987654321".into(),
                region: "eu-west-1".into()
            })
        );
        assert_eq!(
            own_place(Some(HERE.0), Some(HERE.1), arn),
            Some(Place {
                account: HERE.0.into(),
                region: HERE.1.into()
            })
        );
        assert_eq!(own_place(None, Some(HERE.1), "no arn"), None);
    }
}
