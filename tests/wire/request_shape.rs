//! Request-shape tests for the real MediaLive backend: `SdkMediaLive` over an SDK client whose
//! transport is aws-smithy-mocks. Every assertion is made on the JSON the SDK actually put on the
//! wire (captured by an interceptor just before transmit, once per attempt), so they hold for
//! what AWS would receive, retries included. The seed's lessons (BRIEF §3) are checked here.

use aws_sdk_medialive::Client;
use aws_sdk_medialive::config::interceptors::BeforeTransmitInterceptorContextRef;
use aws_sdk_medialive::config::retry::RetryConfig;
use aws_sdk_medialive::config::{ConfigBag, Intercept, RuntimeComponents};
use aws_sdk_medialive::operation::create_channel::CreateChannelOutput;
use aws_sdk_medialive::operation::create_input::CreateInputOutput;
use aws_sdk_medialive::operation::describe_channel::DescribeChannelOutput;
use aws_sdk_medialive::operation::describe_input::DescribeInputOutput;
use aws_sdk_medialive::types;
use aws_smithy_mocks::{Rule, RuleMode, mock, mock_client};
use aws_smithy_runtime_api::box_error::BoxError;
use aws_smithy_runtime_api::client::orchestrator::HttpResponse;
use aws_smithy_runtime_api::http::StatusCode;
use aws_smithy_types::body::SdkBody;
use onair::clock::Clock;
use onair::cloud::aws::SdkMediaLive;
use onair::cloud::aws::ratelimit::RateLimiter;
use onair::cloud::{
    ChannelConfig, ChannelEncoding, CloudError, CreateChannelRequest, CreateInputRequest,
    CreateInputSecurityGroupRequest, ErrorKind, InputSource, MediaLive, RtmpDestination,
};
use onair::domain::naming::{resource_name, tags};
use onair::domain::{Catalog, DestinationDraft, DestinationId, Status, StreamKey};
use onair::engine::{Engine, EngineConfig};
use onair::sim::{SimConfig, Simulator};
use serde_json::Value;
use std::sync::{Arc, Mutex};
use std::time::Duration;

const KEY: &str = "live-KEY-shape-9f3a-7c21";
const RTMP_URL: &str = "rtmp://a.rtmp.youtube.com/live2";
const ROLE_ARN: &str = "arn:aws:iam::111122223333:role/MediaLiveAccessRole";
const FLOW_ARN: &str =
    "arn:aws:mediaconnect:us-east-1:111122223333:flow:1-AwYHAQ8BBgcPDg4E-7c3b9a1d2e4f:onair-show";
const CHANNEL_ID: &str = "1234567";
/// The table the directly built requests name (the engine's own requests name its table).
const TABLE: &str = "shows-a";
const INPUT_ID: &str = "7654321";

// ---------------------------------------------------------------------------------------------
// The wire: every HTTP request the SDK transmits, one entry per attempt.

#[derive(Debug, Clone)]
struct Sent {
    method: String,
    uri: String,
    body: Value,
}

#[derive(Debug, Clone, Default)]
struct Wire(Arc<Mutex<Vec<Sent>>>);

impl Wire {
    fn all(&self) -> Vec<Sent> {
        self.0.lock().unwrap().clone()
    }

    /// Requests to `POST <path>` (the MediaLive REST routes), in order.
    fn posts_to(&self, path: &str) -> Vec<Sent> {
        self.all()
            .into_iter()
            .filter(|s| s.method == "POST" && uri_path(&s.uri) == path)
            .collect()
    }

    fn create_channels(&self) -> Vec<Value> {
        self.posts_to("/prod/channels")
            .into_iter()
            .map(|s| s.body)
            .collect()
    }

    fn create_inputs(&self) -> Vec<Value> {
        self.posts_to("/prod/inputs")
            .into_iter()
            .map(|s| s.body)
            .collect()
    }
}

fn uri_path(uri: &str) -> &str {
    let after_scheme = uri.split_once("://").map_or(uri, |(_, rest)| rest);
    let path = after_scheme.find('/').map_or("/", |i| &after_scheme[i..]);
    path.split('?').next().unwrap_or(path)
}

impl Intercept for Wire {
    fn name(&self) -> &'static str {
        "Wire"
    }

    fn read_before_transmit(
        &self,
        context: &BeforeTransmitInterceptorContextRef<'_>,
        _components: &RuntimeComponents,
        _cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        let request = context.request();
        let body = request
            .body()
            .bytes()
            .filter(|b| !b.is_empty())
            .map(|b| serde_json::from_slice(b).expect("MediaLive bodies are JSON"))
            .unwrap_or(Value::Null);
        self.0.lock().unwrap().push(Sent {
            method: request.method().to_string(),
            uri: request.uri().to_string(),
            body,
        });
        Ok(())
    }
}

// ---------------------------------------------------------------------------------------------
// Clients and canned answers.

/// A mocked MediaLive client that records what it sends; the SDK retries up to `attempts` times
/// with millisecond backoff.
fn client(rules: &[&Rule], attempts: u32) -> (Client, Wire) {
    let wire = Wire::default();
    let captured = wire.clone();
    let client = mock_client!(aws_sdk_medialive, RuleMode::MatchAny, rules, move |b| {
        let retry = if attempts <= 1 {
            RetryConfig::disabled()
        } else {
            RetryConfig::standard()
                .with_max_attempts(attempts)
                .with_initial_backoff(Duration::from_millis(1))
                .with_max_backoff(Duration::from_millis(2))
        };
        b.retry_config(retry).interceptor(captured.clone())
    });
    (client, wire)
}

fn backend(client: Client) -> SdkMediaLive {
    SdkMediaLive::new(client, Arc::new(RateLimiter::new(1000.0, 1000.0)))
}

/// An error answer the way MediaLive sends it (restJson1: error type header, JSON body).
fn aws_error(status: u16, error_type: &'static str, body: Value) -> HttpResponse {
    let mut response = HttpResponse::new(
        StatusCode::try_from(status).unwrap(),
        SdkBody::from(body.to_string()),
    );
    response
        .headers_mut()
        .insert("content-type", "application/json");
    response
        .headers_mut()
        .insert("x-amzn-errortype", error_type);
    response
        .headers_mut()
        .insert("x-amzn-requestid", "5b2e1c3d-0000-4000-8000-000000000001");
    response
}

fn channel(state: types::ChannelState) -> types::Channel {
    types::Channel::builder()
        .id(CHANNEL_ID)
        .arn(format!(
            "arn:aws:medialive:us-east-1:111122223333:channel:{CHANNEL_ID}"
        ))
        .name("onair-shape")
        .state(state)
        .build()
}

fn created_channel() -> CreateChannelOutput {
    CreateChannelOutput::builder()
        .channel(channel(types::ChannelState::Creating))
        .build()
}

fn created_input() -> CreateInputOutput {
    CreateInputOutput::builder()
        .input(
            types::Input::builder()
                .id(INPUT_ID)
                .arn(format!(
                    "arn:aws:medialive:us-east-1:111122223333:input:{INPUT_ID}"
                ))
                .name("onair-shape")
                .state(types::InputState::Detached)
                .r#type(types::InputType::Mediaconnect)
                .build(),
        )
        .build()
}

fn encoding_1080p30() -> ChannelEncoding {
    let catalog = Catalog::builtin();
    ChannelEncoding::from(catalog.get("1080p30").expect("built-in preset"))
}

fn channel_request(id: &DestinationId, display_name: &str) -> CreateChannelRequest {
    let name = resource_name(display_name, id);
    CreateChannelRequest {
        config: ChannelConfig {
            name: name.clone(),
            role_arn: ROLE_ARN.to_string(),
            input_id: INPUT_ID.to_string(),
            input_attachment_name: name,
            destination: RtmpDestination {
                url: RTMP_URL.to_string(),
                stream_name: StreamKey::new(KEY),
            },
            encoding: encoding_1080p30(),
            reconnect: onair::cloud::RtmpReconnect::default(),
        },
        request_id: uuid::Uuid::new_v4().to_string(),
        tags: tags(TABLE, id).into_iter().collect(),
    }
}

// ---------------------------------------------------------------------------------------------
// JSON helpers.

fn at<'a>(v: &'a Value, pointer: &str) -> &'a Value {
    v.pointer(pointer)
        .unwrap_or_else(|| panic!("{pointer} missing from {v:#}"))
}

fn str_at<'a>(v: &'a Value, pointer: &str) -> &'a str {
    at(v, pointer)
        .as_str()
        .unwrap_or_else(|| panic!("{pointer} is not a string in {v:#}"))
}

fn array_at<'a>(v: &'a Value, pointer: &str) -> &'a Vec<Value> {
    at(v, pointer)
        .as_array()
        .unwrap_or_else(|| panic!("{pointer} is not an array in {v:#}"))
}

fn num_at(v: &Value, pointer: &str) -> f64 {
    at(v, pointer)
        .as_f64()
        .unwrap_or_else(|| panic!("{pointer} is not a number in {v:#}"))
}

fn assert_medialive_name(name: &str) {
    assert!(!name.is_empty() && name.len() <= 64, "{name:?}");
    assert!(!name.contains('_'), "underscore in {name:?}");
    assert!(
        name.chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-'),
        "{name:?}"
    );
}

/// Managed, the table the resource belongs to (`gc` of another table leaves it alone), and the
/// destination id (`gc` of this table removes it only when no item has that id).
fn assert_onair_tags(body: &Value, table: &str, id: &DestinationId) {
    let tags = at(body, "/tags").as_object().expect("tags object");
    assert_eq!(
        tags.get("onair:managed").and_then(Value::as_str),
        Some("true")
    );
    assert_eq!(tags.get("onair:table").and_then(Value::as_str), Some(table));
    assert_eq!(
        tags.get("onair:destination-id").and_then(Value::as_str),
        Some(id.to_string().as_str())
    );
}

/// Every rule of BRIEF §3 and aws-facts.md about the channel, on the JSON sent to CreateChannel.
/// The default `rtmp_reconnect_window`, 5 minutes.
const RECONNECT_WINDOW_SECS: f64 = 300.0;

fn assert_channel_shape(body: &Value, table: &str, id: &DestinationId, encoding: &ChannelEncoding) {
    assert_eq!(str_at(body, "/channelClass"), "SINGLE_PIPELINE");
    assert_eq!(str_at(body, "/roleArn"), ROLE_ARN);
    let request_id = str_at(body, "/requestId");
    assert!(uuid::Uuid::parse_str(request_id).is_ok(), "{request_id:?}");
    assert_medialive_name(str_at(body, "/name"));
    assert_onair_tags(body, table, id);

    // Exactly one destination with exactly one setting: URL + stream name (the key).
    let destinations = array_at(body, "/destinations");
    assert_eq!(destinations.len(), 1, "{destinations:#?}");
    let destination = &destinations[0];
    let settings = array_at(destination, "/settings");
    assert_eq!(settings.len(), 1, "{settings:#?}");
    assert_eq!(str_at(&settings[0], "/url"), RTMP_URL);
    assert_eq!(str_at(&settings[0], "/streamName"), KEY);
    assert!(destination.get("mediaPackageSettings").is_none());
    assert!(destination.get("multiplexSettings").is_none());
    let destination_id = str_at(destination, "/id");
    assert_medialive_name(destination_id);

    // One input attachment; every audio description names a selector that exists on it.
    let attachments = array_at(body, "/inputAttachments");
    assert_eq!(attachments.len(), 1);
    assert_eq!(str_at(&attachments[0], "/inputId"), INPUT_ID);
    assert_medialive_name(str_at(&attachments[0], "/inputAttachmentName"));
    let selectors: Vec<&str> = array_at(&attachments[0], "/inputSettings/audioSelectors")
        .iter()
        .map(|s| str_at(s, "/name"))
        .collect();
    assert!(!selectors.is_empty());
    let audio = array_at(body, "/encoderSettings/audioDescriptions");
    assert!(!audio.is_empty());
    for a in audio {
        let selector = str_at(a, "/audioSelectorName");
        assert!(
            selectors.contains(&selector),
            "audio description names selector {selector:?}, the attachment has {selectors:?}"
        );
        // AAC LC 128 kb/s, 48 kHz, 2.0.
        let aac = at(a, "/codecSettings/aacSettings");
        assert_eq!(num_at(aac, "/bitrate"), 128_000.0);
        assert_eq!(num_at(aac, "/sampleRate"), 48_000.0);
        assert_eq!(str_at(aac, "/codingMode"), "CODING_MODE_2_0");
        assert_eq!(str_at(aac, "/profile"), "LC");
    }

    // H.264: explicit frame rate from the preset, closed 2 s GOP, CBR at the preset bitrate, HIGH.
    let video = array_at(body, "/encoderSettings/videoDescriptions");
    assert_eq!(video.len(), 1);
    assert_eq!(num_at(&video[0], "/width"), f64::from(encoding.width));
    assert_eq!(num_at(&video[0], "/height"), f64::from(encoding.height));
    let h264 = at(&video[0], "/codecSettings/h264Settings");
    assert_eq!(str_at(h264, "/framerateControl"), "SPECIFIED");
    assert_eq!(
        num_at(h264, "/framerateNumerator"),
        f64::from(encoding.framerate_numerator)
    );
    assert_eq!(
        num_at(h264, "/framerateDenominator"),
        f64::from(encoding.framerate_denominator)
    );
    assert_eq!(num_at(h264, "/gopSize"), 2.0);
    assert_eq!(str_at(h264, "/gopSizeUnits"), "SECONDS");
    assert_eq!(num_at(h264, "/gopClosedCadence"), 1.0);
    assert_eq!(str_at(h264, "/rateControlMode"), "CBR");
    assert_eq!(num_at(h264, "/bitrate"), f64::from(encoding.video_bitrate));
    assert_eq!(str_at(h264, "/profile"), "HIGH");
    assert_eq!(str_at(h264, "/scanType"), "PROGRESSIVE");
    let video_name = str_at(&video[0], "/name");

    // One RTMP output group, name ≤ 32, slate on input loss, output pointing at our destination.
    let groups = array_at(body, "/encoderSettings/outputGroups");
    assert_eq!(groups.len(), 1);
    let group = &groups[0];
    let group_name = str_at(group, "/name");
    assert!(
        !group_name.is_empty() && group_name.len() <= 32,
        "{group_name:?}"
    );
    assert_eq!(
        str_at(
            group,
            "/outputGroupSettings/rtmpGroupSettings/inputLossAction"
        ),
        "EMIT_OUTPUT"
    );
    let outputs = array_at(group, "/outputs");
    assert_eq!(outputs.len(), 1);
    assert_eq!(
        str_at(
            &outputs[0],
            "/outputSettings/rtmpOutputSettings/destination/destinationRefId"
        ),
        destination_id
    );
    assert_eq!(str_at(&outputs[0], "/videoDescriptionName"), video_name);
    // The reconnect window: RestartDelay + NumRetries × ConnectionRetryInterval, each within the
    // API model's range (interval ≥ 1, retries ≥ 0, delay ≥ 0, cache ≥ 30), and a stalled
    // server disconnected at once rather than waited on for 5 more minutes.
    let rtmp_group = at(group, "/outputGroupSettings/rtmpGroupSettings");
    let rtmp_out = at(&outputs[0], "/outputSettings/rtmpOutputSettings");
    let interval = num_at(rtmp_out, "/connectionRetryInterval");
    let retries = num_at(rtmp_out, "/numRetries");
    let delay = num_at(rtmp_group, "/restartDelay");
    assert!(interval >= 1.0 && retries >= 0.0 && delay >= 0.0);
    assert!(num_at(rtmp_group, "/cacheLength") >= 30.0);
    assert_eq!(
        str_at(rtmp_group, "/cacheFullBehavior"),
        "DISCONNECT_IMMEDIATELY"
    );
    assert_eq!(
        delay + retries * interval,
        RECONNECT_WINDOW_SECS,
        "the window rides out a two-minute outage"
    );
    let audio_names: Vec<&str> = audio.iter().map(|a| str_at(a, "/name")).collect();
    for name in array_at(&outputs[0], "/audioDescriptionNames") {
        assert!(audio_names.contains(&name.as_str().unwrap()), "{name}");
    }
    assert!(at(body, "/encoderSettings/timecodeConfig/source").is_string());
}

/// The failure as the operator would see it: Display and Debug of the error.
fn assert_no_key(error: &CloudError) {
    let shown = format!("{error} {error:?}");
    assert!(!shown.contains(KEY), "stream key leaked: {shown}");
    assert!(
        !shown.contains("9f3a-7c21"),
        "part of the key leaked: {shown}"
    );
}

// ---------------------------------------------------------------------------------------------
// CreateChannel and CreateInput shape, through the real `MediaLive` trait methods.

#[tokio::test]
async fn create_channel_sends_the_single_pipeline_channel_the_seed_learned_to_build() {
    let rule = mock!(Client::create_channel).then_output(created_channel);
    let (client, wire) = client(&[&rule], 1);
    let ml = backend(client);
    let id = DestinationId::new();
    let request = channel_request(&id, "Main YouTube");

    let channel = ml.create_channel(request.clone()).await.expect("created");
    assert_eq!(channel.id, CHANNEL_ID);

    let sent = wire.create_channels();
    assert_eq!(sent.len(), 1, "{:#?}", wire.all());
    let body = &sent[0];
    assert_channel_shape(body, TABLE, &id, &request.config.encoding);
    assert_eq!(str_at(body, "/requestId"), request.request_id);
    assert_eq!(str_at(body, "/name"), resource_name("Main YouTube", &id));
}

#[tokio::test]
async fn the_reconnect_window_becomes_num_retries_and_retry_interval() {
    let rule = mock!(Client::create_channel).then_output(created_channel);
    let (client, wire) = client(&[&rule], 1);
    let ml = backend(client);
    let id = DestinationId::new();
    let mut request = channel_request(&id, "Twitch");
    request.config.reconnect =
        onair::cloud::RtmpReconnect::for_window(std::time::Duration::from_secs(120));
    ml.create_channel(request).await.expect("created");
    let sent = wire.create_channels();
    let group = &array_at(&sent[0], "/encoderSettings/outputGroups")[0];
    let out = at(
        &array_at(group, "/outputs")[0],
        "/outputSettings/rtmpOutputSettings",
    );
    let delay = num_at(group, "/outputGroupSettings/rtmpGroupSettings/restartDelay");
    assert_eq!(
        delay + num_at(out, "/numRetries") * num_at(out, "/connectionRetryInterval"),
        120.0
    );
}

#[tokio::test]
async fn every_builtin_preset_gives_its_own_frame_rate_and_bitrate() {
    let catalog = Catalog::builtin();
    let names: Vec<String> = catalog.names().into_iter().map(str::to_string).collect();
    assert!(names.len() >= 3, "{names:?}");
    let rule = mock!(Client::create_channel).then_output(created_channel);
    let (client, wire) = client(&[&rule], 1);
    let ml = backend(client);
    let id = DestinationId::new();
    for name in &names {
        let mut request = channel_request(&id, name);
        request.config.encoding = ChannelEncoding::from(catalog.get(name).unwrap());
        ml.create_channel(request).await.expect("created");
    }
    let sent = wire.create_channels();
    assert_eq!(sent.len(), names.len());
    for (name, body) in names.iter().zip(&sent) {
        let encoding = ChannelEncoding::from(catalog.get(name).unwrap());
        assert_channel_shape(body, TABLE, &id, &encoding);
    }
}

#[tokio::test]
async fn create_input_sends_a_mediaconnect_input_on_the_flow() {
    let rule = mock!(Client::create_input).then_output(created_input);
    let (client, wire) = client(&[&rule], 1);
    let ml = backend(client);
    let id = DestinationId::new();
    let request = CreateInputRequest {
        name: resource_name("Twitch (backup)_2", &id),
        request_id: uuid::Uuid::new_v4().to_string(),
        source: InputSource::MediaConnect {
            flow_arn: FLOW_ARN.to_string(),
        },
        role_arn: Some(ROLE_ARN.to_string()),
        tags: tags(TABLE, &id).into_iter().collect(),
    };

    let input = ml.create_input(request.clone()).await.expect("created");
    assert_eq!(input.id, INPUT_ID);

    let sent = wire.create_inputs();
    assert_eq!(sent.len(), 1, "{:#?}", wire.all());
    let body = &sent[0];
    assert_eq!(str_at(body, "/type"), "MEDIACONNECT");
    let flows = array_at(body, "/mediaConnectFlows");
    assert_eq!(flows.len(), 1);
    assert_eq!(str_at(&flows[0], "/flowArn"), FLOW_ARN);
    assert_eq!(str_at(body, "/roleArn"), ROLE_ARN);
    assert_eq!(str_at(body, "/requestId"), request.request_id);
    let name = str_at(body, "/name");
    assert_medialive_name(name);
    assert_eq!(name, request.name);
    assert_onair_tags(body, TABLE, &id);
    // MediaLive adds the flow output itself: no push-input plumbing in the request.
    assert!(body.get("inputSecurityGroups").is_none(), "{body:#}");
    assert!(body.get("destinations").is_none(), "{body:#}");
}

#[tokio::test]
async fn the_seeds_wiring_sends_a_group_for_the_egress_ip_and_a_push_input_behind_it() {
    const GROUP: &str = "5843210";
    let group = || {
        types::InputSecurityGroup::builder()
            .id(GROUP)
            .arn(format!(
                "arn:aws:medialive:us-east-1:111122223333:inputSecurityGroup:{GROUP}"
            ))
            .state(types::InputSecurityGroupState::Idle)
            .whitelist_rules(
                types::InputWhitelistRule::builder()
                    .cidr("3.224.17.99/32")
                    .build(),
            )
            .build()
    };
    let create_group = mock!(Client::create_input_security_group).then_output(move || {
        aws_sdk_medialive::operation::create_input_security_group::CreateInputSecurityGroupOutput::builder()
            .security_group(group())
            .build()
    });
    let list_groups = mock!(Client::list_input_security_groups).then_output(move || {
        aws_sdk_medialive::operation::list_input_security_groups::ListInputSecurityGroupsOutput::builder()
            .input_security_groups(
                types::InputSecurityGroup::builder()
                    .id(GROUP)
                    .state(types::InputSecurityGroupState::InUse)
                    .inputs(INPUT_ID)
                    .build(),
            )
            .build()
    });
    let push_input = mock!(Client::create_input).then_output(|| {
        CreateInputOutput::builder()
            .input(
                types::Input::builder()
                    .id(INPUT_ID)
                    .arn(format!(
                        "arn:aws:medialive:us-east-1:111122223333:input:{INPUT_ID}"
                    ))
                    .name("onair-shape")
                    .state(types::InputState::Detached)
                    .r#type(types::InputType::RtpPush)
                    .security_groups(GROUP)
                    .destinations(
                        types::InputDestination::builder()
                            .url("rtp://10.11.12.13:5000")
                            .build(),
                    )
                    .destinations(
                        types::InputDestination::builder()
                            .url("rtp://10.11.12.14:5000")
                            .build(),
                    )
                    .build(),
            )
            .build()
    });
    let delete_group = mock!(Client::delete_input_security_group).then_output(|| {
        aws_sdk_medialive::operation::delete_input_security_group::DeleteInputSecurityGroupOutput::builder()
            .build()
    });
    let (client, wire) = client(
        &[&create_group, &list_groups, &push_input, &delete_group],
        1,
    );
    let ml = backend(client);
    let id = DestinationId::new();

    let made = ml
        .create_input_security_group(CreateInputSecurityGroupRequest {
            allowed_cidrs: vec!["3.224.17.99/32".into()],
            tags: tags(TABLE, &id).into_iter().collect(),
        })
        .await
        .expect("group");
    assert_eq!(made.id, GROUP);
    assert_eq!(made.state, "IDLE");
    assert_eq!(made.allowed_cidrs, ["3.224.17.99/32"]);
    let sent = wire.posts_to("/prod/inputSecurityGroups");
    assert_eq!(sent.len(), 1, "{:#?}", wire.all());
    let rules = array_at(&sent[0].body, "/whitelistRules");
    assert_eq!(rules.len(), 1);
    assert_eq!(str_at(&rules[0], "/cidr"), "3.224.17.99/32");
    assert_onair_tags(&sent[0].body, TABLE, &id);

    let input = ml
        .create_input(CreateInputRequest {
            name: resource_name("Seed YT", &id),
            request_id: uuid::Uuid::new_v4().to_string(),
            source: InputSource::RtpPush {
                security_group_ids: vec![GROUP.into()],
            },
            role_arn: None,
            tags: tags(TABLE, &id).into_iter().collect(),
        })
        .await
        .expect("input");
    assert_eq!(input.security_groups, [GROUP]);
    assert_eq!(input.first_endpoint(), Some(("10.11.12.13".into(), 5000)));
    let body = &wire.create_inputs()[0];
    assert_eq!(str_at(body, "/type"), "RTP_PUSH");
    assert_eq!(
        array_at(body, "/inputSecurityGroups"),
        &[Value::from(GROUP)]
    );
    // A push input is fed by the flow output onair adds: no flow, no role in the request.
    assert!(body.get("mediaConnectFlows").is_none(), "{body:#}");
    assert!(body.get("roleArn").is_none(), "{body:#}");

    let listed = ml.list_input_security_groups().await.expect("list");
    assert_eq!(listed[0].inputs, [INPUT_ID]);
    assert_eq!(listed[0].state, "IN_USE");

    ml.delete_input_security_group(GROUP).await.expect("delete");
    let deletes: Vec<Sent> = wire
        .all()
        .into_iter()
        .filter(|s| s.method == "DELETE")
        .collect();
    assert_eq!(deletes.len(), 1, "{:#?}", wire.all());
    assert_eq!(
        uri_path(&deletes[0].uri),
        format!("/prod/inputSecurityGroups/{GROUP}")
    );
}

// ---------------------------------------------------------------------------------------------
// Idempotency: the same RequestId on every attempt.

#[tokio::test]
async fn the_sdk_retries_a_500_with_the_same_request_id() {
    let rule = mock!(Client::create_channel)
        .sequence()
        .http_response(|| {
            aws_error(
                500,
                "InternalServerErrorException",
                serde_json::json!({"message": "Internal failure"}),
            )
        })
        .output(created_channel)
        .build();
    let (client, wire) = client(&[&rule], 3);
    let ml = backend(client);
    let id = DestinationId::new();
    let request = channel_request(&id, "Retry Me");

    let channel = ml.create_channel(request.clone()).await.expect("retried");
    assert_eq!(channel.id, CHANNEL_ID);

    let sent = wire.create_channels();
    assert_eq!(sent.len(), 2, "one failed attempt, one retry");
    for body in &sent {
        assert_eq!(str_at(body, "/requestId"), request.request_id);
    }
    assert_eq!(sent[0], sent[1], "the retry is the same request");
}

#[tokio::test]
async fn a_429_is_retried_by_the_sdk_and_then_succeeds() {
    let rule = mock!(Client::create_channel)
        .sequence()
        .http_response(|| {
            aws_error(
                429,
                "TooManyRequestsException",
                serde_json::json!({"message": "Too many requests"}),
            )
        })
        .times(2)
        .output(created_channel)
        .build();
    let (client, wire) = client(&[&rule], 4);
    let ml = backend(client);
    let request = channel_request(&DestinationId::new(), "Throttled");

    let channel = ml.create_channel(request.clone()).await.expect("retried");
    assert_eq!(channel.id, CHANNEL_ID);
    let sent = wire.create_channels();
    assert_eq!(sent.len(), 3, "two throttled attempts, one success");
    assert!(
        sent.iter()
            .all(|b| str_at(b, "/requestId") == request.request_id)
    );
}

#[tokio::test]
async fn a_429_that_outlasts_the_sdk_retries_is_throttled_and_retryable_for_the_engine() {
    let rule = mock!(Client::create_channel).then_http_response(|| {
        aws_error(
            429,
            "TooManyRequestsException",
            serde_json::json!({"message": "Too many requests"}),
        )
    });
    let (client, wire) = client(&[&rule], 2);
    let ml = backend(client);

    let error = ml
        .create_channel(channel_request(&DestinationId::new(), "Throttled"))
        .await
        .expect_err("throttled");
    assert_eq!(error.call, "CreateChannel");
    assert_eq!(error.kind, ErrorKind::Throttled);
    assert!(error.is_retryable());
    assert!(error.message.contains("Too many requests"), "{error}");
    assert_eq!(wire.create_channels().len(), 2);
    assert_no_key(&error);
}

/// Through the engine, with the SDK's own retry off: the engine's retry repeats CreateChannel
/// after a 503 and must send the RequestId it persisted in the record before the first call.
#[tokio::test(start_paused = true)]
async fn the_engine_retries_create_channel_with_the_persisted_request_id() {
    let create_input = mock!(Client::create_input).then_output(created_input);
    let create_channel = mock!(Client::create_channel)
        .sequence()
        .http_response(|| {
            aws_error(
                503,
                "InternalServerErrorException",
                serde_json::json!({"message": "Service unavailable"}),
            )
        })
        .output(created_channel)
        .build();
    let describe_channel = mock!(Client::describe_channel).then_output(|| {
        let c = channel(types::ChannelState::Idle);
        DescribeChannelOutput::builder()
            .id(c.id().unwrap())
            .arn(c.arn().unwrap())
            .name(c.name().unwrap())
            .state(types::ChannelState::Idle)
            .build()
    });
    // The input step checks the input it made is DETACHED before the channel is built.
    let describe_input = mock!(Client::describe_input).then_output(|| {
        let input = created_input().input().cloned().expect("an input");
        DescribeInputOutput::builder()
            .id(input.id().unwrap_or_default())
            .arn(input.arn().unwrap_or_default())
            .name(input.name().unwrap_or_default())
            .state(types::InputState::Detached)
            .r#type(types::InputType::Mediaconnect)
            .build()
    });
    let (client, wire) = client(
        &[
            &create_input,
            &describe_input,
            &create_channel,
            &describe_channel,
        ],
        1,
    );

    let sim = Simulator::new(SimConfig::unlimited(), Clock::system());
    let mut cloud = sim.cloud();
    cloud.medialive = Arc::new(backend(client));
    let (engine, _events) = Engine::new(
        cloud,
        Arc::new(Catalog::builtin()),
        EngineConfig::new(Simulator::FLOW_ARN, Simulator::ROLE_ARN),
        Clock::system(),
    );
    let id = engine
        .add(DestinationDraft {
            name: "Main YouTube".to_string(),
            platform: "youtube".to_string(),
            url: String::new(),
            stream_key: StreamKey::new(KEY).into(),
            preset: "1080p30".to_string(),
        })
        .expect("add accepted");
    engine.settle().await;

    let record = engine.record(id).expect("record kept");
    assert_eq!(record.status, Status::Idle, "{:?}", record.last_error);
    assert_eq!(record.media_live_channel_id.as_deref(), Some(CHANNEL_ID));

    let channels = wire.create_channels();
    assert_eq!(channels.len(), 2, "a 503, then the engine's retry");
    let persisted = record.channel_request_id.as_deref().expect("persisted");
    for body in &channels {
        assert_eq!(str_at(body, "/requestId"), persisted);
    }
    assert_eq!(channels[0], channels[1]);
    let encoding = encoding_1080p30();
    assert_channel_shape(&channels[0], Simulator::TABLE, &id, &encoding);
    assert_eq!(str_at(&channels[0], "/roleArn"), Simulator::ROLE_ARN);

    let inputs = wire.create_inputs();
    assert_eq!(inputs.len(), 1);
    assert_eq!(
        Some(str_at(&inputs[0], "/requestId")),
        record.input_request_id.as_deref()
    );
    assert_eq!(str_at(&inputs[0], "/type"), "MEDIACONNECT");
    assert_eq!(
        str_at(&inputs[0], "/mediaConnectFlows/0/flowArn"),
        Simulator::FLOW_ARN
    );
    assert_onair_tags(&inputs[0], Simulator::TABLE, &id);
    // The channel and the input share the destination's hyphen-only resource name.
    assert_eq!(str_at(&inputs[0], "/name"), str_at(&channels[0], "/name"));
}

// ---------------------------------------------------------------------------------------------
// Error mapping: kind, call name, AWS's text, never the key.

#[tokio::test]
async fn a_409_on_delete_is_a_conflict_with_the_services_message() {
    let rule = mock!(Client::delete_channel).then_http_response(|| {
        aws_error(
            409,
            "ConflictException",
            serde_json::json!({"message": "Cannot delete a channel that has not been stopped yet"}),
        )
    });
    let (client, wire) = client(&[&rule], 3);
    let ml = backend(client);

    let error = ml.delete_channel(CHANNEL_ID).await.expect_err("conflict");
    assert_eq!(error.call, "DeleteChannel");
    assert_eq!(error.kind, ErrorKind::Conflict);
    assert!(!error.is_retryable());
    assert!(
        error
            .message
            .contains("Cannot delete a channel that has not been stopped yet"),
        "{error}"
    );
    let deletes: Vec<Sent> = wire
        .all()
        .into_iter()
        .filter(|s| s.method == "DELETE")
        .collect();
    assert_eq!(deletes.len(), 1, "a conflict is not retried by the SDK");
    assert_eq!(
        uri_path(&deletes[0].uri),
        format!("/prod/channels/{CHANNEL_ID}")
    );
}

#[tokio::test]
async fn a_409_on_create_is_a_conflict_and_keeps_the_key_out() {
    let rule = mock!(Client::create_channel).then_http_response(|| {
        aws_error(
            409,
            "ConflictException",
            serde_json::json!({"message": "A channel with this request id is being created"}),
        )
    });
    let (client, _wire) = client(&[&rule], 3);
    let error = backend(client)
        .create_channel(channel_request(&DestinationId::new(), "Dup"))
        .await
        .expect_err("conflict");
    assert_eq!(error.call, "CreateChannel");
    assert_eq!(error.kind, ErrorKind::Conflict);
    assert!(
        error
            .message
            .contains("A channel with this request id is being created"),
        "{error}"
    );
    assert_no_key(&error);
}

fn unprocessable() -> HttpResponse {
    aws_error(
        422,
        "UnprocessableEntityException",
        serde_json::json!({
            "message": "Validation errors",
            "validationErrors": [
                {
                    "elementPath": "encoderSettings.outputGroups[0].outputs[0].outputSettings.rtmpOutputSettings.destination",
                    "errorMessage": "Object references undefined destination"
                },
                {
                    "elementPath": "destinations[0]",
                    "errorMessage": "Exactly one of settings, MediaPackage settings, or Multiplex settings is required"
                }
            ]
        }),
    )
}

#[tokio::test]
async fn a_422_is_a_validation_error_naming_each_element_path() {
    let rule = mock!(Client::create_channel).then_http_response(unprocessable);
    let (client, wire) = client(&[&rule], 3);
    let error = backend(client)
        .create_channel(channel_request(&DestinationId::new(), "Bad"))
        .await
        .expect_err("unprocessable");
    assert_eq!(error.call, "CreateChannel");
    assert_eq!(error.kind, ErrorKind::Validation);
    assert!(!error.is_retryable());
    assert_eq!(wire.create_channels().len(), 1, "a 422 is not retried");
    assert!(error.message.contains("Validation errors"), "{error}");
    assert!(
        error.message.contains(
            "encoderSettings.outputGroups[0].outputs[0].outputSettings.rtmpOutputSettings.destination: Object references undefined destination"
        ),
        "{error}"
    );
    assert!(
        error.message.contains(
            "destinations[0]: Exactly one of settings, MediaPackage settings, or Multiplex settings is required"
        ),
        "{error}"
    );
    assert_no_key(&error);
}

#[tokio::test]
async fn a_422_on_update_names_each_element_path_too() {
    let rule = mock!(Client::update_channel).then_http_response(unprocessable);
    let (client, _wire) = client(&[&rule], 1);
    let request = channel_request(&DestinationId::new(), "Bad");
    let error = backend(client)
        .update_channel(onair::cloud::UpdateChannelRequest {
            channel_id: CHANNEL_ID.to_string(),
            config: request.config,
        })
        .await
        .expect_err("unprocessable");
    assert_eq!(error.call, "UpdateChannel");
    assert_eq!(error.kind, ErrorKind::Validation);
    assert!(
        error
            .message
            .contains("destinations[0]: Exactly one of settings"),
        "{error}"
    );
    assert_no_key(&error);
}

/// AWS's validation text may quote the offending value; for the destination that is the key.
#[tokio::test]
async fn a_422_quoting_the_stream_key_does_not_leak_it() {
    let rule = mock!(Client::create_channel).then_http_response(|| {
        aws_error(
            422,
            "UnprocessableEntityException",
            serde_json::json!({
                "message": format!("Invalid stream name {KEY}"),
                "validationErrors": [{
                    "elementPath": "destinations[0].settings[0].streamName",
                    "errorMessage": format!("Value {KEY} is not valid")
                }]
            }),
        )
    });
    let (client, _wire) = client(&[&rule], 1);
    let error = backend(client)
        .create_channel(channel_request(&DestinationId::new(), "Leaky"))
        .await
        .expect_err("unprocessable");
    assert_eq!(error.kind, ErrorKind::Validation);
    assert!(
        error
            .message
            .contains("destinations[0].settings[0].streamName"),
        "{error}"
    );
    assert_no_key(&error);
}

#[tokio::test]
async fn a_500_that_outlasts_the_sdk_retries_is_unavailable_and_keeps_the_key_out() {
    let rule = mock!(Client::create_channel).then_http_response(|| {
        aws_error(
            500,
            "InternalServerErrorException",
            serde_json::json!({"message": "Internal failure"}),
        )
    });
    let (client, wire) = client(&[&rule], 3);
    let error = backend(client)
        .create_channel(channel_request(&DestinationId::new(), "Down"))
        .await
        .expect_err("unavailable");
    assert_eq!(error.call, "CreateChannel");
    assert_eq!(error.kind, ErrorKind::Unavailable);
    assert!(error.is_retryable());
    assert!(error.message.contains("Internal failure"), "{error}");
    assert_eq!(wire.create_channels().len(), 3);
    assert_no_key(&error);
}

// ---------------------------------------------------------------------------------------------
// DescribeThumbnails: the details view's preview. moto has no DescribeThumbnails, so this mocked
// wire is the only check of the call against the SDK's model.

fn thumbnail_jpeg() -> Vec<u8> {
    let rgb: Vec<u8> = (0..16 * 9).flat_map(|_| [200u8, 40, 40]).collect();
    let mut out = Vec::new();
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, 90)
        .encode(&rgb, 16, 9, image::ExtendedColorType::Rgb8)
        .unwrap();
    out
}

fn thumbnails_answer(body: Value) -> HttpResponse {
    let mut response = HttpResponse::new(
        StatusCode::try_from(200).unwrap(),
        SdkBody::from(body.to_string()),
    );
    response
        .headers_mut()
        .insert("content-type", "application/json");
    response
}

#[tokio::test]
async fn describe_thumbnails_asks_for_pipeline_0_current_active_and_decodes_the_body() {
    let jpeg = thumbnail_jpeg();
    let encoded = aws_smithy_types::base64::encode(&jpeg);
    let rule = mock!(Client::describe_thumbnails).then_http_response(move || {
        thumbnails_answer(serde_json::json!({
            "thumbnailDetails": [{
                "pipelineId": "0",
                "thumbnails": [{
                    "body": encoded,
                    "contentType": "image/jpeg",
                    "thumbnailType": "CURRENT_ACTIVE",
                    "timeStamp": "2026-11-25T20:23:06Z"
                }]
            }]
        }))
    });
    let (client, wire) = client(&[&rule], 1);
    let ml = backend(client);

    let frame = ml
        .describe_thumbnails(CHANNEL_ID)
        .await
        .expect("answered")
        .expect("a frame");
    assert_eq!(frame.body, jpeg, "the base64 body, decoded");
    assert_eq!(frame.content_type, "image/jpeg");
    assert_eq!(
        frame.taken_at,
        Some(time::macros::datetime!(2026-11-25 20:23:06 UTC))
    );
    // It is the JPEG the view can draw.
    assert!(onair::tui::preview::decode(&frame.body).is_ok());

    let sent = wire.all();
    assert_eq!(sent.len(), 1, "{sent:#?}");
    assert_eq!(sent[0].method, "GET");
    assert_eq!(
        uri_path(&sent[0].uri),
        format!("/prod/channels/{CHANNEL_ID}/thumbnails")
    );
    let query = sent[0].uri.split_once('?').map_or("", |(_, q)| q);
    let mut params: Vec<&str> = query.split('&').collect();
    params.sort_unstable();
    assert_eq!(params, ["pipelineId=0", "thumbnailType=CURRENT_ACTIVE"]);
}

#[tokio::test]
async fn thumbnails_off_or_a_channel_not_running_is_no_frame_not_an_error() {
    // Thumbnails off in the channel: an empty list.
    let empty = mock!(Client::describe_thumbnails)
        .then_http_response(|| thumbnails_answer(serde_json::json!({"thumbnailDetails": []})));
    let (off, _) = client(&[&empty], 1);
    assert_eq!(backend(off).describe_thumbnails(CHANNEL_ID).await, Ok(None));

    // A channel that isn't running: 400 BadRequest.
    let idle = mock!(Client::describe_thumbnails).then_http_response(|| {
        aws_error(
            400,
            "BadRequestException",
            serde_json::json!({"message": "Channel is not running"}),
        )
    });
    let (stopped, _) = client(&[&idle], 1);
    assert_eq!(
        backend(stopped).describe_thumbnails(CHANNEL_ID).await,
        Ok(None)
    );

    // An unknown channel is still an error.
    let gone = mock!(Client::describe_thumbnails).then_http_response(|| {
        aws_error(
            404,
            "NotFoundException",
            serde_json::json!({"message": "Channel not found"}),
        )
    });
    let (unknown, _) = client(&[&gone], 1);
    let error = backend(unknown)
        .describe_thumbnails(CHANNEL_ID)
        .await
        .expect_err("not found");
    assert_eq!(error.kind, ErrorKind::NotFound);
    assert_eq!(error.call, "DescribeThumbnails");
}

#[tokio::test]
async fn a_body_that_is_not_base64_is_an_error_not_a_panic() {
    let rule = mock!(Client::describe_thumbnails).then_http_response(|| {
        thumbnails_answer(serde_json::json!({
            "thumbnailDetails": [{"pipelineId": "0", "thumbnails": [{"body": "%%% not base64 %%%"}]}]
        }))
    });
    let (client, _) = client(&[&rule], 1);
    let error = backend(client)
        .describe_thumbnails(CHANNEL_ID)
        .await
        .expect_err("undecodable");
    assert_eq!(error.call, "DescribeThumbnails");
    assert!(error.message.contains("base64"), "{error}");
}

#[tokio::test]
async fn create_channel_turns_thumbnails_on() {
    let rule = mock!(Client::create_channel).then_output(created_channel);
    let (client, wire) = client(&[&rule], 1);
    let id = DestinationId::new();
    backend(client)
        .create_channel(channel_request(&id, "Main YouTube"))
        .await
        .expect("created");
    let sent = wire.create_channels();
    assert_eq!(
        str_at(&sent[0], "/encoderSettings/thumbnailConfiguration/state"),
        "AUTO"
    );
}
