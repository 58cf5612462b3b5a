use async_trait::async_trait;
use aws_sdk_mediaconvert as mc;

use super::sdk::{call, created_job_id, page};
use crate::model::{MediaConvertJob, Page, Queue, QueueStatus};
use crate::ports::{
    ApiResult, JobResubmitter, MediaConvertJobCanceller, MediaConvertJobLister, QueueControl,
    QueueLister,
};

const SERVICE: &str = "mediaconvert";

/// AWS Elemental MediaConvert through the AWS SDK (the regional endpoint; account-specific
/// endpoints from DescribeEndpoints are no longer needed).
#[derive(Debug, Clone)]
pub struct MediaConvertAdapter {
    client: mc::Client,
}

impl MediaConvertAdapter {
    pub fn new(client: mc::Client) -> Self {
        Self { client }
    }
}

fn queue(q: Option<&mc::types::Queue>, name: &str) -> Queue {
    Queue {
        name: q.and_then(|q| q.name()).unwrap_or(name).to_string(),
        arn: q.and_then(|q| q.arn()).map(str::to_string),
        status: q
            .and_then(|q| q.status())
            .map(|s| s.as_str().to_string())
            .unwrap_or_default(),
        kind: q.and_then(|q| q.r#type()).map(|t| t.as_str().to_string()),
        submitted_jobs: q.and_then(|q| q.submitted_jobs_count()),
        progressing_jobs: q.and_then(|q| q.progressing_jobs_count()),
    }
}

fn millis(t: Option<&aws_smithy_types::DateTime>) -> Option<i64> {
    t.and_then(|t| t.to_millis().ok())
}

pub(crate) fn job(j: &mc::types::Job) -> MediaConvertJob {
    MediaConvertJob {
        id: j.id().unwrap_or_default().to_string(),
        queue_arn: j.queue().map(str::to_string),
        hopped_to: j
            .queue_transitions()
            .last()
            .and_then(|t| t.destination_queue())
            .map(str::to_string),
        hops: u32::try_from(j.queue_transitions().len()).unwrap_or(u32::MAX),
        status: j
            .status()
            .map(|s| s.as_str().to_string())
            .unwrap_or_default(),
        error_code: j.error_code(),
        error_message: j.error_message().map(str::to_string),
        submitted_ms: millis(j.timing().and_then(|t| t.submit_time())),
        finished_ms: millis(j.timing().and_then(|t| t.finish_time())),
        user_metadata: j
            .user_metadata()
            .map(|m| m.iter().map(|(k, v)| (k.clone(), v.clone())).collect())
            .unwrap_or_default(),
    }
}

#[async_trait]
impl QueueControl for MediaConvertAdapter {
    async fn get_queue(&self, name: &str) -> ApiResult<Queue> {
        let out = call(
            SERVICE,
            "GetQueue",
            self.client.get_queue().name(name).send(),
        )
        .await?;
        Ok(queue(out.queue(), name))
    }

    async fn update_queue_status(&self, name: &str, status: QueueStatus) -> ApiResult<Queue> {
        let update = self
            .client
            .update_queue()
            .name(name)
            .status(mc::types::QueueStatus::from(status.as_str()));
        let out = call(SERVICE, "UpdateQueue", update.send()).await?;
        Ok(queue(out.queue(), name))
    }
}

#[async_trait]
impl QueueLister for MediaConvertAdapter {
    async fn list_queues(&self, token: Option<&str>) -> ApiResult<Page<Queue>> {
        let list = self
            .client
            .list_queues()
            .max_results(20)
            .set_next_token(token.map(str::to_string));
        let out = call(SERVICE, "ListQueues", list.send()).await?;
        Ok(page(
            out.queues().iter().map(|q| queue(Some(q), "")),
            out.next_token(),
        ))
    }
}

#[async_trait]
impl MediaConvertJobLister for MediaConvertAdapter {
    async fn list_mediaconvert_jobs(
        &self,
        queue: Option<&str>,
        status: Option<&str>,
        descending: bool,
        max_results: Option<i32>,
        next_token: Option<&str>,
    ) -> ApiResult<Page<MediaConvertJob>> {
        let list = self
            .client
            .list_jobs()
            .set_queue(queue.map(str::to_string))
            .set_status(status.map(mc::types::JobStatus::from))
            .order(if descending {
                mc::types::Order::Descending
            } else {
                mc::types::Order::Ascending
            })
            .set_max_results(max_results)
            .set_next_token(next_token.map(str::to_string));
        let out = call(SERVICE, "ListJobs", list.send()).await?;
        Ok(page(out.jobs().iter().map(job), out.next_token()))
    }
}

#[async_trait]
impl MediaConvertJobCanceller for MediaConvertAdapter {
    async fn cancel_mediaconvert_job(&self, id: &str) -> ApiResult<()> {
        call(SERVICE, "CancelJob", self.client.cancel_job().id(id).send()).await?;
        Ok(())
    }
}

/// GetJob and CreateJob as the service's JSON ([`super::mediaconvert_raw`]): the job's document
/// whole, and a copy's request as the recovery made it, members the SDK lacks included.
#[async_trait]
impl JobResubmitter for MediaConvertAdapter {
    async fn read_job_document(&self, id: &str) -> ApiResult<Option<serde_json::Value>> {
        crate::ports::absent_if_not_found(
            super::mediaconvert_raw::get_job_raw(&self.client, id).await,
        )
    }

    async fn create_job_document(&self, request: &serde_json::Value) -> ApiResult<String> {
        let job = super::mediaconvert_raw::create_job_raw(&self.client, request).await?;
        created_job_id(SERVICE, &job, "id")
    }
}
