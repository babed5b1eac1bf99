//! Shared setup for the simulator's tests.

use super::{SimConfig, Simulator};
use crate::clock::Clock;
use crate::cloud::{
    ChannelConfig, ChannelEncoding, ChannelState, CreateChannelRequest, CreateInputRequest,
    InputSource, MediaLive, RtmpDestination, RtmpReconnect, Tags,
};
use crate::domain::StreamKey;
use std::sync::Arc;
use std::time::Duration;

pub const KEY: &str = "abcd-SECRET-efgh-1234";
/// 1080p30: 6 Mb/s video + 128 kb/s audio.
pub const NOMINAL_MBPS: f64 = 6.128;

pub fn clock() -> Clock {
    Clock::starting_at(time::macros::datetime!(2026-11-25 10:00 UTC))
}

/// Realistic delays, no rate limit.
pub fn sim() -> Arc<Simulator> {
    sim_with(SimConfig::unlimited())
}

pub fn sim_with(config: SimConfig) -> Arc<Simulator> {
    Simulator::new(config, clock())
}

pub async fn secs(n: f64) {
    tokio::time::advance(Duration::from_secs_f64(n)).await;
}

pub fn tags(dest: &str) -> Tags {
    [
        ("onair:managed".to_string(), "true".to_string()),
        ("onair:destination-id".to_string(), dest.to_string()),
    ]
    .into()
}

pub fn input_req(name: &str, request_id: &str) -> CreateInputRequest {
    CreateInputRequest {
        name: name.to_string(),
        request_id: request_id.to_string(),
        source: InputSource::MediaConnect {
            flow_arn: Simulator::FLOW_ARN.to_string(),
        },
        role_arn: Some(Simulator::ROLE_ARN.to_string()),
        tags: tags(name),
    }
}

pub fn channel_config(name: &str, input_id: &str) -> ChannelConfig {
    ChannelConfig {
        name: name.to_string(),
        role_arn: Simulator::ROLE_ARN.to_string(),
        input_id: input_id.to_string(),
        input_attachment_name: format!("{name}-in"),
        destination: RtmpDestination {
            url: "rtmp://a.rtmp.youtube.com/live2".to_string(),
            stream_name: StreamKey::new(KEY),
        },
        encoding: ChannelEncoding {
            width: 1920,
            height: 1080,
            framerate_numerator: 30,
            framerate_denominator: 1,
            video_bitrate: 6_000_000,
            gop_seconds: 2.0,
            audio_bitrate: 128_000,
            audio_sample_rate: 48_000,
        },
        reconnect: RtmpReconnect::default(),
    }
}

pub fn channel_req(name: &str, input_id: &str, request_id: &str) -> CreateChannelRequest {
    CreateChannelRequest {
        config: channel_config(name, input_id),
        request_id: request_id.to_string(),
        tags: tags(name),
    }
}

/// An input and an IDLE channel on it; returns (input id, channel id).
pub async fn idle_channel(sim: &Simulator, name: &str) -> (String, String) {
    let input = sim
        .create_input(input_req(name, &format!("{name}-input")))
        .await
        .unwrap();
    secs(2.0).await;
    let ch = sim
        .create_channel(channel_req(name, &input.id, &format!("{name}-channel")))
        .await
        .unwrap();
    secs(8.0).await;
    assert_eq!(
        sim.describe_channel(&ch.id).await.unwrap().state,
        ChannelState::Idle
    );
    (input.id, ch.id)
}

/// As [`idle_channel`], then started and RUNNING.
pub async fn running_channel(sim: &Simulator, name: &str) -> (String, String) {
    let (input, ch) = idle_channel(sim, name).await;
    sim.start_channel(&ch).await.unwrap();
    secs(120.0).await;
    assert_eq!(
        sim.describe_channel(&ch).await.unwrap().state,
        ChannelState::Running
    );
    (input, ch)
}
