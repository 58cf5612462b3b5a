use async_trait::async_trait;
use aws_sdk_elastictranscoder as et;

use crate::error::classify;
use crate::model::{
    error_code_from_detail, Page, Pipeline, PipelineStatus, TranscodeJob, TranscodeJobStatus,
};
use crate::ports::{
    ApiResult, JobCopy, JobResubmitter, PipelineControl, PipelineJobLister, PipelineLister,
    StatusJobLister, TranscodeJobCanceller, TranscodeJobDetails,
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

fn page(jobs: &[et::types::Job], next: Option<&str>) -> Page<TranscodeJob> {
    Page {
        items: jobs.iter().map(job).collect(),
        next_token: next.filter(|t| !t.is_empty()).map(str::to_string),
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
        let out = self
            .client
            .read_pipeline()
            .id(id)
            .send()
            .await
            .map_err(|e| classify(SERVICE, "ReadPipeline", &e))?;
        Ok(pipeline(out.pipeline(), id))
    }

    async fn update_pipeline_status(
        &self,
        id: &str,
        status: PipelineStatus,
    ) -> ApiResult<Pipeline> {
        let out = self
            .client
            .update_pipeline_status()
            .id(id)
            .status(status.as_str())
            .send()
            .await
            .map_err(|e| classify(SERVICE, "UpdatePipelineStatus", &e))?;
        Ok(pipeline(out.pipeline(), id))
    }
}

#[async_trait]
impl PipelineLister for TranscoderAdapter {
    async fn list_pipelines(&self, token: Option<&str>) -> ApiResult<Page<Pipeline>> {
        let out = self
            .client
            .list_pipelines()
            .set_page_token(token.map(str::to_string))
            .send()
            .await
            .map_err(|e| classify(SERVICE, "ListPipelines", &e))?;
        Ok(Page {
            items: out
                .pipelines()
                .iter()
                .map(|p| pipeline(Some(p), ""))
                .collect(),
            next_token: out.next_page_token().map(str::to_string),
        })
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
        let out = self
            .client
            .list_jobs_by_status()
            .status(status.as_str())
            .ascending(ascending(asc))
            .set_page_token(page_token.map(str::to_string))
            .send()
            .await
            .map_err(|e| classify(SERVICE, "ListJobsByStatus", &e))?;
        Ok(page(out.jobs(), out.next_page_token()))
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
        let out = self
            .client
            .list_jobs_by_pipeline()
            .pipeline_id(pipeline_id)
            .ascending(ascending(asc))
            .set_page_token(page_token.map(str::to_string))
            .send()
            .await
            .map_err(|e| classify(SERVICE, "ListJobsByPipeline", &e))?;
        Ok(page(out.jobs(), out.next_page_token()))
    }
}

#[async_trait]
impl TranscodeJobDetails for TranscoderAdapter {
    async fn read_job(&self, id: &str) -> ApiResult<TranscodeJob> {
        let out = self
            .client
            .read_job()
            .id(id)
            .send()
            .await
            .map_err(|e| classify(SERVICE, "ReadJob", &e))?;
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
        self.client
            .cancel_job()
            .id(id)
            .send()
            .await
            .map_err(|e| classify(SERVICE, "CancelJob", &e))?;
        Ok(())
    }
}

/// A job's outputs as CreateJob takes them: every member ReadJob returns that CreateJobOutput
/// has (the status, size and timing members are the run's, not the job's), except the
/// deprecated `Composition` (clips are the inputs' `TimeSpan`, which is copied).
fn output_spec(o: &et::types::JobOutput) -> et::types::CreateJobOutput {
    et::types::CreateJobOutput::builder()
        .set_key(o.key().map(str::to_string))
        .set_thumbnail_pattern(o.thumbnail_pattern().map(str::to_string))
        .set_thumbnail_encryption(o.thumbnail_encryption().cloned())
        .set_rotate(o.rotate().map(str::to_string))
        .set_preset_id(o.preset_id().map(str::to_string))
        .set_segment_duration(o.segment_duration().map(str::to_string))
        .set_watermarks(Some(o.watermarks().to_vec()).filter(|w| !w.is_empty()))
        .set_album_art(o.album_art().cloned())
        .set_captions(o.captions().cloned())
        .set_encryption(o.encryption().cloned())
        .build()
}

fn playlist_spec(p: &et::types::Playlist) -> et::types::CreateJobPlaylist {
    et::types::CreateJobPlaylist::builder()
        .set_name(p.name().map(str::to_string))
        .set_format(p.format().map(str::to_string))
        .set_output_keys(Some(p.output_keys().to_vec()).filter(|k| !k.is_empty()))
        .set_hls_content_protection(p.hls_content_protection().cloned())
        .set_play_ready_drm(p.play_ready_drm().cloned())
        .build()
}

/// ReadJob, then CreateJob of the same pipeline, inputs, outputs, key prefix and playlists.
/// Elastic Transcoder has no idempotency token: the ledger alone makes it once.
#[async_trait]
impl JobResubmitter for TranscoderAdapter {
    type Blueprint = et::types::Job;

    async fn read_job_copy(&self, id: &str) -> ApiResult<Option<JobCopy<et::types::Job>>> {
        let out = crate::ports::absent_if_not_found(
            self.client
                .read_job()
                .id(id)
                .send()
                .await
                .map_err(|e| classify(SERVICE, "ReadJob", &e)),
        )?;
        Ok(out.as_ref().and_then(|o| o.job()).map(|j| JobCopy {
            id: j.id().unwrap_or(id).to_string(),
            metadata: job(j).user_metadata,
            blueprint: j.clone(),
        }))
    }

    async fn create_job_copy(
        &self,
        j: &et::types::Job,
        metadata: &std::collections::BTreeMap<String, String>,
        _token: &str,
    ) -> ApiResult<String> {
        // One input given as `Input` comes back as both `Input` and `Inputs`: send `Inputs`.
        let inputs: Vec<et::types::JobInput> = if j.inputs().is_empty() {
            j.input().cloned().into_iter().collect()
        } else {
            j.inputs().to_vec()
        };
        let mut outputs: Vec<&et::types::JobOutput> = j.outputs().iter().collect();
        if outputs.is_empty() {
            outputs.extend(j.output());
        }
        let out = self
            .client
            .create_job()
            .set_pipeline_id(j.pipeline_id().map(str::to_string))
            .set_inputs(Some(inputs))
            .set_outputs(Some(outputs.into_iter().map(output_spec).collect()))
            .set_output_key_prefix(j.output_key_prefix().map(str::to_string))
            .set_playlists(
                Some(j.playlists().iter().map(playlist_spec).collect::<Vec<_>>())
                    .filter(|p| !p.is_empty()),
            )
            .set_user_metadata(Some(
                metadata
                    .iter()
                    .map(|(k, v)| (k.clone(), v.clone()))
                    .collect(),
            ))
            .send()
            .await
            .map_err(|e| classify(SERVICE, "CreateJob", &e))?;
        out.job()
            .and_then(|j| j.id())
            .map(str::to_string)
            .ok_or_else(|| super::sdk::no_job_id(SERVICE))
    }
}
