//! The report of one request, and the bounded listing every list action pages through.

use std::future::Future;

use mediaops::bulk::Tally;
use mediaops::model::{ms_to_rfc3339, Page};
use mediaops::notify::notices::Subject;
use mediaops::{AwsError, Error};
use serde::Serialize;
use serde_json::Value;

/// Listing pages read at most when an action needs every page.
pub const MAX_PAGES: usize = 1000;

/// The report of one request.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Report {
    pub action: &'static str,
    /// The request as understood (parameters with defaults filled in).
    pub request: Value,
    pub dry_run: bool,
    pub confirmed: bool,
    /// True when the action changed something.
    pub executed: bool,
    /// Why nothing was changed, when a change was asked for.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
    /// What was (or would be) done, step by step.
    pub plan: Vec<String>,
    pub result: Value,
    /// The items of list actions (bounded by `limit` and [`ITEM_BYTES`]); bulk actions report
    /// theirs in `result` (counts, failures, a sample) and the log.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub items: Vec<Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_page_token: Option<String>,
    /// The notice of an executed (or, in dry run, confirmed) destructive action.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub notification: Option<mediaops::notify::Sent>,
    /// What the bulk engine's verdict needs (bulk actions: drains).
    #[serde(skip)]
    pub tally: Tally,
    /// What a destructive action did to what, for its notice (set by the action).
    #[serde(skip)]
    pub subject: Option<Subject>,
}

pub fn ms_iso(ms: Option<i64>) -> Option<String> {
    ms.and_then(ms_to_rfc3339)
}

/// Resumable position in a paged listing: the service's page token and how many of that page's
/// items were already returned. Encoded `<service token>~<skip>`.
fn decode_token(token: Option<&str>) -> Result<(Option<String>, usize), Error> {
    match token {
        None | Some("") => Ok((None, 0)),
        Some(t) => {
            let (service, skip) = t.rsplit_once('~').ok_or_else(|| {
                Error::BadRequest(format!("page_token {t:?} was not returned by this runbook"))
            })?;
            let skip = skip.parse().map_err(|_| {
                Error::BadRequest(format!("page_token {t:?} was not returned by this runbook"))
            })?;
            Ok(((!service.is_empty()).then(|| service.to_string()), skip))
        }
    }
}

fn encode_token(service: Option<&str>, skip: usize) -> String {
    format!("{}~{skip}", service.unwrap_or(""))
}

/// The bytes of items a listing puts in one response at most: with the rest of the report the
/// response stays under 256 KB (what a Lambda destination takes from an asynchronous invocation
/// is 1 MB, a synchronous response 6 MB), whatever `limit` asks for; the page token continues.
const ITEM_BYTES: usize = 200 * 1024;

/// Up to `limit` items from a paged listing, from `token` on, and no more than [`ITEM_BYTES`]
/// of them as JSON (`json` renders one); the next token if more remain.
pub async fn collect_limited<T, F, Fut>(
    limit: usize,
    token: Option<&str>,
    mut fetch: F,
    json: fn(&T) -> Value,
) -> Result<(Vec<Value>, Option<String>), Error>
where
    F: FnMut(Option<String>) -> Fut,
    Fut: Future<Output = Result<Page<T>, AwsError>>,
{
    let (mut service, mut skip) = decode_token(token)?;
    let mut out = Vec::new();
    let mut bytes = 0;
    for _ in 0..MAX_PAGES {
        let page = fetch(service.clone()).await?;
        for (i, item) in page.items.iter().enumerate().skip(skip) {
            let v = json(item);
            let size = v.to_string().len() + 1;
            if out.len() == limit || (bytes + size > ITEM_BYTES && !out.is_empty()) {
                return Ok((out, Some(encode_token(service.as_deref(), i))));
            }
            bytes += size;
            out.push(v);
        }
        match page.next_token {
            None => return Ok((out, None)),
            Some(next) if out.len() == limit => {
                return Ok((out, Some(encode_token(Some(&next), 0))))
            }
            Some(next) => {
                service = Some(next);
                skip = 0;
            }
        }
    }
    Ok((out, service.map(|s| encode_token(Some(&s), 0))))
}

impl Report {
    /// A list action's answer: up to `limit` items from `token` on ([`collect_limited`]) as the
    /// report's `items`, their count as its `result`, and the next page token if more remain.
    pub async fn list<T, F, Fut>(
        &mut self,
        limit: u32,
        token: Option<&str>,
        fetch: F,
        json: fn(&T) -> Value,
    ) -> Result<(), Error>
    where
        F: FnMut(Option<String>) -> Fut,
        Fut: Future<Output = Result<Page<T>, AwsError>>,
    {
        let (items, next) = collect_limited(limit as usize, token, fetch, json).await?;
        self.result = serde_json::json!({ "count": items.len() });
        self.items = items;
        self.next_page_token = next;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;
    use std::sync::Mutex;

    fn page(items: &[u32], next: Option<&str>) -> Page<u32> {
        Page {
            items: items.to_vec(),
            next_token: next.map(str::to_string),
        }
    }

    /// Pages of the numbers 0..n, `size` at a time; tokens are the start index.
    async fn fetch(
        n: u32,
        size: u32,
        token: Option<String>,
        calls: &Mutex<u32>,
    ) -> Result<Page<u32>, AwsError> {
        *calls.lock().unwrap() += 1;
        let start: u32 = token.map(|t| t.parse().unwrap()).unwrap_or(0);
        let end = (start + size).min(n);
        let items: Vec<u32> = (start..end).collect();
        Ok(page(&items, (end < n).then(|| end.to_string()).as_deref()))
    }

    #[tokio::test]
    async fn limited_listing_resumes_exactly_where_it_stopped() {
        let calls = Mutex::new(0);
        let mut all = Vec::new();
        let mut token: Option<String> = None;
        for _ in 0..10 {
            let (items, next) = collect_limited(
                7,
                token.as_deref(),
                |t| fetch(23, 5, t, &calls),
                |n| json!(n),
            )
            .await
            .unwrap();
            assert!(items.len() <= 7);
            all.extend(items);
            token = next;
            if token.is_none() {
                break;
            }
        }
        assert_eq!(
            all,
            (0..23).collect::<Vec<_>>(),
            "every item once, in order"
        );
        let (items, next) = collect_limited(5, None, |t| fetch(10, 5, t, &calls), |n| json!(n))
            .await
            .unwrap();
        assert_eq!(
            (items.len(), next.as_deref()),
            (5, Some("5~0")),
            "a full page ends at the service's token"
        );
        let (items, next) = collect_limited(100, None, |t| fetch(10, 5, t, &calls), |n| json!(n))
            .await
            .unwrap();
        assert_eq!((items.len(), next), (10, None));
        assert!(matches!(
            collect_limited(
                5,
                Some("garbage"),
                |t| fetch(10, 5, t, &calls),
                |n| json!(n)
            )
            .await,
            Err(Error::BadRequest(_))
        ));
    }

    #[tokio::test]
    async fn a_listing_response_stays_under_its_byte_budget_and_resumes_where_it_was_cut() {
        let calls = Mutex::new(0);
        // 10 KB per item: a limit of 1,000 would be 10 MB; the budget cuts it, the token resumes.
        let big = |n: &u32| json!({ "n": n, "pad": "p".repeat(10 * 1024) });
        let mut seen = Vec::new();
        let mut token: Option<String> = None;
        let mut responses = 0;
        loop {
            let (items, next) =
                collect_limited(1000, token.as_deref(), |t| fetch(120, 50, t, &calls), big)
                    .await
                    .unwrap();
            responses += 1;
            let bytes: usize = items.iter().map(|v| v.to_string().len()).sum();
            assert!(bytes <= ITEM_BYTES, "{bytes}");
            assert!(!items.is_empty());
            seen.extend(items.iter().map(|v| v["n"].as_u64().unwrap()));
            token = next;
            if token.is_none() {
                break;
            }
        }
        assert_eq!(
            seen,
            (0..120).collect::<Vec<u64>>(),
            "every item once, in order"
        );
        assert_eq!(responses, 120usize.div_ceil(ITEM_BYTES / (10 * 1024 + 20)));
    }
}
