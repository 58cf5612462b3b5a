//! The ledger of resubmissions in the guard table: one item per original job
//! (`pk = <kind>#<resource>`, `sk = resubmit#<original job id>`), written only with conditions,
//! so that however many runs (retried, concurrent, repeated days later) try to resubmit a job,
//! one holds the claim and one copy is recorded.
//!
//! `claimed` (`claim_id`, `at_ms`, `request_id`) → `done` (`new_job_id`). Entries outlive
//! MediaConvert's three months of job records (100 days), so a job can never be resubmitted
//! again while the service still lists it.

use async_trait::async_trait;

use super::dynamodb::{
    get_n, get_s, n, s, DynamoWindowStore, PARTITION_KEY, SORT_KEY, TTL_ATTRIBUTE,
};
use crate::policy::recovery::LedgerEntry;
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
    ) -> aws_sdk_dynamodb::operation::put_item::builders::PutItemFluentBuilder {
        self.client()
            .put_item()
            .table_name(self.table())
            .item(PARTITION_KEY, s(key))
            .item(SORT_KEY, s(sort_key(original)))
            .item("state", s("claimed"))
            .item("claim_id", s(claim_id))
            .item("at_ms", n(at_ms))
            .item("request_id", s(request_id))
            .item(TTL_ATTRIBUTE, n(at_ms / 1000 + RETENTION_S))
    }
}

#[async_trait]
impl ResubmitLedger for DynamoWindowStore {
    async fn read_resubmit(&self, key: &str, original: &str) -> ApiResult<Option<LedgerEntry>> {
        let out = self
            .client()
            .get_item()
            .table_name(self.table())
            .key(PARTITION_KEY, s(key))
            .key(SORT_KEY, s(sort_key(original)))
            .consistent_read(true)
            .send()
            .await
            .map_err(|e| self.fail("GetItem", &e))?;
        let Some(item) = out.item() else {
            return Ok(None);
        };
        let text = |k| get_s(item, k).unwrap_or_default().to_string();
        let at_ms = get_n(item, "at_ms").unwrap_or(0);
        Ok(match get_s(item, "state") {
            Some("done") => Some(LedgerEntry::Done {
                new_job_id: text("new_job_id"),
                at_ms,
                request_id: text("request_id"),
            }),
            _ => Some(LedgerEntry::Claimed {
                claim_id: text("claim_id"),
                at_ms,
                request_id: text("request_id"),
            }),
        })
    }

    async fn claim_resubmit(
        &self,
        key: &str,
        original: &str,
        claim_id: &str,
        at_ms: i64,
        request_id: &str,
    ) -> ApiResult<bool> {
        let res = self
            .claim_put(key, original, claim_id, at_ms, request_id)
            .condition_expression("attribute_not_exists(#pk)")
            .expression_attribute_names("#pk", PARTITION_KEY)
            .send()
            .await;
        self.written("PutItem", res)
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
        let res = self
            .claim_put(key, original, claim_id, at_ms, request_id)
            .condition_expression("#state = :claimed AND #claim = :old")
            .expression_attribute_names("#state", "state")
            .expression_attribute_names("#claim", "claim_id")
            .expression_attribute_values(":claimed", s("claimed"))
            .expression_attribute_values(":old", s(old_claim_id))
            .send()
            .await;
        self.written("PutItem", res)
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
        let res = self
            .claim_put(key, original, claim_id, at_ms, request_id)
            .item("state", s("done"))
            .item("new_job_id", s(new_job_id))
            .condition_expression(
                "(#state = :claimed AND #claim = :claim) OR (#state = :done AND #job = :job)",
            )
            .expression_attribute_names("#state", "state")
            .expression_attribute_names("#claim", "claim_id")
            .expression_attribute_names("#job", "new_job_id")
            .expression_attribute_values(":claimed", s("claimed"))
            .expression_attribute_values(":done", s("done"))
            .expression_attribute_values(":claim", s(claim_id))
            .expression_attribute_values(":job", s(new_job_id))
            .send()
            .await;
        self.written("PutItem", res)
    }

    async fn release_resubmit(&self, key: &str, original: &str, claim_id: &str) -> ApiResult<()> {
        let res = self
            .client()
            .delete_item()
            .table_name(self.table())
            .key(PARTITION_KEY, s(key))
            .key(SORT_KEY, s(sort_key(original)))
            .condition_expression("#state = :claimed AND #claim = :claim")
            .expression_attribute_names("#state", "state")
            .expression_attribute_names("#claim", "claim_id")
            .expression_attribute_values(":claimed", s("claimed"))
            .expression_attribute_values(":claim", s(claim_id))
            .send()
            .await;
        // Not ours any more: whoever holds it finishes it.
        self.written("DeleteItem", res).map(|_| ())
    }
}
