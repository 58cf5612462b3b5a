use async_trait::async_trait;
use aws_sdk_sns as sns;

use super::sdk::{call, unbuilt};
use crate::notify::Publisher;
use crate::ports::ApiResult;

const SERVICE: &str = "sns";

/// SNS through the AWS SDK: publishes notices.
#[derive(Debug, Clone)]
pub struct SnsAdapter {
    client: sns::Client,
}

impl SnsAdapter {
    pub fn new(client: sns::Client) -> Self {
        Self { client }
    }
}

#[async_trait]
impl Publisher for SnsAdapter {
    async fn publish(
        &self,
        topic_arn: &str,
        subject: &str,
        message: &str,
        attributes: &[(String, String)],
    ) -> ApiResult<String> {
        let mut req = self
            .client
            .publish()
            .topic_arn(topic_arn)
            .subject(subject)
            .message(message)
            .message_structure("json");
        for (name, value) in attributes.iter().filter(|(_, v)| !v.is_empty()) {
            let attr = sns::types::MessageAttributeValue::builder()
                .data_type("String")
                .string_value(value)
                .build()
                .map_err(|e| unbuilt(SERVICE, "Publish", e))?;
            req = req.message_attributes(name, attr);
        }
        let out = call(SERVICE, "Publish", req.send()).await?;
        Ok(out.message_id().unwrap_or_default().to_string())
    }
}
