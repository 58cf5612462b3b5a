use async_trait::async_trait;
use aws_sdk_s3control as s3c;
use s3c::types::{JobStatus, RequestedJobStatus};

use super::sdk::{call, page, to_chrono};
use crate::error::{AwsError, AwsErrorKind};
use crate::model::{BatchJob, BatchOperation, NewBatchJob, Page, RequestedBatchStatus};
use crate::ports::{
    ApiResult, BatchJobCreator, BatchJobPriority, BatchJobReader, BatchJobStatusChanger,
};

const SERVICE: &str = "s3control";

/// S3 Batch Operations (S3 Control) through the AWS SDK, for one account.
#[derive(Debug, Clone)]
pub struct S3ControlAdapter {
    client: s3c::Client,
    account_id: String,
}

impl S3ControlAdapter {
    pub fn new(client: s3c::Client, account_id: impl Into<String>) -> Self {
        Self {
            client,
            account_id: account_id.into(),
        }
    }

    pub fn account_id(&self) -> &str {
        &self.account_id
    }
}

/// The operation a job runs: the one field of its `JobOperation` that is set.
fn operation_name(op: Option<&s3c::types::JobOperation>) -> Option<String> {
    let op = op?;
    let kinds = [
        (op.lambda_invoke().is_some(), "LambdaInvoke"),
        (op.s3_put_object_copy().is_some(), "S3PutObjectCopy"),
        (op.s3_put_object_acl().is_some(), "S3PutObjectAcl"),
        (op.s3_put_object_tagging().is_some(), "S3PutObjectTagging"),
        (
            op.s3_delete_object_tagging().is_some(),
            "S3DeleteObjectTagging",
        ),
        (
            op.s3_initiate_restore_object().is_some(),
            "S3InitiateRestoreObject",
        ),
        (
            op.s3_put_object_legal_hold().is_some(),
            "S3PutObjectLegalHold",
        ),
        (
            op.s3_put_object_retention().is_some(),
            "S3PutObjectRetention",
        ),
        (op.s3_replicate_object().is_some(), "S3ReplicateObject"),
        (
            op.s3_compute_object_checksum().is_some(),
            "S3ComputeObjectChecksum",
        ),
        (
            op.s3_update_object_encryption().is_some(),
            "S3UpdateObjectEncryption",
        ),
    ];
    kinds
        .iter()
        .find(|(set, _)| *set)
        .map(|(_, name)| name.to_string())
}

/// A job from the members a listed job (`JobListDescriptor`) and a described one
/// (`JobDescriptor`) share; the description's own members unset.
macro_rules! batch_job {
    ($j:expr, operation: $operation:expr) => {
        BatchJob {
            id: $j.job_id().unwrap_or_default().to_string(),
            description: $j.description().map(str::to_string),
            operation: $operation,
            priority: $j.priority(),
            status: $j
                .status()
                .map(|s| s.as_str().to_string())
                .unwrap_or_default(),
            created: to_chrono($j.creation_time()),
            terminated: to_chrono($j.termination_date()),
            confirmation_required: None,
            suspended_cause: None,
            suspended: None,
            status_update_reason: None,
        }
    };
}

fn summary(j: &s3c::types::JobListDescriptor) -> BatchJob {
    batch_job!(j, operation: j.operation().map(|o| o.as_str().to_string()))
}

fn detail(j: &s3c::types::JobDescriptor) -> BatchJob {
    BatchJob {
        confirmation_required: j.confirmation_required(),
        suspended_cause: j.suspended_cause().map(str::to_string),
        suspended: to_chrono(j.suspended_date()),
        status_update_reason: j.status_update_reason().map(str::to_string),
        ..batch_job!(j, operation: operation_name(j.operation()))
    }
}

#[async_trait]
impl BatchJobReader for S3ControlAdapter {
    async fn list_jobs(
        &self,
        statuses: &[&str],
        next_token: Option<&str>,
        max_results: Option<i32>,
    ) -> ApiResult<Page<BatchJob>> {
        let statuses: Vec<JobStatus> = statuses.iter().map(|s| JobStatus::from(*s)).collect();
        let list = self
            .client
            .list_jobs()
            .account_id(&self.account_id)
            .set_job_statuses((!statuses.is_empty()).then_some(statuses))
            .set_next_token(next_token.map(str::to_string))
            .set_max_results(max_results);
        let out = call(SERVICE, "ListJobs", list.send()).await?;
        Ok(page(out.jobs().iter().map(summary), out.next_token()))
    }

    async fn describe_job(&self, id: &str) -> ApiResult<BatchJob> {
        let describe = self
            .client
            .describe_job()
            .account_id(&self.account_id)
            .job_id(id);
        let out = call(SERVICE, "DescribeJob", describe.send()).await?;
        Ok(out.job().map(detail).unwrap_or_else(|| BatchJob {
            id: id.to_string(),
            description: None,
            operation: None,
            priority: 0,
            status: String::new(),
            created: None,
            terminated: None,
            confirmation_required: None,
            suspended_cause: None,
            suspended: None,
            status_update_reason: None,
        }))
    }
}

#[async_trait]
impl BatchJobPriority for S3ControlAdapter {
    async fn update_job_priority(&self, id: &str, priority: i32) -> ApiResult<i32> {
        let update = self
            .client
            .update_job_priority()
            .account_id(&self.account_id)
            .job_id(id)
            .priority(priority);
        let out = call(SERVICE, "UpdateJobPriority", update.send()).await?;
        Ok(out.priority())
    }
}

#[async_trait]
impl BatchJobStatusChanger for S3ControlAdapter {
    async fn update_job_status(
        &self,
        id: &str,
        status: RequestedBatchStatus,
        reason: Option<&str>,
    ) -> ApiResult<String> {
        let requested = match status {
            RequestedBatchStatus::Ready => RequestedJobStatus::Ready,
            RequestedBatchStatus::Cancelled => RequestedJobStatus::Cancelled,
        };
        let update = self
            .client
            .update_job_status()
            .account_id(&self.account_id)
            .job_id(id)
            .requested_job_status(requested)
            .set_status_update_reason(reason.map(str::to_string));
        let out = call(SERVICE, "UpdateJobStatus", update.send()).await?;
        Ok(out
            .status()
            .map(|s| s.as_str().to_string())
            .unwrap_or_default())
    }
}

/// A request the SDK's builders refuse (a required member missing): the caller validates first,
/// so this names what slipped through.
fn build_error(e: impl std::fmt::Display) -> AwsError {
    AwsError {
        service: SERVICE,
        operation: "CreateJob",
        kind: AwsErrorKind::Rejected,
        status: None,
        code: Some("InvalidRequest".into()),
        message: e.to_string(),
    }
}

fn job_operation(op: &BatchOperation) -> Result<s3c::types::JobOperation, AwsError> {
    use s3c::types as t;
    let b = t::JobOperation::builder();
    Ok(match op {
        BatchOperation::LambdaInvoke { function_arn } => b
            .lambda_invoke(
                t::LambdaInvokeOperation::builder()
                    .function_arn(function_arn)
                    .build(),
            )
            .build(),
        BatchOperation::S3PutObjectCopy {
            target_bucket_arn,
            storage_class,
            target_key_prefix,
            metadata_directive,
        } => b
            .s3_put_object_copy(
                t::S3CopyObjectOperation::builder()
                    .target_resource(target_bucket_arn)
                    .set_storage_class(storage_class.as_deref().map(t::S3StorageClass::from))
                    .set_target_key_prefix(target_key_prefix.clone())
                    .set_metadata_directive(
                        metadata_directive
                            .as_deref()
                            .map(t::S3MetadataDirective::from),
                    )
                    .build(),
            )
            .build(),
        BatchOperation::S3PutObjectTagging { tags } => {
            let mut op = t::S3SetObjectTaggingOperation::builder();
            for (k, v) in tags {
                op = op.tag_set(
                    t::S3Tag::builder()
                        .key(k)
                        .value(v)
                        .build()
                        .map_err(build_error)?,
                );
            }
            b.s3_put_object_tagging(op.build()).build()
        }
        BatchOperation::S3PutObjectAcl { canned_acl } => b
            .s3_put_object_acl(
                t::S3SetObjectAclOperation::builder()
                    .access_control_policy(
                        t::S3AccessControlPolicy::builder()
                            .canned_access_control_list(t::S3CannedAccessControlList::from(
                                canned_acl.as_str(),
                            ))
                            .build(),
                    )
                    .build(),
            )
            .build(),
        BatchOperation::S3InitiateRestoreObject {
            expiration_days,
            tier,
        } => b
            .s3_initiate_restore_object(
                t::S3InitiateRestoreObjectOperation::builder()
                    .expiration_in_days(*expiration_days)
                    .glacier_job_tier(t::S3GlacierJobTier::from(tier.as_str()))
                    .build(),
            )
            .build(),
    })
}

#[async_trait]
impl BatchJobCreator for S3ControlAdapter {
    async fn create_job(&self, job: &NewBatchJob) -> ApiResult<String> {
        use s3c::types as t;
        let m = &job.manifest;
        let mut spec = t::JobManifestSpec::builder()
            .format(t::JobManifestFormat::S3BatchOperationsCsv20180820);
        for f in &m.fields {
            spec = spec.fields(t::JobManifestFieldName::from(f.as_str()));
        }
        let manifest = t::JobManifest::builder()
            .spec(spec.build().map_err(build_error)?)
            .location(
                t::JobManifestLocation::builder()
                    .object_arn(&m.object_arn)
                    .e_tag(&m.etag)
                    .set_object_version_id(m.object_version_id.clone())
                    .build()
                    .map_err(build_error)?,
            )
            .build();
        let r = &job.report;
        let mut report = t::JobReport::builder().enabled(r.enabled);
        if r.enabled {
            report = report
                .format(t::JobReportFormat::ReportCsv20180820)
                .set_bucket(r.bucket_arn.clone())
                .set_prefix(r.prefix.clone())
                .set_report_scope(r.scope.as_deref().map(t::JobReportScope::from));
        }
        let create = self
            .client
            .create_job()
            .account_id(&self.account_id)
            .operation(job_operation(&job.operation)?)
            .manifest(manifest)
            .report(report.build())
            .priority(job.priority)
            .role_arn(&job.role_arn)
            .set_description(job.description.clone())
            .confirmation_required(job.confirmation_required)
            .client_request_token(&job.client_request_token);
        let out = call(SERVICE, "CreateJob", create.send()).await?;
        Ok(out.job_id().unwrap_or_default().to_string())
    }
}
