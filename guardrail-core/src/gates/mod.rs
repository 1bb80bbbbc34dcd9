//! Layer 4, human gates: escalations open gate requests; approvals are checked against the
//! decision-rights matrix and bound to the exact action.
