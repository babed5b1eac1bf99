//! The MediaLive channel onair builds from a preset, with the seed's hard-won rules in one place:
//! SINGLE_PIPELINE, exactly one destination setting, an audio selector named on the attachment
//! and by every audio description, an explicit frame rate (INITIALIZE_FROM_SOURCE is billed at
//! the 30–60 fps tier), a closed 2 s GOP, and an RTMP output group that keeps sending slate when
//! the source drops.

use crate::cloud::ChannelConfig;
use crate::cloud::RTMP_OUTPUT_GROUP as OUTPUT_GROUP_NAME;
use aws_sdk_medialive::types::{
    AacCodingMode, AacProfile, AacSettings, AudioCodecSettings, AudioDescription, AudioSelector,
    EncoderSettings, H264FramerateControl, H264GopSizeUnits, H264ParControl, H264Profile,
    H264RateControlMode, H264ScanType, H264Settings, InputAttachment, InputCodec,
    InputLossActionForRtmpOut, InputMaximumBitrate, InputResolution, InputSettings,
    InputSpecification, Output, OutputDestination, OutputDestinationSettings, OutputGroup,
    OutputGroupSettings, OutputLocationRef, OutputSettings, RtmpCacheFullBehavior,
    RtmpGroupSettings, RtmpOutputSettings, ThumbnailConfiguration, ThumbnailState, TimecodeConfig,
    TimecodeConfigSource, VideoCodecSettings, VideoDescription,
};

pub const DESTINATION_ID: &str = "platform";
pub const AUDIO_SELECTOR: &str = "default";
const VIDEO_NAME: &str = "video";
const AUDIO_NAME: &str = "audio";

/// One attachment of the input, with the audio selector every audio description names.
pub fn input_attachment(config: &ChannelConfig) -> InputAttachment {
    InputAttachment::builder()
        .input_id(&config.input_id)
        .input_attachment_name(&config.input_attachment_name)
        .input_settings(
            InputSettings::builder()
                .audio_selectors(AudioSelector::builder().name(AUDIO_SELECTOR).build())
                .build(),
        )
        .build()
}

/// Exactly one setting: URL and stream name (the key). A single-pipeline channel refuses more.
pub fn destination(config: &ChannelConfig) -> OutputDestination {
    OutputDestination::builder()
        .id(DESTINATION_ID)
        .settings(
            OutputDestinationSettings::builder()
                .url(&config.destination.url)
                .stream_name(config.destination.stream_name.expose())
                .build(),
        )
        .build()
}

/// What the input receives, so MediaLive bills the right input tier.
pub fn input_specification(config: &ChannelConfig) -> InputSpecification {
    let e = &config.encoding;
    let resolution = if e.height > 1080 {
        InputResolution::Uhd
    } else if e.height >= 720 {
        InputResolution::Hd
    } else {
        InputResolution::Sd
    };
    InputSpecification::builder()
        .codec(InputCodec::Avc)
        .resolution(resolution)
        .maximum_bitrate(InputMaximumBitrate::Max20Mbps)
        .build()
}

pub fn encoder_settings(config: &ChannelConfig) -> EncoderSettings {
    let e = &config.encoding;
    let h264 = H264Settings::builder()
        .rate_control_mode(H264RateControlMode::Cbr)
        .bitrate(clamp_i32(e.video_bitrate))
        .buf_size(clamp_i32(e.video_bitrate.saturating_mul(2)))
        .framerate_control(H264FramerateControl::Specified)
        .framerate_numerator(clamp_i32(e.framerate_numerator))
        .framerate_denominator(clamp_i32(e.framerate_denominator))
        .gop_size(e.gop_seconds)
        .gop_size_units(H264GopSizeUnits::Seconds)
        .gop_closed_cadence(1)
        .profile(H264Profile::High)
        .scan_type(H264ScanType::Progressive)
        .par_control(H264ParControl::Specified)
        .par_numerator(1)
        .par_denominator(1)
        .build();
    let video = VideoDescription::builder()
        .name(VIDEO_NAME)
        .width(clamp_i32(e.width))
        .height(clamp_i32(e.height))
        .codec_settings(VideoCodecSettings::builder().h264_settings(h264).build())
        .build();
    let audio = AudioDescription::builder()
        .name(AUDIO_NAME)
        .audio_selector_name(AUDIO_SELECTOR)
        .codec_settings(
            AudioCodecSettings::builder()
                .aac_settings(
                    AacSettings::builder()
                        .bitrate(f64::from(e.audio_bitrate))
                        .sample_rate(f64::from(e.audio_sample_rate))
                        .coding_mode(AacCodingMode::CodingMode20)
                        .profile(AacProfile::Lc)
                        .build(),
                )
                .build(),
        )
        .build();
    let output = Output::builder()
        .output_name("rtmp-out")
        .video_description_name(VIDEO_NAME)
        .audio_description_names(AUDIO_NAME)
        .output_settings(
            OutputSettings::builder()
                .rtmp_output_settings(
                    RtmpOutputSettings::builder()
                        .destination(
                            OutputLocationRef::builder()
                                .destination_ref_id(DESTINATION_ID)
                                .build(),
                        )
                        // The reconnect window (config `rtmp_reconnect_window`): a platform
                        // outage shorter than it is ridden out; a longer one stops the channel.
                        .connection_retry_interval(clamp_i32(config.reconnect.retry_interval))
                        .num_retries(clamp_i32(config.reconnect.num_retries))
                        .build(),
                )
                .build(),
        )
        .build();
    let group = OutputGroup::builder()
        .name(OUTPUT_GROUP_NAME)
        .output_group_settings(
            OutputGroupSettings::builder()
                .rtmp_group_settings(
                    RtmpGroupSettings::builder()
                        .input_loss_action(InputLossActionForRtmpOut::EmitOutput)
                        // A server that stalls is disconnected at once and enters the retry loop
                        // whose length onair chose, rather than WAIT_FOR_SERVER's fixed 5 minutes
                        // on top of it, during which the platform shows nothing and the window
                        // the operator configured would not hold.
                        .cache_full_behavior(RtmpCacheFullBehavior::DisconnectImmediately)
                        .cache_length(clamp_i32(config.reconnect.cache_length))
                        .restart_delay(clamp_i32(config.reconnect.restart_delay))
                        .build(),
                )
                .build(),
        )
        .outputs(output)
        .build();
    EncoderSettings::builder()
        .video_descriptions(video)
        .audio_descriptions(audio)
        .output_groups(group)
        .timecode_config(
            TimecodeConfig::builder()
                .source(TimecodeConfigSource::Systemclock)
                .build(),
        )
        // Off unless asked for, and only switchable while the channel is idle: without it the
        // details view's preview (DescribeThumbnails) would always be empty.
        .thumbnail_configuration(
            ThumbnailConfiguration::builder()
                .state(ThumbnailState::Auto)
                .build(),
        )
        .build()
}

fn clamp_i32(v: u32) -> i32 {
    i32::try_from(v).unwrap_or(i32::MAX)
}
