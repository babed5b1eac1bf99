//! The destination table (DynamoDB) as an in-memory map with its conditional writes. Records are
//! kept as structs, never as JSON: `StreamKey` serializes masked, so a round trip would lose it.

use super::Simulator;
use super::errors::condition_failed;
use super::faults::Service;
use crate::cloud::{CloudError, RecordStore};
use crate::domain::{Destination, DestinationId};
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

    async fn scan(&self) -> Result<Vec<Destination>, CloudError> {
        self.call("Scan", Service::DynamoDb, |w| {
            let mut all: Vec<Destination> = w.records.values().cloned().collect();
            all.sort_by_key(|d| (d.created_at, d.destination_id));
            Ok(all)
        })
    }
}
