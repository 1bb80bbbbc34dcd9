//! Mutable fleet state: what the stateful layers remember between events (pending gates,
//! counters and budgets, and, as the layers grow, windows, detectors and the audit chain).
//!
//! A [`Guard`](crate::Guard) is immutable; it updates a `State` that the host owns. The state
//! can be snapshotted and restored with serde, and its counters live behind the
//! [`CounterStore`] trait so that several processes can share budgets through an existing
//! store.
//!
//! ```
//! use guardrail_core::{State, StateSnapshot};
//! let state = State::new();
//! let snapshot: StateSnapshot = state.snapshot();
//! let json = serde_json::to_string(&snapshot).unwrap();
//! let restored = State::restore(serde_json::from_str(&json).unwrap());
//! assert_eq!(restored.snapshot(), snapshot);
//! ```

use crate::gates::GateState;
use crate::governance::audit::{AuditHead, AuditRecord, AuditState};
use crate::observe::ObserveState;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::sync::{Arc, Mutex, MutexGuard};

/// A counter store: named numeric counters with an atomic bounded add. The built-in
/// [`MemoryStore`] keeps them in this process; a host can implement the trait over a shared
/// store (for example Redis with a Lua script doing the compare-and-add).
pub trait CounterStore: Send + Sync {
    /// Adds `delta` to counter `key` unless the new value would exceed `limit`. Returns the
    /// new value, or `Err(current)` when the limit would be crossed. Atomic per key.
    fn try_add(&self, key: &str, delta: f64, limit: Option<f64>) -> Result<f64, f64>;
    /// Subtracts up to `max` from counter `key` without taking it below 0, and returns the
    /// amount subtracted. Atomic per key (budgets release reservations with it).
    fn take(&self, key: &str, max: f64) -> f64;
    /// The current value of `key` (0 when absent).
    fn get(&self, key: &str) -> f64;
    /// Every counter, for snapshots.
    fn entries(&self) -> Vec<(String, f64)>;
}

/// The in-process [`CounterStore`].
#[derive(Default)]
pub struct MemoryStore {
    counters: Mutex<HashMap<String, f64>>,
}

impl MemoryStore {
    /// An empty store.
    pub fn new() -> MemoryStore {
        MemoryStore::default()
    }

    fn lock(&self) -> MutexGuard<'_, HashMap<String, f64>> {
        // A panic while holding this lock cannot leave a counter half-written (f64 stores
        // are whole), so a poisoned lock is still consistent.
        self.counters.lock().unwrap_or_else(|p| p.into_inner())
    }
}

impl CounterStore for MemoryStore {
    fn try_add(&self, key: &str, delta: f64, limit: Option<f64>) -> Result<f64, f64> {
        let mut map = self.lock();
        // Look up before inserting: the key is allocated only the first time.
        let slot = match map.get_mut(key) {
            Some(slot) => slot,
            None => map.entry(key.to_string()).or_insert(0.0),
        };
        let next = *slot + delta;
        if limit.is_some_and(|l| next > l) {
            return Err(*slot);
        }
        *slot = next;
        Ok(next)
    }

    fn take(&self, key: &str, max: f64) -> f64 {
        let mut map = self.lock();
        let Some(current) = map.get_mut(key) else {
            return 0.0;
        };
        let taken = current.min(max).max(0.0);
        *current -= taken;
        taken
    }

    fn get(&self, key: &str) -> f64 {
        self.lock().get(key).copied().unwrap_or(0.0)
    }

    fn entries(&self) -> Vec<(String, f64)> {
        self.lock().iter().map(|(k, v)| (k.clone(), *v)).collect()
    }
}

/// The state a guard updates. `Send + Sync`: share one per process (or per tenant) across
/// threads; each layer locks only its own part.
pub struct State {
    pub(crate) gates: Mutex<GateState>,
    pub(crate) observe: Mutex<ObserveState>,
    pub(crate) store: Arc<dyn CounterStore>,
    /// The audit chain. Its lock is held while a decision changes state (gates, budgets)
    /// and numbers its record, so records are gap-free and in the order of the changes; it
    /// is taken again, briefly, to link the record once its body is hashed.
    pub(crate) audit: Mutex<AuditState>,
}

impl fmt::Debug for State {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("State").finish_non_exhaustive()
    }
}

impl Default for State {
    fn default() -> State {
        State::new()
    }
}

/// A serializable copy of a [`State`].
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StateSnapshot {
    /// Snapshot format version.
    pub version: u32,
    /// Pending gates.
    #[serde(default)]
    pub gates: GateState,
    /// Every counter of the store.
    #[serde(default)]
    pub counters: BTreeMap<String, f64>,
    /// The observe layer: traces, rolling windows, detector baselines, SLO rings.
    #[serde(default)]
    pub observe: ObserveState,
    /// The audit chain's head (records are drained by the host, not snapshotted).
    #[serde(default)]
    pub audit: AuditHead,
}

pub(crate) fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    // State updates are small and complete before any call that could panic, so a poisoned
    // lock still holds consistent data; recovering keeps one failed evaluation from
    // disabling the guard.
    m.lock().unwrap_or_else(|p| p.into_inner())
}

impl State {
    /// Empty state with an in-process counter store.
    pub fn new() -> State {
        State::with_store(Arc::new(MemoryStore::new()))
    }

    /// Empty state whose counters live in `store`.
    pub fn with_store(store: Arc<dyn CounterStore>) -> State {
        State {
            gates: Mutex::new(GateState::default()),
            observe: Mutex::new(ObserveState::default()),
            store,
            audit: Mutex::new(AuditState::default()),
        }
    }

    /// A copy of everything the state holds.
    pub fn snapshot(&self) -> StateSnapshot {
        StateSnapshot {
            version: 1,
            gates: lock(&self.gates).clone(),
            counters: self.store.entries().into_iter().collect(),
            observe: lock(&self.observe).clone(),
            audit: lock(&self.audit).head.clone(),
        }
    }

    /// State restored from a snapshot, with an in-process store.
    pub fn restore(snapshot: StateSnapshot) -> State {
        State::restore_with_store(snapshot, Arc::new(MemoryStore::new()))
    }

    /// State restored from a snapshot into `store` (its counters are added to the store's).
    pub fn restore_with_store(snapshot: StateSnapshot, store: Arc<dyn CounterStore>) -> State {
        for (key, value) in &snapshot.counters {
            // No limit: restoring never refuses a recorded value.
            let _ = store.try_add(key, *value, None);
        }
        State {
            gates: Mutex::new(snapshot.gates),
            observe: Mutex::new(snapshot.observe),
            store,
            audit: Mutex::new(AuditState::after(snapshot.audit)),
        }
    }

    /// The counter store.
    pub fn store(&self) -> &dyn CounterStore {
        self.store.as_ref()
    }

    /// Takes the audit records appended since the last call, in chain order. The host
    /// persists them; the state keeps only the chain's head. A record whose predecessor is
    /// still being hashed by another thread comes with the next call.
    pub fn take_audit_records(&self) -> Vec<AuditRecord> {
        let mut chain = lock(&self.audit);
        // Room for a batch like this one (up to 1024 records), so that a host draining at a
        // steady pace does not regrow and copy the buffer every batch.
        let room = chain.records.len().min(1024);
        std::mem::replace(&mut chain.records, Vec::with_capacity(room))
    }

    /// The audit chain's head: records appended so far and the last hash.
    pub fn audit_head(&self) -> AuditHead {
        lock(&self.audit).head.clone()
    }

    /// Cost, tokens and calls by team, agent, workflow and tag.
    pub fn showback(&self) -> crate::governance::ShowbackReport {
        crate::governance::showback::report(self.store.as_ref())
    }

    /// Gates waiting for approval.
    pub fn pending_gates(&self) -> Vec<crate::gates::PendingGate> {
        lock(&self.gates).pending.values().cloned().collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bounded_add_refuses_to_cross_the_limit() {
        let s = MemoryStore::new();
        assert_eq!(s.try_add("b", 6.0, Some(10.0)), Ok(6.0));
        assert_eq!(s.try_add("b", 5.0, Some(10.0)), Err(6.0));
        assert_eq!(s.try_add("b", 4.0, Some(10.0)), Ok(10.0));
        assert_eq!(s.get("b"), 10.0);
        assert_eq!(s.get("absent"), 0.0);
    }

    #[test]
    fn concurrent_adds_never_overspend() {
        let s = Arc::new(MemoryStore::new());
        let threads: Vec<_> = (0..8)
            .map(|_| {
                let s = Arc::clone(&s);
                std::thread::spawn(move || {
                    (0..1000)
                        .filter(|_| s.try_add("k", 1.0, Some(5000.0)).is_ok())
                        .count()
                })
            })
            .collect();
        let granted: usize = threads.into_iter().map(|t| t.join().unwrap()).sum();
        assert_eq!(granted, 5000);
        assert_eq!(s.get("k"), 5000.0);
    }

    #[test]
    fn snapshot_restores_counters_and_gates() {
        let state = State::new();
        state.store().try_add("decisions.block", 3.0, None).unwrap();
        lock(&state.gates).opened = 7;
        let snap = state.snapshot();
        let back =
            State::restore(serde_json::from_str(&serde_json::to_string(&snap).unwrap()).unwrap());
        assert_eq!(back.snapshot(), snap);
        assert!(serde_json::from_str::<StateSnapshot>("{\"version\":1,\"bogus\":1}").is_err());
    }
}
