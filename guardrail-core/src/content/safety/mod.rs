//! Safety classification (in progress).
