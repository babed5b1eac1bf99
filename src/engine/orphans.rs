//! Orphans: AWS resources of this table that no item in it owns, flow outputs whose input is
//! gone, and records whose resources vanished. `delete_orphans` removes them with the same
//! resource functions a delete uses (`steps/`), in the order AWS allows.
//!
//! Ownership is proven, not guessed: a resource is this onair's only when it carries
//! `onair:table=<this table>` (a tag; for the push outputs of the seed's wiring, which MediaConnect
//! shows no tags for, the output's description), and an orphan only when its
//! `onair:destination-id` names no item in the table — readable or not. onair-looking resources
//! of another table, or without the table tag (an older onair's, the seed's), are listed as not
//! ours and never deleted.

use super::{Engine, EngineEvent, Level};
use crate::cloud::{
    Channel, ChannelState, CloudError, FlowOutput, Input, InputSecurityGroup, InputState, Tags,
};
use crate::domain::naming::{
    NAME_PREFIX, TAG_DESTINATION_ID, TAG_MANAGED, TAG_TABLE, output_owner,
};
use crate::domain::{Destination, DestinationId, Status, Wiring};
use std::collections::{HashMap, HashSet};

/// AWS resources of this table that no item owns, records whose resources vanished, and the
/// onair-looking resources left alone because they aren't provably this table's.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Orphans {
    pub channels: Vec<Channel>,
    pub inputs: Vec<Input>,
    /// Flow outputs for a MediaLive input that no longer exists, and this table's push outputs
    /// (the seed's wiring) that feed no input.
    pub flow_outputs: Vec<FlowOutput>,
    /// This table's input security groups that no input uses and no item owns.
    pub security_groups: Vec<InputSecurityGroup>,
    /// This table's CloudWatch alarms whose destination id names no item, or whose record has
    /// no channel (parked) or another name for them now.
    pub alarms: Vec<OrphanAlarm>,
    /// Records whose channel or input is gone from AWS, with what is missing.
    pub drifted: Vec<(DestinationId, String)>,
    /// onair-looking resources that are not this table's: listed, never deleted.
    pub not_ours: Vec<NotOurs>,
}

impl Orphans {
    /// How many AWS resources `gc --delete` would remove (drifted records are not resources,
    /// and what is not ours is never removed).
    pub fn resources(&self) -> usize {
        self.channels.len()
            + self.inputs.len()
            + self.flow_outputs.len()
            + self.security_groups.len()
            + self.alarms.len()
    }

    /// Nothing to remove and nothing drifted (resources left alone may still be listed).
    pub fn is_empty(&self) -> bool {
        self.resources() == 0 && self.drifted.is_empty()
    }
}

/// A CloudWatch alarm `gc` found, with the tags that prove whose it is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrphanAlarm {
    pub name: String,
    pub arn: String,
    pub tags: Tags,
}

/// What kind of AWS resource a [`NotOurs`] is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ResourceKind {
    Channel,
    Input,
    FlowOutput,
    SecurityGroup,
    Alarm,
}

impl ResourceKind {
    /// One word, as `gc` lists it.
    pub fn as_str(self) -> &'static str {
        match self {
            ResourceKind::Channel => "channel",
            ResourceKind::Input => "input",
            ResourceKind::FlowOutput => "output",
            ResourceKind::SecurityGroup => "group",
            ResourceKind::Alarm => "alarm",
        }
    }
}

/// An onair-looking resource (tagged `onair:managed`, named `onair-*`, or tagged with a table)
/// that is not provably this table's: another table's, or one with no `onair:table` tag (an
/// older onair's, the seed's). `gc` lists it and never deletes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NotOurs {
    pub kind: ResourceKind,
    /// The channel, input or group id; a flow output's ARN.
    pub id: String,
    /// The resource's name (a group's allowed CIDRs: groups have no name).
    pub name: String,
    /// Why it is left alone: "table b", "no onair:table tag", …
    pub reason: String,
}

/// `channel  1234567  onair-show-1a2b3c4d  (table b)`: a flow output by its name (its ARN is
/// long), a group by its id and allowed CIDRs, each with why it is left alone.
impl std::fmt::Display for NotOurs {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let kind = self.kind.as_str();
        match self.kind {
            ResourceKind::FlowOutput => write!(f, "{kind:<8} {}", self.name)?,
            _ if self.name.is_empty() => write!(f, "{kind:<8} {}", self.id)?,
            _ => write!(f, "{kind:<8} {}  {}", self.id, self.name)?,
        }
        write!(f, "  ({})", self.reason)
    }
}

/// Whose a resource is, from its tags (or an output's description).
#[derive(Debug, Clone, PartialEq, Eq)]
enum Owner {
    /// This table's, made for this destination id.
    Ours(String),
    /// onair-looking but not provably this table's: why.
    NotOurs(String),
    /// Not onair's at all: not listed.
    Foreign,
}

const NO_TABLE_TAG: &str = "no onair:table tag";

fn owner_of(table: &str, name: &str, tags: &Tags) -> Owner {
    let looks_ours = tags.get(TAG_MANAGED).is_some_and(|v| v == "true")
        || tags.contains_key(TAG_TABLE)
        || name.starts_with(NAME_PREFIX);
    if !looks_ours {
        return Owner::Foreign;
    }
    owner_from(
        table,
        tags.get(TAG_TABLE).map(String::as_str),
        tags.get(TAG_DESTINATION_ID).map(String::as_str),
        NO_TABLE_TAG,
    )
}

fn owner_from(
    table: &str,
    owner_table: Option<&str>,
    destination: Option<&str>,
    no_table: &str,
) -> Owner {
    match (owner_table, destination) {
        (None, _) => Owner::NotOurs(no_table.to_string()),
        (Some(t), _) if t != table => Owner::NotOurs(format!("table {t}")),
        (Some(_), None) => Owner::NotOurs(format!("no {TAG_DESTINATION_ID} tag")),
        (Some(_), Some(d)) => Owner::Ours(d.to_ascii_lowercase()),
    }
}

/// A push output's owner, from its description; MediaLive's own outputs (MEDIACONNECT inputs)
/// belong to their input and are judged with it.
fn output_owner_of(table: &str, output: &FlowOutput) -> Owner {
    if output.medialive_input_arn.is_some() {
        return Owner::Foreign;
    }
    let (owner_table, destination) = output_owner(output.description.as_deref().unwrap_or(""));
    if owner_table.is_none() && !output.name.starts_with(NAME_PREFIX) {
        return Owner::Foreign;
    }
    owner_from(
        table,
        owner_table,
        destination,
        "no onair:table in its description",
    )
}

/// Who owns what in this table, read after AWS was listed: the one judge of "orphan", for the
/// look and again for the delete.
struct Ownership {
    /// Every item's destination id (lower case), readable or not.
    owners: HashSet<String>,
    /// Readable records with no operation under way (idle, running, parked): destination id →
    /// the channel and input they name.
    settled: HashMap<String, (Option<String>, Option<String>)>,
    /// The alarm names each settled record with a channel has now.
    alarm_names: HashMap<String, Vec<String>>,
}

impl Ownership {
    /// Whether a resource of `kind` whose owner is `owner` is an orphan: this table's, and
    /// either its destination id names no item, or (channels and inputs) the item is a settled,
    /// readable record that names another one — the duplicate a lost answer left, which that
    /// record proves isn't its own. An item that can't be read, or is mid-operation, proves
    /// nothing of the sort: its resources are left.
    fn orphan(&self, kind: ResourceKind, id: &str, owner: &Owner) -> bool {
        let Owner::Ours(destination) = owner else {
            return false;
        };
        if !self.owners.contains(destination) {
            return true;
        }
        let named = self
            .settled
            .get(destination)
            .and_then(|(channel, input)| match kind {
                ResourceKind::Channel => channel.as_deref(),
                ResourceKind::Input => input.as_deref(),
                ResourceKind::FlowOutput | ResourceKind::SecurityGroup | ResourceKind::Alarm => {
                    None
                }
            });
        if kind == ResourceKind::Alarm {
            // A settled record keeps only its current names, and only while it has a channel.
            return self.settled.contains_key(destination)
                && !self
                    .alarm_names
                    .get(destination)
                    .is_some_and(|names| names.iter().any(|n| n == id));
        }
        named.is_some_and(|named| named != id)
    }
}

impl Engine {
    /// Every `onair-` alarm. Without alarms configured, a policy that doesn't allow
    /// DescribeAlarms means there are none of ours to find.
    async fn listed_alarms(&self) -> Result<Vec<crate::cloud::AlarmStatus>, CloudError> {
        let cw = &self.inner.cloud.cloudwatch;
        match self.call(None, || cw.describe_alarms(NAME_PREFIX)).await {
            Ok(alarms) => Ok(alarms),
            Err(e)
                if !self.inner.config.alarms_on()
                    && e.kind == crate::cloud::ErrorKind::AccessDenied =>
            {
                Ok(Vec::new())
            }
            Err(e) => Err(e),
        }
    }

    /// Looks for orphans in the background; the answer arrives as [`EngineEvent::Orphans`].
    pub fn scan_orphans(&self) {
        let engine = self.clone();
        tokio::spawn(async move {
            let found = engine.find_orphans().await.map_err(|e| e.to_string());
            engine.emit(EngineEvent::Orphans(found));
        });
    }

    /// Removes `orphans` in the background (see [`Engine::delete_orphans`]), then looks again.
    pub fn clean_orphans(&self, orphans: Orphans) -> Result<(), super::Refusal> {
        self.writable("gc")?;
        let engine = self.clone();
        tokio::spawn(async move {
            if let Err(e) = engine.delete_orphans(&orphans).await {
                engine.log(Level::Error, None, format!("gc: {e}"));
            }
            let found = engine.find_orphans().await.map_err(|e| e.to_string());
            engine.emit(EngineEvent::Orphans(found));
        });
        Ok(())
    }

    /// The destination ids (lower case) that own resources: every item in the table, whether
    /// or not onair can read it, and the records this engine holds (an add's record is written
    /// before its first resource). The one place `gc` learns who owns what.
    pub async fn owner_ids(&self) -> Result<HashSet<String>, CloudError> {
        let mut ids: HashSet<String> = self.records().iter().map(|r| r.id().to_string()).collect();
        // Items that don't read as records own their resources too: the scan reports each
        // with the `destinationId` it stores.
        ids.extend(self.unreadable().into_iter().filter_map(|u| u.id));
        Ok(ids.into_iter().map(|id| id.to_ascii_lowercase()).collect())
    }

    /// Reads the table (records, then every item's id) and says who owns what.
    async fn ownership(&self) -> Result<(Vec<Destination>, Ownership), CloudError> {
        let records = self.load().await?;
        let owners = self.owner_ids().await?;
        let settled = records
            .iter()
            .filter(|r| self.inner.in_flight.get(r.id()).is_none())
            .filter(|r| matches!(r.status, Status::Idle | Status::Running | Status::Parked))
            .map(|r| {
                (
                    r.id().to_string(),
                    (
                        r.media_live_channel_id.clone(),
                        r.media_live_input_id.clone(),
                    ),
                )
            })
            .collect::<HashMap<_, _>>();
        let alarm_names = records
            .iter()
            .filter(|r| settled.contains_key(&r.id().to_string()))
            .filter(|r| r.media_live_channel_id.is_some())
            .map(|r| (r.id().to_string(), super::alarms::names_for(r)))
            .collect();
        Ok((
            records,
            Ownership {
                owners,
                settled,
                alarm_names,
            },
        ))
    }

    /// Resources of this table whose destination id names no item in it, flow outputs whose
    /// MediaLive input is gone, records whose resources vanished, and (listed apart, never
    /// deleted) the onair-looking resources that are not this table's.
    pub async fn find_orphans(&self) -> Result<Orphans, CloudError> {
        let table = self.inner.config.table.clone();
        let ml = &self.inner.cloud.medialive;
        let flow_arn = self.inner.config.flow_arn.clone();
        // AWS first, the table after: a resource listed here was made after its record was
        // written, so the table read next names it (an add racing this `gc` is not an orphan).
        let (channels, inputs, flow) = tokio::join!(
            ml.list_channels(),
            ml.list_inputs(),
            self.inner.cloud.mediaconnect.describe_flow(&flow_arn)
        );
        let channels: Vec<Channel> = channels?
            .into_iter()
            .filter(|c| c.state != ChannelState::Deleted)
            .collect();
        let inputs: Vec<Input> = inputs?
            .into_iter()
            .filter(|i| i.state != InputState::Deleted)
            .collect();
        let flow = flow?;
        let alarms = self.listed_alarms().await?;
        let push_listed = self.inner.config.wiring == Wiring::RtpPush
            || inputs.iter().any(|i| i.input_type.is_push());
        let groups = if push_listed {
            Some(ml.list_input_security_groups().await?)
        } else {
            None
        };
        let (records, ownership) = self.ownership().await?;
        // Security groups exist only with the seed's wiring: don't ask for them otherwise.
        let groups = match groups {
            Some(groups) => groups,
            None if records.iter().any(|r| r.input_security_group_id.is_some()) => {
                ml.list_input_security_groups().await?
            }
            None => Vec::new(),
        };

        let mut orphans = Orphans::default();
        let mut not_ours = |kind: ResourceKind, id: &str, name: &str, reason: String| {
            orphans.not_ours.push(NotOurs {
                kind,
                id: id.to_string(),
                name: name.to_string(),
                reason,
            });
        };
        // Ours and owned by no item: the one test every kind of resource passes to be an orphan.
        let mut unowned = |kind: ResourceKind, id: &str, name: &str, owner: Owner| match owner {
            Owner::Ours(_) => ownership.orphan(kind, id, &owner),
            Owner::NotOurs(reason) => {
                not_ours(kind, id, name, reason);
                false
            }
            Owner::Foreign => false,
        };
        let named_channels: HashSet<&str> = records
            .iter()
            .filter_map(|r| r.media_live_channel_id.as_deref())
            .collect();
        let named_inputs: HashSet<&str> = records
            .iter()
            .filter_map(|r| r.media_live_input_id.as_deref())
            .collect();
        let named_outputs: HashSet<&str> = records
            .iter()
            .filter_map(|r| r.media_connect_output_arn.as_deref())
            .collect();
        let named_groups: HashSet<&str> = records
            .iter()
            .filter_map(|r| r.input_security_group_id.as_deref())
            .collect();
        let orphan_channels: Vec<Channel> = channels
            .iter()
            .filter(|c| {
                let owner = owner_of(&table, &c.name, &c.tags);
                unowned(ResourceKind::Channel, &c.id, &c.name, owner)
                    && !named_channels.contains(c.id.as_str())
            })
            .cloned()
            .collect();
        let orphan_inputs: Vec<Input> = inputs
            .iter()
            .filter(|i| {
                let owner = owner_of(&table, &i.name, &i.tags);
                unowned(ResourceKind::Input, &i.id, &i.name, owner)
                    && !named_inputs.contains(i.id.as_str())
            })
            .cloned()
            .collect();
        let input_arns: HashSet<&str> = inputs.iter().map(|i| i.arn.as_str()).collect();
        let endpoints: HashSet<(String, u16)> =
            inputs.iter().filter_map(Input::first_endpoint).collect();
        let orphan_outputs: Vec<FlowOutput> = flow
            .outputs
            .iter()
            .filter(|o| match o.medialive_input_arn.as_deref() {
                // MediaLive's own output belongs to its input; once the input is gone it feeds
                // nothing and no chain can use it again (MediaLive removes it itself, normally).
                Some(arn) => !input_arns.contains(arn),
                // A push output of the seed's wiring: this table's, owned by no item, feeding
                // no input.
                None => {
                    let owner = output_owner_of(&table, o);
                    unowned(ResourceKind::FlowOutput, &o.arn, &o.name, owner)
                        && !named_outputs.contains(o.arn.as_str())
                        && !o
                            .destination
                            .as_ref()
                            .zip(o.port)
                            .is_some_and(|(host, port)| endpoints.contains(&(host.clone(), port)))
                }
            })
            .cloned()
            .collect();
        let orphan_groups: Vec<InputSecurityGroup> = groups
            .into_iter()
            .filter(|g| {
                let owner = owner_of(&table, "", &g.tags);
                unowned(
                    ResourceKind::SecurityGroup,
                    &g.id,
                    &g.allowed_cidrs.join(", "),
                    owner,
                ) && g.inputs.is_empty()
                    && !named_groups.contains(g.id.as_str())
            })
            .collect();
        // Alarms: only names of the destination form, and for each whose name isn't one a
        // settled record has now, its tags (ListTagsForResource) decide.
        let current: HashSet<&String> = ownership.alarm_names.values().flatten().collect();
        let mut orphan_alarms = Vec::new();
        for alarm in alarms {
            if super::alarms::parse_name(&alarm.name).is_none() || current.contains(&alarm.name) {
                continue;
            }
            let cw = &self.inner.cloud.cloudwatch;
            let tags = self.call(None, || cw.list_alarm_tags(&alarm.arn)).await?;
            let owner = owner_of(&table, &alarm.name, &tags);
            if unowned(ResourceKind::Alarm, &alarm.name, &alarm.name, owner) {
                orphan_alarms.push(OrphanAlarm {
                    name: alarm.name,
                    arn: alarm.arn,
                    tags,
                });
            }
        }
        orphans.alarms = orphan_alarms;
        orphans.channels = orphan_channels;
        orphans.inputs = orphan_inputs;
        orphans.flow_outputs = orphan_outputs;
        orphans.security_groups = orphan_groups;

        let busy = |r: &Destination| {
            self.inner.in_flight.get(r.id()).is_some()
                || matches!(r.status, Status::Creating | Status::Deleting)
        };
        let live_channels: HashSet<&str> = channels.iter().map(|c| c.id.as_str()).collect();
        let live_inputs: HashSet<&str> = inputs.iter().map(|i| i.id.as_str()).collect();
        for r in records.iter().filter(|r| !busy(r)) {
            let mut missing = Vec::new();
            if let Some(c) = r.media_live_channel_id.as_deref()
                && !live_channels.contains(c)
            {
                missing.push(format!("channel {c}"));
            }
            if let Some(i) = r.media_live_input_id.as_deref()
                && !live_inputs.contains(i)
            {
                missing.push(format!("input {i}"));
            }
            if !missing.is_empty() {
                orphans.drifted.push((
                    r.id(),
                    format!("{} is gone from AWS", missing.join(" and ")),
                ));
            }
        }
        Ok(orphans)
    }

    /// Removes orphaned resources in the order AWS allows: stop running channels, delete the
    /// channels, then the inputs (which takes their flow outputs with them), then flow outputs
    /// left without an input, then security groups (free once their inputs are gone). Drifted
    /// records are left to the operator (`rm` removes them). Returns a line per resource removed.
    pub async fn delete_orphans(&self, orphans: &Orphans) -> Result<Vec<String>, CloudError> {
        self.writable("gc").map_err(|r| {
            CloudError::new("gc", crate::cloud::ErrorKind::AccessDenied, r.to_string())
        })?;
        let ml = &self.inner.cloud.medialive;
        let config = &self.inner.config;
        let table = config.table.as_str();
        // Whoever made the list, and however long ago: only this table's resources whose
        // destination id names no item *now* are removed (an item may have appeared since).
        let (_, ownership) = self.ownership().await?;
        let mut left = Vec::new();
        let mut keep = |kind: ResourceKind, id: &str, owner: Owner| {
            let ok = ownership.orphan(kind, id, &owner);
            if !ok {
                left.push(format!("{} {id}", kind.as_str()));
            }
            ok
        };
        let channels: Vec<&Channel> = orphans
            .channels
            .iter()
            .filter(|c| {
                let owner = owner_of(table, &c.name, &c.tags);
                keep(ResourceKind::Channel, &c.id, owner)
            })
            .collect();
        let inputs: Vec<&Input> = orphans
            .inputs
            .iter()
            .filter(|i| {
                keep(
                    ResourceKind::Input,
                    &i.id,
                    owner_of(table, &i.name, &i.tags),
                )
            })
            .collect();
        let outputs: Vec<&FlowOutput> = orphans
            .flow_outputs
            .iter()
            .filter(|o| {
                o.medialive_input_arn.is_some()
                    || keep(ResourceKind::FlowOutput, &o.name, output_owner_of(table, o))
            })
            .collect();
        let groups: Vec<&InputSecurityGroup> = orphans
            .security_groups
            .iter()
            .filter(|g| {
                let owner = owner_of(table, "", &g.tags);
                keep(ResourceKind::SecurityGroup, &g.id, owner)
            })
            .collect();
        let alarms: Vec<String> = orphans
            .alarms
            .iter()
            .filter(|a| {
                keep(
                    ResourceKind::Alarm,
                    &a.name,
                    owner_of(table, &a.name, &a.tags),
                )
            })
            .map(|a| a.name.clone())
            .collect();
        for what in &left {
            self.log(
                Level::Warn,
                None,
                format!("gc: left {what}: not this table's, or an item owns it now"),
            );
        }
        let mut removed = Vec::new();
        // Alarms first: none is left watching a channel that is about to go.
        if !alarms.is_empty() {
            self.delete_alarms_of(None, &alarms).await?;
            removed.extend(alarms.iter().map(|a| format!("alarm {a}")));
        }
        for c in channels {
            self.stop_channel_resource(None, &c.id).await?;
            self.delete_channel_resource(None, &c.id).await?;
            self.await_channel_gone_resource(&c.id).await?;
            removed.push(format!("channel {} ({})", c.id, c.name));
        }
        for i in inputs {
            // Its state now: the channel deletions above detach it.
            let state = match self.call(None, || ml.describe_input(&i.id)).await {
                Ok(now) => Some(now.state),
                Err(e) if e.is_not_found() => None,
                Err(e) => return Err(e),
            };
            self.delete_input_resource(None, &i.id, state).await?;
            removed.push(format!("input {} ({})", i.id, i.name));
        }
        let mc = &self.inner.cloud.mediaconnect;
        for o in outputs {
            match self
                .call(None, || mc.remove_flow_output(&config.flow_arn, &o.arn))
                .await
            {
                Ok(()) => removed.push(format!("flow output {}", o.name)),
                // Deleting its input may already have taken it.
                Err(e) if e.is_not_found() => {}
                Err(e) => return Err(e),
            }
        }
        for g in groups {
            match self
                .call(None, || ml.delete_input_security_group(&g.id))
                .await
            {
                Ok(()) => removed.push(format!("input security group {}", g.id)),
                Err(e) if e.is_not_found() => {}
                Err(e) => return Err(e),
            }
        }
        for line in &removed {
            self.log(Level::Info, None, format!("gc: removed {line}"));
        }
        Ok(removed)
    }
}
