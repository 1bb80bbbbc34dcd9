//! The candidate regex: a forward and a reverse lazy DFA searched directly, with the meta
//! regex kept as the fallback.
//!
//! `meta::Regex::search` finds where a match starts with the reverse DFA of *every* shape, so
//! it keeps reading backwards past the match while any shape could still match there (a run
//! of capitals, hex digits, spaces). Anchoring the reverse search to the shape the forward
//! search reported stops it at the match's start. The start is the same: a match of any shape
//! starting further left would have been the forward leftmost-first match instead.

use regex_automata::hybrid::{self, regex::Cache};
use regex_automata::nfa::thompson::{self, WhichCaptures};
use regex_automata::util::pool::{Pool, PoolGuard};
use regex_automata::{meta, Anchored, Input, Match, MatchKind};
use std::panic::{RefUnwindSafe, UnwindSafe};
use std::sync::Arc;

type CacheFn = Box<dyn Fn() -> Cache + Send + Sync + UnwindSafe + RefUnwindSafe>;

/// One DFA cache per thread, as `meta::Regex` keeps internally.
pub(crate) type CacheGuard<'a> = PoolGuard<'a, Cache, CacheFn>;

/// The shapes of every entity compiled as one multi-pattern regex.
#[derive(Debug)]
pub(crate) struct Shapes {
    dfa: Arc<hybrid::regex::Regex>,
    caches: Pool<Cache, CacheFn>,
    /// Used if the lazy DFA fails a search (it should not: no quit bytes, no give-up limit).
    fallback: meta::Regex,
}

impl Shapes {
    /// Compiles `patterns` (leftmost-first, in priority order).
    pub(crate) fn new(patterns: &[String]) -> Result<Shapes, String> {
        let cache_capacity = 16 << 20;
        let fallback = meta::Regex::builder()
            .configure(
                meta::Config::new()
                    .match_kind(MatchKind::LeftmostFirst)
                    .hybrid_cache_capacity(cache_capacity)
                    .backtrack(false)
                    .onepass(false),
            )
            .build_many(patterns)
            .map_err(|e| e.to_string())?;
        let dfa = hybrid::regex::Builder::new()
            .dfa(
                hybrid::dfa::Config::new()
                    .match_kind(MatchKind::LeftmostFirst)
                    // Anchored retries of one shape, and the anchored reverse search.
                    .starts_for_each_pattern(true)
                    .cache_capacity(cache_capacity),
            )
            .thompson(thompson::Config::new().which_captures(WhichCaptures::None))
            .build_many(patterns)
            .map_err(|e| e.to_string())?;
        let dfa = Arc::new(dfa);
        let for_pool = Arc::clone(&dfa);
        let create: CacheFn = Box::new(move || for_pool.create_cache());
        Ok(Shapes {
            dfa,
            caches: Pool::new(create),
            fallback,
        })
    }

    /// A DFA cache for the searches of one scan.
    pub(crate) fn cache(&self) -> CacheGuard<'_> {
        self.caches.get()
    }

    /// The leftmost-first match in `input`, as `meta::Regex::search` reports it.
    pub(crate) fn search(&self, cache: &mut Cache, input: &Input<'_>) -> Option<Match> {
        self.search_dfa(cache, input)
            .unwrap_or_else(|| self.fallback.search(input))
    }

    /// `None` when the lazy DFA could not answer.
    fn search_dfa(&self, cache: &mut Cache, input: &Input<'_>) -> Option<Option<Match>> {
        let (fwd, rev) = cache.as_parts_mut();
        let Some(end) = self.dfa.forward().try_search_fwd(fwd, input).ok()? else {
            return Some(None);
        };
        if input.get_anchored().is_anchored() || end.offset() == input.start() {
            return Some(Some(Match::new(end.pattern(), input.start()..end.offset())));
        }
        let back = input
            .clone()
            .span(input.start()..end.offset())
            .anchored(Anchored::Pattern(end.pattern()))
            .earliest(false);
        let start = self.dfa.reverse().try_search_rev(rev, &back).ok()??;
        Some(Some(Match::new(
            end.pattern(),
            start.offset()..end.offset(),
        )))
    }
}
