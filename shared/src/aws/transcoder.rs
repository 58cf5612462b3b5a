use async_trait::async_trait;
use aws_sdk_elastictranscoder as et;

use super::sdk::{call, created_job_id, page};
use crate::model::{
    error_code_from_detail, Page, Pipeline, PipelineStatus, TranscodeJob, TranscodeJobStatus,
};
use crate::ports::{
    ApiResult, JobResubmitter, PipelineControl, PipelineJobLister, PipelineLister, StatusJobLister,
    TranscodeJobCanceller, TranscodeJobDetails,
};

const SERVICE: &str = "elastictranscoder";

/// Elastic Transcoder through the AWS SDK.
#[derive(Debug, Clone)]
pub struct TranscoderAdapter {
    client: et::Client,
}

impl TranscoderAdapter {
    pub fn new(client: et::Client) -> Self {
        Self { client }
    }
}

fn pipeline(p: Option<&et::types::Pipeline>, id: &str) -> Pipeline {
    Pipeline {
        id: p.and_then(|p| p.id()).unwrap_or(id).to_string(),
        name: p.and_then(|p| p.name()).map(str::to_string),
        status: p.and_then(|p| p.status()).unwrap_or_default().to_string(),
        arn: p.and_then(|p| p.arn()).map(str::to_string),
    }
}

pub(crate) fn job(j: &et::types::Job) -> TranscodeJob {
    let mut error_codes: Vec<u32> = j
        .outputs()
        .iter()
        .chain(j.output())
        .filter_map(|o| o.status_detail())
        .filter_map(error_code_from_detail)
        .collect();
    error_codes.sort_unstable();
    error_codes.dedup();
    TranscodeJob {
        id: j.id().unwrap_or_default().to_string(),
        pipeline_id: j.pipeline_id().map(str::to_string),
        status: j.status().unwrap_or_default().to_string(),
        submitted_ms: j.timing().and_then(|t| t.submit_time_millis()),
        finished_ms: j.timing().and_then(|t| t.finish_time_millis()),
        input_key: j
            .input()
            .and_then(|i| i.key())
            .or_else(|| j.inputs().first().and_then(|i| i.key()))
            .map(str::to_string),
        error_codes,
        user_metadata: j
            .user_metadata()
            .map(|m| m.iter().map(|(k, v)| (k.clone(), v.clone())).collect())
            .unwrap_or_default(),
    }
}

fn ascending(a: bool) -> &'static str {
    if a {
        "true"
    } else {
        "false"
    }
}

#[async_trait]
impl PipelineControl for TranscoderAdapter {
    async fn read_pipeline(&self, id: &str) -> ApiResult<Pipeline> {
        let out = call(
            SERVICE,
            "ReadPipeline",
            self.client.read_pipeline().id(id).send(),
        )
        .await?;
        Ok(pipeline(out.pipeline(), id))
    }

    async fn update_pipeline_status(
        &self,
        id: &str,
        status: PipelineStatus,
    ) -> ApiResult<Pipeline> {
        let update = self
            .client
            .update_pipeline_status()
            .id(id)
            .status(status.as_str());
        let out = call(SERVICE, "UpdatePipelineStatus", update.send()).await?;
        Ok(pipeline(out.pipeline(), id))
    }
}

#[async_trait]
impl PipelineLister for TranscoderAdapter {
    async fn list_pipelines(&self, token: Option<&str>) -> ApiResult<Page<Pipeline>> {
        let list = self
            .client
            .list_pipelines()
            .set_page_token(token.map(str::to_string));
        let out = call(SERVICE, "ListPipelines", list.send()).await?;
        Ok(page(
            out.pipelines().iter().map(|p| pipeline(Some(p), "")),
            out.next_page_token(),
        ))
    }
}

#[async_trait]
impl StatusJobLister for TranscoderAdapter {
    async fn list_jobs_by_status(
        &self,
        status: TranscodeJobStatus,
        asc: bool,
        page_token: Option<&str>,
    ) -> ApiResult<Page<TranscodeJob>> {
        let list = self
            .client
            .list_jobs_by_status()
            .status(status.as_str())
            .ascending(ascending(asc))
            .set_page_token(page_token.map(str::to_string));
        let out = call(SERVICE, "ListJobsByStatus", list.send()).await?;
        Ok(page(out.jobs().iter().map(job), out.next_page_token()))
    }
}

#[async_trait]
impl PipelineJobLister for TranscoderAdapter {
    async fn list_jobs_by_pipeline(
        &self,
        pipeline_id: &str,
        asc: bool,
        page_token: Option<&str>,
    ) -> ApiResult<Page<TranscodeJob>> {
        let list = self
            .client
            .list_jobs_by_pipeline()
            .pipeline_id(pipeline_id)
            .ascending(ascending(asc))
            .set_page_token(page_token.map(str::to_string));
        let out = call(SERVICE, "ListJobsByPipeline", list.send()).await?;
        Ok(page(out.jobs().iter().map(job), out.next_page_token()))
    }
}

#[async_trait]
impl TranscodeJobDetails for TranscoderAdapter {
    async fn read_job(&self, id: &str) -> ApiResult<TranscodeJob> {
        let out = call(SERVICE, "ReadJob", self.client.read_job().id(id).send()).await?;
        Ok(out.job().map(job).unwrap_or_else(|| TranscodeJob {
            id: id.to_string(),
            pipeline_id: None,
            status: String::new(),
            submitted_ms: None,
            finished_ms: None,
            input_key: None,
            error_codes: Vec::new(),
            user_metadata: Default::default(),
        }))
    }
}

#[async_trait]
impl TranscodeJobCanceller for TranscoderAdapter {
    async fn cancel_job(&self, id: &str) -> ApiResult<()> {
        call(SERVICE, "CancelJob", self.client.cancel_job().id(id).send()).await?;
        Ok(())
    }
}

/// ReadJob and CreateJob as the service's JSON ([`super::transcoder_raw`]): the job's document
/// whole, and a copy's request as the recovery made it. Elastic Transcoder has no idempotency
/// token: the ledger alone makes a copy once.
#[async_trait]
impl JobResubmitter for TranscoderAdapter {
    async fn read_job_document(&self, id: &str) -> ApiResult<Option<serde_json::Value>> {
        crate::ports::absent_if_not_found(
            super::transcoder_raw::read_job_raw(&self.client, id).await,
        )
    }

    async fn create_job_document(&self, request: &serde_json::Value) -> ApiResult<String> {
        let job = super::transcoder_raw::create_job_raw(&self.client, request).await?;
        created_job_id(SERVICE, &job, "Id")
    }
}
