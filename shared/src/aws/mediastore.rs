use async_trait::async_trait;
use aws_sdk_mediastore as ms;

use super::sdk::{call, page, to_chrono};
use crate::model::{Container, Page};
use crate::ports::{AccessLogging, ApiResult, ContainerReader};

const SERVICE: &str = "mediastore";

/// MediaStore through the AWS SDK.
#[derive(Debug, Clone)]
pub struct MediaStoreAdapter {
    client: ms::Client,
}

impl MediaStoreAdapter {
    pub fn new(client: ms::Client) -> Self {
        Self { client }
    }
}

fn container(c: &ms::types::Container) -> Container {
    Container {
        name: c.name().unwrap_or_default().to_string(),
        status: c
            .status()
            .map(|s| s.as_str().to_string())
            .unwrap_or_default(),
        access_logging: c.access_logging_enabled().unwrap_or(false),
        arn: c.arn().map(str::to_string),
        created: to_chrono(c.creation_time()),
    }
}

#[async_trait]
impl ContainerReader for MediaStoreAdapter {
    async fn list_containers(
        &self,
        next_token: Option<&str>,
        max_results: Option<i32>,
    ) -> ApiResult<Page<Container>> {
        let list = self
            .client
            .list_containers()
            .set_next_token(next_token.map(str::to_string))
            .set_max_results(max_results);
        let out = call(SERVICE, "ListContainers", list.send()).await?;
        Ok(page(
            out.containers().iter().map(container),
            out.next_token(),
        ))
    }

    async fn describe_container(&self, name: &str) -> ApiResult<Container> {
        let describe = self.client.describe_container().container_name(name);
        let out = call(SERVICE, "DescribeContainer", describe.send()).await?;
        Ok(out.container().map(container).unwrap_or(Container {
            name: name.to_string(),
            status: String::new(),
            access_logging: false,
            arn: None,
            created: None,
        }))
    }
}

#[async_trait]
impl AccessLogging for MediaStoreAdapter {
    async fn start_access_logging(&self, name: &str) -> ApiResult<()> {
        let start = self.client.start_access_logging().container_name(name);
        call(SERVICE, "StartAccessLogging", start.send()).await?;
        Ok(())
    }

    async fn stop_access_logging(&self, name: &str) -> ApiResult<()> {
        let stop = self.client.stop_access_logging().container_name(name);
        call(SERVICE, "StopAccessLogging", stop.send()).await?;
        Ok(())
    }
}
