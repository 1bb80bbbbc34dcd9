//! Layer 2, runtime content policy: secrets, PII, safety, custom rules, and the redaction
//! operators they share.
pub(crate) mod secrets;
