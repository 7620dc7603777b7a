//! Admission of collection queries, per caller.
//!
//! A collection query or count can take up to the whole statement budget, and the scan
//! pool has only a few connections: a single caller sending six expensive queries would
//! hold all of them and make everyone else wait. So each caller (the authenticated
//! principal, or the peer address when authentication is off) gets a few slots; further
//! queries of that caller wait for one of its own slots (up to the statement budget, then
//! 429) while other callers keep theirs. Key reads do not pass here: they have a lane of
//! their own in the store.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use odata_core::error::{ErrorKind, ODataError};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

/// Callers tracked before idle entries are pruned.
const PRUNE_ABOVE: usize = 4096;

/// Slots for collection queries, per caller.
#[derive(Debug)]
pub struct Admission {
    per_caller: usize,
    callers: Mutex<HashMap<String, Arc<Semaphore>>>,
}

/// A caller's slot, held while its query runs; dropping it frees the slot.
#[derive(Debug)]
pub struct Slot {
    _permit: OwnedSemaphorePermit,
}

impl Admission {
    /// `per_caller` concurrent collection queries per caller (at least one).
    pub fn new(per_caller: u32) -> Self {
        Self {
            per_caller: usize::try_from(per_caller.max(1)).unwrap_or(1),
            callers: Mutex::new(HashMap::new()),
        }
    }

    /// Waits up to `wait` for one of `caller`'s slots; 429 when none frees up in time.
    pub async fn enter(&self, caller: &str, wait: Duration) -> Result<Slot, ODataError> {
        let semaphore = {
            let mut callers = self.callers.lock().unwrap_or_else(PoisonError::into_inner);
            if callers.len() > PRUNE_ABOVE {
                // Only the map holds an idle caller's semaphore.
                callers.retain(|_, s| Arc::strong_count(s) > 1);
            }
            match callers.get(caller) {
                Some(semaphore) => Arc::clone(semaphore),
                None => {
                    let semaphore = Arc::new(Semaphore::new(self.per_caller));
                    callers.insert(caller.to_owned(), Arc::clone(&semaphore));
                    semaphore
                }
            }
        };
        match tokio::time::timeout(wait, semaphore.acquire_owned()).await {
            Ok(Ok(permit)) => Ok(Slot { _permit: permit }),
            _ => Err(ODataError::new(
                ErrorKind::TooManyRequests,
                format!(
                    "Too many queries of this caller are running at once (limit {}); retry \
                     when one has finished.",
                    self.per_caller
                ),
            )),
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_caller_waits_for_its_own_slots_only() {
        let admission = Admission::new(2);
        let a1 = admission.enter("a", Duration::ZERO).await.unwrap();
        let _a2 = admission.enter("a", Duration::ZERO).await.unwrap();
        let third = admission.enter("a", Duration::from_millis(20)).await;
        assert_eq!(third.unwrap_err().kind, ErrorKind::TooManyRequests);
        // Another caller is not affected.
        admission.enter("b", Duration::ZERO).await.unwrap();
        drop(a1);
        admission.enter("a", Duration::ZERO).await.unwrap();
    }
}
