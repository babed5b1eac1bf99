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
pub use preflight::{Identity, identity, role_passable, table_pitr};

pub use channel_request::{AUDIO_SELECTOR, DESTINATION_ID};
pub use dynamodb::{CIPHERTEXT, HASH_KEY, KMS_KEY, from_item, init_table, to_item};
/// Public so tests can drive the real backend over a mocked SDK client.
pub use medialive::SdkMediaLive;

use crate::cloud::Cloud;
use aws_config::BehaviorVersion;
use aws_config::retry::RetryConfig;
use ratelimit::RateLimiter;
use std::sync::Arc;

/// MediaLive and MediaConnect: 5 requests a second per account and region, burst 30.
const MEDIA_RPS: f64 = 5.0;
const MEDIA_BURST: f64 = 30.0;

#[derive(Debug, Clone, Default)]
pub struct AwsOptions {
    pub region: Option<String>,
    pub profile: Option<String>,
    pub table: String,
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
        .retry_config(RetryConfig::adaptive().with_max_attempts(5));
    if let Some(profile) = &options.profile {
        loader = loader.profile_name(profile);
    }
    if let Some(region) = &options.region {
        loader = loader.region(aws_config::Region::new(region.clone()));
    }
    from_sdk_config(loader.load().await, options.table.clone())
}

/// The backend on an SDK configuration built elsewhere: tests pass one with an explicit endpoint
/// and static credentials, so that parallel tests don't race on the process environment.
pub fn from_sdk_config(sdk_config: aws_config::SdkConfig, table: String) -> AwsBackend {
    let medialive_limit = Arc::new(RateLimiter::new(MEDIA_RPS, MEDIA_BURST));
    let mediaconnect_limit = Arc::new(RateLimiter::new(MEDIA_RPS, MEDIA_BURST));
    let cloud = Cloud {
        medialive: Arc::new(medialive::SdkMediaLive::new(
            aws_sdk_medialive::Client::new(&sdk_config),
            medialive_limit,
        )),
        mediaconnect: Arc::new(mediaconnect::SdkMediaConnect::new(
            aws_sdk_mediaconnect::Client::new(&sdk_config),
            mediaconnect_limit,
        )),
        cloudwatch: Arc::new(cloudwatch::SdkCloudWatch::new(
            aws_sdk_cloudwatch::Client::new(&sdk_config),
        )),
        store: Arc::new(dynamodb::SdkRecordStore::new(
            aws_sdk_dynamodb::Client::new(&sdk_config),
            table,
        )),
        // No client-side limiter: KMS allows thousands of cryptographic calls a second, and
        // onair makes one per add, edit or channel build.
        kms: Arc::new(kms::SdkKeyVault::new(aws_sdk_kms::Client::new(&sdk_config))),
    };
    AwsBackend {
        cloud,
        region: sdk_config.region().map(|r| r.to_string()),
        sdk_config,
    }
}
