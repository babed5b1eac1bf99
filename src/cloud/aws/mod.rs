//! The real AWS backend: the only code that imports `aws-sdk-*`. Configured by aws-config's
//! standard chain (environment, profile including SSO, IMDS on an EC2 control box), with the
//! SDK's own `AWS_ENDPOINT_URL` support so the tool runs unchanged against an emulator.

mod channel_request;
mod cloudwatch;
mod dynamodb;
mod errors;
mod kms;
mod mediaconnect;
mod medialive;
mod preflight;
pub mod ratelimit;
mod scheduler;
mod servicequotas;
mod sns;
pub use preflight::{Identity, account_alias, identity, role_passable, table_pitr};

pub use channel_request::{AUDIO_SELECTOR, DESTINATION_ID};
pub use dynamodb::{CIPHERTEXT, HASH_KEY, KMS_KEY, from_item, init_table, to_item};
/// Public so tests can drive the real backend over a mocked SDK client.
pub use medialive::SdkMediaLive;

use crate::cloud::Cloud;
use crate::config::AwsTimeouts;
use aws_config::BehaviorVersion;
use aws_config::retry::RetryConfig;
use aws_config::timeout::TimeoutConfig;
use errors::Endpoint;
use ratelimit::RateLimiter;
use std::sync::Arc;
use std::time::Duration;

/// MediaLive and MediaConnect: 5 requests a second per account and region, burst 30.
const MEDIA_RPS: f64 = 5.0;
const MEDIA_BURST: f64 = 30.0;

#[derive(Debug, Clone, Default)]
pub struct AwsOptions {
    pub region: Option<String>,
    pub profile: Option<String>,
    pub table: String,
    pub timeouts: AwsTimeouts,
}

/// The loaded SDK configuration, kept for the region it resolved and for later clients.
pub struct AwsBackend {
    pub cloud: Cloud,
    pub region: Option<String>,
    pub sdk_config: aws_config::SdkConfig,
}

pub async fn connect(options: &AwsOptions) -> AwsBackend {
    let mut loader = aws_config::defaults(BehaviorVersion::latest())
        // Adaptive retry slows the whole client down when AWS throttles, on top of the token
        // bucket below (which keeps onair within its share to begin with).
        .retry_config(RetryConfig::adaptive().with_max_attempts(5))
        // Reads' deadlines for every client built from this config (STS, IAM and DynamoDB's
        // set-up calls too); the media clients' changes get the longer ones below.
        .timeout_config(timeout_config(
            options.timeouts.connect,
            options.timeouts.read,
        ));
    if let Some(profile) = &options.profile {
        loader = loader.profile_name(profile);
    }
    if let Some(region) = &options.region {
        loader = loader.region(aws_config::Region::new(region.clone()));
    }
    with_timeouts(loader.load().await, options.table.clone(), options.timeouts)
}

/// A connect deadline, a deadline per attempt, and one for the whole call with its retries.
fn timeout_config(connect: Duration, attempt: Duration) -> TimeoutConfig {
    TimeoutConfig::builder()
        .connect_timeout(connect)
        .operation_attempt_timeout(attempt)
        .operation_timeout(attempt.saturating_mul(AwsTimeouts::ATTEMPTS_PER_CALL))
        .build()
}

/// The backend on an SDK configuration built elsewhere, with the default deadlines: tests pass
/// one with an explicit endpoint and static credentials, so that parallel tests don't race on
/// the process environment.
pub fn from_sdk_config(sdk_config: aws_config::SdkConfig, table: String) -> AwsBackend {
    with_timeouts(sdk_config, table, AwsTimeouts::default())
}

/// The backend with `timeouts`: reads (describe, list, get, scan, metrics) get the read
/// deadline, MediaLive's and MediaConnect's changes the longer write deadline, and DynamoDB's
/// and KMS's writes — answered in milliseconds when AWS is well — the read one.
pub fn with_timeouts(
    sdk_config: aws_config::SdkConfig,
    table: String,
    timeouts: AwsTimeouts,
) -> AwsBackend {
    let reads = timeout_config(timeouts.connect, timeouts.read);
    let writes = timeout_config(timeouts.connect, timeouts.write);
    macro_rules! client {
        ($sdk:ident, $timeouts:expr) => {
            $sdk::Client::from_conf(
                $sdk::config::Builder::from(&sdk_config)
                    .timeout_config($timeouts.clone())
                    .build(),
            )
        };
    }
    let medialive_limit = Arc::new(RateLimiter::new(MEDIA_RPS, MEDIA_BURST));
    let mediaconnect_limit = Arc::new(RateLimiter::new(MEDIA_RPS, MEDIA_BURST));
    let cloud = Cloud {
        medialive: Arc::new(medialive::SdkMediaLive::split(
            client!(aws_sdk_medialive, reads),
            client!(aws_sdk_medialive, writes),
            medialive_limit,
            Endpoint::of(&sdk_config, "medialive"),
        )),
        mediaconnect: Arc::new(mediaconnect::SdkMediaConnect::new(
            client!(aws_sdk_mediaconnect, reads),
            client!(aws_sdk_mediaconnect, writes),
            mediaconnect_limit,
            Endpoint::of(&sdk_config, "mediaconnect"),
        )),
        // Alarm writes are answered in milliseconds like the reads: one client for both.
        cloudwatch: Arc::new(cloudwatch::SdkCloudWatch::new(
            client!(aws_sdk_cloudwatch, reads),
            Endpoint::of(&sdk_config, "monitoring"),
        )),
        store: Arc::new(dynamodb::SdkRecordStore::new(
            client!(aws_sdk_dynamodb, reads),
            table,
            Endpoint::of(&sdk_config, "dynamodb"),
        )),
        // No client-side limiter: KMS allows thousands of cryptographic calls a second, and
        // onair makes one per add, edit or channel build.
        kms: Arc::new(kms::SdkKeyVault::new(
            client!(aws_sdk_kms, reads),
            Endpoint::of(&sdk_config, "kms"),
        )),
        quotas: Arc::new(servicequotas::SdkServiceQuotas::new(
            client!(aws_sdk_servicequotas, reads),
            Endpoint::of(&sdk_config, "servicequotas"),
        )),
        sns: Arc::new(sns::SdkTopics::new(
            client!(aws_sdk_sns, reads),
            Endpoint::of(&sdk_config, "sns"),
        )),
        scheduler: Arc::new(scheduler::SdkScheduler::new(
            client!(aws_sdk_scheduler, writes),
            Endpoint::of(&sdk_config, "scheduler"),
        )),
    };
    AwsBackend {
        cloud,
        region: sdk_config.region().map(|r| r.to_string()),
        sdk_config,
    }
}
