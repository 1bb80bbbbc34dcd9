//! Confirmation of a candidate beyond its regex: entropy, checksums, JWT headers, and the
//! shape tests that keep generic assignments quiet on hashes, ids and code.

use base64::Engine as _;

/// Shannon entropy of `s` in bits per byte.
pub(crate) fn entropy(s: &[u8]) -> f32 {
    if s.is_empty() {
        return 0.0;
    }
    let mut counts = [0u32; 256];
    for &b in s {
        if let Some(c) = counts.get_mut(usize::from(b)) {
            *c += 1;
        }
    }
    let n = s.len() as f32;
    counts
        .iter()
        .filter(|&&c| c > 0)
        .map(|&c| {
            let p = c as f32 / n;
            -p * p.log2()
        })
        .sum()
}

const BASE62: &[u8] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

/// Whether a GitHub token (`ghp_` + 30 random + 6 checksum chars) carries a valid CRC32 of
/// its random part, encoded in base62. Real tokens always do; a fake or mistyped one does not.
pub(crate) fn github_checksum_ok(token: &[u8]) -> bool {
    let Some(pos) = token.iter().position(|&b| b == b'_') else {
        return false;
    };
    let body = token.get(pos + 1..).unwrap_or_default();
    if body.len() != 36 {
        return false;
    }
    let (random, check) = body.split_at(30);
    let mut n = crc32fast::hash(random);
    let mut encoded = [b'0'; 6];
    for slot in encoded.iter_mut().rev() {
        let digit = (n % 62) as usize;
        *slot = BASE62.get(digit).copied().unwrap_or(b'0');
        n /= 62;
    }
    n == 0 && encoded == check
}

/// A JWT's verdict: `Some(confidence)` to report, `None` when the first segment decodes to
/// readable text that is not a JSON object (then it is base64 of something else).
pub(crate) fn jwt_confidence(token: &[u8]) -> Option<f32> {
    let header = token.split(|&b| b == b'.').next().unwrap_or_default();
    let decoded = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(header.strip_suffix(b"=").unwrap_or(header))
        .ok();
    let Some(bytes) = decoded else {
        return Some(0.6);
    };
    match serde_json::from_slice::<serde_json::Value>(&bytes) {
        Ok(serde_json::Value::Object(map)) if map.contains_key("alg") => Some(0.97),
        Ok(_) => None,
        Err(_) => match std::str::from_utf8(&bytes) {
            Ok(text) if !text.trim_start().starts_with('{') => None,
            _ => Some(0.6),
        },
    }
}

/// Character classes present in a value.
struct Classes {
    upper: bool,
    lower: bool,
    digit: bool,
    symbol: bool,
}

fn classes(s: &[u8]) -> Classes {
    Classes {
        upper: s.iter().any(u8::is_ascii_uppercase),
        lower: s.iter().any(u8::is_ascii_lowercase),
        digit: s.iter().any(u8::is_ascii_digit),
        // `_`, `-` and `.` join words in names; they do not make a value look random.
        symbol: s
            .iter()
            .any(|b| !b.is_ascii_alphanumeric() && !matches!(b, b'_' | b'-' | b'.')),
    }
}

fn is_hex(s: &[u8]) -> bool {
    s.iter().all(u8::is_ascii_hexdigit)
}

fn is_uuid(s: &[u8]) -> bool {
    s.len() == 36
        && s.iter().enumerate().all(|(i, b)| {
            if matches!(i, 8 | 13 | 18 | 23) {
                *b == b'-'
            } else {
                b.is_ascii_hexdigit()
            }
        })
}

/// `a.b.c`, `snake_case`, `CamelCase` or `kebab-case` words: names, not secrets.
fn is_identifier_path(s: &[u8]) -> bool {
    let parts = s.split(|&b| b == b'.' || b == b'/' || b == b':');
    let mut n = 0;
    for part in parts {
        n += 1;
        if part.is_empty()
            || !part
                .iter()
                .all(|b| b.is_ascii_alphabetic() || *b == b'_' || *b == b'-')
        {
            return false;
        }
    }
    n > 0
}

/// `struct_X509_pubkey_st`, `Ed25519.KeyPair`, `mx64-uwp=fail`: words joined by
/// punctuation, each word letters followed by digits. Random secrets mix digits into the
/// middle of their runs of letters.
fn is_code_reference(s: &[u8]) -> bool {
    let segments: Vec<&[u8]> = s
        .split(|b| matches!(b, b'_' | b'.' | b'-' | b'=' | b':' | b'/' | b'>'))
        .collect();
    // One run of letters and a digit (`Xk9aPq_5`) is how generated passwords end; a
    // reference names at least two words.
    let wordy = segments
        .iter()
        .filter(|seg| seg.iter().any(u8::is_ascii_alphabetic))
        .count();
    wordy >= 2
        && segments.iter().all(|seg| {
            let letters = seg.iter().take_while(|b| b.is_ascii_alphabetic()).count();
            seg.iter().skip(letters).all(u8::is_ascii_digit)
        })
}

/// Prefixes of values that are ids, digests or public material, never secrets.
const NOT_SECRET_PREFIXES: &[&str] = &[
    "sha1:",
    "sha256:",
    "sha384:",
    "sha512:",
    "sha1-",
    "sha256-",
    "sha384-",
    "sha512-",
    "md5:",
    "data:",
    "ssh-rsa",
    "ssh-ed25519",
    "ssh-dss",
    "ecdsa-sha2",
    "pk_live_",
    "pk_test_",
    "req_",
    "evt_",
    "cus_",
    "pi_",
    "ch_",
    "txn_",
    "sub_",
    "in_",
    "prod_",
    "price_",
    "acct_",
    "http://",
    "https://",
    "file://",
    "arn:",
    "urn:",
    "git@",
    "ghcr.io/",
    "docker.io/",
];

/// Suffixes of public identifiers (OAuth client ids, hostnames).
const NOT_SECRET_SUFFIXES: &[&str] = &[
    ".apps.googleusercontent.com",
    ".com",
    ".org",
    ".net",
    ".io",
    ".local",
    ".internal",
    ".json",
    ".yaml",
    ".yml",
    ".pem",
    ".key",
    ".crt",
    ".p12",
    ".txt",
    ".png",
    ".jpg",
    ".svg",
];

/// Whether a value assigned to a secret-looking name looks like a random secret rather than
/// a hash, an id, a reference or a word. `min_entropy` is in bits per byte.
pub(crate) fn generic_value_ok(value: &[u8], min_entropy: f32, min_len: usize) -> bool {
    let value = value.strip_suffix(b".").unwrap_or(value);
    if value.len() < min_len || value.len() > 256 {
        return false;
    }
    let lower: Vec<u8> = value.to_ascii_lowercase();
    if NOT_SECRET_PREFIXES
        .iter()
        .any(|p| lower.starts_with(p.as_bytes()))
        || NOT_SECRET_SUFFIXES
            .iter()
            .any(|p| lower.ends_with(p.as_bytes()))
    {
        return false;
    }
    // Hex strings of any length are digests, commit ids, trace ids and UUID-like ids far
    // more often than secrets; providers whose keys are hex have their own keyed rules.
    let core: Vec<u8> = value.iter().copied().filter(|b| *b != b'-').collect();
    if is_hex(&core) || is_uuid(value) {
        return false;
    }
    // Mostly hex (`<sha>-us18`, `<sha256>R21`): a digest with a suffix.
    let hex = value.iter().filter(|b| b.is_ascii_hexdigit()).count();
    if value.len() >= 16 && hex * 4 >= value.len() * 3 {
        return false;
    }
    if is_identifier_path(value) || is_code_reference(value) {
        return false;
    }
    // `id:secret` pairs (`123:AAx...`, `user:pass`) have rules of their own; a colon in a
    // value assigned to a name is far more often a reference (`ns:key`, `host:port`).
    if value.contains(&b':') {
        return false;
    }
    // `timeout=30`, `a=b&c=d`: an assignment or a query, not a value; base64 padding only
    // ever ends a value.
    if value
        .windows(2)
        .any(|w| w.first() == Some(&b'=') && w.get(1) != Some(&b'='))
    {
        return false;
    }
    // Dotted version strings and numbers.
    if value
        .iter()
        .all(|b| b.is_ascii_digit() || matches!(b, b'.' | b'-' | b'_' | b'+' | b':'))
    {
        return false;
    }
    let c = classes(value);
    let kinds = [c.upper, c.lower, c.digit, c.symbol]
        .iter()
        .filter(|&&k| k)
        .count();
    // A random secret has letters and digits; a long one may skip the digit class.
    let varied = (c.digit && (c.upper || c.lower) && kinds >= 3)
        || (value.len() >= 24 && c.upper && c.lower && kinds >= 2);
    if !varied {
        return false;
    }
    entropy(value) >= min_entropy
}

/// Name parts that make an assignment describe a secret rather than hold one
/// (`credentialId`, `token_url`, `passwordVariable`, `public_key`, `secretName`).
const NOT_SECRET_NAME_PARTS: &[&str] = &[
    "id",
    "ids",
    "name",
    "names",
    "url",
    "uri",
    "path",
    "file",
    "type",
    "size",
    "length",
    "len",
    "count",
    "version",
    "format",
    "prefix",
    "suffix",
    "field",
    "column",
    "header",
    "label",
    "mode",
    "variable",
    "var",
    "ref",
    "hash",
    "digest",
    "checksum",
    "public",
    "pub",
    "csrf",
    "xsrf",
    "endpoint",
    "host",
    "store",
    "vault",
    "manager",
    "pattern",
    "regex",
    "policy",
    "provider",
    "tokenizer",
    "keyboard",
    "keyframe",
    "keys",
    "keyword",
    "keystore",
    "keytab",
    "keyring",
    "keypair",
    "min",
    "max",
    "limit",
    "timeout",
    "ttl",
    "expiry",
    "expires",
    "index",
    "sequence",
    "schema",
    "bucket",
    "kms",
    "class",
    "method",
    "author",
];

/// Whether the identifier around a generic keyword at `at` names a secret value. The
/// identifier is split into words (snake, kebab, dot and camel case) and rejected when one
/// of them says it holds something else (an id, a name, a URL, a public key).
pub(crate) fn generic_name_ok(text: &[u8], at: usize) -> bool {
    let is_ident = |b: &u8| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'.');
    let mut start = at;
    while start > 0 && start + 64 > at && text.get(start - 1).is_some_and(is_ident) {
        start -= 1;
    }
    let mut end = at;
    while end < at + 64 && text.get(end).is_some_and(is_ident) {
        end += 1;
    }
    let Some(name) = text.get(start..end) else {
        return true;
    };
    let mut words: Vec<String> = Vec::new();
    let mut cur = String::new();
    let mut prev_lower = false;
    for &b in name {
        if !b.is_ascii_alphanumeric() {
            if !cur.is_empty() {
                words.push(std::mem::take(&mut cur));
            }
            prev_lower = false;
            continue;
        }
        if b.is_ascii_uppercase() && prev_lower && !cur.is_empty() {
            words.push(std::mem::take(&mut cur));
        }
        prev_lower = b.is_ascii_lowercase() || b.is_ascii_digit();
        cur.push(char::from(b.to_ascii_lowercase()));
    }
    if !cur.is_empty() {
        words.push(cur);
    }
    !words
        .iter()
        .any(|w| NOT_SECRET_NAME_PARTS.contains(&w.as_str()))
}

/// Whether the password part of `user:pass@host` or `curl -u user:pass` is a real value
/// rather than a placeholder or a shell/template variable.
pub(crate) fn url_password_ok(pass: &[u8]) -> bool {
    if pass.len() < 3 {
        return false;
    }
    if matches!(
        pass.first(),
        Some(b'$' | b'{' | b'<' | b'[' | b'%' | b'*' | b'(')
    ) {
        return false;
    }
    let lower = pass.to_ascii_lowercase();
    const WORDS: &[&str] = &[
        "password", "passwd", "pass", "pwd", "secret", "token", "test", "changeme", "example",
        "xxx", "yyy", "foo", "bar", "admin", "root", "guest", "user", "username", "redacted",
        "****",
    ];
    if WORDS.iter().any(|w| lower == w.as_bytes()) {
        return false;
    }
    // `scheme://host:port@...` and `user:1234@` are ports or numeric ids more often than
    // passwords.
    if pass.iter().all(u8::is_ascii_digit) && pass.len() <= 5 {
        return false;
    }
    entropy(pass) >= 1.5
}

#[cfg(test)]
mod tests {
    use super::*;

    fn make_github(prefix: &str, random: &str) -> String {
        let mut n = crc32fast::hash(random.as_bytes());
        let mut check = [b'0'; 6];
        for slot in check.iter_mut().rev() {
            *slot = BASE62[(n % 62) as usize];
            n /= 62;
        }
        format!("{prefix}{random}{}", String::from_utf8_lossy(&check))
    }

    #[test]
    fn github_checksum_accepts_valid_and_rejects_altered() {
        let t = make_github("ghp_", "Ab3dEfGh1jKlMn0pQrStUvWxYz1234");
        assert!(github_checksum_ok(t.as_bytes()), "{t}");
        let mut altered = t.clone().into_bytes();
        altered[10] = if altered[10] == b'a' { b'b' } else { b'a' };
        assert!(!github_checksum_ok(&altered));
        assert!(!github_checksum_ok(b"ghp_short"));
        assert!(!github_checksum_ok(b""));
    }

    #[test]
    fn entropy_orders_random_above_repeated() {
        assert_eq!(entropy(b""), 0.0);
        assert_eq!(entropy(b"aaaa"), 0.0);
        assert!(entropy(b"k3J9xQ2mZp8LwR4t") > 3.5);
    }

    #[test]
    fn jwt_header_decides() {
        let good = "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxIn0.c2lnbmF0dXJlMTIzNDU2";
        assert_eq!(jwt_confidence(good.as_bytes()), Some(0.97));
        // `eyJub3QiOiJqd3QifQ` is {"not":"jwt"}: JSON without alg.
        assert_eq!(jwt_confidence(b"eyJub3QiOiJqd3QifQ.eyJ4IjoxfQ.abc"), None);
    }

    #[test]
    fn generic_values() {
        assert!(generic_value_ok(b"Zq8vL2mXw9Rt4pKe!", 3.0, 8));
        assert!(!generic_value_ok(
            b"0736f5ef-7e88-499a-80cc-90c85d2a5180",
            3.0,
            8
        ));
        assert!(!generic_value_ok(
            b"43fc912ef59a83054ea7f6706df4d53a7dea4d80",
            3.0,
            8
        ));
        assert!(!generic_value_ok(b"process.env.OPENAI_API_KEY", 3.0, 8));
        assert!(!generic_value_ok(b"changeme", 3.0, 8));
        assert!(!generic_value_ok(b"sha512-abcDEF123456", 3.0, 8));
    }

    #[test]
    fn url_passwords() {
        assert!(url_password_ok(b"Zq8vL2mXw9Rt4p"));
        assert!(!url_password_ok(b"password"));
        assert!(!url_password_ok(b"${DB_PASS}"));
        assert!(!url_password_ok(b"8080"));
    }
}
