//! Which destination has an operation under way. One at a time per destination: the registry
//! refuses a second one, which is also what makes a repeated key press harmless.

use super::OpKind;
use crate::domain::DestinationId;
use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};
use tokio::sync::Notify;

#[derive(Default)]
pub(crate) struct InFlight {
    ops: Mutex<HashMap<DestinationId, OpKind>>,
    settled: Notify,
}

impl InFlight {
    fn ops(&self) -> MutexGuard<'_, HashMap<DestinationId, OpKind>> {
        // A panic while holding this lock leaves a plain map behind; keep using it.
        self.ops.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Claims the destination for `op`, or says which operation holds it.
    pub(crate) fn claim(self: &Arc<Self>, id: DestinationId, op: OpKind) -> Result<Claim, OpKind> {
        let mut ops = self.ops();
        if let Some(current) = ops.get(&id) {
            return Err(*current);
        }
        ops.insert(id, op);
        Ok(Claim {
            registry: Arc::clone(self),
            id,
        })
    }

    pub(crate) fn get(&self, id: DestinationId) -> Option<OpKind> {
        self.ops().get(&id).copied()
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.ops().is_empty()
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
}

impl Drop for Claim {
    fn drop(&mut self) {
        self.registry.ops().remove(&self.id);
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
}
