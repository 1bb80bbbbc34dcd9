//! C ABI over the guardrail engine.
