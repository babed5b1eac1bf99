//! An in-process model of the AWS services onair talks to: MediaLive, MediaConnect,
//! CloudWatch, the DynamoDB record table and KMS. `onair demo` runs on it and every engine test uses
//! it, so it behaves like AWS where the engine can tell: states change after realistic delays,
//! illegal calls fail with AWS's error kinds and messages, quotas and rate limits bite, metrics
//! exist only while something is running, and faults can be injected.
//!
//! Time follows tokio's clock, so `#[tokio::test(start_paused = true)]` drives it exactly. There
//! are no background tasks: every resource remembers its pending transition (target state and
//! deadline) and each call first applies the transitions that are due.
//!
//! Modelling choices where AWS leaves room (the engine must cope with either):
//! - DELETED channels and inputs leave the List calls at once, and stay describable as DELETED
//!   for 300 s (scaled by `speed`), then Describe answers NotFound.
//! - The flow output of a MEDIACONNECT input appears with CreateInput and goes when the input
//!   reaches DELETED (1–3 s after DeleteInput), not at the DeleteInput call.
//! - An injected `Timeout` lets the call take effect and loses the answer, as a dropped
//!   connection does; retrying with the same `RequestId` finds the resource. Other injected
//!   errors change nothing.
//! - The rate limit applies to MediaLive and MediaConnect (one bucket each); CloudWatch,
//!   DynamoDB and KMS are only throttled by injected faults.

mod alarms;
mod cloudwatch;
mod errors;
mod faults;
mod kms;
mod mediaconnect;
mod medialive;
mod metrics;
mod quotas;
mod ratelimit;
mod rtmp;
mod scheduler;
mod security_groups;
mod store;
mod thumbnail;
mod world;

pub use alarms::SimNotification;
pub use rtmp::{OUTPUT_ALERT, SimAlert};

pub use faults::{CALLS, FAULT_USAGE, Service};
pub use ratelimit::RateLimit;
pub use scheduler::{SimInvocation, SimSchedule};
pub use store::SimTable;

use crate::clock::Clock;
use crate::cloud::{
    ChannelState, Cloud, CloudError, CloudWatch, FlowOutput, InputState, KeyVault, MediaConnect,
    MediaLive, RecordStore, Scheduler, ServiceQuotas, Tags, Topics,
};
use crate::domain::DestinationId;
use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;
use world::World;

/// How the simulated AWS behaves.
#[derive(Debug, Clone, PartialEq)]
pub struct SimConfig {
    /// Multiplies every AWS-side delay: 1.0 is realistic, the demo uses about 0.03.
    pub speed: f64,
    /// MediaLive channels allowed in the region (AWS default 5).
    pub channel_quota: usize,
    /// MediaLive inputs allowed in the region (AWS default 5 push inputs).
    pub input_quota: usize,
    /// How often MediaLive publishes a datapoint (AWS: 10 s).
    pub medialive_metric_resolution: Duration,
    /// Seeds ids, delays and metric jitter, so a run can be repeated.
    pub seed: u64,
    /// Per-service API rate limit; `None` turns it off.
    pub rate_limit: Option<RateLimit>,
    pub flow_name: String,
}

impl Default for SimConfig {
    fn default() -> Self {
        Self {
            speed: 1.0,
            channel_quota: 5,
            input_quota: 5,
            medialive_metric_resolution: Duration::from_secs(10),
            seed: 0x006f_6e61_6972,
            rate_limit: Some(RateLimit::AWS),
            flow_name: "onair-show".to_string(),
        }
    }
}

impl SimConfig {
    /// Fast enough to watch a whole lifecycle in a demo, with metrics every second.
    pub fn demo() -> Self {
        Self {
            speed: 0.03,
            medialive_metric_resolution: Duration::from_secs(1),
            ..Self::default()
        }
    }

    /// Realistic behaviour without a rate limit: what most engine tests want.
    pub fn unlimited() -> Self {
        Self {
            rate_limit: None,
            ..Self::default()
        }
    }
}

/// The simulated AWS account: one shared world behind the four service traits.
pub struct Simulator {
    config: SimConfig,
    // Never held across an await: every trait call does its work synchronously under the lock.
    world: Mutex<World>,
}

impl Simulator {
    pub const ACCOUNT: &'static str = "111122223333";
    pub const REGION: &'static str = "us-east-1";
    /// The one MediaConnect flow that exists from the start.
    pub const FLOW_ARN: &'static str = "arn:aws:mediaconnect:us-east-1:111122223333:flow:1-AwYHAQ8BBgcPDg4E-7c3b9a1d2e4f:onair-show";
    /// The table [`Simulator::cloud`]'s store is (the name an engine is given by default).
    pub const TABLE: &'static str = crate::domain::naming::DEFAULT_TABLE;
    /// The MediaLive service role channels and inputs are created with.
    pub const ROLE_ARN: &'static str = "arn:aws:iam::111122223333:role/MediaLiveAccessRole";

    pub fn new(config: SimConfig, clock: Clock) -> Arc<Self> {
        let world = World::new(&config, clock);
        Arc::new(Self {
            config,
            world: Mutex::new(world),
        })
    }

    /// The four services as the engine sees them, all backed by this simulator.
    pub fn cloud(self: &Arc<Self>) -> Cloud {
        Cloud {
            medialive: Arc::clone(self) as Arc<dyn MediaLive>,
            mediaconnect: Arc::clone(self) as Arc<dyn MediaConnect>,
            cloudwatch: Arc::clone(self) as Arc<dyn CloudWatch>,
            store: Arc::clone(self) as Arc<dyn RecordStore>,
            kms: Arc::clone(self) as Arc<dyn KeyVault>,
            quotas: Arc::clone(self) as Arc<dyn ServiceQuotas>,
            sns: Arc::clone(self) as Arc<dyn Topics>,
            scheduler: Arc::clone(self) as Arc<dyn Scheduler>,
        }
    }

    /// The four services as [`Simulator::cloud`], with the record store the table named `table`
    /// (its own records; [`Simulator::TABLE`] is the default table).
    pub fn cloud_with_table(self: &Arc<Self>, table: &str) -> Cloud {
        Cloud {
            store: Arc::new(SimTable::new(Arc::clone(self), table)),
            ..self.cloud()
        }
    }

    /// The simulated account's wall clock (the clock it was created with).
    pub fn now(&self) -> time::OffsetDateTime {
        self.lock().wall_now()
    }

    pub fn config(&self) -> &SimConfig {
        &self.config
    }

    /// Calls made so far per AWS operation name (failed ones included).
    pub fn call_counts(&self) -> BTreeMap<String, u64> {
        self.lock().calls.clone()
    }

    pub fn reset_call_counts(&self) {
        self.lock().calls.clear();
    }

    /// The resources the simulated account holds right now.
    pub fn snapshot(&self) -> SimSnapshot {
        let mut w = self.lock();
        w.advance();
        w.snapshot()
    }

    fn lock(&self) -> MutexGuard<'_, World> {
        // A panic under the lock leaves a world that is still consistent enough for a simulator;
        // refusing every later call would only hide the original failure.
        self.world.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Every trait call goes through here: count it, bring the world up to now, let the rate
    /// limit and injected faults refuse it as AWS would, then run it under the lock. A fault that
    /// loses the answer (a timeout) still lets the call take effect, as on a real network.
    fn call<T>(
        &self,
        call: &'static str,
        service: Service,
        f: impl FnOnce(&mut World) -> Result<T, CloudError>,
    ) -> Result<T, CloudError> {
        let mut w = self.lock();
        let lost_answer = w.begin(call, service)?;
        let out = f(&mut w);
        match lost_answer {
            Some(err) => Err(err),
            None => out,
        }
    }
}

/// A plain listing of what the simulator holds, for assertions.
#[derive(Debug, Clone, PartialEq)]
pub struct SimSnapshot {
    /// Channels that are not DELETED, oldest first.
    pub channels: Vec<SimChannel>,
    /// Inputs that are not DELETED, oldest first.
    pub inputs: Vec<SimInput>,
    pub flow_outputs: Vec<FlowOutput>,
    /// Input security groups (the `rtp-push` wiring), oldest first.
    pub security_groups: Vec<crate::cloud::InputSecurityGroup>,
    pub records: Vec<DestinationId>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct SimChannel {
    pub id: String,
    pub name: String,
    pub state: ChannelState,
    pub tags: Tags,
    pub input_ids: Vec<String>,
    pub silenced: bool,
    /// Every alert raised on it, SET and CLEARED.
    pub alerts: Vec<SimAlert>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct SimInput {
    pub id: String,
    pub name: String,
    pub state: InputState,
    pub input_type: crate::cloud::InputType,
    pub attached_channels: Vec<String>,
    /// Push endpoints of an RTP_PUSH input.
    pub destinations: Vec<String>,
    pub security_groups: Vec<String>,
    pub tags: Tags,
}

impl SimInput {
    /// Whether `output` is the flow output that feeds this input: MediaLive's own (by the
    /// input's ARN) or, for a push input, one aimed at its first endpoint.
    pub fn fed_by(&self, output: &FlowOutput) -> bool {
        let arn = format!(
            "arn:aws:medialive:{}:{}:input:{}",
            Simulator::REGION,
            Simulator::ACCOUNT,
            self.id
        );
        if output.medialive_input_arn.as_deref() == Some(arn.as_str()) {
            return true;
        }
        self.destinations
            .first()
            .and_then(|url| crate::cloud::push_endpoint(url))
            .is_some_and(|endpoint| output.aims_at(&endpoint))
    }
}

#[cfg(test)]
pub(crate) mod testutil;

#[cfg(test)]
mod tests {
    use super::testutil::*;
    use super::*;
    use crate::cloud::FlowStatus;

    #[tokio::test(start_paused = true)]
    async fn the_cloud_bundle_shares_one_world() {
        let sim = sim();
        let cloud = sim.cloud();
        let input = cloud
            .medialive
            .create_input(input_req("a", "r"))
            .await
            .unwrap();
        let flow = cloud
            .mediaconnect
            .describe_flow(Simulator::FLOW_ARN)
            .await
            .unwrap();
        assert_eq!(flow.status, FlowStatus::Active);
        assert_eq!(
            flow.outputs[0].medialive_input_arn.as_deref(),
            Some(input.arn.as_str())
        );
        assert!(cloud.store.scan().await.unwrap().records.is_empty());
        let snap = sim.snapshot();
        assert_eq!(snap.inputs.len(), 1);
        assert_eq!(snap.inputs[0].id, input.id);
        assert_eq!(
            snap.inputs[0].tags.get("onair:managed").map(String::as_str),
            Some("true")
        );
        let counts = sim.call_counts();
        assert_eq!(counts.get("CreateInput"), Some(&1));
        assert_eq!(counts.get("DescribeFlow"), Some(&1));
        assert_eq!(counts.get("Scan"), Some(&1));
    }

    #[tokio::test(start_paused = true)]
    async fn the_demo_speed_runs_a_whole_lifecycle_in_seconds() {
        let sim = sim_with(SimConfig::demo());
        let input = sim.create_input(input_req("a", "ri")).await.unwrap();
        secs(0.1).await;
        let ch = sim
            .create_channel(channel_req("a", &input.id, "rc"))
            .await
            .unwrap();
        secs(0.3).await;
        sim.start_channel(&ch.id).await.unwrap();
        secs(3.7).await;
        assert_eq!(
            sim.describe_channel(&ch.id).await.unwrap().state,
            ChannelState::Running
        );
        sim.stop_channel(&ch.id).await.unwrap();
        secs(1.3).await;
        sim.delete_channel(&ch.id).await.unwrap();
        secs(0.7).await;
        sim.delete_input(&input.id).await.unwrap();
        secs(0.1).await;
        let snap = sim.snapshot();
        assert!(snap.channels.is_empty() && snap.inputs.is_empty() && snap.flow_outputs.is_empty());
    }
}
