//! The audit chain: one record per evaluated event (its decision, the gate it opened or
//! used, the approval it carried), hash-chained with SHA-256 so that an edited, removed,
//! inserted or reordered record is detected and located by [`verify`].
//!
//! `hash = SHA-256(body || prev_hash || seq)`: `body` is the canonical JSON of the record
//! without its three chain fields (`hash`, `prev_hash`, `seq`), `prev_hash` the previous
//! record's hash as its 64 ASCII hex characters (64 zeros for the first record), `seq` 8
//! bytes big-endian. Each hash covers the record and, through `prev_hash`, the whole chain
//! before it. The chain fields come last with a fixed length (in a chain that verifies,
//! `prev_hash` is always a 64-character hash), so the input splits one way only. Canonical
//! JSON: keys sorted, no whitespace, absent values as
//! `null` (RFC 8785 for the strings and integers records hold). Records never contain raw
//! arguments, only their SHA-256.
//!
//! The body depends only on the event and its decision, so the guard hashes it outside the
//! lock that orders the state changes; under the lock, linking a record only finishes the
//! hash with the 72 bytes of chain fields (one or two SHA-256 blocks).
//!
//! The core appends; the host persists: it drains new records with
//! [`State::take_audit_records`](crate::State::take_audit_records) and stores them. The state
//! snapshot keeps only the chain's [`AuditHead`], which lets the host detect a truncated
//! tail ([`verify_against_head`]).

use crate::decision::Action;
use crate::event::Timestamp;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// The `governance.audit` section of the policy.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, default)]
pub struct AuditPolicy {
    /// Append a record for every evaluated event. Off by default because the host must
    /// drain the records (`State::take_audit_records`) or they accumulate in memory.
    pub enabled: bool,
}

/// The `prev_hash` of the first record.
pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// One audit record. Field order is alphabetical: serializing it gives canonical JSON.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AuditRecord {
    /// The action the findings ask for (before shadow mode).
    pub action: Action,
    /// The agent that acted.
    pub agent: Option<String>,
    /// For an approval event: who answered.
    pub approver: Option<String>,
    /// SHA-256 (hex) of the tool call's canonical arguments; never the arguments.
    pub args_sha256: Option<String>,
    /// The enforced action.
    pub decision: Action,
    /// The event type (`tool_call`, `approval`, ...).
    pub event: String,
    /// The gate the event opened, answered or used.
    pub gate: Option<String>,
    /// This record's hash (hex).
    pub hash: String,
    /// The policy's content hash.
    pub policy: String,
    /// The previous record's hash (hex; [`GENESIS`] for the first).
    pub prev_hash: String,
    /// On whose behalf the agent acted.
    pub principal: Option<String>,
    /// The rule ids of the decision's findings (the rules invoked), deduplicated.
    pub reasons: Vec<String>,
    /// The run id.
    pub run: Option<String>,
    /// Position in the chain, from 0, without gaps.
    pub seq: u64,
    /// For tool calls: the tool.
    pub tool: Option<String>,
    /// The event's host timestamp (RFC 3339, UTC, milliseconds).
    pub ts: Timestamp,
}

/// A UTC calendar time: year, month, day, hour, minute, second, millisecond.
pub(crate) struct Civil {
    pub year: i64,
    pub month: u32,
    pub day: u32,
    pub hour: u32,
    pub minute: u32,
    pub second: u32,
    pub milli: u32,
}

/// Unix milliseconds as a UTC calendar time: the days-to-civil conversion of the proleptic
/// Gregorian calendar (eras of 400 years), pure integer arithmetic, no allocation.
pub(crate) fn civil(ms: i64) -> Civil {
    let days = ms.div_euclid(86_400_000);
    let in_day = ms.rem_euclid(86_400_000);
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    // Every value below is in range by construction (day in 1..=31, in_day < 86 400 000).
    let small = |v: i64| u32::try_from(v).unwrap_or(0);
    Civil {
        year,
        month: small(month),
        day: small(day),
        hour: small(in_day / 3_600_000),
        minute: small(in_day / 60_000 % 60),
        second: small(in_day / 1_000 % 60),
        milli: small(in_day % 1_000),
    }
}

/// Unix milliseconds as RFC 3339 in UTC with milliseconds (`2026-11-23T10:15:02.120Z`), the
/// form `Timestamp` serializes to, for the years 0 to 9999 (`None` outside them, where the
/// caller falls back to [`Timestamp::to_rfc3339`]). No calendar library round trip and no
/// allocation: it runs once per audit record and per dated budget key.
pub(crate) fn rfc3339_millis(ms: i64) -> Option<[u8; 24]> {
    let c = civil(ms);
    let year = u32::try_from(c.year).ok().filter(|y| *y <= 9999)?;
    let mut buf = *b"0000-00-00T00:00:00.000Z";
    let mut put = |at: usize, v: u32, width: usize| {
        let mut v = v;
        for i in (0..width).rev() {
            if let Some(b) = buf.get_mut(at + i) {
                *b = b'0' + (v % 10) as u8;
            }
            v /= 10;
        }
    };
    put(0, year, 4);
    put(5, c.month, 2);
    put(8, c.day, 2);
    put(11, c.hour, 2);
    put(14, c.minute, 2);
    put(17, c.second, 2);
    put(20, c.milli, 3);
    Some(buf)
}

/// Where the canonical body goes: a string (to show it) or straight into the hasher (to hash
/// it without building it, once per evaluated event).
trait Sink {
    fn put(&mut self, s: &str);
}

impl Sink for String {
    fn put(&mut self, s: &str) {
        self.push_str(s);
    }
}

impl Sink for Sha256 {
    fn put(&mut self, s: &str) {
        self.update(s.as_bytes());
    }
}

/// Writes `ts` as a JSON string, exactly as serde serializes a `Timestamp`.
fn put_ts(out: &mut impl Sink, ts: Timestamp) {
    match rfc3339_millis(ts.unix_millis()) {
        Some(rfc) => {
            let mut quoted = [b'"'; 26];
            if let Some(inner) = quoted.get_mut(1..25) {
                inner.copy_from_slice(&rfc);
            }
            out.put(std::str::from_utf8(&quoted).unwrap_or_default());
        }
        None => put_json_str(out, &ts.to_rfc3339()),
    }
}

/// Writes `s` as a JSON string (RFC 8785 escaping, which is also serde_json's).
fn put_json_str(out: &mut impl Sink, s: &str) {
    out.put("\"");
    // Most values need no escape: one branch-free pass finds out, then a single copy.
    if !s
        .bytes()
        .fold(false, |any, b| any | (b == b'"' || b == b'\\' || b < 0x20))
    {
        out.put(s);
        out.put("\"");
        return;
    }
    let mut plain = 0;
    for (i, b) in s.bytes().enumerate() {
        let escape = match b {
            b'"' => "\\\"",
            b'\\' => "\\\\",
            b'\n' => "\\n",
            b'\r' => "\\r",
            b'\t' => "\\t",
            0x08 => "\\b",
            0x0c => "\\f",
            0..=0x1f => "",
            _ => continue,
        };
        out.put(s.get(plain..i).unwrap_or(""));
        plain = i + 1;
        if escape.is_empty() {
            const HEX: &[u8; 16] = b"0123456789abcdef";
            let u = [
                b'\\',
                b'u',
                b'0',
                b'0',
                HEX[usize::from(b >> 4)],
                HEX[usize::from(b & 0xf)],
            ];
            out.put(std::str::from_utf8(&u).unwrap_or_default());
        } else {
            out.put(escape);
        }
    }
    out.put(s.get(plain..).unwrap_or(""));
    out.put("\"");
}

fn put_opt(out: &mut impl Sink, key: &str, v: &Option<String>) {
    out.put(key);
    match v {
        Some(s) => put_json_str(out, s),
        None => out.put("null"),
    }
}

impl AuditRecord {
    /// The record's body: its canonical JSON without the chain fields (`hash`, `prev_hash`,
    /// `seq`), keys sorted, no whitespace. Written by hand (it runs once per evaluated
    /// event); a test checks it against serde_json's output.
    pub fn canonical_body(&self) -> String {
        let mut o = String::with_capacity(320);
        self.write_body(&mut o);
        o
    }

    fn write_body(&self, o: &mut impl Sink) {
        o.put("{\"action\":\"");
        o.put(self.action.as_str());
        o.put("\"");
        put_opt(o, ",\"agent\":", &self.agent);
        put_opt(o, ",\"approver\":", &self.approver);
        put_opt(o, ",\"args_sha256\":", &self.args_sha256);
        o.put(",\"decision\":\"");
        o.put(self.decision.as_str());
        o.put("\",\"event\":");
        put_json_str(o, &self.event);
        put_opt(o, ",\"gate\":", &self.gate);
        o.put(",\"policy\":");
        put_json_str(o, &self.policy);
        put_opt(o, ",\"principal\":", &self.principal);
        o.put(",\"reasons\":[");
        for (i, r) in self.reasons.iter().enumerate() {
            if i > 0 {
                o.put(",");
            }
            put_json_str(o, r);
        }
        o.put("]");
        put_opt(o, ",\"run\":", &self.run);
        put_opt(o, ",\"tool\":", &self.tool);
        o.put(",\"ts\":");
        put_ts(o, self.ts);
        o.put("}");
    }

    /// A SHA-256 state that has absorbed the body: the part of the hash that does not depend
    /// on the chain, computed before the record is linked.
    pub(crate) fn body_hasher(&self) -> Sha256 {
        let mut h = Sha256::new();
        self.write_body(&mut h);
        h
    }

    /// The hash this record's content and chain fields give.
    pub fn compute_hash(&self) -> String {
        finish_hash(self.body_hasher(), &self.prev_hash, self.seq)
    }
}

/// Completes `SHA-256(body || prev_hash || seq)` from the state after the body.
fn finish_hash(mut body: Sha256, prev_hash: &str, seq: u64) -> String {
    body.update(prev_hash.as_bytes());
    body.update(seq.to_be_bytes());
    crate::policy::hex(&body.finalize())
}

/// Where a chain stands: how many records it holds and the last one's hash.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AuditHead {
    /// Records appended so far (the next record's `seq`).
    pub seq: u64,
    /// The last record's hash ([`GENESIS`] before the first).
    pub hash: String,
}

impl Default for AuditHead {
    fn default() -> AuditHead {
        AuditHead {
            seq: 0,
            hash: GENESIS.to_string(),
        }
    }
}

/// The chain's live part in the state: the head, the records numbered but not yet linked,
/// and the records not yet drained.
#[derive(Debug, Default)]
pub(crate) struct AuditState {
    /// The last linked record.
    pub head: AuditHead,
    /// The next number to hand out: `head.seq` plus the records in flight (numbered with
    /// their decision's state changes, not linked yet).
    next_seq: u64,
    /// Records that arrived before their predecessor, with their body hashed: at most one
    /// per thread evaluating at the same time.
    early: Vec<(AuditRecord, Sha256)>,
    /// Linked records, in chain order, until the host drains them.
    pub records: Vec<AuditRecord>,
}

impl AuditState {
    /// The state of a chain that continues after `head`.
    pub(crate) fn after(head: AuditHead) -> AuditState {
        AuditState {
            next_seq: head.seq,
            head,
            early: Vec::new(),
            records: Vec::new(),
        }
    }

    /// Numbers the next record. The guard calls this under the lock that orders the state
    /// changes, so numbers follow them; every number must then be [`link`](Self::link)ed,
    /// or the records after it wait forever (the code between the two does not panic:
    /// building a record and serializing it only copy strings).
    pub(crate) fn number(&mut self) -> u64 {
        let seq = self.next_seq;
        self.next_seq += 1;
        seq
    }

    /// Links a numbered record whose body was hashed outside the lock (`body`, from
    /// [`AuditRecord::body_hasher`]), then any early records that follow it: their
    /// `prev_hash` and `hash` are set here, in number order.
    pub(crate) fn link(&mut self, record: AuditRecord, body: Sha256) {
        if record.seq != self.head.seq {
            self.early.push((record, body));
            return;
        }
        self.push_linked(record, body);
        while let Some(i) = self.early.iter().position(|(r, _)| r.seq == self.head.seq) {
            let (record, body) = self.early.swap_remove(i);
            self.push_linked(record, body);
        }
    }

    fn push_linked(&mut self, mut record: AuditRecord, body: Sha256) {
        record.prev_hash = std::mem::take(&mut self.head.hash);
        record.hash = finish_hash(body, &record.prev_hash, record.seq);
        self.head.seq = record.seq + 1;
        self.head.hash.clone_from(&record.hash);
        self.records.push(record);
    }

    /// Numbers, digests and links `record` in one step (tests build chains with it).
    #[cfg(test)]
    pub(crate) fn append(&mut self, mut record: AuditRecord) {
        record.seq = self.number();
        let body = record.body_hasher();
        self.link(record, body);
    }
}

/// SHA-256 (hex) of a JSON value's canonical form (keys sorted, no whitespace).
pub fn args_sha256(args: &serde_json::Value) -> String {
    crate::policy::hex(&Sha256::digest(args.to_string().as_bytes()))
}

/// Why a chain does not verify, and where (`index` is the position in the slice given).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum AuditError {
    /// A record's content changed: its hash no longer matches it, or (when its hash was
    /// recomputed) its successor no longer links to it.
    #[error("record {index} (seq {seq}) was edited: its content no longer matches the chain")]
    Edited {
        /// Position of the edited record.
        index: usize,
        /// Its sequence number.
        seq: u64,
    },
    /// Records are missing before position `index`.
    #[error("records seq {from}..={to} are missing before record {index}")]
    Removed {
        /// Position of the first record after the gap.
        index: usize,
        /// First missing sequence number.
        from: u64,
        /// Last missing sequence number.
        to: u64,
    },
    /// A record that does not belong to the chain sits at `index`.
    #[error("record {index} (seq {seq}) was inserted: it does not belong to the chain")]
    Inserted {
        /// Its position.
        index: usize,
        /// The sequence number it claims.
        seq: u64,
    },
    /// The record at `index` belongs elsewhere in the chain.
    #[error("record {index} (seq {seq}) is out of order: it follows seq {belongs_after}")]
    Reordered {
        /// Its position.
        index: usize,
        /// Its sequence number.
        seq: u64,
        /// The record it actually follows.
        belongs_after: u64,
    },
    /// The records end before the head the state reports (the tail was cut).
    #[error("the chain ends at seq {found:?} but the head is at seq {expected}: records were removed from the end")]
    Truncated {
        /// The head's count of records.
        expected: u64,
        /// The last sequence number present.
        found: Option<u64>,
    },
}

/// Verifies a chain from its first record (seq 0, `prev_hash` = [`GENESIS`]).
pub fn verify(records: &[AuditRecord]) -> Result<(), AuditError> {
    verify_continuation(&AuditHead::default(), records)
}

/// Verifies records that continue the chain after `after` (a head the host stored when it
/// persisted the previous batch).
pub fn verify_continuation(after: &AuditHead, records: &[AuditRecord]) -> Result<(), AuditError> {
    for (index, r) in records.iter().enumerate() {
        if r.compute_hash() != r.hash {
            return Err(AuditError::Edited { index, seq: r.seq });
        }
        let (prev_seq, prev_hash) = match index.checked_sub(1).and_then(|i| records.get(i)) {
            Some(p) => (Some(p.seq), p.hash.as_str()),
            None => (after.seq.checked_sub(1), after.hash.as_str()),
        };
        let expected_seq = prev_seq.map_or(0, |s| s + 1);
        if r.prev_hash == prev_hash && r.seq == expected_seq {
            continue;
        }
        return Err(locate(records, index, expected_seq, prev_hash));
    }
    Ok(())
}

/// Classifies the first broken link: record `index` does not follow its predecessor.
fn locate(records: &[AuditRecord], index: usize, expected_seq: u64, prev_hash: &str) -> AuditError {
    let Some(r) = records.get(index) else {
        return AuditError::Inserted {
            index,
            seq: expected_seq,
        };
    };
    let linked_from = records.iter().position(|o| o.hash == r.prev_hash);
    // Its real predecessor is elsewhere in the slice: it was moved (unless the predecessor
    // is two back, which means the record just before it was slipped in).
    if let Some(j) = linked_from {
        if index >= 2 && j == index - 2 {
            return AuditError::Inserted {
                index: index - 1,
                seq: records.get(index - 1).map_or(0, |x| x.seq),
            };
        }
        let belongs_after = records.get(j).map_or(0, |x| x.seq);
        return AuditError::Reordered {
            index,
            seq: r.seq,
            belongs_after,
        };
    }
    // The next record links to the previous one: this one was slipped in between.
    if records
        .get(index + 1)
        .is_some_and(|n| n.prev_hash == prev_hash)
    {
        return AuditError::Inserted { index, seq: r.seq };
    }
    if r.seq > expected_seq {
        return AuditError::Removed {
            index,
            from: expected_seq,
            to: r.seq - 1,
        };
    }
    // It links to a record that no longer has that hash: its predecessor was edited and
    // re-hashed (or, at the start, the first record was replaced).
    match index.checked_sub(1).and_then(|i| records.get(i)) {
        Some(p) => AuditError::Edited {
            index: index - 1,
            seq: p.seq,
        },
        None => AuditError::Edited { index, seq: r.seq },
    }
}

/// Verifies a full chain and that it ends at `head` (detects a removed tail).
pub fn verify_against_head(records: &[AuditRecord], head: &AuditHead) -> Result<(), AuditError> {
    verify(records)?;
    let last = records.last();
    if last.map(|r| r.seq + 1).unwrap_or(0) != head.seq
        || last.map_or(GENESIS, |r| r.hash.as_str()) != head.hash
    {
        return Err(AuditError::Truncated {
            expected: head.seq,
            found: last.map(|r| r.seq),
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(i: u64) -> AuditRecord {
        AuditRecord {
            action: Action::Allow,
            agent: Some(format!("bot-{}", i % 3)),
            approver: None,
            args_sha256: Some(args_sha256(&serde_json::json!({"n": i}))),
            decision: Action::Allow,
            event: "tool_call".into(),
            gate: None,
            hash: String::new(),
            policy: "sha256:p".into(),
            prev_hash: String::new(),
            principal: None,
            reasons: vec![],
            run: Some("r-1".into()),
            seq: 0,
            tool: Some("t".into()),
            ts: Timestamp::from_unix_millis(i as i64),
        }
    }

    fn chain(n: u64) -> Vec<AuditRecord> {
        let mut s = AuditState::default();
        for i in 0..n {
            s.append(record(i));
        }
        s.records
    }

    /// The record without its chain fields, serialized by serde: the reference for the
    /// hand-written canonical form.
    fn serde_body(r: &AuditRecord) -> String {
        let mut v = serde_json::to_value(r).unwrap();
        for chain_field in ["hash", "prev_hash", "seq"] {
            v.as_object_mut().unwrap().remove(chain_field).unwrap();
        }
        v.to_string()
    }

    #[test]
    fn canonical_body_matches_serde() {
        let mut r = record(7);
        assert_eq!(r.canonical_body(), serde_body(&r));
        r.agent = Some("q\"b\\s\n\r\t\u{8}\u{c}\u{1}\u{1f}é😀/".into());
        r.approver = None;
        r.reasons = vec!["a".into(), "b\u{0}".into()];
        r.gate = Some(String::new());
        r.seq = u64::MAX;
        assert_eq!(r.canonical_body(), serde_body(&r));
    }

    #[test]
    fn fast_timestamps_match_the_calendar_library() {
        for ms in [
            0,
            1,
            951_782_400_000,
            1_795_428_902_120,
            253_402_300_799_999,
            -86_400_001,
            // Years 10000 and -1: outside the fast form, which falls back.
            253_402_300_800_000,
            -62_198_755_200_000,
        ] {
            let ts = Timestamp::from_unix_millis(ms);
            let mut out = String::new();
            put_ts(&mut out, ts);
            assert_eq!(out, serde_json::to_string(&ts).unwrap(), "{ms}");
        }
    }

    #[test]
    fn a_clean_chain_verifies_and_is_canonical() {
        let c = chain(10);
        assert_eq!(verify(&c), Ok(()));
        assert_eq!(c[0].prev_hash, GENESIS);
        let v = serde_json::to_value(&c[3]).unwrap();
        assert_eq!(
            serde_json::to_string(&c[3]).unwrap(),
            v.to_string(),
            "field order is canonical"
        );
        assert!(!c[3].canonical_body().contains("\"hash\""));
        assert_eq!(verify(&[]), Ok(()));
    }

    #[test]
    fn records_linked_out_of_order_form_the_same_chain() {
        let in_order = chain(4);
        let mut s = AuditState::default();
        let numbered: Vec<AuditRecord> = (0..4)
            .map(|i| {
                let mut r = record(i);
                r.seq = s.number();
                r
            })
            .collect();
        // A record waits until its predecessor is linked: (record linked, records linked so far).
        for (i, linked) in [(2, 0), (0, 1), (3, 1), (1, 4)] {
            let r = numbered[i].clone();
            let body = r.body_hasher();
            s.link(r, body);
            assert_eq!(s.records.len(), linked, "after linking {i}");
        }
        assert_eq!(s.records, in_order);
        assert_eq!(s.head.seq, 4);
        assert!(s.early.is_empty());
        // A restored chain numbers from its head.
        let mut next = AuditState::after(s.head.clone());
        next.append(record(4));
        assert_eq!(verify_continuation(&s.head, &next.records), Ok(()));
        assert_eq!(next.records[0].seq, 4);
    }

    #[test]
    fn the_hash_is_the_documented_formula() {
        let c = chain(3);
        for r in &c {
            let mut input = r.canonical_body().into_bytes();
            input.extend_from_slice(r.prev_hash.as_bytes());
            input.extend_from_slice(&r.seq.to_be_bytes());
            assert_eq!(r.hash, crate::policy::hex(&Sha256::digest(&input)));
        }
        assert_eq!(c[1].prev_hash, c[0].hash);
    }

    #[test]
    fn the_hash_covers_the_chain_fields() {
        let c = chain(3);
        let mut r = c[1].clone();
        r.prev_hash = r.prev_hash.to_uppercase();
        assert_ne!(r.compute_hash(), c[1].hash);
        let mut r = c[1].clone();
        r.seq = 7;
        assert_ne!(r.compute_hash(), c[1].hash);
        let mut c = chain(10);
        c[4].prev_hash = c[4].prev_hash.to_uppercase();
        assert_eq!(verify(&c), Err(AuditError::Edited { index: 4, seq: 4 }));
    }

    #[test]
    fn edits_are_found() {
        let mut c = chain(10);
        c[4].decision = Action::Block;
        assert_eq!(verify(&c), Err(AuditError::Edited { index: 4, seq: 4 }));
        // Edited and re-hashed: the successor exposes it.
        let mut c = chain(10);
        c[4].reasons.push("forged".into());
        c[4].hash = c[4].compute_hash();
        assert_eq!(verify(&c), Err(AuditError::Edited { index: 4, seq: 4 }));
        // The hash field itself.
        let mut c = chain(10);
        c[9].hash = GENESIS.into();
        assert_eq!(verify(&c), Err(AuditError::Edited { index: 9, seq: 9 }));
    }

    #[test]
    fn removals_are_found() {
        let mut c = chain(10);
        c.remove(5);
        assert_eq!(
            verify(&c),
            Err(AuditError::Removed {
                index: 5,
                from: 5,
                to: 5
            })
        );
        let mut c = chain(10);
        c.drain(0..2);
        assert_eq!(
            verify(&c),
            Err(AuditError::Removed {
                index: 0,
                from: 0,
                to: 1
            })
        );
        let c = chain(10);
        let head = AuditHead {
            seq: 10,
            hash: c[9].hash.clone(),
        };
        assert_eq!(verify_against_head(&c, &head), Ok(()));
        assert_eq!(
            verify_against_head(&c[..8], &head),
            Err(AuditError::Truncated {
                expected: 10,
                found: Some(7)
            })
        );
    }

    #[test]
    fn insertions_are_found() {
        // A foreign record with made-up links.
        let mut c = chain(10);
        let mut forged = record(99);
        forged.seq = 5;
        forged.prev_hash = GENESIS.into();
        forged.hash = forged.compute_hash();
        c.insert(5, forged);
        assert_eq!(verify(&c), Err(AuditError::Inserted { index: 5, seq: 5 }));
        // A forged record chained onto its predecessor: its successor exposes it.
        let mut c = chain(10);
        let mut forged = record(99);
        forged.seq = 5;
        forged.prev_hash = c[4].hash.clone();
        forged.hash = forged.compute_hash();
        c.insert(5, forged);
        assert_eq!(verify(&c), Err(AuditError::Inserted { index: 5, seq: 5 }));
    }

    #[test]
    fn reorders_are_found() {
        let mut c = chain(10);
        c.swap(3, 4);
        assert_eq!(
            verify(&c),
            Err(AuditError::Reordered {
                index: 3,
                seq: 4,
                belongs_after: 3
            })
        );
        let mut c = chain(10);
        let last = c.pop().unwrap();
        c.insert(0, last);
        assert!(matches!(
            verify(&c),
            Err(AuditError::Reordered {
                index: 0,
                seq: 9,
                ..
            })
        ));
    }

    #[test]
    fn batches_verify_from_a_stored_head() {
        let c = chain(10);
        let head = AuditHead {
            seq: 6,
            hash: c[5].hash.clone(),
        };
        assert_eq!(verify_continuation(&head, &c[6..]), Ok(()));
        assert!(verify_continuation(&head, &c[7..]).is_err());
    }
}
