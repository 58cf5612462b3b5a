//! The ledger of resubmissions in the guard table: one item per original job
//! (`pk = <kind>#<resource>`, `sk = resubmit#<original job id>`), written only with conditions,
//! so that however many runs (retried, concurrent, repeated days later) try to resubmit a job,
//! one holds the claim and one copy is recorded.
//!
//! `claimed` (`claim_id`, `at_ms`, `request_id`) → `done` (`new_job_id`). Entries outlive
//! MediaConvert's three months of job records (100 days), so a job can never be resubmitted
//! again while the service still lists it.

use std::collections::HashMap;

use async_trait::async_trait;
use aws_sdk_dynamodb::operation::put_item::builders::PutItemFluentBuilder;
use aws_sdk_dynamodb::types::{AttributeValue, KeysAndAttributes};

use super::dynamodb::{
    get_n, get_s, n, s, DynamoWindowStore, PARTITION_KEY, SERVICE, SORT_KEY, TTL_ATTRIBUTE,
};
use super::sdk::unbuilt;
use crate::model::guard::LedgerEntry;
use crate::ports::{ApiResult, ResubmitLedger};

/// How long an entry is kept after it was last written.
const RETENTION_S: i64 = 100 * 86_400;

fn sort_key(original: &str) -> String {
    format!("resubmit#{original}")
}

impl DynamoWindowStore {
    fn claim_put(
        &self,
        key: &str,
        original: &str,
        claim_id: &str,
        at_ms: i64,
        request_id: &str,
    ) -> PutItemFluentBuilder {
        self.client()
            .put_item()
            .table_name(self.table())
            .item(PARTITION_KEY, s(self.pk(key)))
            .item(SORT_KEY, s(sort_key(original)))
            .item("state", s("claimed"))
            .item("claim_id", s(claim_id))
            .item("at_ms", n(at_ms))
            .item("request_id", s(request_id))
            .item(TTL_ATTRIBUTE, n(at_ms / 1000 + RETENTION_S))
    }

    /// Writes an entry (`put`, from [`Self::claim_put`]) if `condition` holds: true when written,
    /// false when the condition failed.
    async fn put_entry(&self, put: PutItemFluentBuilder, condition: Condition) -> ApiResult<bool> {
        let res = put
            .condition_expression(condition.expression)
            .set_expression_attribute_names(Some(condition.names))
            // DynamoDB refuses an empty map of values.
            .set_expression_attribute_values(
                (!condition.values.is_empty()).then_some(condition.values),
            )
            .send()
            .await;
        self.written("PutItem", res)
    }
}

/// A write's condition on an entry, with the attribute names and values its expression uses.
struct Condition {
    expression: &'static str,
    names: HashMap<String, String>,
    values: HashMap<String, AttributeValue>,
}

impl Condition {
    /// No entry yet.
    fn absent() -> Self {
        Self {
            expression: "attribute_not_exists(#pk)",
            names: HashMap::from([("#pk".into(), PARTITION_KEY.into())]),
            values: HashMap::new(),
        }
    }

    /// Claimed, and by `claim_id`.
    fn held_by(claim_id: &str) -> Self {
        Self {
            expression: "#state = :claimed AND #claim = :claim",
            names: HashMap::from([
                ("#state".into(), "state".into()),
                ("#claim".into(), "claim_id".into()),
            ]),
            values: HashMap::from([
                (":claimed".into(), s("claimed")),
                (":claim".into(), s(claim_id)),
            ]),
        }
    }

    /// Held by `claim_id`, or done already with `new_job_id` (a retried finish).
    fn held_by_or_done_with(claim_id: &str, new_job_id: &str) -> Self {
        let mut c = Self::held_by(claim_id);
        c.expression =
            "(#state = :claimed AND #claim = :claim) OR (#state = :done AND #job = :job)";
        c.names.insert("#job".into(), "new_job_id".into());
        c.values
            .extend([(":done".into(), s("done")), (":job".into(), s(new_job_id))]);
        c
    }
}

type Item = HashMap<String, AttributeValue>;

fn entry(item: &Item) -> LedgerEntry {
    let text = |k| get_s(item, k).unwrap_or_default().to_string();
    let at_ms = get_n(item, "at_ms").unwrap_or(0);
    match get_s(item, "state") {
        Some("done") => LedgerEntry::Done {
            new_job_id: text("new_job_id"),
            at_ms,
            request_id: text("request_id"),
        },
        _ => LedgerEntry::Claimed {
            claim_id: text("claim_id"),
            at_ms,
            request_id: text("request_id"),
        },
    }
}

/// BatchGetItem rounds for keys DynamoDB leaves unprocessed (throttled) before giving up.
const BATCH_ROUNDS: usize = 5;

#[async_trait]
impl ResubmitLedger for DynamoWindowStore {
    async fn read_resubmit(&self, key: &str, original: &str) -> ApiResult<Option<LedgerEntry>> {
        let item = self.get_item(key, sort_key(original)).await?;
        Ok(item.as_ref().map(entry))
    }

    async fn read_resubmits(
        &self,
        key: &str,
        originals: &[String],
    ) -> ApiResult<HashMap<String, LedgerEntry>> {
        let mut found = HashMap::new();
        for chunk in originals.chunks(100) {
            let mut keys: Vec<Item> = chunk
                .iter()
                .map(|o| {
                    HashMap::from([
                        (PARTITION_KEY.to_string(), s(self.pk(key))),
                        (SORT_KEY.to_string(), s(sort_key(o))),
                    ])
                })
                .collect();
            for round in 0.. {
                let ka = KeysAndAttributes::builder()
                    .set_keys(Some(std::mem::take(&mut keys)))
                    .consistent_read(true)
                    .build()
                    .map_err(|e| unbuilt(SERVICE, "BatchGetItem", e))?;
                let out = self
                    .client()
                    .batch_get_item()
                    .request_items(self.table(), ka)
                    .send()
                    .await
                    .map_err(|e| self.fail("BatchGetItem", &e))?;
                for item in out
                    .responses()
                    .and_then(|r| r.get(self.table()))
                    .into_iter()
                    .flatten()
                {
                    if let Some(o) = get_s(item, SORT_KEY).and_then(|k| k.strip_prefix("resubmit#"))
                    {
                        found.insert(o.to_string(), entry(item));
                    }
                }
                keys = out
                    .unprocessed_keys()
                    .and_then(|u| u.get(self.table()))
                    .map(|k| k.keys().to_vec())
                    .unwrap_or_default();
                if keys.is_empty() {
                    break;
                }
                if round + 1 >= BATCH_ROUNDS {
                    // What DynamoDB keeps leaving is read one by one: the answer is complete.
                    for k in &keys {
                        let o = get_s(k, SORT_KEY)
                            .and_then(|k| k.strip_prefix("resubmit#"))
                            .unwrap_or_default()
                            .to_string();
                        if let Some(e) = self.read_resubmit(key, &o).await? {
                            found.insert(o, e);
                        }
                    }
                    break;
                }
                tokio::time::sleep(std::time::Duration::from_millis(20 << round)).await;
            }
        }
        Ok(found)
    }

    async fn claim_resubmit(
        &self,
        key: &str,
        original: &str,
        claim_id: &str,
        at_ms: i64,
        request_id: &str,
    ) -> ApiResult<bool> {
        let put = self.claim_put(key, original, claim_id, at_ms, request_id);
        self.put_entry(put, Condition::absent()).await
    }

    async fn take_over_resubmit(
        &self,
        key: &str,
        original: &str,
        old_claim_id: &str,
        claim_id: &str,
        at_ms: i64,
        request_id: &str,
    ) -> ApiResult<bool> {
        let put = self.claim_put(key, original, claim_id, at_ms, request_id);
        self.put_entry(put, Condition::held_by(old_claim_id)).await
    }

    async fn finish_resubmit(
        &self,
        key: &str,
        original: &str,
        claim_id: &str,
        new_job_id: &str,
        at_ms: i64,
        request_id: &str,
    ) -> ApiResult<bool> {
        // Ours to finish; or already finished with this very copy (a retried finish).
        let put = self
            .claim_put(key, original, claim_id, at_ms, request_id)
            .item("state", s("done"))
            .item("new_job_id", s(new_job_id));
        let condition = Condition::held_by_or_done_with(claim_id, new_job_id);
        self.put_entry(put, condition).await
    }

    async fn release_resubmit(&self, key: &str, original: &str, claim_id: &str) -> ApiResult<()> {
        let held = Condition::held_by(claim_id);
        let res = self
            .client()
            .delete_item()
            .table_name(self.table())
            .key(PARTITION_KEY, s(self.pk(key)))
            .key(SORT_KEY, s(sort_key(original)))
            .condition_expression(held.expression)
            .set_expression_attribute_names(Some(held.names))
            .set_expression_attribute_values(Some(held.values))
            .send()
            .await;
        // Not ours any more: whoever holds it finishes it.
        self.written("DeleteItem", res).map(|_| ())
    }
}
