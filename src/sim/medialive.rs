//! MediaLive: inputs and single-pipeline channels, with AWS's states, delays and refusals.
//!
//! Realistic delays (seconds, scaled by `speed`): channel create 2–8, start 30–120, stop 10–40,
//! delete 5–20; input create 1–2, delete 1–3. DELETED channels and inputs drop out of the List
//! calls at once (AWS lists them briefly; the engine must not rely on either) and stay
//! describable as DELETED for 300 s (scaled) before Describe says NotFound.

use super::Simulator;
use super::errors::{self, conflict, not_found, validation};
use super::faults::Service;
use super::mediaconnect::FLOW_OUTPUT_LIMIT;
use super::world::{ChannelRec, InputRec, Pending, World};
use crate::cloud::{
    Alert, BatchFailure, BatchResult, Channel, ChannelConfig, ChannelState, CloudError,
    CreateChannelRequest, CreateInputRequest, CreateInputSecurityGroupRequest, ErrorKind,
    FlowOutput, Input, InputSecurityGroup, InputSource, InputState, InputType, MediaLive,
    UpdateChannelRequest,
};
use async_trait::async_trait;

const CHANNEL_CREATE: (f64, f64) = (2.0, 8.0);
const CHANNEL_START: (f64, f64) = (30.0, 120.0);
const CHANNEL_STOP: (f64, f64) = (10.0, 40.0);
const CHANNEL_DELETE: (f64, f64) = (5.0, 20.0);
const INPUT_CREATE: (f64, f64) = (1.0, 2.0);
const INPUT_DELETE: (f64, f64) = (1.0, 3.0);

impl World {
    fn create_input(&mut self, req: CreateInputRequest) -> Result<Input, CloudError> {
        const CALL: &str = "CreateInput";
        if !req.request_id.is_empty()
            && let Some(rec) = self
                .input_requests
                .get(&req.request_id)
                .and_then(|id| self.inputs.get(id))
        {
            return Ok(rec.input.clone());
        }
        check_name(CALL, "name", &req.name)?;
        let (input_type, flow_arns) = match &req.source {
            InputSource::MediaConnect { flow_arn } => {
                if flow_arn != &self.flow.arn {
                    return Err(validation(
                        CALL,
                        format!("mediaConnectFlows[0].flowArn: flow {flow_arn} does not exist"),
                    ));
                }
                if req.role_arn.as_deref().is_none_or(str::is_empty) {
                    return Err(validation(
                        CALL,
                        "roleArn: a role is required for MEDIACONNECT inputs",
                    ));
                }
                if self.flow.outputs.len() >= FLOW_OUTPUT_LIMIT {
                    return Err(CloudError::new(
                        CALL,
                        ErrorKind::QuotaExceeded,
                        format!("the flow already has {FLOW_OUTPUT_LIMIT} outputs"),
                    ));
                }
                (InputType::MediaConnect, vec![flow_arn.clone()])
            }
            InputSource::RtpPush { security_group_ids } => {
                if security_group_ids.is_empty() {
                    return Err(validation(
                        CALL,
                        "inputSecurityGroups: a push input needs an input security group",
                    ));
                }
                if let Some(missing) = security_group_ids
                    .iter()
                    .find(|g| !self.security_group_exists(g))
                {
                    return Err(validation(
                        CALL,
                        format!("inputSecurityGroups: security group '{missing}' does not exist"),
                    ));
                }
                (InputType::RtpPush, Vec::new())
            }
        };
        if self.live_inputs().count() >= self.input_quota {
            return Err(errors::input_quota(CALL, self.input_quota));
        }

        let id = self.new_medialive_id();
        let arn = format!(
            "arn:aws:medialive:{}:{}:input:{id}",
            Simulator::REGION,
            Simulator::ACCOUNT
        );
        let destinations = if input_type.is_push() {
            let (a, b, c) = (
                self.random_octet(),
                self.random_octet(),
                self.random_octet(),
            );
            vec![
                format!("rtp://10.{a}.{b}.{c}:5000"),
                format!("rtp://10.{a}.{b}.{}:5000", c.wrapping_add(1).max(1)),
            ]
        } else {
            Vec::new()
        };
        if input_type == InputType::MediaConnect {
            // MediaLive adds the flow output itself and tags it with the input's ARN.
            let output_arn = self.new_output_arn(&req.name);
            self.flow.outputs.push(FlowOutput {
                arn: output_arn,
                name: req.name.clone(),
                medialive_input_arn: Some(arn.clone()),
                destination: None,
                port: None,
                protocol: None,
                description: None,
            });
        }
        let input = Input {
            id: id.clone(),
            arn,
            name: req.name,
            state: InputState::Creating,
            input_type,
            attached_channels: Vec::new(),
            destinations,
            flow_arns,
            security_groups: match &req.source {
                InputSource::RtpPush { security_group_ids } => security_group_ids.clone(),
                InputSource::MediaConnect { .. } => Vec::new(),
            },
            tags: req.tags,
        };
        let at = self.after(INPUT_CREATE.0, INPUT_CREATE.1);
        let seq = self.next_seq();
        self.inputs.insert(
            id.clone(),
            InputRec {
                seq,
                input: input.clone(),
                pending: Some(Pending {
                    to: InputState::Detached,
                    at,
                }),
                forget_at: None,
            },
        );
        if !req.request_id.is_empty() {
            self.input_requests.insert(req.request_id, id);
        }
        Ok(input)
    }

    pub(crate) fn new_output_arn(&mut self, name: &str) -> String {
        let (a, b) = (self.random_hex(16), self.random_hex(12));
        format!(
            "arn:aws:mediaconnect:{}:{}:output:1-{a}-{b}:{name}",
            Simulator::REGION,
            Simulator::ACCOUNT
        )
    }

    fn describe_input(&self, id: &str) -> Result<Input, CloudError> {
        self.visible_input(id)
            .map(|r| r.input.clone())
            .ok_or_else(|| not_found("DescribeInput", "Input", id))
    }

    fn list_inputs(&self) -> Vec<Input> {
        let mut inputs: Vec<&InputRec> = self.live_inputs().collect();
        inputs.sort_by_key(|i| i.seq);
        inputs.into_iter().map(|i| i.input.clone()).collect()
    }

    fn delete_input(&mut self, id: &str) -> Result<(), CloudError> {
        const CALL: &str = "DeleteInput";
        let state = match self.inputs.get(id) {
            Some(r) if r.input.state != InputState::Deleted => r.input.state,
            _ => return Err(not_found(CALL, "Input", id)),
        };
        match state {
            InputState::Detached => {
                let at = self.after(INPUT_DELETE.0, INPUT_DELETE.1);
                if let Some(r) = self.inputs.get_mut(id) {
                    r.input.state = InputState::Deleting;
                    r.pending = Some(Pending {
                        to: InputState::Deleted,
                        at,
                    });
                }
                Ok(())
            }
            InputState::Attached => Err(conflict(
                CALL,
                "Cannot delete an input that is attached to a channel",
            )),
            other => Err(conflict(
                CALL,
                format!(
                    "Input '{id}' is {} and cannot be deleted now",
                    other.as_aws()
                ),
            )),
        }
    }

    /// The checks CreateChannel and UpdateChannel share: AWS validates the whole configuration.
    fn check_channel_config(
        &self,
        call: &'static str,
        config: &ChannelConfig,
        channel_id: Option<&str>,
    ) -> Result<(), CloudError> {
        check_name(call, "name", &config.name)?;
        check_name(
            call,
            "inputAttachments[0].inputAttachmentName",
            &config.input_attachment_name,
        )?;
        if config.role_arn.trim().is_empty() {
            return Err(validation(call, "roleArn: a MediaLive role is required"));
        }
        let url = &config.destination.url;
        if !(url.starts_with("rtmp://") || url.starts_with("rtmps://")) {
            return Err(validation(
                call,
                "destinations[0].settings[0].url: must be an rtmp:// or rtmps:// URL",
            ));
        }
        if config.destination.stream_name.is_empty() {
            return Err(validation(
                call,
                "destinations[0].settings[0].streamName: required for RTMP destinations",
            ));
        }
        let input = self
            .inputs
            .get(&config.input_id)
            .filter(|r| !matches!(r.input.state, InputState::Deleting | InputState::Deleted))
            .ok_or_else(|| {
                validation(
                    call,
                    format!(
                        "inputAttachments[0].inputId: input '{}' does not exist",
                        config.input_id
                    ),
                )
            })?;
        if let Some(other) = input
            .input
            .attached_channels
            .iter()
            .find(|c| Some(c.as_str()) != channel_id)
        {
            return Err(validation(
                call,
                format!(
                    "inputAttachments[0].inputId: input '{}' is already attached to channel {other}",
                    config.input_id
                ),
            ));
        }
        Ok(())
    }

    fn create_channel(&mut self, req: CreateChannelRequest) -> Result<Channel, CloudError> {
        const CALL: &str = "CreateChannel";
        if !req.request_id.is_empty()
            && let Some(ch) = self
                .channel_requests
                .get(&req.request_id)
                .and_then(|id| self.channels.get(id))
        {
            return Ok(ch.to_channel());
        }
        self.check_channel_config(CALL, &req.config, None)?;
        if self.live_channels().count() >= self.channel_quota {
            return Err(errors::channel_quota(CALL, self.channel_quota));
        }
        let id = self.new_medialive_id();
        let arn = format!(
            "arn:aws:medialive:{}:{}:channel:{id}",
            Simulator::REGION,
            Simulator::ACCOUNT
        );
        let at = self.after(CHANNEL_CREATE.0, CHANNEL_CREATE.1);
        let seq = self.next_seq();
        let input_id = req.config.input_id.clone();
        let rec = ChannelRec {
            seq,
            id: id.clone(),
            arn,
            config: req.config,
            tags: req.tags,
            state: ChannelState::Creating,
            pending: Some(Pending {
                to: ChannelState::Idle,
                at,
            }),
            running: Vec::new(),
            silenced: Vec::new(),
            fail_next_start: false,
            outage: None,
            alerts: Vec::new(),
            forget_at: None,
        };
        let channel = rec.to_channel();
        self.channels.insert(id.clone(), rec);
        self.attach(&input_id, &id);
        if !req.request_id.is_empty() {
            self.channel_requests.insert(req.request_id, id);
        }
        Ok(channel)
    }

    fn describe_channel(&self, id: &str) -> Result<Channel, CloudError> {
        self.visible_channel(id)
            .map(ChannelRec::to_channel)
            .ok_or_else(|| not_found("DescribeChannel", "Channel", id))
    }

    fn list_channels(&self) -> Vec<Channel> {
        let mut channels: Vec<&ChannelRec> = self.live_channels().collect();
        channels.sort_by_key(|c| c.seq);
        channels.into_iter().map(ChannelRec::to_channel).collect()
    }

    /// The channel's state, or NotFound if AWS no longer knows it (DELETED counts as gone for
    /// every call but Describe).
    fn live_state(&self, call: &'static str, id: &str) -> Result<ChannelState, CloudError> {
        match self.channels.get(id) {
            Some(c) if c.state != ChannelState::Deleted => Ok(c.state),
            _ => Err(not_found(call, "Channel", id)),
        }
    }

    fn set_pending(&mut self, id: &str, now: ChannelState, to: ChannelState, range: (f64, f64)) {
        let at = self.after(range.0, range.1);
        if let Some(ch) = self.channels.get_mut(id) {
            ch.state = now;
            ch.pending = Some(Pending { to, at });
        }
    }

    pub(super) fn start_channel(
        &mut self,
        call: &'static str,
        id: &str,
    ) -> Result<Channel, CloudError> {
        match self.live_state(call, id)? {
            ChannelState::Idle => {}
            ChannelState::Creating => {
                return Err(validation(
                    call,
                    format!("Channel '{id}' is still being created and cannot be started yet"),
                ));
            }
            other => {
                return Err(conflict(
                    call,
                    format!(
                        "Channel '{id}' is {} and can only be started when IDLE",
                        other.as_aws()
                    ),
                ));
            }
        }
        let fail = self
            .channels
            .get_mut(id)
            .map(|c| std::mem::take(&mut c.fail_next_start))
            .unwrap_or(false);
        let to = if fail {
            ChannelState::Idle
        } else {
            ChannelState::Running
        };
        self.set_pending(id, ChannelState::Starting, to, CHANNEL_START);
        self.describe_channel(id)
            .map_err(|e| CloudError { call, ..e })
    }

    pub(super) fn stop_channel(
        &mut self,
        call: &'static str,
        id: &str,
    ) -> Result<Channel, CloudError> {
        match self.live_state(call, id)? {
            ChannelState::Running | ChannelState::Recovering | ChannelState::Starting => {}
            other => {
                return Err(conflict(
                    call,
                    format!(
                        "Channel '{id}' is {} and cannot be stopped; it is not running",
                        other.as_aws()
                    ),
                ));
            }
        }
        self.end_running(id);
        self.set_pending(id, ChannelState::Stopping, ChannelState::Idle, CHANNEL_STOP);
        self.describe_channel(id)
            .map_err(|e| CloudError { call, ..e })
    }

    fn update_channel(&mut self, req: UpdateChannelRequest) -> Result<Channel, CloudError> {
        const CALL: &str = "UpdateChannel";
        let id = req.channel_id.as_str();
        match self.live_state(CALL, id)? {
            ChannelState::Idle | ChannelState::CreateFailed | ChannelState::UpdateFailed => {}
            ChannelState::Running
            | ChannelState::Starting
            | ChannelState::Stopping
            | ChannelState::Recovering => {
                return Err(conflict(
                    CALL,
                    "Cannot update a channel that has not been stopped yet",
                ));
            }
            other => {
                return Err(conflict(
                    CALL,
                    format!("Channel '{id}' is {} and cannot be updated", other.as_aws()),
                ));
            }
        }
        self.check_channel_config(CALL, &req.config, Some(id))?;
        let old_input = self
            .channels
            .get(id)
            .map(|c| c.config.input_id.clone())
            .unwrap_or_default();
        let new_input = req.config.input_id.clone();
        if let Some(ch) = self.channels.get_mut(id) {
            // UpdateChannel replaces the whole configuration; the state stays IDLE (AWS passes
            // through UPDATING for a moment, too briefly for a poller to rely on).
            ch.config = req.config;
        }
        if old_input != new_input {
            self.detach(&old_input, id);
            self.attach(&new_input, id);
        }
        self.describe_channel(id)
            .map_err(|e| CloudError { call: CALL, ..e })
    }

    fn delete_channel(&mut self, id: &str) -> Result<Channel, CloudError> {
        const CALL: &str = "DeleteChannel";
        match self.live_state(CALL, id)? {
            ChannelState::Idle | ChannelState::CreateFailed | ChannelState::UpdateFailed => {}
            ChannelState::Deleting => {
                return Err(conflict(
                    CALL,
                    format!("Channel '{id}' is already being deleted"),
                ));
            }
            ChannelState::Creating => {
                return Err(conflict(
                    CALL,
                    format!("Channel '{id}' is still being created and cannot be deleted yet"),
                ));
            }
            _ => {
                return Err(conflict(
                    CALL,
                    "Cannot delete a channel that has not been stopped yet",
                ));
            }
        }
        self.set_pending(
            id,
            ChannelState::Deleting,
            ChannelState::Deleted,
            CHANNEL_DELETE,
        );
        self.describe_channel(id)
            .map_err(|e| CloudError { call: CALL, ..e })
    }

    fn batch(
        &mut self,
        call: &'static str,
        ids: &[String],
        one: fn(&mut World, &'static str, &str) -> Result<Channel, CloudError>,
    ) -> BatchResult {
        let mut result = BatchResult::default();
        for id in ids {
            match one(self, call, id) {
                Ok(_) => result.successful.push(id.clone()),
                Err(e) => result.failed.push(BatchFailure {
                    id: id.clone(),
                    code: http_code(e.kind).to_string(),
                    message: e.message,
                }),
            }
        }
        result
    }
}

/// MediaLive's naming rule as the seed learned it: letters, digits and hyphens, no underscores.
fn check_name(call: &'static str, field: &str, name: &str) -> Result<(), CloudError> {
    if name.is_empty() || name.len() > 128 {
        return Err(validation(
            call,
            format!("{field}: must be 1 to 128 characters"),
        ));
    }
    if !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '-') {
        return Err(validation(
            call,
            format!("{field}: may contain only letters, digits and hyphens"),
        ));
    }
    Ok(())
}

fn http_code(kind: ErrorKind) -> &'static str {
    match kind {
        ErrorKind::Throttled => "429",
        ErrorKind::Conflict => "409",
        ErrorKind::NotFound => "404",
        ErrorKind::Validation => "422",
        ErrorKind::AccessDenied => "403",
        ErrorKind::QuotaExceeded => "429",
        ErrorKind::Timeout => "504",
        ErrorKind::Unavailable | ErrorKind::ConditionFailed | ErrorKind::Other => "500",
    }
}

#[async_trait]
impl MediaLive for Simulator {
    async fn create_input(&self, req: CreateInputRequest) -> Result<Input, CloudError> {
        self.call("CreateInput", Service::MediaLive, |w| w.create_input(req))
    }

    async fn describe_input(&self, input_id: &str) -> Result<Input, CloudError> {
        self.call("DescribeInput", Service::MediaLive, |w| {
            w.describe_input(input_id)
        })
    }

    async fn list_inputs(&self) -> Result<Vec<Input>, CloudError> {
        self.call("ListInputs", Service::MediaLive, |w| Ok(w.list_inputs()))
    }

    async fn delete_input(&self, input_id: &str) -> Result<(), CloudError> {
        self.call("DeleteInput", Service::MediaLive, |w| {
            w.delete_input(input_id)
        })
    }

    async fn create_channel(&self, req: CreateChannelRequest) -> Result<Channel, CloudError> {
        self.call("CreateChannel", Service::MediaLive, |w| {
            w.create_channel(req)
        })
    }

    async fn describe_channel(&self, channel_id: &str) -> Result<Channel, CloudError> {
        self.call("DescribeChannel", Service::MediaLive, |w| {
            w.describe_channel(channel_id)
        })
    }

    async fn list_channels(&self) -> Result<Vec<Channel>, CloudError> {
        self.call(
            "ListChannels",
            Service::MediaLive,
            |w| Ok(w.list_channels()),
        )
    }

    async fn start_channel(&self, channel_id: &str) -> Result<Channel, CloudError> {
        self.call("StartChannel", Service::MediaLive, |w| {
            w.start_channel("StartChannel", channel_id)
        })
    }

    async fn stop_channel(&self, channel_id: &str) -> Result<Channel, CloudError> {
        self.call("StopChannel", Service::MediaLive, |w| {
            w.stop_channel("StopChannel", channel_id)
        })
    }

    async fn update_channel(&self, req: UpdateChannelRequest) -> Result<Channel, CloudError> {
        self.call("UpdateChannel", Service::MediaLive, |w| {
            w.update_channel(req)
        })
    }

    async fn delete_channel(&self, channel_id: &str) -> Result<Channel, CloudError> {
        self.call("DeleteChannel", Service::MediaLive, |w| {
            w.delete_channel(channel_id)
        })
    }

    async fn batch_start(&self, channel_ids: &[String]) -> Result<BatchResult, CloudError> {
        self.call("BatchStart", Service::MediaLive, |w| {
            Ok(w.batch("BatchStart", channel_ids, World::start_channel))
        })
    }

    async fn batch_stop(&self, channel_ids: &[String]) -> Result<BatchResult, CloudError> {
        self.call("BatchStop", Service::MediaLive, |w| {
            Ok(w.batch("BatchStop", channel_ids, World::stop_channel))
        })
    }

    async fn list_alerts(&self, channel_id: &str) -> Result<Vec<Alert>, CloudError> {
        self.call("ListAlerts", Service::MediaLive, |w| {
            let now = w.wall_now();
            let channel = w
                .visible_channel(channel_id)
                .ok_or_else(|| not_found("ListAlerts", "Channel", channel_id))?;
            // A platform refusing the stream (`reject`, `revoke-key`) raises the alert MediaLive
            // raises; a channel silenced by the older fault reads the same way.
            let mut set: Vec<Alert> = w
                .set_alerts(channel)
                .into_iter()
                .map(|a| Alert {
                    alert_type: a.alert_type,
                    message: a.message,
                    set_at: Some(a.set_at),
                })
                .collect();
            if set.is_empty() && channel.state == ChannelState::Running && channel.is_silenced() {
                set.push(Alert {
                    alert_type: super::OUTPUT_ALERT.into(),
                    message: "Unable to connect to the RTMP destination: connection refused".into(),
                    set_at: Some(now),
                });
            }
            Ok(set)
        })
    }

    async fn create_input_security_group(
        &self,
        req: CreateInputSecurityGroupRequest,
    ) -> Result<InputSecurityGroup, CloudError> {
        self.sim_create_input_security_group(req).await
    }

    async fn list_input_security_groups(&self) -> Result<Vec<InputSecurityGroup>, CloudError> {
        self.sim_list_input_security_groups().await
    }

    async fn delete_input_security_group(&self, group_id: &str) -> Result<(), CloudError> {
        self.sim_delete_input_security_group(group_id).await
    }

    async fn describe_thumbnails(
        &self,
        channel_id: &str,
    ) -> Result<Option<crate::cloud::Thumbnail>, CloudError> {
        self.call("DescribeThumbnails", Service::MediaLive, |w| {
            w.describe_thumbnails(channel_id)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::super::SimConfig;
    use super::super::testutil::*;
    use super::*;
    use crate::cloud::MediaConnect;

    async fn state(sim: &Simulator, id: &str) -> ChannelState {
        sim.describe_channel(id).await.unwrap().state
    }

    #[tokio::test(start_paused = true)]
    async fn channel_is_created_within_two_to_eight_seconds() {
        let sim = sim();
        let input = sim.create_input(input_req("yt1", "r1")).await.unwrap();
        assert_eq!(input.state, InputState::Creating);
        secs(2.0).await;
        assert_eq!(
            sim.describe_input(&input.id).await.unwrap().state,
            InputState::Detached
        );
        let ch = sim
            .create_channel(channel_req("yt1", &input.id, "r2"))
            .await
            .unwrap();
        assert_eq!(ch.state, ChannelState::Creating);
        assert_eq!(
            ch.destination_url.as_deref(),
            Some("rtmp://a.rtmp.youtube.com/live2")
        );
        assert_eq!(ch.input_ids, vec![input.id.clone()]);
        secs(1.9).await;
        assert_eq!(state(&sim, &ch.id).await, ChannelState::Creating);
        secs(6.2).await;
        assert_eq!(state(&sim, &ch.id).await, ChannelState::Idle);
        let input = sim.describe_input(&input.id).await.unwrap();
        assert_eq!(input.state, InputState::Attached);
        assert_eq!(input.attached_channels, vec![ch.id]);
    }

    #[tokio::test(start_paused = true)]
    async fn start_takes_thirty_to_one_hundred_twenty_seconds_and_stop_ten_to_forty() {
        let sim = sim();
        let (_, ch) = idle_channel(&sim, "yt1").await;
        let started = sim.start_channel(&ch).await.unwrap();
        assert_eq!(started.state, ChannelState::Starting);
        secs(20.0).await;
        assert_eq!(state(&sim, &ch).await, ChannelState::Starting);
        secs(110.0).await;
        assert_eq!(state(&sim, &ch).await, ChannelState::Running);

        let stopped = sim.stop_channel(&ch).await.unwrap();
        assert_eq!(stopped.state, ChannelState::Stopping);
        secs(9.0).await;
        assert_eq!(state(&sim, &ch).await, ChannelState::Stopping);
        secs(32.0).await;
        assert_eq!(state(&sim, &ch).await, ChannelState::Idle);
    }

    #[tokio::test(start_paused = true)]
    async fn delete_ends_in_deleted_detaches_the_input_and_is_forgotten_later() {
        let sim = sim();
        let (input, ch) = idle_channel(&sim, "yt1").await;
        assert_eq!(
            sim.delete_channel(&ch).await.unwrap().state,
            ChannelState::Deleting
        );
        secs(4.0).await;
        assert_eq!(state(&sim, &ch).await, ChannelState::Deleting);
        assert_eq!(sim.list_channels().await.unwrap().len(), 1);
        secs(17.0).await;
        assert_eq!(state(&sim, &ch).await, ChannelState::Deleted);
        assert!(sim.list_channels().await.unwrap().is_empty());
        let input = sim.describe_input(&input).await.unwrap();
        assert_eq!(input.state, InputState::Detached);
        assert!(input.attached_channels.is_empty());
        secs(301.0).await;
        assert_eq!(
            sim.describe_channel(&ch).await.unwrap_err().kind,
            ErrorKind::NotFound
        );
    }

    #[tokio::test(start_paused = true)]
    async fn illegal_calls_fail_like_aws() {
        let sim = sim();
        let input = sim.create_input(input_req("a", "ra")).await.unwrap();
        secs(2.0).await;
        let ch = sim
            .create_channel(channel_req("a", &input.id, "rc"))
            .await
            .unwrap();
        // Starting during CREATING is a 400, not a 409.
        let err = sim.start_channel(&ch.id).await.unwrap_err();
        assert_eq!(
            (err.call, err.kind),
            ("StartChannel", ErrorKind::Validation)
        );
        assert_eq!(
            sim.delete_channel(&ch.id).await.unwrap_err().kind,
            ErrorKind::Conflict
        );
        secs(8.0).await;

        let err = sim.stop_channel(&ch.id).await.unwrap_err();
        assert_eq!((err.call, err.kind), ("StopChannel", ErrorKind::Conflict));

        sim.start_channel(&ch.id).await.unwrap();
        let err = sim.start_channel(&ch.id).await.unwrap_err();
        assert_eq!((err.call, err.kind), ("StartChannel", ErrorKind::Conflict));
        let err = sim.delete_channel(&ch.id).await.unwrap_err();
        assert_eq!((err.call, err.kind), ("DeleteChannel", ErrorKind::Conflict));
        assert_eq!(
            err.message,
            "Cannot delete a channel that has not been stopped yet"
        );
        let update = UpdateChannelRequest {
            channel_id: ch.id.clone(),
            config: channel_config("a", &input.id),
        };
        let err = sim.update_channel(update).await.unwrap_err();
        assert_eq!((err.call, err.kind), ("UpdateChannel", ErrorKind::Conflict));
        let err = sim.delete_input(&input.id).await.unwrap_err();
        assert_eq!((err.call, err.kind), ("DeleteInput", ErrorKind::Conflict));

        for err in [
            sim.describe_channel("9999999").await.unwrap_err(),
            sim.start_channel("9999999").await.unwrap_err(),
            sim.stop_channel("9999999").await.unwrap_err(),
            sim.delete_channel("9999999").await.unwrap_err(),
            sim.describe_input("9999999").await.unwrap_err(),
            sim.delete_input("9999999").await.unwrap_err(),
        ] {
            assert_eq!(err.kind, ErrorKind::NotFound, "{err}");
        }
    }

    #[tokio::test(start_paused = true)]
    async fn bad_channel_configs_are_refused_without_creating_anything() {
        let sim = sim();
        let input = sim.create_input(input_req("a", "ra")).await.unwrap();
        let mut underscore = channel_req("a", &input.id, "r1");
        underscore.config.name = "my_channel".into();
        let mut http = channel_req("a", &input.id, "r2");
        http.config.destination.url = "http://example.com/live".into();
        let mut no_key = channel_req("a", &input.id, "r3");
        no_key.config.destination.stream_name = crate::domain::StreamKey::new("");
        let missing_input = channel_req("a", "1234567", "r4");
        for req in [underscore, http, no_key, missing_input] {
            let err = sim.create_channel(req).await.unwrap_err();
            assert_eq!(err.kind, ErrorKind::Validation, "{err}");
        }
        assert!(sim.snapshot().channels.is_empty());
    }

    #[tokio::test(start_paused = true)]
    async fn a_repeated_request_id_returns_the_same_resource_without_using_quota() {
        let sim = sim_with(SimConfig {
            channel_quota: 1,
            input_quota: 1,
            ..SimConfig::unlimited()
        });
        let a = sim.create_input(input_req("a", "in-1")).await.unwrap();
        let b = sim.create_input(input_req("a", "in-1")).await.unwrap();
        assert_eq!(a.id, b.id);
        let c1 = sim
            .create_channel(channel_req("a", &a.id, "ch-1"))
            .await
            .unwrap();
        let c2 = sim
            .create_channel(channel_req("a", &a.id, "ch-1"))
            .await
            .unwrap();
        assert_eq!(c1.id, c2.id);
        let snap = sim.snapshot();
        assert_eq!((snap.channels.len(), snap.inputs.len()), (1, 1));
        assert_eq!(snap.flow_outputs.len(), 1);
    }

    #[tokio::test(start_paused = true)]
    async fn quotas_count_live_resources() {
        let sim = sim_with(SimConfig {
            channel_quota: 2,
            input_quota: 3,
            ..SimConfig::unlimited()
        });
        let mut inputs = Vec::new();
        for i in 0..3 {
            inputs.push(
                sim.create_input(input_req(&format!("in{i}"), &format!("ri{i}")))
                    .await
                    .unwrap()
                    .id,
            );
        }
        let err = sim.create_input(input_req("in3", "ri3")).await.unwrap_err();
        assert_eq!(
            (err.call, err.kind),
            ("CreateInput", ErrorKind::QuotaExceeded)
        );
        secs(2.0).await;
        let first = sim
            .create_channel(channel_req("c0", &inputs[0], "rc0"))
            .await
            .unwrap();
        sim.create_channel(channel_req("c1", &inputs[1], "rc1"))
            .await
            .unwrap();
        let err = sim
            .create_channel(channel_req("c2", &inputs[2], "rc2"))
            .await
            .unwrap_err();
        assert_eq!(
            (err.call, err.kind),
            ("CreateChannel", ErrorKind::QuotaExceeded)
        );
        assert!(err.message.contains("limit of 2 channels"), "{err}");

        secs(8.0).await;
        sim.delete_channel(&first.id).await.unwrap();
        secs(20.0).await;
        sim.create_channel(channel_req("c2", &inputs[2], "rc2"))
            .await
            .unwrap();
    }

    #[tokio::test(start_paused = true)]
    async fn a_mediaconnect_input_adds_a_flow_output_and_deleting_it_removes_it() {
        let sim = sim();
        let input = sim.create_input(input_req("yt1", "r1")).await.unwrap();
        assert_eq!(input.input_type, InputType::MediaConnect);
        assert_eq!(input.flow_arns, vec![Simulator::FLOW_ARN.to_string()]);
        let flow = sim.describe_flow(Simulator::FLOW_ARN).await.unwrap();
        assert_eq!(flow.outputs.len(), 1);
        assert_eq!(flow.outputs[0].name, "yt1");
        assert_eq!(
            flow.outputs[0].medialive_input_arn.as_deref(),
            Some(input.arn.as_str())
        );
        assert!(
            flow.outputs[0]
                .arn
                .starts_with("arn:aws:mediaconnect:us-east-1:")
        );

        // Deleting while CREATING is refused; once DETACHED it goes.
        assert_eq!(
            sim.delete_input(&input.id).await.unwrap_err().kind,
            ErrorKind::Conflict
        );
        secs(2.0).await;
        sim.delete_input(&input.id).await.unwrap();
        assert_eq!(
            sim.describe_input(&input.id).await.unwrap().state,
            InputState::Deleting
        );
        secs(3.0).await;
        assert_eq!(
            sim.describe_input(&input.id).await.unwrap().state,
            InputState::Deleted
        );
        assert!(
            sim.describe_flow(Simulator::FLOW_ARN)
                .await
                .unwrap()
                .outputs
                .is_empty()
        );
        assert!(sim.list_inputs().await.unwrap().is_empty());
    }

    #[tokio::test(start_paused = true)]
    async fn an_rtp_push_input_gets_two_endpoints_and_no_flow_output() {
        let sim = sim();
        let group = sim
            .create_input_security_group(CreateInputSecurityGroupRequest {
                allowed_cidrs: vec!["3.224.17.99/32".into()],
                tags: Default::default(),
            })
            .await
            .unwrap();
        let mut req = input_req("push", "r1");
        req.source = InputSource::RtpPush {
            security_group_ids: vec![group.id],
        };
        let input = sim.create_input(req).await.unwrap();
        assert_eq!(input.input_type, InputType::RtpPush);
        assert_eq!(input.destinations.len(), 2);
        for d in &input.destinations {
            assert!(d.starts_with("rtp://10.") && d.ends_with(":5000"), "{d}");
        }
        let (host, port) = input.first_endpoint().unwrap();
        assert!(host.starts_with("10.") && port == 5000, "{host}:{port}");
        assert!(sim.snapshot().flow_outputs.is_empty());
    }

    #[tokio::test(start_paused = true)]
    async fn update_replaces_the_config_of_an_idle_channel() {
        let sim = sim();
        let (input, ch) = idle_channel(&sim, "yt1").await;
        let mut config = channel_config("yt1-renamed", &input);
        config.destination.url = "rtmps://live-api-s.facebook.com:443/rtmp".into();
        let updated = sim
            .update_channel(UpdateChannelRequest {
                channel_id: ch.clone(),
                config,
            })
            .await
            .unwrap();
        assert_eq!(updated.name, "yt1-renamed");
        assert_eq!(updated.state, ChannelState::Idle);
        assert_eq!(
            updated.destination_url.as_deref(),
            Some("rtmps://live-api-s.facebook.com:443/rtmp")
        );
    }

    #[tokio::test(start_paused = true)]
    async fn batch_start_reports_each_channel() {
        let sim = sim();
        let (_, a) = idle_channel(&sim, "a").await;
        let result = sim
            .batch_start(&[a.clone(), "7777777".to_string()])
            .await
            .unwrap();
        assert_eq!(result.successful, vec![a.clone()]);
        assert_eq!(result.failed.len(), 1);
        assert_eq!(result.failed[0].code, "404");
        assert_eq!(state(&sim, &a).await, ChannelState::Starting);
        let result = sim.batch_stop(std::slice::from_ref(&a)).await.unwrap();
        assert_eq!(result.successful, vec![a.clone()]);
        assert_eq!(sim.call_counts().get("BatchStart"), Some(&1));
    }

    #[tokio::test(start_paused = true)]
    async fn the_stream_key_appears_in_no_answer_error_or_debug_output() {
        let sim = sim();
        let (input, ch) = running_channel(&sim, "yt1").await;
        let mut shown = format!(
            "{:?} {:?} {:?}",
            sim.snapshot(),
            sim.describe_channel(&ch).await.unwrap(),
            sim.list_channels().await.unwrap()
        );
        let update = UpdateChannelRequest {
            channel_id: ch.clone(),
            config: channel_config("yt1", &input),
        };
        let err = sim.update_channel(update).await.unwrap_err();
        shown += &format!("{err} {err:?}");
        shown += &format!("{:?}", *sim.lock().channels.get(&ch).unwrap());
        assert!(!shown.contains("SECRET"), "{shown}");
    }
}
