//! The destination table (DynamoDB) as an in-memory map with its conditional writes. Records are
//! kept as structs, never as JSON: `StreamKey` serializes masked, so a round trip would lose it.

use super::Simulator;
use super::errors::condition_failed;
use super::faults::Service;
use crate::cloud::keys::refuse_unsealed;
use crate::cloud::{CloudError, RecordStore, TableScan};
use crate::domain::{Destination, DestinationId, UnreadableRecord};
use async_trait::async_trait;

#[async_trait]
impl RecordStore for Simulator {
    async fn get(&self, id: DestinationId) -> Result<Option<Destination>, CloudError> {
        self.call("GetItem", Service::DynamoDb, |w| {
            Ok(w.records.get(&id).cloned())
        })
    }

    async fn put_if_absent(&self, record: &Destination) -> Result<(), CloudError> {
        self.call("PutItem", Service::DynamoDb, |w| {
            refuse_unsealed("PutItem", record)?;
            if w.records.contains_key(&record.destination_id) {
                return Err(condition_failed("PutItem"));
            }
            w.records.insert(record.destination_id, record.clone());
            Ok(())
        })
    }

    async fn update_if_version(
        &self,
        record: &Destination,
        expected: u64,
    ) -> Result<(), CloudError> {
        self.call("UpdateItem", Service::DynamoDb, |w| {
            refuse_unsealed("UpdateItem", record)?;
            match w.records.get_mut(&record.destination_id) {
                Some(stored) if stored.version == expected => {
                    *stored = record.clone();
                    Ok(())
                }
                _ => Err(condition_failed("UpdateItem")),
            }
        })
    }

    async fn delete_if_version(&self, id: DestinationId, expected: u64) -> Result<(), CloudError> {
        self.call("DeleteItem", Service::DynamoDb, |w| {
            match w.records.get(&id) {
                Some(stored) if stored.version == expected => {
                    w.records.remove(&id);
                    Ok(())
                }
                _ => Err(condition_failed("DeleteItem")),
            }
        })
    }

    async fn scan(&self) -> Result<TableScan, CloudError> {
        self.call("Scan", Service::DynamoDb, |w| {
            let mut records: Vec<Destination> = w.records.values().cloned().collect();
            records.sort_by_key(|d| (d.created_at, d.destination_id));
            Ok(TableScan {
                records,
                unreadable: w.unreadable.values().cloned().collect(),
            })
        })
    }

    async fn delete_unreadable(&self, id: &str) -> Result<(), CloudError> {
        self.call("DeleteItem", Service::DynamoDb, |w| {
            match w.unreadable.remove(id) {
                Some(_) => Ok(()),
                None => Err(condition_failed("DeleteItem")),
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
}
