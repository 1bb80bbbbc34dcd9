//! Private helpers shared by several layers.

/// The candidate closest to `input` by edit distance, if it is close enough to be a likely
/// typo (at most a third of the input's length, and at least one edit).
pub(crate) fn did_you_mean<'a>(
    input: &str,
    candidates: impl IntoIterator<Item = &'a str>,
) -> Option<&'a str> {
    let limit = (input.chars().count() / 3).max(2);
    candidates
        .into_iter()
        .map(|c| (strsim::damerau_levenshtein(input, c), c))
        .filter(|(d, _)| *d <= limit)
        .min_by_key(|(d, c)| (*d, *c))
        .map(|(_, c)| c)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suggests_close_names_only() {
        let names = ["keywords", "regex", "channels"];
        assert_eq!(did_you_mean("keyword", names), Some("keywords"));
        assert_eq!(did_you_mean("rgex", names), Some("regex"));
        assert_eq!(did_you_mean("zzzzzzzz", names), None);
    }
}
