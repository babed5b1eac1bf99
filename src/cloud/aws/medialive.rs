//! MediaLive over the SDK.

use super::channel_request::{
    destination, encoder_settings, input_attachment, input_specification,
};
use super::errors::{Endpoint, map_channel};
use super::ratelimit::RateLimiter;
use crate::cloud::{
    Alert, BatchFailure, BatchResult, Channel, ChannelState, CloudError, CreateChannelRequest,
    CreateInputRequest, CreateInputSecurityGroupRequest, ErrorKind, Input, InputSecurityGroup,
    InputSource, InputState, MediaLive, SINGLE_PIPELINE_ID, Thumbnail, UpdateChannelRequest,
};
use async_trait::async_trait;
use aws_sdk_medialive::Client;
use aws_sdk_medialive::operation::create_channel::CreateChannelError;
use aws_sdk_medialive::operation::describe_thumbnails::DescribeThumbnailsError;
use aws_sdk_medialive::operation::update_channel::UpdateChannelError;
use aws_sdk_medialive::types::error::UnprocessableEntityException;
use aws_sdk_medialive::types::{
    ChannelClass, InputType, InputWhitelistRuleCidr, MediaConnectFlowRequest,
};
use std::collections::HashMap;
use std::sync::Arc;

pub struct SdkMediaLive {
    /// For describes and lists: the shorter deadline.
    client: Client,
    /// For creates, starts, stops, updates and deletes: the longer deadline.
    writes: Client,
    limiter: Arc<RateLimiter>,
    endpoint: Endpoint,
}

impl SdkMediaLive {
    /// One client for every call (the request-shape tests use this).
    pub fn new(client: Client, limiter: Arc<RateLimiter>) -> Self {
        let region = client.config().region().map(|r| r.to_string());
        let endpoint = Endpoint::resolve(None, "medialive", region.as_deref());
        Self::split(client.clone(), client, limiter, endpoint)
    }

    pub(crate) fn split(
        client: Client,
        writes: Client,
        limiter: Arc<RateLimiter>,
        endpoint: Endpoint,
    ) -> Self {
        Self {
            client,
            writes,
            limiter,
            endpoint,
        }
    }
}

fn create_unprocessable(e: &CreateChannelError) -> Option<&UnprocessableEntityException> {
    match e {
        CreateChannelError::UnprocessableEntityException(u) => Some(u),
        _ => None,
    }
}

fn update_unprocessable(e: &UpdateChannelError) -> Option<&UnprocessableEntityException> {
    match e {
        UpdateChannelError::UnprocessableEntityException(u) => Some(u),
        _ => None,
    }
}

fn state_of(call: &'static str, state: Option<&str>) -> Result<ChannelState, CloudError> {
    state.and_then(ChannelState::from_aws).ok_or_else(|| {
        CloudError::new(
            call,
            ErrorKind::Other,
            format!("unknown channel state {state:?}"),
        )
    })
}

fn tags_of(tags: Option<&HashMap<String, String>>) -> crate::cloud::Tags {
    tags.map(|t| t.iter().map(|(k, v)| (k.clone(), v.clone())).collect())
        .unwrap_or_default()
}

/// The fields every channel answer has, from DescribeChannel, Start/Stop/Delete and the list.
macro_rules! channel_from {
    ($call:expr, $c:expr) => {{
        let c = $c;
        Ok::<Channel, CloudError>(Channel {
            id: c.id().unwrap_or_default().to_string(),
            arn: c.arn().unwrap_or_default().to_string(),
            name: c.name().unwrap_or_default().to_string(),
            state: state_of($call, c.state().map(|s| s.as_str()))?,
            input_ids: c
                .input_attachments()
                .iter()
                .filter_map(|a| a.input_id().map(str::to_string))
                .collect(),
            destination_url: c
                .destinations()
                .first()
                .and_then(|d| d.settings().first())
                .and_then(|s| s.url().map(str::to_string)),
            tags: tags_of(c.tags()),
        })
    }};
}

macro_rules! input_from {
    ($call:expr, $i:expr) => {{
        let i = $i;
        let state = i.state().map(|s| s.as_str());
        Ok::<Input, CloudError>(Input {
            id: i.id().unwrap_or_default().to_string(),
            arn: i.arn().unwrap_or_default().to_string(),
            name: i.name().unwrap_or_default().to_string(),
            state: state.and_then(InputState::from_aws).ok_or_else(|| {
                CloudError::new(
                    $call,
                    ErrorKind::Other,
                    format!("unknown input state {state:?}"),
                )
            })?,
            input_type: i
                .r#type()
                .map(|t| crate::cloud::InputType::from_aws(t.as_str()))
                .unwrap_or_default(),
            attached_channels: i.attached_channels().to_vec(),
            destinations: i
                .destinations()
                .iter()
                .filter_map(|d| d.url().map(str::to_string))
                .collect(),
            flow_arns: i
                .media_connect_flows()
                .iter()
                .filter_map(|f| f.flow_arn().map(str::to_string))
                .collect(),
            security_groups: i.security_groups().to_vec(),
            tags: tags_of(i.tags()),
        })
    }};
}

fn security_group_from(g: &aws_sdk_medialive::types::InputSecurityGroup) -> InputSecurityGroup {
    InputSecurityGroup {
        id: g.id().unwrap_or_default().to_string(),
        arn: g.arn().unwrap_or_default().to_string(),
        state: g
            .state()
            .map(|s| s.as_str().to_string())
            .unwrap_or_default(),
        allowed_cidrs: g
            .whitelist_rules()
            .iter()
            .filter_map(|r| r.cidr().map(str::to_string))
            .collect(),
        inputs: g.inputs().to_vec(),
        tags: tags_of(g.tags()),
    }
}

macro_rules! batch_result {
    ($out:expr) => {{
        let out = $out;
        BatchResult {
            successful: out
                .successful()
                .iter()
                .filter_map(|s| s.id().map(str::to_string))
                .collect(),
            failed: out
                .failed()
                .iter()
                .map(|f| BatchFailure {
                    id: f.id().unwrap_or_default().to_string(),
                    code: f.code().unwrap_or_default().to_string(),
                    message: f.message().unwrap_or_default().to_string(),
                })
                .collect(),
        }
    }};
}

#[async_trait]
impl MediaLive for SdkMediaLive {
    async fn create_input(&self, req: CreateInputRequest) -> Result<Input, CloudError> {
        self.limiter.acquire().await;
        let mut call = self
            .writes
            .create_input()
            .name(&req.name)
            .request_id(&req.request_id)
            .set_tags(Some(req.tags.into_iter().collect()));
        call = match &req.source {
            InputSource::MediaConnect { flow_arn } => {
                call.r#type(InputType::Mediaconnect).media_connect_flows(
                    MediaConnectFlowRequest::builder()
                        .flow_arn(flow_arn)
                        .build(),
                )
            }
            InputSource::RtpPush { security_group_ids } => call
                .r#type(InputType::RtpPush)
                .set_input_security_groups(Some(security_group_ids.clone())),
        };
        if let Some(role) = &req.role_arn {
            call = call.role_arn(role);
        }
        let out = call
            .send()
            .await
            .map_err(|e| self.endpoint.map("CreateInput", e))?;
        let input = out.input().ok_or_else(|| {
            CloudError::new("CreateInput", ErrorKind::Other, "the answer has no input")
        })?;
        input_from!("CreateInput", input)
    }

    async fn describe_input(&self, input_id: &str) -> Result<Input, CloudError> {
        self.limiter.acquire().await;
        let out = self
            .client
            .describe_input()
            .input_id(input_id)
            .send()
            .await
            .map_err(|e| self.endpoint.map("DescribeInput", e))?;
        input_from!("DescribeInput", &out)
    }

    async fn list_inputs(&self) -> Result<Vec<Input>, CloudError> {
        let mut inputs = Vec::new();
        let mut token = None;
        loop {
            self.limiter.acquire().await;
            let out = self
                .client
                .list_inputs()
                .set_next_token(token)
                .send()
                .await
                .map_err(|e| self.endpoint.map("ListInputs", e))?;
            for i in out.inputs() {
                inputs.push(input_from!("ListInputs", i)?);
            }
            token = out.next_token().map(str::to_string);
            if token.is_none() {
                return Ok(inputs);
            }
        }
    }

    async fn delete_input(&self, input_id: &str) -> Result<(), CloudError> {
        self.limiter.acquire().await;
        self.writes
            .delete_input()
            .input_id(input_id)
            .send()
            .await
            .map_err(|e| self.endpoint.map("DeleteInput", e))?;
        Ok(())
    }

    async fn create_channel(&self, req: CreateChannelRequest) -> Result<Channel, CloudError> {
        self.limiter.acquire().await;
        let config = &req.config;
        let out = self
            .writes
            .create_channel()
            .name(&config.name)
            .request_id(&req.request_id)
            .channel_class(ChannelClass::SinglePipeline)
            .role_arn(&config.role_arn)
            .input_attachments(input_attachment(config))
            .input_specification(input_specification(config))
            .destinations(destination(config))
            .encoder_settings(encoder_settings(config))
            .set_tags(Some(req.tags.into_iter().collect()))
            .send()
            .await
            .map_err(|e| {
                map_channel(
                    &self.endpoint,
                    "CreateChannel",
                    e,
                    create_unprocessable,
                    &config.destination.stream_name,
                )
            })?;
        let channel = out.channel().ok_or_else(|| {
            CloudError::new(
                "CreateChannel",
                ErrorKind::Other,
                "the answer has no channel",
            )
        })?;
        channel_from!("CreateChannel", channel)
    }

    async fn describe_channel(&self, channel_id: &str) -> Result<Channel, CloudError> {
        self.limiter.acquire().await;
        let out = self
            .client
            .describe_channel()
            .channel_id(channel_id)
            .send()
            .await
            .map_err(|e| self.endpoint.map("DescribeChannel", e))?;
        channel_from!("DescribeChannel", &out)
    }

    async fn list_channels(&self) -> Result<Vec<Channel>, CloudError> {
        let mut channels = Vec::new();
        let mut token = None;
        loop {
            self.limiter.acquire().await;
            let out = self
                .client
                .list_channels()
                .set_next_token(token)
                .send()
                .await
                .map_err(|e| self.endpoint.map("ListChannels", e))?;
            for c in out.channels() {
                channels.push(channel_from!("ListChannels", c)?);
            }
            token = out.next_token().map(str::to_string);
            if token.is_none() {
                return Ok(channels);
            }
        }
    }

    async fn start_channel(&self, channel_id: &str) -> Result<Channel, CloudError> {
        self.limiter.acquire().await;
        let out = self
            .writes
            .start_channel()
            .channel_id(channel_id)
            .send()
            .await
            .map_err(|e| self.endpoint.map("StartChannel", e))?;
        channel_from!("StartChannel", &out)
    }

    async fn stop_channel(&self, channel_id: &str) -> Result<Channel, CloudError> {
        self.limiter.acquire().await;
        let out = self
            .writes
            .stop_channel()
            .channel_id(channel_id)
            .send()
            .await
            .map_err(|e| self.endpoint.map("StopChannel", e))?;
        channel_from!("StopChannel", &out)
    }

    async fn update_channel(&self, req: UpdateChannelRequest) -> Result<Channel, CloudError> {
        self.limiter.acquire().await;
        let config = &req.config;
        // UpdateChannel replaces the configuration whole: send all of it.
        let out = self
            .writes
            .update_channel()
            .channel_id(&req.channel_id)
            .name(&config.name)
            .role_arn(&config.role_arn)
            .input_attachments(input_attachment(config))
            .input_specification(input_specification(config))
            .destinations(destination(config))
            .encoder_settings(encoder_settings(config))
            .send()
            .await
            .map_err(|e| {
                map_channel(
                    &self.endpoint,
                    "UpdateChannel",
                    e,
                    update_unprocessable,
                    &config.destination.stream_name,
                )
            })?;
        let channel = out.channel().ok_or_else(|| {
            CloudError::new(
                "UpdateChannel",
                ErrorKind::Other,
                "the answer has no channel",
            )
        })?;
        channel_from!("UpdateChannel", channel)
    }

    async fn delete_channel(&self, channel_id: &str) -> Result<Channel, CloudError> {
        self.limiter.acquire().await;
        let out = self
            .writes
            .delete_channel()
            .channel_id(channel_id)
            .send()
            .await
            .map_err(|e| self.endpoint.map("DeleteChannel", e))?;
        channel_from!("DeleteChannel", &out)
    }

    async fn batch_start(&self, channel_ids: &[String]) -> Result<BatchResult, CloudError> {
        self.limiter.acquire().await;
        let out = self
            .writes
            .batch_start()
            .set_channel_ids(Some(channel_ids.to_vec()))
            .send()
            .await
            .map_err(|e| self.endpoint.map("BatchStart", e))?;
        Ok(batch_result!(out))
    }

    async fn list_alerts(&self, channel_id: &str) -> Result<Vec<Alert>, CloudError> {
        let mut alerts = Vec::new();
        let mut token = None;
        loop {
            self.limiter.acquire().await;
            let out = self
                .client
                .list_alerts()
                .channel_id(channel_id)
                .state_filter("SET")
                .set_next_token(token)
                .send()
                .await
                .map_err(|e| self.endpoint.map("ListAlerts", e))?;
            for a in out.alerts() {
                alerts.push(Alert {
                    alert_type: a.alert_type().unwrap_or_default().to_string(),
                    message: a.message().unwrap_or_default().to_string(),
                    set_at: a
                        .set_timestamp()
                        .and_then(|t| time::OffsetDateTime::from_unix_timestamp(t.secs()).ok()),
                });
            }
            token = out.next_token().map(str::to_string);
            if token.is_none() {
                return Ok(alerts);
            }
        }
    }

    async fn batch_stop(&self, channel_ids: &[String]) -> Result<BatchResult, CloudError> {
        self.limiter.acquire().await;
        let out = self
            .writes
            .batch_stop()
            .set_channel_ids(Some(channel_ids.to_vec()))
            .send()
            .await
            .map_err(|e| self.endpoint.map("BatchStop", e))?;
        Ok(batch_result!(out))
    }

    async fn create_input_security_group(
        &self,
        req: CreateInputSecurityGroupRequest,
    ) -> Result<InputSecurityGroup, CloudError> {
        const CALL: &str = "CreateInputSecurityGroup";
        self.limiter.acquire().await;
        let rules = req
            .allowed_cidrs
            .iter()
            .map(|cidr| InputWhitelistRuleCidr::builder().cidr(cidr).build())
            .collect();
        let out = self
            .writes
            .create_input_security_group()
            .set_whitelist_rules(Some(rules))
            .set_tags(Some(req.tags.into_iter().collect()))
            .send()
            .await
            .map_err(|e| self.endpoint.map(CALL, e))?;
        let group = out.security_group().ok_or_else(|| {
            CloudError::new(CALL, ErrorKind::Other, "the answer has no security group")
        })?;
        Ok(security_group_from(group))
    }

    async fn list_input_security_groups(&self) -> Result<Vec<InputSecurityGroup>, CloudError> {
        let mut groups = Vec::new();
        let mut token = None;
        loop {
            self.limiter.acquire().await;
            let out = self
                .client
                .list_input_security_groups()
                .set_next_token(token)
                .send()
                .await
                .map_err(|e| self.endpoint.map("ListInputSecurityGroups", e))?;
            groups.extend(out.input_security_groups().iter().map(security_group_from));
            token = out.next_token().map(str::to_string);
            if token.is_none() {
                return Ok(groups);
            }
        }
    }

    async fn delete_input_security_group(&self, group_id: &str) -> Result<(), CloudError> {
        self.limiter.acquire().await;
        self.writes
            .delete_input_security_group()
            .input_security_group_id(group_id)
            .send()
            .await
            .map_err(|e| self.endpoint.map("DeleteInputSecurityGroup", e))?;
        Ok(())
    }

    async fn describe_thumbnails(&self, channel_id: &str) -> Result<Option<Thumbnail>, CloudError> {
        const CALL: &str = "DescribeThumbnails";
        self.limiter.acquire().await;
        let answer = self
            .client
            .describe_thumbnails()
            .channel_id(channel_id)
            .pipeline_id(SINGLE_PIPELINE_ID)
            // The only type there is, yet required.
            .thumbnail_type("CURRENT_ACTIVE")
            .send()
            .await;
        let out = match answer {
            Ok(out) => out,
            // What a channel that isn't running answers (documented by third parties, not by
            // AWS): "no frame", not a failure worth a log line every refresh.
            Err(e)
                if matches!(
                    e.as_service_error(),
                    Some(DescribeThumbnailsError::BadRequestException(_))
                ) =>
            {
                return Ok(None);
            }
            Err(e) => return Err(self.endpoint.map(CALL, e)),
        };
        // Thumbnails switched off answer `{"ThumbnailDetails": []}`.
        let Some(thumbnail) = out
            .thumbnail_details()
            .iter()
            .filter(|d| d.pipeline_id().is_none_or(|p| p == SINGLE_PIPELINE_ID))
            .flat_map(|d| d.thumbnails())
            .find(|t| t.body().is_some_and(|b| !b.is_empty()))
        else {
            return Ok(None);
        };
        let body = aws_smithy_types::base64::decode(thumbnail.body().unwrap_or_default()).map_err(
            |e| {
                CloudError::new(
                    CALL,
                    ErrorKind::Other,
                    format!("the body is not base64: {e}"),
                )
            },
        )?;
        Ok(Some(Thumbnail {
            body,
            content_type: thumbnail.content_type().unwrap_or("image/jpeg").to_string(),
            taken_at: thumbnail
                .time_stamp()
                .and_then(|t| time::OffsetDateTime::from_unix_timestamp(t.secs()).ok()),
        }))
    }
}
