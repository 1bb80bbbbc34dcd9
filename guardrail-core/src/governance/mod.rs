//! Layer 5, governance: agent registry, access boundaries, budgets, showback and the audit
//! chain.
