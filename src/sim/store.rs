//! The destination table (DynamoDB) as an in-memory map with its conditional writes. Records are
//! kept as structs, never as JSON: `StreamKey` serializes masked, so a round trip would lose it.

use super::Simulator;
use super::errors::condition_failed;
use super::faults::Service;
use super::world::World;
use crate::cloud::keys::refuse_unsealed;
use crate::cloud::{CloudError, RecordStore, TableScan};
use crate::domain::{Destination, DestinationId, UnreadableRecord};
use async_trait::async_trait;
use std::collections::BTreeMap;
use std::sync::Arc;

impl World {
    /// The records of the table named `table` (created empty on first use, as if `onair init`
    /// had made it): [`Simulator::TABLE`] is the default one.
    fn table(&mut self, table: &str) -> &mut BTreeMap<DestinationId, Destination> {
        if table == Simulator::TABLE {
            &mut self.records
        } else {
            self.other_tables.entry(table.to_string()).or_default()
        }
    }
}

/// The table calls, on the table named `table`.
impl Simulator {
    fn on_table<T>(
        &self,
        table: &str,
        call: &'static str,
        f: impl FnOnce(&mut BTreeMap<DestinationId, Destination>) -> Result<T, CloudError>,
    ) -> Result<T, CloudError> {
        self.call(call, Service::DynamoDb, |w| f(w.table(table)))
    }

    fn get_in(&self, table: &str, id: DestinationId) -> Result<Option<Destination>, CloudError> {
        self.on_table(table, "GetItem", |t| Ok(t.get(&id).cloned()))
    }

    fn put_if_absent_in(&self, table: &str, record: &Destination) -> Result<(), CloudError> {
        self.on_table(table, "PutItem", |t| {
            refuse_unsealed("PutItem", record)?;
            if t.contains_key(&record.destination_id) {
                return Err(condition_failed("PutItem"));
            }
            t.insert(record.destination_id, record.clone());
            Ok(())
        })
    }

    fn update_if_version_in(
        &self,
        table: &str,
        record: &Destination,
        expected: u64,
    ) -> Result<(), CloudError> {
        self.on_table(table, "UpdateItem", |t| {
            refuse_unsealed("UpdateItem", record)?;
            match t.get_mut(&record.destination_id) {
                Some(stored) if stored.version == expected => {
                    *stored = record.clone();
                    Ok(())
                }
                _ => Err(condition_failed("UpdateItem")),
            }
        })
    }

    fn delete_if_version_in(
        &self,
        table: &str,
        id: DestinationId,
        expected: u64,
    ) -> Result<(), CloudError> {
        self.on_table(table, "DeleteItem", |t| match t.get(&id) {
            Some(stored) if stored.version == expected => {
                t.remove(&id);
                Ok(())
            }
            _ => Err(condition_failed("DeleteItem")),
        })
    }

    fn scan_in(&self, table: &str) -> Result<TableScan, CloudError> {
        self.call("Scan", Service::DynamoDb, |w| {
            // Items another tool wrote are modelled in the default table only.
            let unreadable = if table == Simulator::TABLE {
                w.unreadable.values().cloned().collect()
            } else {
                Vec::new()
            };
            let mut records: Vec<Destination> = w.table(table).values().cloned().collect();
            records.sort_by_key(|d| (d.created_at, d.destination_id));
            Ok(TableScan {
                records,
                unreadable,
            })
        })
    }

    fn delete_unreadable_in(&self, table: &str, id: &str) -> Result<(), CloudError> {
        self.call("DeleteItem", Service::DynamoDb, |w| {
            let removed = table == Simulator::TABLE && w.unreadable.remove(id).is_some();
            if removed {
                Ok(())
            } else {
                Err(condition_failed("DeleteItem"))
            }
        })
    }
}

impl Simulator {
    /// Puts an item onair can't read into the table, as another tool might have written it
    /// (tests of what is shown and refused; the simulator keeps records as structs, so the
    /// item is kept as what reading it reports). Keyed by its id, `""` without one.
    pub fn insert_unreadable(&self, item: UnreadableRecord) {
        let key = item.id.clone().unwrap_or_default();
        self.lock().unreadable.insert(key, item);
    }
}

/// The default table, [`Simulator::TABLE`].
#[async_trait]
impl RecordStore for Simulator {
    async fn get(&self, id: DestinationId) -> Result<Option<Destination>, CloudError> {
        self.get_in(Simulator::TABLE, id)
    }

    async fn put_if_absent(&self, record: &Destination) -> Result<(), CloudError> {
        self.put_if_absent_in(Simulator::TABLE, record)
    }

    async fn update_if_version(
        &self,
        record: &Destination,
        expected: u64,
    ) -> Result<(), CloudError> {
        self.update_if_version_in(Simulator::TABLE, record, expected)
    }

    async fn delete_if_version(&self, id: DestinationId, expected: u64) -> Result<(), CloudError> {
        self.delete_if_version_in(Simulator::TABLE, id, expected)
    }

    async fn scan(&self) -> Result<TableScan, CloudError> {
        self.scan_in(Simulator::TABLE)
    }

    async fn delete_unreadable(&self, id: &str) -> Result<(), CloudError> {
        self.delete_unreadable_in(Simulator::TABLE, id)
    }
}

/// Another table of the simulated account ([`Simulator::cloud_with_table`]), so two engines
/// with different tables share one account's MediaLive and MediaConnect.
pub struct SimTable {
    sim: Arc<Simulator>,
    name: String,
}

impl SimTable {
    pub fn new(sim: Arc<Simulator>, name: impl Into<String>) -> Self {
        Self {
            sim,
            name: name.into(),
        }
    }
}

#[async_trait]
impl RecordStore for SimTable {
    async fn get(&self, id: DestinationId) -> Result<Option<Destination>, CloudError> {
        self.sim.get_in(&self.name, id)
    }

    async fn put_if_absent(&self, record: &Destination) -> Result<(), CloudError> {
        self.sim.put_if_absent_in(&self.name, record)
    }

    async fn update_if_version(
        &self,
        record: &Destination,
        expected: u64,
    ) -> Result<(), CloudError> {
        self.sim.update_if_version_in(&self.name, record, expected)
    }

    async fn delete_if_version(&self, id: DestinationId, expected: u64) -> Result<(), CloudError> {
        self.sim.delete_if_version_in(&self.name, id, expected)
    }

    async fn scan(&self) -> Result<TableScan, CloudError> {
        self.sim.scan_in(&self.name)
    }

    async fn delete_unreadable(&self, id: &str) -> Result<(), CloudError> {
        self.sim.delete_unreadable_in(&self.name, id)
    }
}

#[cfg(test)]
mod tests {
    use super::super::testutil::*;
    use super::*;
    use crate::cloud::ErrorKind;
    use crate::domain::{Platform, StreamKey};

    fn record(name: &str, minute: u8) -> Destination {
        Destination::new(
            name.to_string(),
            Platform::Youtube,
            "rtmp://a.rtmp.youtube.com/live2".to_string(),
            StreamKey::new(KEY),
            "1080p30".to_string(),
            time::macros::datetime!(2026-11-25 10:00 UTC)
                + std::time::Duration::from_secs(60 * u64::from(minute)),
        )
    }

    #[tokio::test(start_paused = true)]
    async fn writes_are_conditional() {
        let sim = sim();
        let mut r = record("a", 0);
        sim.put_if_absent(&r).await.unwrap();
        let err = sim.put_if_absent(&r).await.unwrap_err();
        assert_eq!(
            (err.call, err.kind),
            ("PutItem", ErrorKind::ConditionFailed)
        );

        r.version = 2;
        r.name = "renamed".into();
        let err = sim.update_if_version(&r, 5).await.unwrap_err();
        assert_eq!(err.kind, ErrorKind::ConditionFailed);
        sim.update_if_version(&r, 1).await.unwrap();
        let stored = sim.get(r.id()).await.unwrap().unwrap();
        assert_eq!(stored.name, "renamed");
        assert_eq!(
            stored.stream_key.clear().map(StreamKey::expose),
            Some(KEY),
            "the key is kept in full"
        );

        assert_eq!(
            sim.delete_if_version(r.id(), 1).await.unwrap_err().kind,
            ErrorKind::ConditionFailed
        );
        sim.delete_if_version(r.id(), 2).await.unwrap();
        assert_eq!(sim.get(r.id()).await.unwrap(), None);
        let err = sim.update_if_version(&r, 2).await.unwrap_err();
        assert_eq!(err.kind, ErrorKind::ConditionFailed);
    }

    #[tokio::test(start_paused = true)]
    async fn scan_is_ordered_by_creation() {
        let sim = sim();
        for (name, minute) in [("c", 2), ("a", 0), ("b", 1)] {
            sim.put_if_absent(&record(name, minute)).await.unwrap();
        }
        let names: Vec<String> = sim
            .scan()
            .await
            .unwrap()
            .records
            .into_iter()
            .map(|d| d.name)
            .collect();
        assert_eq!(names, ["a", "b", "c"]);
        assert_eq!(sim.snapshot().records.len(), 3);
    }

    #[tokio::test(start_paused = true)]
    async fn a_key_still_being_sealed_is_never_written() {
        let sim = sim();
        let mut r = record("a", 0);
        r.stream_key = crate::domain::StoredKey::Sealing;
        let err = sim.put_if_absent(&r).await.unwrap_err();
        assert_eq!(err.kind, ErrorKind::Validation);
        assert_eq!(sim.get(r.id()).await.unwrap(), None);
    }

    #[tokio::test(start_paused = true)]
    async fn two_tables_in_one_account_hold_their_own_records() {
        let sim = sim();
        let a = sim.cloud().store;
        let b = sim.cloud_with_table("shows-b").store;
        a.put_if_absent(&record("in a", 0)).await.unwrap();
        b.put_if_absent(&record("in b", 1)).await.unwrap();
        let names =
            |scan: TableScan| -> Vec<String> { scan.records.into_iter().map(|d| d.name).collect() };
        assert_eq!(names(a.scan().await.unwrap()), ["in a"]);
        assert_eq!(names(b.scan().await.unwrap()), ["in b"]);
        assert_eq!(
            names(
                sim.cloud_with_table(Simulator::TABLE)
                    .store
                    .scan()
                    .await
                    .unwrap()
            ),
            ["in a"],
            "the default table by its name"
        );
        assert_eq!(
            sim.snapshot().records.len(),
            1,
            "the snapshot is the default table"
        );
    }
}
