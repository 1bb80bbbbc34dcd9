//! Layer 3, observability: traces, cost, aggregates, failure and drift detectors, SLOs and
//! exports.
