//! The guards' window store on DynamoDB: one table for every guard (the key names the resource
//! kind and id), the shape `template.yaml` declares:
//!
//! | item | `pk` | `sk` | other attributes |
//! |---|---|---|---|
//! | event | `pipeline#<id>` | `e#<event time ms, 13 digits>#<job id>` | `job`, `obs`, `code`, `expires_at` (TTL) |
//! | pause record | `pipeline#<id>` | `state` | `state`, `at_ms`, `claim_id`, `record` (JSON), `expires_at` |
//! | notice | `pipeline#<id>` | `notice#<action>` | `at_ms`, `expires_at` |
//! | hops into a tripped resource | (on the pause record's item) | `state` | `hops_in` (count), `hop_from:<queue>` (count per source), added atomically; a new record resets them |
//! | a job's last hop | `hop#<job id>` | `queue` | `into` (the resource's key), `at_ms`, `expires_at` |
//! | a hop counted | `hop#<job id>` | `seen#<hop time ms>` | `expires_at` (written with the count, in one transaction) |
//! | resubmission ([`super::resubmit_ledger`]) | `queue#<name>` | `resubmit#<original job id>` | `state`, `claim_id`, `at_ms`, `request_id`, `new_job_id`, `expires_at` |
//!
//! In central mode another account's or region's keys begin `<account>:<region>:`
//! (`222233334444:us-west-2:queue#Default`); the deployment's own keys have no prefix.
//!
//! Events are written once (`attribute_not_exists`), so a redelivered notification changes
//! nothing. A window is counted with one strongly consistent Query over its key range: items past
//! their TTL that DynamoDB has not deleted yet lie outside the range and never count. The pause
//! is claimed with a conditional PutItem that encodes [`PauseRecord::claimable`].

use std::collections::HashMap;

use async_trait::async_trait;
use aws_sdk_dynamodb as ddb;
use ddb::types::AttributeValue;

use crate::error::{classify, AwsError};
use crate::model::guard::{ErrorClass, Observed, PauseRecord, PauseState, Stamp, WindowEvent};
use crate::policy::breaker::CLAIM_LEASE_MS;
use crate::ports::{ApiResult, NoticeLedger, PauseAdmin, PauseStore, WindowStore};

pub(super) const SERVICE: &str = "dynamodb";
/// Partition and sort key attribute names.
pub const PARTITION_KEY: &str = "pk";
pub const SORT_KEY: &str = "sk";
/// The TTL attribute (epoch seconds).
pub const TTL_ATTRIBUTE: &str = "expires_at";
const STATE_SK: &str = "state";
/// The pause record item's count of hops into the tripped resource, and the prefix of its
/// per-source counts.
const HOPS_IN: &str = "hops_in";
const HOP_FROM: &str = "hop_from:";
/// Pause records are kept this long after they were written (history for `pipeline.status`).
const RECORD_RETENTION_S: i64 = 30 * 86_400;

/// The window store in one DynamoDB table.
#[derive(Debug, Clone)]
pub struct DynamoWindowStore {
    client: ddb::Client,
    table: String,
    /// Prefixed to every partition key: another account's or region's resources in central
    /// mode ([`crate::accounts::key_scope`]); `None` for the deployment's own.
    scope: Option<String>,
}

pub(super) fn s(v: impl Into<String>) -> AttributeValue {
    AttributeValue::S(v.into())
}

pub(super) fn n(v: i64) -> AttributeValue {
    AttributeValue::N(v.to_string())
}

/// `e#<ms, 13 digits>`: the sort-key prefix of events at `ms` (times before 1970 clamp to 0).
fn event_prefix(ms: i64) -> String {
    format!("e#{:013}", ms.max(0))
}

fn observed_str(o: Observed) -> &'static str {
    match o {
        Observed::Error(ErrorClass::Pipeline) => "pipeline",
        Observed::Error(ErrorClass::Job) => "job",
        Observed::Completed => "completed",
    }
}

fn parse_observed(v: &str) -> Option<Observed> {
    match v {
        "pipeline" => Some(Observed::Error(ErrorClass::Pipeline)),
        "job" => Some(Observed::Error(ErrorClass::Job)),
        "completed" => Some(Observed::Completed),
        _ => None,
    }
}

pub(super) fn get_s<'a>(item: &'a HashMap<String, AttributeValue>, k: &str) -> Option<&'a str> {
    item.get(k).and_then(|v| v.as_s().ok()).map(String::as_str)
}

pub(super) fn get_n(item: &HashMap<String, AttributeValue>, k: &str) -> Option<i64> {
    item.get(k)
        .and_then(|v| v.as_n().ok())
        .and_then(|v| v.parse().ok())
}

/// An event item back into an event; `None` for an item that is not one (skipped, logged).
fn event_from_item(item: &HashMap<String, AttributeValue>) -> Option<WindowEvent> {
    let sk = get_s(item, SORT_KEY)?;
    let rest = sk.strip_prefix("e#")?;
    let (at, id_in_key) = rest.split_once('#')?;
    Some(WindowEvent {
        at_ms: at.parse().ok()?,
        id: get_s(item, "job").unwrap_or(id_in_key).to_string(),
        observed: parse_observed(get_s(item, "obs")?)?,
        code: get_n(item, "code").and_then(|c| u32::try_from(c).ok()),
        policy: stamp_from_item(item),
    })
}

/// The policy an event was recorded under (items written before it was kept have none).
fn stamp_from_item(item: &HashMap<String, AttributeValue>) -> Option<Stamp> {
    let num = |k: &str| item.get(k)?.as_n().ok()?.parse::<f64>().ok();
    Some(Stamp {
        window_minutes: get_n(item, "win")?,
        threshold: num("thr")?,
        weight: num("w")?,
        rule: get_s(item, "rule").unwrap_or("default").to_string(),
    })
}

impl DynamoWindowStore {
    pub fn new(client: ddb::Client, table: impl Into<String>) -> Self {
        Self {
            client,
            table: table.into(),
            scope: None,
        }
    }

    /// The same table, every key prefixed with `scope` (`<account>:<region>:`).
    pub fn scoped(mut self, scope: Option<String>) -> Self {
        self.scope = scope;
        self
    }

    pub fn table(&self) -> &str {
        &self.table
    }

    /// The partition key of `key` in this store's scope.
    pub(super) fn pk(&self, key: &str) -> String {
        match &self.scope {
            Some(scope) => format!("{scope}{key}"),
            None => key.to_string(),
        }
    }

    pub(super) fn client(&self) -> &ddb::Client {
        &self.client
    }

    /// An SDK failure, classified, naming the table.
    pub(super) fn fail<E>(
        &self,
        operation: &'static str,
        e: &aws_smithy_runtime_api::client::result::SdkError<
            E,
            aws_smithy_runtime_api::client::orchestrator::HttpResponse,
        >,
    ) -> AwsError
    where
        E: aws_smithy_types::error::metadata::ProvideErrorMetadata + std::error::Error + 'static,
    {
        let mut err = classify(SERVICE, operation, e);
        err.message = format!("window store table {}: {}", self.table, err.message);
        err
    }

    /// A conditional write's result: true when written, false when its condition failed.
    pub(super) fn written<O, E>(
        &self,
        operation: &'static str,
        res: Result<
            O,
            aws_smithy_runtime_api::client::result::SdkError<
                E,
                aws_smithy_runtime_api::client::orchestrator::HttpResponse,
            >,
        >,
    ) -> ApiResult<bool>
    where
        E: aws_smithy_types::error::metadata::ProvideErrorMetadata + std::error::Error + 'static,
    {
        match res {
            Ok(_) => Ok(true),
            Err(e)
                if e.as_service_error().and_then(|se| se.code())
                    == Some("ConditionalCheckFailedException") =>
            {
                Ok(false)
            }
            Err(e) => Err(self.fail(operation, &e)),
        }
    }

    fn record_item(&self, key: &str, r: &PauseRecord) -> HashMap<String, AttributeValue> {
        let json = serde_json::to_string(r).unwrap_or_default();
        HashMap::from([
            (PARTITION_KEY.to_string(), s(self.pk(key))),
            (SORT_KEY.to_string(), s(STATE_SK)),
            ("state".to_string(), s(r.state.as_str())),
            ("at_ms".to_string(), n(r.at_ms)),
            ("claim_id".to_string(), s(r.claim_id.clone())),
            ("record".to_string(), s(json)),
            (
                TTL_ATTRIBUTE.to_string(),
                n(r.at_ms / 1000 + RECORD_RETENTION_S),
            ),
        ])
    }

    /// The item at (`key` in this store's scope, `sort_key`), read strongly consistent.
    pub(super) async fn get_item(
        &self,
        key: &str,
        sort_key: impl Into<String>,
    ) -> ApiResult<Option<HashMap<String, AttributeValue>>> {
        let out = self
            .client
            .get_item()
            .table_name(&self.table)
            .key(PARTITION_KEY, s(self.pk(key)))
            .key(SORT_KEY, s(sort_key))
            .consistent_read(true)
            .send()
            .await
            .map_err(|e| self.fail("GetItem", &e))?;
        Ok(out.item)
    }

    async fn get_record(&self, key: &str) -> ApiResult<Option<PauseRecord>> {
        let Some(item) = self.get_item(key, STATE_SK).await? else {
            return Ok(None);
        };
        match get_s(&item, "record").map(serde_json::from_str::<PauseRecord>) {
            Some(Ok(mut r)) => {
                r.hops_in.jobs = get_n(&item, HOPS_IN).unwrap_or(0).max(0) as u64;
                for (k, _) in item.iter().filter(|(k, _)| k.starts_with(HOP_FROM)) {
                    let n = get_n(&item, k).unwrap_or(0).max(0) as u64;
                    r.hops_in.from.insert(k[HOP_FROM.len()..].to_string(), n);
                }
                Ok(Some(r))
            }
            other => {
                // An unreadable record must not silence the guard: treat it as absent.
                tracing::warn!(key, table = self.table, error = ?other.map(|r| r.err()), "unreadable pause record ignored");
                Ok(None)
            }
        }
    }
}

#[async_trait]
impl WindowStore for DynamoWindowStore {
    async fn record_event(
        &self,
        key: &str,
        event: &WindowEvent,
        expires_at_s: i64,
    ) -> ApiResult<bool> {
        let mut req = self
            .client
            .put_item()
            .table_name(&self.table)
            .item(PARTITION_KEY, s(self.pk(key)))
            .item(
                SORT_KEY,
                s(format!("{}#{}", event_prefix(event.at_ms), event.id)),
            )
            .item("job", s(event.id.clone()))
            .item("obs", s(observed_str(event.observed)))
            .item(TTL_ATTRIBUTE, n(expires_at_s))
            .condition_expression("attribute_not_exists(#pk)")
            .expression_attribute_names("#pk", PARTITION_KEY);
        if let Some(code) = event.code {
            req = req.item("code", n(code as i64));
        }
        if let Some(p) = &event.policy {
            req = req
                .item("win", n(p.window_minutes))
                .item("thr", AttributeValue::N(p.threshold.to_string()))
                .item("w", AttributeValue::N(p.weight.to_string()))
                .item("rule", s(p.rule.clone()));
        }
        self.written("PutItem", req.send().await)
    }

    async fn events(&self, key: &str, from_ms: i64, to_ms: i64) -> ApiResult<Vec<WindowEvent>> {
        let mut events = Vec::new();
        let mut start: Option<HashMap<String, AttributeValue>> = None;
        loop {
            let out = self
                .client
                .query()
                .table_name(&self.table)
                .consistent_read(true)
                .key_condition_expression("#pk = :pk AND #sk BETWEEN :from AND :to")
                .expression_attribute_names("#pk", PARTITION_KEY)
                .expression_attribute_names("#sk", SORT_KEY)
                .expression_attribute_names("#job", "job")
                .expression_attribute_names("#obs", "obs")
                .expression_attribute_names("#code", "code")
                .expression_attribute_names("#win", "win")
                .expression_attribute_names("#thr", "thr")
                .expression_attribute_names("#w", "w")
                .expression_attribute_names("#rule", "rule")
                .expression_attribute_values(":pk", s(self.pk(key)))
                .expression_attribute_values(":from", s(event_prefix(from_ms)))
                // Every id at `to_ms` sorts below the next millisecond's bare prefix.
                .expression_attribute_values(":to", s(event_prefix(to_ms.saturating_add(1))))
                .projection_expression("#sk, #job, #obs, #code, #win, #thr, #w, #rule")
                .set_exclusive_start_key(start.take())
                .send()
                .await
                .map_err(|e| self.fail("Query", &e))?;
            for item in out.items() {
                match event_from_item(item) {
                    Some(e) => events.push(e),
                    None => {
                        tracing::warn!(key, table = self.table, "unreadable window event skipped")
                    }
                }
            }
            match out.last_evaluated_key() {
                Some(k) if !k.is_empty() => start = Some(k.clone()),
                _ => return Ok(events),
            }
        }
    }
}

/// A notice record: `pk = <key>`, `sk = notice#<action>`, `at_ms` of the last announcement.
#[async_trait]
impl NoticeLedger for DynamoWindowStore {
    async fn first_notice(
        &self,
        key: &str,
        action: &str,
        now_ms: i64,
        window_ms: i64,
    ) -> ApiResult<bool> {
        let res = self
            .client
            .put_item()
            .table_name(&self.table)
            .item(PARTITION_KEY, s(self.pk(key)))
            .item(SORT_KEY, s(format!("notice#{action}")))
            .item("at_ms", n(now_ms))
            .item(TTL_ATTRIBUTE, n((now_ms + window_ms) / 1000 + 3600))
            .condition_expression("attribute_not_exists(#pk) OR #at < :since")
            .expression_attribute_names("#pk", PARTITION_KEY)
            .expression_attribute_names("#at", "at_ms")
            .expression_attribute_values(":since", n(now_ms - window_ms + 1))
            .send()
            .await;
        self.written("PutItem", res)
    }
}

#[async_trait]
impl PauseStore for DynamoWindowStore {
    async fn read_pause(&self, key: &str) -> ApiResult<Option<PauseRecord>> {
        self.get_record(key).await
    }

    async fn claim_pause(
        &self,
        key: &str,
        record: &PauseRecord,
        now_ms: i64,
        cooldown_ms: i64,
    ) -> ApiResult<bool> {
        // PauseRecord::claimable, as a condition: no record, a cleared one, a finished trip past
        // the cool-down, or a claim past its lease.
        let lease = CLAIM_LEASE_MS.min(cooldown_ms);
        let res = self
            .client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(self.record_item(key, record)))
            .condition_expression(
                "attribute_not_exists(#pk) OR #state = :cleared \
                 OR (#state <> :claiming AND #at < :cool) \
                 OR (#state = :claiming AND #at < :lease)",
            )
            .expression_attribute_names("#pk", PARTITION_KEY)
            .expression_attribute_names("#state", "state")
            .expression_attribute_names("#at", "at_ms")
            .expression_attribute_values(":cleared", s(PauseState::Cleared.as_str()))
            .expression_attribute_values(":claiming", s(PauseState::Claiming.as_str()))
            .expression_attribute_values(":cool", n(now_ms - cooldown_ms + 1))
            .expression_attribute_values(":lease", n(now_ms - lease + 1))
            .send()
            .await;
        self.written("PutItem", res)
    }

    async fn finish_pause(&self, key: &str, record: &PauseRecord) -> ApiResult<bool> {
        let res = self
            .client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(self.record_item(key, record)))
            .condition_expression("#claim = :claim")
            .expression_attribute_names("#claim", "claim_id")
            .expression_attribute_values(":claim", s(record.claim_id.clone()))
            .send()
            .await;
        self.written("PutItem", res)
    }

    async fn release_pause(&self, key: &str, claim_id: &str) -> ApiResult<()> {
        let res = self
            .client
            .delete_item()
            .table_name(&self.table)
            .key(PARTITION_KEY, s(self.pk(key)))
            .key(SORT_KEY, s(STATE_SK))
            .condition_expression("#claim = :claim")
            .expression_attribute_names("#claim", "claim_id")
            .expression_attribute_values(":claim", s(claim_id))
            .send()
            .await;
        // Not ours any more (our lease ran out): the new holder's to finish.
        self.written("DeleteItem", res).map(|_| ())
    }

    async fn record_hop(
        &self,
        key: &str,
        from: Option<&str>,
        job_id: &str,
        (at_ms, expires_at_s): (i64, i64),
    ) -> ApiResult<bool> {
        self.put_hop(key, job_id, at_ms, expires_at_s).await?;
        // Counted only on a trip's record, and once per hop: the hop's marker (`hop#<job>`,
        // `seen#<at_ms>`) and the count are one transaction, so a redelivered QUEUE_HOP
        // (EventBridge delivers at least once) finds its marker and counts nothing.
        let marker = ddb::types::Put::builder()
            .table_name(&self.table)
            .item(PARTITION_KEY, s(self.pk(&format!("hop#{job_id}"))))
            .item(SORT_KEY, s(format!("seen#{at_ms}")))
            .item(TTL_ATTRIBUTE, n(expires_at_s))
            .condition_expression("attribute_not_exists(#pk)")
            .expression_attribute_names("#pk", PARTITION_KEY)
            .build()
            .map_err(|e| self.unbuilt(e))?;
        let count = ddb::types::Update::builder()
            .table_name(&self.table)
            .key(PARTITION_KEY, s(self.pk(key)))
            .key(SORT_KEY, s(STATE_SK))
            .update_expression("ADD #hops :one, #from :one")
            .condition_expression("#state IN (:paused, :found, :inactive)")
            .expression_attribute_names("#hops", HOPS_IN)
            .expression_attribute_names("#from", format!("{HOP_FROM}{}", from.unwrap_or("unknown")))
            .expression_attribute_names("#state", "state")
            .expression_attribute_values(":one", n(1))
            .expression_attribute_values(":paused", s(PauseState::Paused.as_str()))
            .expression_attribute_values(":found", s(PauseState::FoundPaused.as_str()))
            .expression_attribute_values(":inactive", s(PauseState::NotActive.as_str()))
            .build()
            .map_err(|e| self.unbuilt(e))?;
        let res = self
            .client
            .transact_write_items()
            .transact_items(ddb::types::TransactWriteItem::builder().put(marker).build())
            .transact_items(
                ddb::types::TransactWriteItem::builder()
                    .update(count)
                    .build(),
            )
            .send()
            .await;
        match res {
            Ok(_) => Ok(true),
            // A condition failed: the hop was counted already, or the record is no trip.
            Err(e) if e.as_service_error().is_some_and(canceled_by_conditions) => Ok(false),
            Err(e) => Err(self.fail("TransactWriteItems", &e)),
        }
    }

    async fn hopped_into(&self, job_id: &str) -> ApiResult<Option<String>> {
        let item = self.get_item(&format!("hop#{job_id}"), "queue").await?;
        Ok(item
            .as_ref()
            .and_then(|i| get_s(i, "into"))
            .map(str::to_string))
    }
}

/// Whether a cancelled transaction was cancelled only by its conditions (not by a conflict with
/// another transaction or throttling, which are retried as errors).
fn canceled_by_conditions(
    e: &ddb::operation::transact_write_items::TransactWriteItemsError,
) -> bool {
    let ddb::operation::transact_write_items::TransactWriteItemsError::TransactionCanceledException(
        c,
    ) = e
    else {
        return false;
    };
    let reasons = c.cancellation_reasons();
    reasons
        .iter()
        .any(|r| r.code() == Some("ConditionalCheckFailed"))
        && reasons.iter().all(|r| {
            matches!(
                r.code(),
                None | Some("None") | Some("ConditionalCheckFailed")
            )
        })
}

impl DynamoWindowStore {
    /// A request the SDK's builder refused (a required member missing).
    fn unbuilt(&self, e: aws_smithy_types::error::operation::BuildError) -> AwsError {
        AwsError {
            service: SERVICE,
            operation: "TransactWriteItems",
            kind: crate::error::AwsErrorKind::Rejected,
            status: None,
            code: None,
            message: format!("window store table {}: {e}", self.table),
        }
    }

    /// Remembers the job's last hop (an older hop delivered late changes nothing).
    async fn put_hop(
        &self,
        key: &str,
        job_id: &str,
        at_ms: i64,
        expires_at_s: i64,
    ) -> ApiResult<()> {
        let res = self
            .client
            .put_item()
            .table_name(&self.table)
            .item(PARTITION_KEY, s(self.pk(&format!("hop#{job_id}"))))
            .item(SORT_KEY, s("queue"))
            .item("into", s(key))
            .item("at_ms", n(at_ms))
            .item(TTL_ATTRIBUTE, n(expires_at_s))
            .condition_expression("attribute_not_exists(#pk) OR #at <= :at")
            .expression_attribute_names("#pk", PARTITION_KEY)
            .expression_attribute_names("#at", "at_ms")
            .expression_attribute_values(":at", n(at_ms))
            .send()
            .await;
        self.written("PutItem", res).map(|_| ())
    }
}

#[async_trait]
impl PauseAdmin for DynamoWindowStore {
    async fn pause_record(&self, key: &str) -> ApiResult<Option<PauseRecord>> {
        self.get_record(key).await
    }

    async fn clear_pause(&self, key: &str, record: &PauseRecord) -> ApiResult<()> {
        self.client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(self.record_item(key, record)))
            .send()
            .await
            .map_err(|e| self.fail("PutItem", &e))?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn event_keys_sort_by_time_and_read_back() {
        assert_eq!(event_prefix(1_800_000_000_000), "e#1800000000000");
        assert_eq!(event_prefix(5), "e#0000000000005");
        assert_eq!(event_prefix(-5), "e#0000000000000");
        // Any id at ms sorts between ms's prefix and the next ms's prefix.
        let at = format!("{}#{}", event_prefix(10), "\u{10FFFF}~zz");
        assert!(event_prefix(10) < at && at < event_prefix(11));
        let item = HashMap::from([
            (SORT_KEY.to_string(), s("e#0000000000010#1234-abc#x")),
            ("job".to_string(), s("1234-abc#x")),
            ("obs".to_string(), s("job")),
            ("code".to_string(), n(4000)),
        ]);
        let e = event_from_item(&item).unwrap();
        assert_eq!(e.at_ms, 10);
        assert_eq!(e.id, "1234-abc#x");
        assert_eq!(e.observed, Observed::Error(ErrorClass::Job));
        assert_eq!(e.code, Some(4000));
        let bad = HashMap::from([(SORT_KEY.to_string(), s("state"))]);
        assert!(event_from_item(&bad).is_none());
        for o in [
            Observed::Completed,
            Observed::Error(ErrorClass::Pipeline),
            Observed::Error(ErrorClass::Job),
        ] {
            assert_eq!(parse_observed(observed_str(o)), Some(o));
        }
    }
}
