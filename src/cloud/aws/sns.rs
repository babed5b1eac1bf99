//! SNS over the SDK: only GetTopicAttributes, to check the alarm topic exists (`doctor`, and
//! before the first alarm is written).

use super::errors::Endpoint;
use crate::cloud::{CloudError, TopicInfo, Topics};
use async_trait::async_trait;
use aws_sdk_sns::Client;

pub struct SdkTopics {
    client: Client,
    endpoint: Endpoint,
}

impl SdkTopics {
    pub(crate) fn new(client: Client, endpoint: Endpoint) -> Self {
        Self { client, endpoint }
    }
}

#[async_trait]
impl Topics for SdkTopics {
    async fn get_topic_attributes(&self, topic_arn: &str) -> Result<TopicInfo, CloudError> {
        let out = self
            .client
            .get_topic_attributes()
            .topic_arn(topic_arn)
            .send()
            .await
            .map_err(|e| self.endpoint.map("GetTopicAttributes", e))?;
        let attributes = out.attributes();
        Ok(TopicInfo {
            arn: attributes
                .and_then(|a| a.get("TopicArn"))
                .cloned()
                .unwrap_or_else(|| topic_arn.to_string()),
            subscriptions_confirmed: attributes
                .and_then(|a| a.get("SubscriptionsConfirmed"))
                .and_then(|n| n.parse().ok()),
        })
    }
}
