//! A tap between the engine and the simulator: it records the sequence of calls an operation
//! makes, and on the n-th call of one operation it either arms the simulator's own fault
//! (`fail_next`, so the error is exactly what the simulator would give) or "kills the process":
//! that call (made or not) and every later one never answer, as when the process dies.

use async_trait::async_trait;
use onair::cloud::{
    AddFlowOutputRequest, AlarmSpec, AlarmStatus, BatchResult, Channel, Cloud, CloudError,
    CloudWatch, CreateChannelRequest, CreateInputRequest, CreateScheduleRequest, ErrorKind, Flow,
    FlowOutput, Input, KeyContext, KeyInfo, KeyVault, MediaConnect, MediaLive, MetricDataRequest,
    MetricSeries, RecordStore, ScheduleInfo, Scheduler, TableScan, Tags, UpdateChannelRequest,
};
use onair::domain::{Destination, DestinationId, SealedKey, StreamKey};
use onair::sim::Simulator;
use std::collections::HashMap;
use std::future::Future;
use std::sync::{Arc, Mutex};

/// What happens at the armed call.
#[derive(Debug, Clone, PartialEq)]
pub enum Action {
    /// The simulator fails the call (and the next ones of the same operation) with these kinds.
    Fail(Vec<ErrorKind>),
    /// The process dies just before the call: it is never made.
    KillBefore,
    /// The process dies just after the call: AWS did it, nobody heard the answer.
    KillAfter,
    /// A bug: the task making the call panics instead.
    Panic,
}

#[derive(Debug, Clone)]
struct Trigger {
    call: &'static str,
    /// 1-based occurrence of `call`, counted from when the trigger was armed.
    nth: u32,
    action: Action,
}

#[derive(Default)]
struct State {
    log: Vec<&'static str>,
    counts: HashMap<&'static str, u32>,
    trigger: Option<Trigger>,
    fired: bool,
    dead: bool,
}

enum Gate {
    Pass,
    Dead,
    DieAfter,
    Panic,
}

pub struct Tap {
    sim: Arc<Simulator>,
    state: Mutex<State>,
}

impl Tap {
    pub fn new(sim: Arc<Simulator>) -> Arc<Self> {
        Arc::new(Self {
            sim,
            state: Mutex::default(),
        })
    }

    /// The services as the engine sees them: every call but GetMetricData (the refresh's, not
    /// an operation's) goes through the tap; Service Quotas and SNS go straight through.
    pub fn cloud(self: &Arc<Self>) -> Cloud {
        Cloud {
            medialive: Arc::clone(self) as Arc<dyn MediaLive>,
            mediaconnect: Arc::clone(self) as Arc<dyn MediaConnect>,
            cloudwatch: Arc::clone(self) as Arc<dyn CloudWatch>,
            store: Arc::clone(self) as Arc<dyn RecordStore>,
            kms: Arc::clone(self) as Arc<dyn KeyVault>,
            quotas: self.sim.cloud().quotas,
            sns: self.sim.cloud().sns,
            scheduler: Arc::clone(self) as Arc<dyn Scheduler>,
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Forgets the calls seen so far and arms `action` for the `nth` next call of `call`.
    pub fn arm(&self, call: &'static str, nth: u32, action: Action) {
        let mut s = self.lock();
        s.log.clear();
        s.counts.clear();
        s.fired = false;
        s.trigger = Some(Trigger { call, nth, action });
    }

    /// Starts recording afresh without a trigger.
    pub fn record(&self) {
        let mut s = self.lock();
        s.log.clear();
        s.counts.clear();
        s.trigger = None;
        s.fired = false;
    }

    pub fn log(&self) -> Vec<&'static str> {
        self.lock().log.clone()
    }

    pub fn fired(&self) -> bool {
        self.lock().fired
    }

    /// The process dies now: no call through this tap ever answers again.
    pub fn kill(&self) {
        self.lock().dead = true;
    }

    pub fn dead(&self) -> bool {
        self.lock().dead
    }

    fn gate(&self, call: &'static str) -> Gate {
        let mut s = self.lock();
        if s.dead {
            return Gate::Dead;
        }
        s.log.push(call);
        let n = {
            let n = s.counts.entry(call).or_default();
            *n += 1;
            *n
        };
        let Some(t) = s.trigger.clone() else {
            return Gate::Pass;
        };
        if t.call != call || t.nth != n || s.fired {
            return Gate::Pass;
        }
        s.fired = true;
        match t.action {
            Action::Fail(kinds) => {
                drop(s);
                for kind in kinds {
                    self.sim.fail_next(call, kind);
                }
                Gate::Pass
            }
            Action::KillBefore => {
                s.dead = true;
                Gate::Dead
            }
            Action::KillAfter => {
                s.dead = true;
                Gate::DieAfter
            }
            Action::Panic => Gate::Panic,
        }
    }

    async fn around<T>(
        &self,
        call: &'static str,
        f: impl Future<Output = Result<T, CloudError>>,
    ) -> Result<T, CloudError> {
        match self.gate(call) {
            Gate::Pass => f.await,
            Gate::Dead => std::future::pending().await,
            Gate::DieAfter => {
                let _ = f.await;
                std::future::pending().await
            }
            Gate::Panic => panic!("a bug injected at {call}"),
        }
    }
}

#[async_trait]
impl MediaLive for Tap {
    async fn create_input(&self, req: CreateInputRequest) -> Result<Input, CloudError> {
        self.around("CreateInput", self.sim.create_input(req)).await
    }
    async fn describe_input(&self, input_id: &str) -> Result<Input, CloudError> {
        self.around("DescribeInput", self.sim.describe_input(input_id))
            .await
    }
    async fn list_inputs(&self) -> Result<Vec<Input>, CloudError> {
        self.around("ListInputs", self.sim.list_inputs()).await
    }
    async fn delete_input(&self, input_id: &str) -> Result<(), CloudError> {
        self.around("DeleteInput", self.sim.delete_input(input_id))
            .await
    }
    async fn create_channel(&self, req: CreateChannelRequest) -> Result<Channel, CloudError> {
        self.around("CreateChannel", self.sim.create_channel(req))
            .await
    }
    async fn describe_channel(&self, channel_id: &str) -> Result<Channel, CloudError> {
        self.around("DescribeChannel", self.sim.describe_channel(channel_id))
            .await
    }
    async fn list_channels(&self) -> Result<Vec<Channel>, CloudError> {
        self.around("ListChannels", self.sim.list_channels()).await
    }
    async fn start_channel(&self, channel_id: &str) -> Result<Channel, CloudError> {
        self.around("StartChannel", self.sim.start_channel(channel_id))
            .await
    }
    async fn stop_channel(&self, channel_id: &str) -> Result<Channel, CloudError> {
        self.around("StopChannel", self.sim.stop_channel(channel_id))
            .await
    }
    async fn update_channel(&self, req: UpdateChannelRequest) -> Result<Channel, CloudError> {
        self.around("UpdateChannel", self.sim.update_channel(req))
            .await
    }
    async fn delete_channel(&self, channel_id: &str) -> Result<Channel, CloudError> {
        self.around("DeleteChannel", self.sim.delete_channel(channel_id))
            .await
    }
    async fn batch_start(&self, channel_ids: &[String]) -> Result<BatchResult, CloudError> {
        self.around("BatchStart", self.sim.batch_start(channel_ids))
            .await
    }
    async fn batch_stop(&self, channel_ids: &[String]) -> Result<BatchResult, CloudError> {
        self.around("BatchStop", self.sim.batch_stop(channel_ids))
            .await
    }
    async fn list_alerts(&self, channel_id: &str) -> Result<Vec<onair::cloud::Alert>, CloudError> {
        self.around("ListAlerts", self.sim.list_alerts(channel_id))
            .await
    }
    async fn create_input_security_group(
        &self,
        req: onair::cloud::CreateInputSecurityGroupRequest,
    ) -> Result<onair::cloud::InputSecurityGroup, CloudError> {
        self.around(
            "CreateInputSecurityGroup",
            self.sim.create_input_security_group(req),
        )
        .await
    }
    async fn list_input_security_groups(
        &self,
    ) -> Result<Vec<onair::cloud::InputSecurityGroup>, CloudError> {
        self.around(
            "ListInputSecurityGroups",
            self.sim.list_input_security_groups(),
        )
        .await
    }
    async fn delete_input_security_group(&self, group_id: &str) -> Result<(), CloudError> {
        self.around(
            "DeleteInputSecurityGroup",
            self.sim.delete_input_security_group(group_id),
        )
        .await
    }
    async fn describe_thumbnails(
        &self,
        channel_id: &str,
    ) -> Result<Option<onair::cloud::Thumbnail>, CloudError> {
        self.around(
            "DescribeThumbnails",
            self.sim.describe_thumbnails(channel_id),
        )
        .await
    }
}

#[async_trait]
impl MediaConnect for Tap {
    async fn describe_flow(&self, flow_arn: &str) -> Result<Flow, CloudError> {
        self.around("DescribeFlow", self.sim.describe_flow(flow_arn))
            .await
    }
    async fn add_flow_output(
        &self,
        flow_arn: &str,
        output: AddFlowOutputRequest,
    ) -> Result<FlowOutput, CloudError> {
        self.around("AddFlowOutputs", self.sim.add_flow_output(flow_arn, output))
            .await
    }
    async fn remove_flow_output(&self, flow_arn: &str, output_arn: &str) -> Result<(), CloudError> {
        self.around(
            "RemoveFlowOutput",
            self.sim.remove_flow_output(flow_arn, output_arn),
        )
        .await
    }
}

#[async_trait]
impl RecordStore for Tap {
    async fn get(&self, id: DestinationId) -> Result<Option<Destination>, CloudError> {
        self.around("GetItem", self.sim.get(id)).await
    }
    async fn put_if_absent(&self, record: &Destination) -> Result<(), CloudError> {
        self.around("PutItem", self.sim.put_if_absent(record)).await
    }
    async fn update_if_version(
        &self,
        record: &Destination,
        expected: u64,
    ) -> Result<(), CloudError> {
        self.around("UpdateItem", self.sim.update_if_version(record, expected))
            .await
    }
    async fn delete_if_version(&self, id: DestinationId, expected: u64) -> Result<(), CloudError> {
        self.around("DeleteItem", self.sim.delete_if_version(id, expected))
            .await
    }
    async fn scan(&self) -> Result<TableScan, CloudError> {
        self.around("Scan", self.sim.scan()).await
    }
    async fn delete_unreadable(&self, id: &str) -> Result<(), CloudError> {
        self.around("DeleteItem", self.sim.delete_unreadable(id))
            .await
    }
}

#[async_trait]
impl KeyVault for Tap {
    async fn encrypt(
        &self,
        key: &str,
        plaintext: &StreamKey,
        context: &KeyContext,
    ) -> Result<SealedKey, CloudError> {
        self.around("Encrypt", self.sim.encrypt(key, plaintext, context))
            .await
    }
    async fn decrypt(
        &self,
        sealed: &SealedKey,
        context: &KeyContext,
    ) -> Result<StreamKey, CloudError> {
        self.around("Decrypt", self.sim.decrypt(sealed, context))
            .await
    }
    async fn describe_key(&self, key: &str) -> Result<KeyInfo, CloudError> {
        self.around("DescribeKey", self.sim.describe_key(key)).await
    }
}

#[async_trait]
impl CloudWatch for Tap {
    async fn get_metric_data(
        &self,
        req: MetricDataRequest,
    ) -> Result<Vec<MetricSeries>, CloudError> {
        self.sim.get_metric_data(req).await
    }
    async fn put_metric_alarm(&self, spec: AlarmSpec) -> Result<(), CloudError> {
        self.around("PutMetricAlarm", self.sim.put_metric_alarm(spec))
            .await
    }
    async fn delete_alarms(&self, names: &[String]) -> Result<(), CloudError> {
        self.around("DeleteAlarms", self.sim.delete_alarms(names))
            .await
    }
    async fn describe_alarms(&self, prefix: &str) -> Result<Vec<AlarmStatus>, CloudError> {
        self.around("DescribeAlarms", self.sim.describe_alarms(prefix))
            .await
    }
    async fn list_alarm_tags(&self, alarm_arn: &str) -> Result<Tags, CloudError> {
        self.around("ListTagsForResource", self.sim.list_alarm_tags(alarm_arn))
            .await
    }
}

#[async_trait]
impl Scheduler for Tap {
    async fn create_schedule(&self, req: CreateScheduleRequest) -> Result<(), CloudError> {
        self.around("CreateSchedule", self.sim.create_schedule(req))
            .await
    }
    async fn get_schedule(&self, name: &str) -> Result<ScheduleInfo, CloudError> {
        self.around("GetSchedule", self.sim.get_schedule(name))
            .await
    }
    async fn list_schedules(&self, prefix: &str) -> Result<Vec<String>, CloudError> {
        self.around("ListSchedules", self.sim.list_schedules(prefix))
            .await
    }
    async fn delete_schedule(&self, name: &str) -> Result<(), CloudError> {
        self.around("DeleteSchedule", self.sim.delete_schedule(name))
            .await
    }
}
