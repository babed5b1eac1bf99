//! Which destination has an operation under way. One at a time per destination: the registry
//! refuses a second one, which is also what makes a repeated key press harmless. An operator's
//! operation may preempt one that is under way (a stop confirmed during a start, anything during
//! a background park): it cancels the running one, which ends at its next step boundary, and
//! queues itself; housekeeping (parking, reconcile) never claims a destination an operator's
//! operation is queued for.

use super::OpKind;
use crate::domain::DestinationId;
use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use tokio::sync::Notify;

/// Asks an operation to end at its next step boundary (or at once, during a wait).
#[derive(Clone, Default)]
pub(crate) struct Cancel {
    inner: Arc<(AtomicBool, Notify)>,
}

impl Cancel {
    pub(crate) fn cancel(&self) {
        self.inner.0.store(true, Ordering::SeqCst);
        self.inner.1.notify_waiters();
    }

    pub(crate) fn is_cancelled(&self) -> bool {
        self.inner.0.load(Ordering::SeqCst)
    }

    /// Resolves once [`Cancel::cancel`] was called.
    pub(crate) async fn cancelled(&self) {
        loop {
            let notified = self.inner.1.notified();
            if self.is_cancelled() {
                return;
            }
            notified.await;
        }
    }
}

struct Entry {
    op: OpKind,
    cancel: Cancel,
    /// Who asked to cancel it, for the log and the finished event.
    cancelled_by: Option<OpKind>,
}

#[derive(Default)]
struct Table {
    ops: HashMap<DestinationId, Entry>,
    /// Operator operations waiting for a preempted one to end.
    queued: HashSet<DestinationId>,
}

#[derive(Default)]
pub(crate) struct InFlight {
    table: Mutex<Table>,
    settled: Notify,
}

impl InFlight {
    fn table(&self) -> MutexGuard<'_, Table> {
        // A panic while holding this lock leaves a plain map behind; keep using it.
        self.table.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Claims the destination for `op`, or says which operation holds it.
    pub(crate) fn claim(self: &Arc<Self>, id: DestinationId, op: OpKind) -> Result<Claim, OpKind> {
        let mut table = self.table();
        if let Some(current) = table.ops.get(&id) {
            return Err(current.op);
        }
        Ok(self.insert(&mut table, id, op))
    }

    /// A claim for housekeeping (park, reconcile): refused while an operator's operation is
    /// queued for the destination, so it can't slip in between the preempted operation's end
    /// and the operator's.
    pub(crate) fn claim_housekeeping(
        self: &Arc<Self>,
        id: DestinationId,
        op: OpKind,
    ) -> Option<Claim> {
        let mut table = self.table();
        if table.ops.contains_key(&id) || table.queued.contains(&id) {
            return None;
        }
        Some(self.insert(&mut table, id, op))
    }

    fn insert(self: &Arc<Self>, table: &mut Table, id: DestinationId, op: OpKind) -> Claim {
        let cancel = Cancel::default();
        table.ops.insert(
            id,
            Entry {
                op,
                cancel: cancel.clone(),
                cancelled_by: None,
            },
        );
        Claim {
            registry: Arc::clone(self),
            id,
            cancel,
        }
    }

    /// Cancels the operation under way (if any) on behalf of `by` and queues `by`: returns the
    /// operation cancelled. The caller then waits with [`InFlight::claim_queued`].
    pub(crate) fn preempt(&self, id: DestinationId, by: OpKind) -> Option<OpKind> {
        let mut table = self.table();
        table.queued.insert(id);
        let entry = table.ops.get_mut(&id)?;
        entry.cancelled_by = Some(by);
        entry.cancel.cancel();
        Some(entry.op)
    }

    /// Queues an operation behind the one under way without cancelling it; the caller then
    /// waits with [`InFlight::claim_queued`].
    pub(crate) fn follow(&self, id: DestinationId) {
        self.table().queued.insert(id);
    }

    /// Waits until the destination is free and claims it for the queued `op`.
    pub(crate) async fn claim_queued(self: &Arc<Self>, id: DestinationId, op: OpKind) -> Claim {
        loop {
            let notified = self.settled.notified();
            {
                let mut table = self.table();
                if !table.ops.contains_key(&id) {
                    table.queued.remove(&id);
                    return self.insert(&mut table, id, op);
                }
            }
            notified.await;
        }
    }

    pub(crate) fn is_queued(&self, id: DestinationId) -> bool {
        self.table().queued.contains(&id)
    }

    pub(crate) fn get(&self, id: DestinationId) -> Option<OpKind> {
        self.table().ops.get(&id).map(|e| e.op)
    }

    /// Which operation asked the one under way on `id` to end, if any.
    pub(crate) fn cancelled_by(&self, id: DestinationId) -> Option<OpKind> {
        self.table().ops.get(&id).and_then(|e| e.cancelled_by)
    }

    pub(crate) fn is_empty(&self) -> bool {
        let table = self.table();
        table.ops.is_empty() && table.queued.is_empty()
    }

    pub(crate) async fn settle(&self) {
        loop {
            let notified = self.settled.notified();
            if self.is_empty() {
                return;
            }
            notified.await;
        }
    }
}

/// Held by the task running the operation; dropping it (even in a panic) frees the destination.
pub(crate) struct Claim {
    registry: Arc<InFlight>,
    id: DestinationId,
    cancel: Cancel,
}

impl Claim {
    pub(crate) fn cancel(&self) -> &Cancel {
        &self.cancel
    }
}

impl Drop for Claim {
    fn drop(&mut self) {
        self.registry.table().ops.remove(&self.id);
        self.registry.settled.notify_waiters();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_second_claim_is_refused_until_the_first_is_dropped() {
        let reg = Arc::new(InFlight::default());
        let id = DestinationId::new();
        let claim = reg.claim(id, OpKind::Start).unwrap();
        assert_eq!(reg.claim(id, OpKind::Start).err(), Some(OpKind::Start));
        assert_eq!(reg.claim(id, OpKind::Delete).err(), Some(OpKind::Start));
        assert!(reg.claim(DestinationId::new(), OpKind::Start).is_ok());
        drop(claim);
        assert!(reg.claim(id, OpKind::Delete).is_ok());
    }

    #[tokio::test]
    async fn a_preempting_operation_cancels_the_running_one_and_follows_it() {
        let reg = Arc::new(InFlight::default());
        let id = DestinationId::new();
        let park = reg.claim_housekeeping(id, OpKind::Park).unwrap();
        assert_eq!(reg.preempt(id, OpKind::Delete), Some(OpKind::Park));
        assert!(park.cancel().is_cancelled());
        assert_eq!(reg.cancelled_by(id), Some(OpKind::Delete));
        let queued = {
            let reg = Arc::clone(&reg);
            tokio::spawn(async move { reg.claim_queued(id, OpKind::Delete).await })
        };
        tokio::task::yield_now().await;
        // Housekeeping can't take the destination between the two.
        drop(park);
        assert!(reg.claim_housekeeping(id, OpKind::Park).is_none());
        let delete = queued.await.unwrap();
        assert_eq!(reg.get(id), Some(OpKind::Delete));
        assert!(!reg.is_queued(id));
        drop(delete);
        assert!(reg.is_empty());
    }
}
