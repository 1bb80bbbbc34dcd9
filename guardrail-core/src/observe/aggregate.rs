//! Rolling-window aggregates with bounded memory per series.
//!
//! - [`Ring`]: a fixed ring of time slots keyed by the host's timestamps. A window of length W
//!   with n slots covers the last W (to within one slot, W/n) and costs O(1) per update.
//! - [`Sketch`]: a log-bucketed quantile sketch (DDSketch's mapping) with relative accuracy
//!   [`RELATIVE_ACCURACY`]: a reported quantile q̂ satisfies |q̂ - q| <= 2% of q for every
//!   quantile whose value lies within the sketch's top [`MAX_BINS`] bins (a factor of about
//!   160 below the largest value; older, smaller values are merged into the lowest bin).
//! - [`Hist`]: a cumulative explicit-bucket histogram, the shape OTLP and Prometheus export.

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// The quantile sketch's relative accuracy α: quantiles are within ±α of the true value.
pub const RELATIVE_ACCURACY: f64 = 0.02;
/// The most bins a sketch keeps; bounds its memory at 6 bytes per bin.
pub const MAX_BINS: usize = 128;
/// Values at or below this go to the sketch's zero bin.
const MIN_POSITIVE: f64 = 1e-9;
/// The name that stands for every label value past a cardinality bound.
pub const OTHER: &str = "_other";

/// A ring of `n` time slots of `slot_ms` each, addressed by event time.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub(crate) struct Ring<T> {
    slot_ms: i64,
    /// The newest slot number seen (time / slot_ms).
    head: i64,
    epochs: Vec<i64>,
    slots: Vec<T>,
}

impl<T: Default + Clone> Ring<T> {
    pub(crate) fn new(slot_ms: i64, n: usize) -> Ring<T> {
        let n = n.max(1);
        Ring {
            slot_ms: slot_ms.max(1),
            head: i64::MIN,
            epochs: vec![i64::MIN; n],
            slots: vec![T::default(); n],
        }
    }

    /// The window length this ring covers.
    pub(crate) fn span_ms(&self) -> i64 {
        self.slot_ms.saturating_mul(self.slots.len() as i64)
    }

    /// The slot for time `ts_ms`, cleared if it held an older period; `None` when the time is
    /// older than the whole ring (a late event past the window is dropped).
    pub(crate) fn slot_mut(&mut self, ts_ms: i64) -> Option<&mut T> {
        let epoch = ts_ms.div_euclid(self.slot_ms);
        let n = self.slots.len() as i64;
        if self.head != i64::MIN && epoch <= self.head.saturating_sub(n) {
            return None;
        }
        self.head = self.head.max(epoch);
        let idx = usize::try_from(epoch.rem_euclid(n)).ok()?;
        let stored = self.epochs.get_mut(idx)?;
        let slot = self.slots.get_mut(idx)?;
        if *stored != epoch {
            *stored = epoch;
            *slot = T::default();
        }
        Some(slot)
    }

    /// Calls `f` on every slot within the last `window_ms` before `now_ms` (inclusive of the
    /// slot holding `now_ms`).
    pub(crate) fn for_window(&self, now_ms: i64, window_ms: i64, mut f: impl FnMut(&T)) {
        let now = now_ms.div_euclid(self.slot_ms);
        let k = (window_ms.max(1) + self.slot_ms - 1) / self.slot_ms;
        let oldest = now.saturating_sub(k);
        for (epoch, slot) in self.epochs.iter().zip(&self.slots) {
            if *epoch > oldest && *epoch <= now {
                f(slot);
            }
        }
    }

    /// Bytes of heap and inline memory this ring holds (excluding what `T` owns on the heap).
    pub(crate) fn memory_bytes(&self) -> usize {
        std::mem::size_of::<Self>()
            + self.epochs.capacity() * std::mem::size_of::<i64>()
            + self.slots.capacity() * std::mem::size_of::<T>()
    }

    /// Every slot (for owned-heap accounting).
    pub(crate) fn slots(&self) -> &[T] {
        &self.slots
    }
}

/// A quantile sketch with relative accuracy [`RELATIVE_ACCURACY`] and at most [`MAX_BINS`]
/// bins. Only non-negative values (durations, costs).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub(crate) struct Sketch {
    /// (bin key, count), sorted by key.
    bins: Vec<(i16, u32)>,
    zeros: u32,
    count: u64,
}

fn ln_gamma() -> f64 {
    ((1.0 + RELATIVE_ACCURACY) / (1.0 - RELATIVE_ACCURACY)).ln()
}

impl Sketch {
    pub(crate) fn add(&mut self, x: f64) {
        if !x.is_finite() || x < 0.0 {
            return;
        }
        self.count += 1;
        if x <= MIN_POSITIVE {
            self.zeros = self.zeros.saturating_add(1);
            return;
        }
        let key = (x.ln() / ln_gamma()).ceil().clamp(-32_000.0, 32_000.0) as i16;
        match self.bins.binary_search_by_key(&key, |(k, _)| *k) {
            Ok(i) => {
                if let Some((_, c)) = self.bins.get_mut(i) {
                    *c = c.saturating_add(1);
                }
            }
            Err(i) => {
                self.bins.insert(i, (key, 1));
                if self.bins.len() > MAX_BINS {
                    self.collapse_lowest();
                }
            }
        }
    }

    /// Merges the two lowest bins: keeps memory bounded at the cost of the lowest quantiles.
    fn collapse_lowest(&mut self) {
        if self.bins.len() < 2 {
            return;
        }
        let (_, low) = self.bins.remove(0);
        if let Some((_, c)) = self.bins.first_mut() {
            *c = c.saturating_add(low);
        }
    }

    pub(crate) fn merge(&mut self, other: &Sketch) {
        self.zeros = self.zeros.saturating_add(other.zeros);
        self.count += other.count;
        for &(k, c) in &other.bins {
            match self.bins.binary_search_by_key(&k, |(k, _)| *k) {
                Ok(i) => {
                    if let Some((_, n)) = self.bins.get_mut(i) {
                        *n = n.saturating_add(c);
                    }
                }
                Err(i) => self.bins.insert(i, (k, c)),
            }
        }
        while self.bins.len() > MAX_BINS {
            self.collapse_lowest();
        }
    }

    pub(crate) fn count(&self) -> u64 {
        self.count
    }

    /// The q-quantile (0..=1), or `None` when empty.
    pub(crate) fn quantile(&self, q: f64) -> Option<f64> {
        if self.count == 0 {
            return None;
        }
        let rank = (q.clamp(0.0, 1.0) * (self.count - 1) as f64).floor() as u64;
        let mut seen = u64::from(self.zeros);
        if rank < seen {
            return Some(0.0);
        }
        let g = ln_gamma();
        for &(k, c) in &self.bins {
            seen += u64::from(c);
            if rank < seen {
                // The bin's midpoint in relative terms: 2γ^k / (γ + 1).
                let gamma = g.exp();
                return Some(2.0 * (f64::from(k) * g).exp() / (gamma + 1.0));
            }
        }
        None
    }

    pub(crate) fn heap_bytes(&self) -> usize {
        self.bins.capacity() * std::mem::size_of::<(i16, u32)>()
    }
}

/// A cumulative explicit-bucket histogram (OTLP `explicitBounds` / Prometheus `le`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub(crate) struct Hist {
    pub bounds: Vec<f64>,
    /// One count per bound, plus the overflow bucket.
    pub counts: Vec<u64>,
    pub count: u64,
    pub sum: f64,
    pub min: f64,
    pub max: f64,
}

impl Hist {
    pub(crate) fn new(bounds: &[f64]) -> Hist {
        Hist {
            bounds: bounds.to_vec(),
            counts: vec![0; bounds.len() + 1],
            ..Hist::default()
        }
    }

    pub(crate) fn add(&mut self, x: f64) {
        if !x.is_finite() {
            return;
        }
        // Buckets are upper-inclusive (`le`), as both formats define them.
        let i = self.bounds.partition_point(|b| *b < x);
        if let Some(c) = self.counts.get_mut(i) {
            *c += 1;
        }
        if self.count == 0 {
            self.min = x;
            self.max = x;
        } else {
            self.min = self.min.min(x);
            self.max = self.max.max(x);
        }
        self.count += 1;
        self.sum += x;
    }
}

/// Bucket boundaries the GenAI conventions advise for token counts.
pub const TOKEN_BOUNDS: [f64; 14] = [
    1.0, 4.0, 16.0, 64.0, 256.0, 1024.0, 4096.0, 16384.0, 65536.0, 262144.0, 1048576.0, 4194304.0,
    16777216.0, 67108864.0,
];
/// Bucket boundaries the GenAI conventions advise for operation durations (seconds).
pub const DURATION_BOUNDS: [f64; 14] = [
    0.01, 0.02, 0.04, 0.08, 0.16, 0.32, 0.64, 1.28, 2.56, 5.12, 10.24, 20.48, 40.96, 81.92,
];
/// Run duration buckets (seconds): agent runs last longer than single calls.
pub const RUN_DURATION_BOUNDS: [f64; 14] = [
    0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0, 300.0, 600.0, 1800.0, 3600.0,
];
/// Cost-per-run buckets (USD); an SLO's cost bound is added as an exact boundary.
pub const RUN_COST_BOUNDS: [f64; 14] = [
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 25.0,
];

/// Counts of one time slot of one series.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub(crate) struct Counts {
    pub runs_started: u64,
    pub success: u64,
    pub failure: u64,
    pub timeout: u64,
    pub cancelled: u64,
    pub llm_calls: u64,
    pub input_tokens: u64,
    pub output_tokens: u64,
    pub cost_usd: f64,
    pub tool_calls: u64,
    pub tool_errors: u64,
    pub tool_timeouts: u64,
    pub triggers: u64,
}

impl Counts {
    pub(crate) fn add(&mut self, o: &Counts) {
        self.runs_started += o.runs_started;
        self.success += o.success;
        self.failure += o.failure;
        self.timeout += o.timeout;
        self.cancelled += o.cancelled;
        self.llm_calls += o.llm_calls;
        self.input_tokens += o.input_tokens;
        self.output_tokens += o.output_tokens;
        self.cost_usd += o.cost_usd;
        self.tool_calls += o.tool_calls;
        self.tool_errors += o.tool_errors;
        self.tool_timeouts += o.tool_timeouts;
        self.triggers += o.triggers;
    }

    pub(crate) fn runs_ended(&self) -> u64 {
        self.success + self.failure + self.timeout + self.cancelled
    }
}

/// One slot: counts plus sketches of run duration and run cost.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub(crate) struct Slot {
    pub counts: Counts,
    pub run_seconds: Sketch,
    pub run_cost: Sketch,
}

/// What one window of one series shows.
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct WindowView {
    pub counts: Counts,
    pub run_seconds: Sketch,
    pub run_cost: Sketch,
}

/// One series (a workflow or an agent): rolling windows plus cumulative totals for export.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub(crate) struct Series {
    pub windows: Vec<Ring<Slot>>,
    pub totals: Counts,
    pub run_seconds: Hist,
    pub run_cost: Hist,
    /// Guardrail triggers by `rule` then `action`; at most [`MAX_TRIGGER_KEYS`] rules.
    pub triggers: BTreeMap<String, BTreeMap<String, u64>>,
}

/// The most distinct rules counted per series; the rest count under [`OTHER`].
pub const MAX_TRIGGER_KEYS: usize = 64;

impl Series {
    pub(crate) fn new(windows_ms: &[i64], slots: usize, cost_bounds: &[f64]) -> Series {
        Series {
            windows: windows_ms
                .iter()
                .map(|w| Ring::new((w / slots.max(1) as i64).max(1), slots))
                .collect(),
            totals: Counts::default(),
            run_seconds: Hist::new(&RUN_DURATION_BOUNDS),
            run_cost: Hist::new(cost_bounds),
            triggers: BTreeMap::new(),
        }
    }

    /// Applies `f` to the slot holding `ts_ms` in every window and to the totals.
    pub(crate) fn update(&mut self, ts_ms: i64, f: impl Fn(&mut Counts)) {
        for ring in &mut self.windows {
            if let Some(slot) = ring.slot_mut(ts_ms) {
                f(&mut slot.counts);
            }
        }
        f(&mut self.totals);
    }

    /// Records a finished run's duration and cost.
    pub(crate) fn record_run(&mut self, ts_ms: i64, seconds: Option<f64>, cost: f64) {
        for ring in &mut self.windows {
            if let Some(slot) = ring.slot_mut(ts_ms) {
                if let Some(s) = seconds {
                    slot.run_seconds.add(s);
                }
                slot.run_cost.add(cost);
            }
        }
        if let Some(s) = seconds {
            self.run_seconds.add(s);
        }
        self.run_cost.add(cost);
    }

    pub(crate) fn count_trigger(&mut self, ts_ms: i64, rule: &str, action: &str) {
        self.update(ts_ms, |c| c.triggers += 1);
        let key = if self.triggers.contains_key(rule) || self.triggers.len() < MAX_TRIGGER_KEYS {
            rule
        } else {
            OTHER
        };
        *self
            .triggers
            .entry(key.to_string())
            .or_default()
            .entry(action.to_string())
            .or_default() += 1;
    }

    /// The window at `index` as of `now_ms`.
    pub(crate) fn view(&self, index: usize, now_ms: i64) -> Option<WindowView> {
        let ring = self.windows.get(index)?;
        let mut v = WindowView::default();
        ring.for_window(now_ms, ring.span_ms(), |slot| {
            v.counts.add(&slot.counts);
            v.run_seconds.merge(&slot.run_seconds);
            v.run_cost.merge(&slot.run_cost);
        });
        Some(v)
    }

    /// Approximate bytes this series holds (inline plus owned heap).
    pub(crate) fn memory_bytes(&self) -> usize {
        let mut n = std::mem::size_of::<Self>();
        for ring in &self.windows {
            n += ring.memory_bytes();
            n += ring
                .slots()
                .iter()
                .map(|s| s.run_seconds.heap_bytes() + s.run_cost.heap_bytes())
                .sum::<usize>();
        }
        n += (self.run_seconds.bounds.capacity() + self.run_seconds.counts.capacity()) * 8;
        n += (self.run_cost.bounds.capacity() + self.run_cost.counts.capacity()) * 8;
        n += self
            .triggers
            .iter()
            .map(|(k, m)| k.capacity() + 64 + m.keys().map(|a| a.capacity() + 40).sum::<usize>())
            .sum::<usize>();
        n
    }
}

/// The entry for `key` in a map of label value to `T` holding at most `max` keys; past that,
/// new keys share the entry [`OTHER`] (bounded cardinality, as Prometheus naming asks).
pub(crate) fn bounded_entry<'a, T: Default, S: std::hash::BuildHasher>(
    map: &'a mut hashbrown::HashMap<String, T, S>,
    key: &str,
    max: usize,
) -> Option<&'a mut T> {
    // One lookup on the common path; the key is copied only when inserted.
    let key = if map.len() >= max && !map.contains_key(key) {
        OTHER
    } else {
        key
    };
    Some(map.entry_ref(key).or_default())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ring_keeps_the_last_window_and_drops_late_events() {
        let mut r: Ring<u64> = Ring::new(1_000, 5);
        for t in 0..10 {
            *r.slot_mut(t * 1_000).unwrap() += 1;
        }
        let mut sum = 0;
        r.for_window(9_000, 5_000, |c| sum += c);
        assert_eq!(sum, 5);
        let mut sum = 0;
        r.for_window(9_000, 2_000, |c| sum += c);
        assert_eq!(sum, 2);
        assert!(r.slot_mut(1_000).is_none(), "older than the ring");
        assert!(r.slot_mut(6_000).is_some(), "late but inside the ring");
        // Negative times and huge gaps do not panic.
        assert!(r.slot_mut(-5).is_none());
        assert!(r.slot_mut(i64::MAX).is_some());
    }

    #[test]
    fn sketch_quantiles_are_within_the_stated_error() {
        let mut s = Sketch::default();
        let mut xs: Vec<f64> = (1..=10_000).map(|i| 0.05 + f64::from(i) * 0.001).collect();
        // Deterministic shuffle so insert order is not sorted.
        xs.sort_by_key(|x| ((x * 1e6) as u64).wrapping_mul(2_654_435_761) % 10_007);
        for &x in &xs {
            s.add(x);
        }
        xs.sort_by(f64::total_cmp);
        for q in [0.5, 0.95, 0.99] {
            let exact = xs[((xs.len() - 1) as f64 * q) as usize];
            let got = s.quantile(q).unwrap();
            assert!(
                (got - exact).abs() <= RELATIVE_ACCURACY * exact,
                "q{q}: {got} vs {exact}"
            );
        }
        assert!(s.bins.len() <= MAX_BINS);
    }

    #[test]
    fn sketch_memory_is_bounded_for_any_input() {
        let mut s = Sketch::default();
        for i in 0..100_000u32 {
            s.add(1.0001f64.powi(i as i32 * 7));
        }
        s.add(f64::NAN);
        s.add(-1.0);
        s.add(0.0);
        assert!(s.bins.len() <= MAX_BINS);
        assert_eq!(s.count(), 100_001);
        assert!(Sketch::default().quantile(0.5).is_none());
    }

    #[test]
    fn sketch_merge_matches_a_single_sketch() {
        let (mut a, mut b, mut all) = (Sketch::default(), Sketch::default(), Sketch::default());
        for i in 1..1000 {
            let x = f64::from(i);
            if i % 2 == 0 {
                a.add(x)
            } else {
                b.add(x)
            }
            all.add(x);
        }
        a.merge(&b);
        assert_eq!(a, all);
    }

    #[test]
    fn histogram_buckets_are_upper_inclusive() {
        let mut h = Hist::new(&[1.0, 2.0]);
        for x in [0.5, 1.0, 1.5, 2.0, 3.0, f64::NAN] {
            h.add(x);
        }
        assert_eq!(h.counts, vec![2, 2, 1]);
        assert_eq!(h.count, 5);
        assert_eq!((h.min, h.max), (0.5, 3.0));
    }

    #[test]
    fn series_windows_and_triggers_are_bounded() {
        let mut s = Series::new(&[300_000, 3_600_000], 12, &RUN_COST_BOUNDS);
        for i in 0..1000 {
            s.update(i * 1000, |c| c.llm_calls += 1);
            s.count_trigger(i * 1000, &format!("rule.{i}"), "allow");
        }
        let v = s.view(0, 999_000).unwrap();
        assert!(
            (275..=300).contains(&v.counts.llm_calls),
            "{}",
            v.counts.llm_calls
        );
        assert_eq!(s.totals.llm_calls, 1000);
        assert_eq!(s.triggers.len(), MAX_TRIGGER_KEYS + 1);
        assert!(s.view(5, 0).is_none());
    }
}
