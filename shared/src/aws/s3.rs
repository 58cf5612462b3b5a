//! S3 buckets through the AWS SDK: listing, tags, access logging, and what a log target's
//! policy, ownership and ACL say.

use std::collections::BTreeMap;

use async_trait::async_trait;
use aws_sdk_s3 as s3;

use super::sdk::{call, page, unbuilt};
use crate::model::Page;
use crate::policy::bucket_logging::{BucketLogging, LogTarget, LOG_DELIVERY_GROUP};
use crate::ports::{ApiResult, BucketLoggingWriter, BucketReader, LogTargetReader};
use crate::AwsError;

const SERVICE: &str = "s3";

/// S3 through the AWS SDK.
#[derive(Debug, Clone)]
pub struct S3Adapter {
    client: s3::Client,
}

impl S3Adapter {
    pub fn new(client: s3::Client) -> Self {
        Self { client }
    }
}

/// `Ok(None)` when the service answered with `code` (the documented "there is none" answer).
fn none_if<T>(r: Result<T, AwsError>, code: &str) -> ApiResult<Option<T>> {
    match r {
        Ok(v) => Ok(Some(v)),
        Err(e) if e.code_is(code) => Ok(None),
        Err(e) => Err(e),
    }
}

#[async_trait]
impl BucketReader for S3Adapter {
    async fn list_buckets(
        &self,
        region: &str,
        prefix: Option<&str>,
        continuation_token: Option<&str>,
        max_buckets: i32,
    ) -> ApiResult<Page<String>> {
        let list = self
            .client
            .list_buckets()
            .bucket_region(region)
            .set_prefix(prefix.map(str::to_string))
            .set_continuation_token(continuation_token.map(str::to_string))
            .max_buckets(max_buckets);
        let out = call(SERVICE, "ListBuckets", list.send()).await?;
        let names = out
            .buckets()
            .iter()
            .filter_map(|b| b.name().map(str::to_string));
        Ok(page(names, out.continuation_token()))
    }

    async fn bucket_tags(&self, bucket: &str) -> ApiResult<BTreeMap<String, String>> {
        let get = self.client.get_bucket_tagging().bucket(bucket);
        let r = call(SERVICE, "GetBucketTagging", get.send()).await;
        Ok(none_if(r, "NoSuchTagSet")?
            .map(|out| {
                out.tag_set()
                    .iter()
                    .map(|t| (t.key().to_string(), t.value().to_string()))
                    .collect()
            })
            .unwrap_or_default())
    }

    async fn bucket_logging(&self, bucket: &str) -> ApiResult<BucketLogging> {
        let get = self.client.get_bucket_logging().bucket(bucket);
        let out = call(SERVICE, "GetBucketLogging", get.send()).await?;
        Ok(out.logging_enabled().map(|l| LogTarget {
            bucket: l.target_bucket().to_string(),
            prefix: l.target_prefix().to_string(),
        }))
    }
}

#[async_trait]
impl LogTargetReader for S3Adapter {
    async fn bucket_policy(&self, bucket: &str) -> ApiResult<Option<String>> {
        let get = self.client.get_bucket_policy().bucket(bucket);
        let r = call(SERVICE, "GetBucketPolicy", get.send()).await;
        Ok(none_if(r, "NoSuchBucketPolicy")?.and_then(|o| o.policy().map(str::to_string)))
    }

    async fn bucket_ownership(&self, bucket: &str) -> ApiResult<Option<String>> {
        let get = self.client.get_bucket_ownership_controls().bucket(bucket);
        let r = call(SERVICE, "GetBucketOwnershipControls", get.send()).await;
        Ok(none_if(r, "OwnershipControlsNotFoundError")?.and_then(|o| {
            o.ownership_controls()?
                .rules()
                .first()
                .map(|r| r.object_ownership().as_str().to_string())
        }))
    }

    async fn acl_grants_log_delivery(&self, bucket: &str) -> ApiResult<bool> {
        let get = self.client.get_bucket_acl().bucket(bucket);
        let out = call(SERVICE, "GetBucketAcl", get.send()).await?;
        let has = |wanted: &str| {
            out.grants().iter().any(|g| {
                g.grantee().and_then(|x| x.uri()) == Some(LOG_DELIVERY_GROUP)
                    && g.permission()
                        .is_some_and(|p| p.as_str() == wanted || p.as_str() == "FULL_CONTROL")
            })
        };
        Ok(has("WRITE") && has("READ_ACP"))
    }
}

#[async_trait]
impl BucketLoggingWriter for S3Adapter {
    async fn put_bucket_logging(&self, bucket: &str, target: Option<&LogTarget>) -> ApiResult<()> {
        let enabled = match target {
            None => None,
            Some(t) => Some(
                s3::types::LoggingEnabled::builder()
                    .target_bucket(&t.bucket)
                    .target_prefix(&t.prefix)
                    .build()
                    .map_err(|e| unbuilt(SERVICE, "PutBucketLogging", e))?,
            ),
        };
        let put = self
            .client
            .put_bucket_logging()
            .bucket(bucket)
            .bucket_logging_status(
                s3::types::BucketLoggingStatus::builder()
                    .set_logging_enabled(enabled)
                    .build(),
            );
        call(SERVICE, "PutBucketLogging", put.send()).await?;
        Ok(())
    }
}
