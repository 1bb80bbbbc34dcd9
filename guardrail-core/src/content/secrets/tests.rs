//! Tests across the family: peer vectors, corpus ground truth, evasion, odd input (streaming: `crate::stream`).

use super::*;
use crate::scan::Hit;
use std::collections::BTreeMap;

pub(super) fn detector() -> SecretsDetector {
    detector_with(SecretsConfig::default())
}

pub(super) fn detector_with(cfg: SecretsConfig) -> SecretsDetector {
    let mut d = Diagnostics::default();
    let det = cfg.compile("content.secrets", &mut d);
    assert!(d.is_empty(), "{:?}", d.into_issues());
    det.expect("compiles")
}

pub(super) fn scan(det: &SecretsDetector, text: &str) -> Vec<Hit> {
    let mut hits = Vec::new();
    det.scan(text, Channel::User, &mut hits);
    hits
}

fn shared(rel: &str) -> Option<std::path::PathBuf> {
    let p =
        std::path::PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../../shared/")).join(rel);
    if p.exists() {
        Some(p)
    } else {
        println!("skipped: ../shared/{rel} not found (only present in the project workspace)");
        None
    }
}

/// Our rule(s) for a gitleaks rule id, where the names differ.
fn our_rules(gitleaks: &str) -> Vec<String> {
    let mapped: &[&str] = match gitleaks {
        "1password-service-account-token" => &["onepassword_service_account_token"],
        "1password-secret-key" => &["onepassword_secret_key"],
        "aws-access-token" => &["aws_access_key_id"],
        "aws-amazon-bedrock-api-key-long-lived" => &["aws_bedrock_api_key"],
        "aws-amazon-bedrock-api-key-short-lived" => &["aws_bedrock_short_lived_key"],
        "atlassian-api-token" => &["atlassian_api_token", "atlassian_api_token_keyed"],
        "gitlab-ptt" => &["gitlab_pipeline_trigger_token"],
        "gitlab-rrt" => &["gitlab_runner_registration_token"],
        "gitlab-runner-authentication-token" => &["gitlab_runner_token"],
        "gitlab-runner-authentication-token-routable" => &["gitlab_runner_token_routable"],
        "jfrog-api-key" => &["jfrog_api_key", "jfrog_api_key_keyed"],
        "jfrog-identity-token" => &["jfrog_identity_token", "jfrog_reference_token"],
        "artifactory-api-key" => &["jfrog_api_key"],
        "artifactory-reference-token" => &["jfrog_reference_token"],
        "sonar-api-token" => &["sonar_api_token", "sonar_token_keyed"],
        "telegram-bot-api-token" => &["telegram_bot_api_token", "telegram_bot_token_keyed"],
        "clojars-api-token" => &["clojars_api_token"],
        "bittrex-access-key" | "bittrex-secret-key" => &["bittrex_api_key"],
        "npm-access-token" => &["npm_access_token"],
        "private-key" => &["private_key"],
        "jwt-base64" => &["jwt"],
        "generic-api-key" => &["generic_secret"],
        "sumologic-access-id" => &["sumologic_access_id"],
        _ => &[],
    };
    if mapped.is_empty() {
        vec![format!("secrets.{}", gitleaks.replace('-', "_"))]
    } else {
        mapped.iter().map(|m| format!("secrets.{m}")).collect()
    }
}

#[test]
fn every_gitleaks_rule_has_a_rule_here() {
    let Some(path) = shared("data/peer-vectors/gitleaks.jsonl") else {
        return;
    };
    let ids: Vec<String> = rule_ids().collect();
    let text = std::fs::read_to_string(path).unwrap();
    let mut missing = std::collections::BTreeSet::new();
    for line in text.lines() {
        let v: serde_json::Value = serde_json::from_str(line).unwrap();
        let id = v["rule_id"].as_str().unwrap();
        if !our_rules(id).iter().any(|r| ids.contains(r)) {
            missing.insert(id.to_string());
        }
    }
    assert!(
        missing.is_empty(),
        "gitleaks rules without ours: {missing:?}"
    );
}

#[test]
fn gitleaks_vectors() {
    let Some(path) = shared("data/peer-vectors/gitleaks.jsonl") else {
        return;
    };
    let det = detector();
    let text = std::fs::read_to_string(path).unwrap();
    let (mut m_total, mut m_found, mut m_same_rule, mut n_total, mut n_flagged) = (0, 0, 0, 0, 0);
    let mut failures: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for line in text.lines() {
        let v: serde_json::Value = serde_json::from_str(line).unwrap();
        let id = v["rule_id"].as_str().unwrap();
        let input = v["text"].as_str().unwrap();
        let hits = scan(&det, input);
        if v["expect"] == "match" {
            m_total += 1;
            if !hits.is_empty() {
                m_found += 1;
            } else {
                failures
                    .entry(format!("miss {id}"))
                    .or_default()
                    .push(input.chars().take(140).collect());
            }
            let ours = our_rules(id);
            if hits.iter().any(|h| ours.iter().any(|o| *o == h.rule)) {
                m_same_rule += 1;
            }
        } else {
            n_total += 1;
            if !hits.is_empty() {
                n_flagged += 1;
                let rules: Vec<String> = hits.iter().map(|h| h.rule.to_string()).collect();
                failures
                    .entry(format!("false {id}"))
                    .or_default()
                    .push(format!(
                        "{rules:?} {}",
                        input.chars().take(140).collect::<String>()
                    ));
            }
        }
    }
    for (k, v) in &failures {
        println!(
            "{k}: {} e.g. {:?}",
            v.len(),
            if k.starts_with("false generic") {
                v.join(" // ")
            } else {
                v[0].clone()
            }
        );
    }
    let found = m_found as f64 / m_total as f64;
    let same = m_same_rule as f64 / m_total as f64;
    let flagged = n_flagged as f64 / n_total as f64;
    println!(
        "gitleaks vectors: match {m_found}/{m_total} found ({:.2}%), {m_same_rule} by the mapped rule ({:.2}%); \
         no_match {n_flagged}/{n_total} flagged ({:.2}%)",
        found * 100.0,
        same * 100.0,
        flagged * 100.0
    );
    assert!(found >= 0.99, "found {found}");
    // The issue's target: at most 1% (the two left are random values that do look like
    // credentials; see docs/SECRETS.md).
    assert!(flagged <= 0.01, "flagged {flagged}");
}

/// Scores our findings against the ground truth of a generated corpus: a finding is a true
/// positive if it overlaps a planted secret; recall counts secrets overlapped by a finding.
pub(super) fn score_corpus(
    det: &SecretsDetector,
    dir: &std::path::Path,
) -> (f64, f64, usize, Vec<String>) {
    let gt = std::fs::read_to_string(dir.join("ground_truth.jsonl")).unwrap();
    let mut secrets: BTreeMap<String, Vec<(usize, usize, String)>> = BTreeMap::new();
    for line in gt.lines() {
        let v: serde_json::Value = serde_json::from_str(line).unwrap();
        if v["label"] == "secret" {
            secrets
                .entry(v["file"].as_str().unwrap().to_string())
                .or_default()
                .push((
                    v["start"].as_u64().unwrap() as usize,
                    v["end"].as_u64().unwrap() as usize,
                    v["kind"].as_str().unwrap().to_string(),
                ));
        }
    }
    let (mut tp, mut fp, mut found, mut total) = (0usize, 0usize, 0usize, 0usize);
    let mut notes = Vec::new();
    let mut files = Vec::new();
    let mut stack = vec![dir.join("files")];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p)
            } else {
                files.push(p)
            }
        }
    }
    files.sort();
    for path in files {
        let rel = path
            .strip_prefix(dir)
            .unwrap()
            .to_string_lossy()
            .to_string();
        let text = std::fs::read_to_string(&path).unwrap();
        let hits = scan(det, &text);
        let truth = secrets.get(&rel).cloned().unwrap_or_default();
        for h in &hits {
            if truth
                .iter()
                .any(|(s, e, _)| h.span.start < *e && *s < h.span.end)
            {
                tp += 1;
            } else {
                fp += 1;
                if notes.len() < 40 {
                    let ctx: String = text
                        .get(h.span.start.saturating_sub(30)..(h.span.end + 10).min(text.len()))
                        .unwrap_or("")
                        .to_string();
                    notes.push(format!("FP {} {:?}", h.rule, ctx));
                }
            }
        }
        for (s, e, kind) in &truth {
            total += 1;
            if hits.iter().any(|h| h.span.start < *e && *s < h.span.end) {
                found += 1;
            } else if notes.len() < 80 {
                let ctx: String = text
                    .get(s.saturating_sub(40)..(*e + 10).min(text.len()))
                    .unwrap_or("")
                    .to_string();
                notes.push(format!("FN {kind} {ctx:?}"));
            }
        }
    }
    let recall = found as f64 / total.max(1) as f64;
    let precision = tp as f64 / (tp + fp).max(1) as f64;
    (recall, precision, total, notes)
}

#[test]
fn generated_corpus_recall_and_precision() {
    let Some(gen) = shared("bench/gen_corpus.py") else {
        return;
    };
    let dir = std::env::temp_dir().join(format!("guardrail-secrets-corpus-{}", std::process::id()));
    let status = std::process::Command::new("python3")
        .arg(&gen)
        .args(["--size-mb", "8", "--seed", "11", "--out"])
        .arg(&dir)
        .status();
    match status {
        Ok(s) if s.success() => {}
        _ => {
            println!("skipped: python3 not available to generate the corpus");
            return;
        }
    }
    let det = detector();
    let (recall, precision, total, notes) = score_corpus(&det, &dir);
    let _ = std::fs::remove_dir_all(&dir);
    for n in &notes {
        println!("{n}");
    }
    println!(
        "corpus (8 MB, seed 11): {total} secrets, recall {recall:.4}, precision {precision:.4}"
    );
    assert!(recall >= 0.98, "recall {recall}");
    assert!(precision >= 0.98, "precision {precision}");
}

// ------------------------------------------------------------------ evasion

const GH: &str = "ghp_Zq8vL2mXw9Rt4pKeB7nY3cD5fG1hJ6sA0uQe";

fn rules_of(hits: &[Hit]) -> Vec<String> {
    hits.iter().map(|h| h.rule.to_string()).collect()
}

#[test]
fn evasion_base64() {
    use base64::Engine as _;
    let det = detector();
    for pad in ["", "x", "xy"] {
        let enc = base64::engine::general_purpose::STANDARD.encode(format!("{pad}token {GH} end"));
        let text = format!("payload: {enc} done");
        let hits = scan(&det, &text);
        assert_eq!(rules_of(&hits), ["secrets.github_pat"], "{text}");
        let span = hits[0].span;
        // The span covers the encoded secret, inside the encoded run.
        let start = text.find(&enc).unwrap();
        assert!(
            span.start >= start && span.end <= start + enc.len(),
            "{span:?}"
        );
        assert!(span.len() >= GH.len() * 4 / 3 - 4, "{span:?}");
    }
}

#[test]
fn evasion_percent_escape_and_zero_width() {
    let det = detector();
    let pct: String = GH.bytes().map(|b| format!("%{b:02X}")).collect();
    let text = format!("GET /?q={pct} HTTP/1.1");
    let hits = scan(&det, &text);
    assert_eq!(rules_of(&hits), ["secrets.github_pat"], "{text}");
    assert_eq!(&text[hits[0].span.start..hits[0].span.end], pct);

    let esc: String = GH.chars().map(|c| format!("\\u{:04x}", c as u32)).collect();
    let text = format!(r#"{{"content":"{esc}"}}"#);
    let hits = scan(&det, &text);
    assert_eq!(rules_of(&hits), ["secrets.github_pat"], "{text}");
    assert_eq!(&text[hits[0].span.start..hits[0].span.end], esc);

    let zw: String = GH.chars().flat_map(|c| [c, '\u{200B}']).collect();
    let text = format!("here: {zw} ok");
    let hits = scan(&det, &text);
    assert_eq!(rules_of(&hits), ["secrets.github_pat"]);
    let found = &text[hits[0].span.start..hits[0].span.end];
    assert_eq!(found.replace('\u{200B}', ""), GH);
}

#[test]
fn evasion_nested_and_depth_bounded() {
    use base64::Engine as _;
    let enc = base64::engine::general_purpose::STANDARD.encode(format!("k={GH}"));
    let nested: String = enc.bytes().map(|b| format!("%{b:02x}")).collect();
    let text = format!("u={nested}");
    assert_eq!(rules_of(&scan(&detector(), &text)), ["secrets.github_pat"]);
    let shallow = detector_with(SecretsConfig {
        decode_depth: 1,
        ..SecretsConfig::default()
    });
    assert!(scan(&shallow, &text).is_empty());
    let off = detector_with(SecretsConfig {
        decode_depth: 0,
        ..SecretsConfig::default()
    });
    let plain = base64::engine::general_purpose::STANDARD.encode(format!("k={GH}"));
    assert!(scan(&off, &plain).is_empty());
}

// ------------------------------------------------------------------ odd input

#[test]
fn odd_inputs_do_not_panic_and_spans_are_char_boundaries() {
    let det = detector();
    assert!(scan(&det, "").is_empty());
    let huge = "x".repeat(8 << 20);
    assert!(scan(&det, &huge).is_empty());
    let keywords_only = "password= token: key= ghp_ AKIA -----BEGIN ".repeat(20_000);
    assert!(scan(&det, &keywords_only).is_empty());
    let weird = "\u{0}\u{FEFF}ghp_\u{200B}é\u{10FFFF}%ZZ%4\\u00\\x=-----BEGIN ".repeat(500);
    for h in scan(&det, &weird) {
        assert!(weird.is_char_boundary(h.span.start) && weird.is_char_boundary(h.span.end));
    }
    // A secret next to multi-byte characters.
    let text = format!("é{GH}é");
    let hits = scan(&det, &text);
    assert_eq!(&text[hits[0].span.start..hits[0].span.end], GH);
}

#[test]
fn long_base64_blobs_and_hashes_are_quiet() {
    use base64::Engine as _;
    let det = detector();
    let blob = base64::engine::general_purpose::STANDARD.encode(
        (0..200_000u32)
            .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
            .collect::<Vec<_>>(),
    );
    assert!(scan(&det, &format!("data:image/png;base64,{blob}")).is_empty());
    let text = "commit 43fc912ef59a83054ea7f6706df4d53a7dea4d80\nid = 0736f5ef-7e88-499a-80cc-90c85d2a5180\n\
                sha256:eaaa7b11777babe28e6133a8b19ff71cea687e0d7f05158dee95a71f76ce3d00\n\
                api_key = \"e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855\"\n\
                token = \"${GITHUB_TOKEN}\"\npassword = \"changeme\"\nsecret: <your-secret-here>\n\
                AWS_ACCESS_KEY_ID=AKIAIOSFODNN7EXAMPLE\ntrace_id=4bf92f3577b34da6a3ce929d0e0e4736\n";
    assert!(scan(&det, text).is_empty(), "{:?}", scan(&det, text));
}

// ------------------------------------------------------------------ config

#[test]
fn config_errors_point_at_the_path() {
    let cfg = SecretsConfig {
        disabled_rules: vec!["secrets.github_patt".into()],
        allowlist_regexes: vec!["(".into()],
        decode_depth: 9,
        category_actions: BTreeMap::from([("creds".to_string(), Action::Block)]),
        ..SecretsConfig::default()
    };
    let mut d = Diagnostics::default();
    assert!(cfg.compile("content.secrets", &mut d).is_none());
    let issues = d.into_issues();
    let paths: Vec<&str> = issues.iter().map(|i| i.path.as_str()).collect();
    assert!(
        paths.contains(&"content.secrets.disabled_rules[0]"),
        "{paths:?}"
    );
    assert!(paths.contains(&"content.secrets.allowlist_regexes[0]"));
    assert!(paths.contains(&"content.secrets.decode_depth"));
    assert!(paths.contains(&"content.secrets.category_actions.creds"));
    let hint = issues
        .iter()
        .find(|i| i.path.ends_with("disabled_rules[0]"))
        .and_then(|i| i.hint.clone());
    assert_eq!(hint.as_deref(), Some("did you mean `secrets.github_pat`?"));
}

#[test]
fn config_actions_allowlist_and_disabling() {
    let key = "-----BEGIN RSA PRIVATE KEY-----\nMIIEowIBAAKCAQEAx4Zq8vL2mXw9Rt4pKeB7nY3cD5fG1hJ6sA0uQeZq8vL2mXw9\n-----END RSA PRIVATE KEY-----";
    let text = format!("{GH} {key}");
    let hits = scan(&detector(), &text);
    let action = |r: &str| hits.iter().find(|h| h.rule == r).map(|h| h.action);
    assert_eq!(action("secrets.github_pat"), Some(Action::Redact));
    assert_eq!(action("secrets.private_key"), Some(Action::Block));
    assert_eq!(
        hits.iter()
            .find(|h| h.rule == "secrets.private_key")
            .map(|h| h.category.as_ref()),
        Some("private_key")
    );

    let cfg = SecretsConfig {
        rule_actions: BTreeMap::from([("secrets.github_pat".to_string(), Action::Escalate)]),
        allowlist: vec![GH.to_string()],
        ..SecretsConfig::default()
    };
    assert!(scan(&detector_with(cfg), GH).is_empty());
    let cfg = SecretsConfig {
        rule_actions: BTreeMap::from([("secrets.github_pat".to_string(), Action::Escalate)]),
        ..SecretsConfig::default()
    };
    assert_eq!(scan(&detector_with(cfg), GH)[0].action, Action::Escalate);
    let cfg = SecretsConfig {
        allowlist_regexes: vec!["^ghp_Zq8".into()],
        ..SecretsConfig::default()
    };
    assert!(scan(&detector_with(cfg), GH).is_empty());
    let cfg = SecretsConfig {
        disabled_rules: vec!["secrets.github_pat".into()],
        ..SecretsConfig::default()
    };
    assert!(scan(&detector_with(cfg), GH)
        .iter()
        .all(|h| h.rule != "secrets.github_pat"));
    let cfg = SecretsConfig {
        channels: vec![Channel::ModelOutput],
        ..SecretsConfig::default()
    };
    let det = detector_with(cfg);
    assert!(det.wants(Channel::ModelOutput) && !det.wants(Channel::User));
    let cfg = SecretsConfig {
        enabled: false,
        ..SecretsConfig::default()
    };
    assert!(!detector_with(cfg).wants(Channel::User));
}

#[test]
fn github_checksum_sets_confidence_and_strict_mode_drops_bad_ones() {
    // A well-formed token whose last 6 characters are not the CRC32 of the first 30.
    let hits = scan(&detector(), GH);
    assert!(hits[0].confidence < 0.9);
    let strict = detector_with(SecretsConfig {
        strict_checksums: true,
        ..SecretsConfig::default()
    });
    assert!(scan(&strict, GH).is_empty());
    let valid = "ghp_Zq8vL2mXw9Rt4pKeB7nY3cD5fG1hJ6";
    let mut n = crc32fast::hash(&valid.as_bytes()[4..]);
    let mut check = String::new();
    for _ in 0..6 {
        check.insert(
            0,
            char::from(
                b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
                    [(n % 62) as usize],
            ),
        );
        n /= 62;
    }
    let token = format!("{valid}{check}");
    assert_eq!(scan(&strict, &token)[0].confidence, 0.99);
}

// ------------------------------------------------------------------ through the guard

#[test]
fn guard_evaluate_redacts_and_blocks() {
    use crate::{Event, Guard, Policy, State};
    let guard = Guard::with_default_policy();
    let state = State::new();
    let ev = |v: serde_json::Value| Event::from_json(v.to_string().as_bytes()).unwrap();

    let d = guard.evaluate(
        &ev(serde_json::json!({"type":"model_output","ts":1,"text":format!("use {GH} please")})),
        &state,
    );
    assert_eq!(d.action, Action::Redact);
    assert_eq!(d.text.as_deref(), Some("use [REDACTED:github_pat] please"));
    assert_eq!(d.findings[0].rule, "secrets.github_pat");
    assert_eq!(d.findings[0].layer, Layer::Content);

    let args = serde_json::json!({"cmd": "psql postgres://app:Zq8vL2mXw9Rt4pK!@db:5432/x"});
    let d = guard.evaluate(
        &ev(serde_json::json!({"type":"tool_call","ts":1,"tool":"shell","args":args})),
        &state,
    );
    assert_eq!(d.action, Action::Redact);
    let f = d
        .findings
        .iter()
        .find(|f| f.rule == "secrets.url_credentials")
        .unwrap();
    assert_eq!(f.path.as_deref(), Some("/args/cmd"));
    // Other content detectors (PII: the URL) may cover more of the text; the password is
    // gone either way.
    let cmd = d.args.unwrap()["cmd"].as_str().unwrap().to_string();
    assert!(
        cmd.starts_with("psql ") && cmd.contains("[REDACTED:"),
        "{cmd}"
    );
    assert!(!cmd.contains("Zq8vL2mXw9Rt4pK!"), "{cmd}");

    let key = "-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQAAAAAAAAABAAAAMwAAAAtzc2gtZW\n-----END OPENSSH PRIVATE KEY-----";
    let d = guard.evaluate(&ev(serde_json::json!({"type":"tool_result","ts":1,"tool":"cat","output":key,"status":"ok"})), &state);
    assert_eq!(d.action, Action::Block);

    // Policy: mask instead of placeholder, and an allowlisted value.
    let policy = Policy::from_yaml(&format!(
        "version: 1\ncontent:\n  redaction:\n    operator: mask\n  secrets:\n    allowlist: [\"{GH}\"]\n    rule_actions:\n      secrets.aws_access_key_id: escalate\n"
    ));
    let policy = match policy {
        Ok(p) => p,
        Err(e) => panic!("{e}"),
    };
    let guard = Guard::builder().build(&policy).unwrap();
    let d = guard.evaluate(&ev(serde_json::json!({"type":"prompt","ts":1,"role":"user","text":format!("{GH} AKIAZ7Q3MN5XKPL2VW4T")})), &state);
    assert_eq!(d.action, Action::Escalate);
    assert_eq!(d.findings.len(), 1);

    let slack = "xoxb-123456789012-1234567890123-Zq8vL2mXw9Rt4pKeB7nY3cD5";
    let d = guard.evaluate(
        &ev(serde_json::json!({"type":"prompt","ts":1,"role":"user","text":format!("t={slack}")})),
        &state,
    );
    assert_eq!(d.action, Action::Redact);
    let masked = d.text.unwrap();
    assert!(
        masked.starts_with("t=xoxb") && masked.contains('*') && !masked.contains("Zq8vL2"),
        "{masked}"
    );

    let err =
        Policy::from_yaml("version: 1\ncontent:\n  secrets:\n    disabled_rules: [secrets.nope]\n")
            .unwrap_err();
    assert!(
        err.issues()
            .iter()
            .any(|i| i.path == "content.secrets.disabled_rules[0]"),
        "{err}"
    );
}

// ------------------------------------------------------------------ every rule

/// One synthetic positive per rule: random values drawn from the rule's own pattern (values
/// are made up; none is a real credential), in a neutral or keyed context.
const RULE_SAMPLES: &[(&str, &str)] = &[
    ("aws_access_key_id", "found A3TLACI57K43PEADJ4SB here"),
    ("aws_secret_access_key", "aws_secret_secret = \"wyti6WlQEEhQ1pKcjvUOyQlrQRXzkIgVBTCJ7BSh\""),
    ("aws_bedrock_api_key", "found ABSKxdyZeZvmgpbNU3My2LHM12fpZMv4EaK5m7bYfGdCew7akw3GC3fNjXfKqJvdzrUCQ2ZYW8goUlFAFI1jRPrwbjg9ENCc4DAVdSreYMzZOu8Nd here"),
    ("aws_bedrock_short_lived_key", "found bedrock-api-key-YmVkcm9jay5hbWF6b25hd3MuY29tx7RNX here"),
    ("gcp_api_key", "found AIza5xrbw0aRFvKyQQbV4iOmSpnXJzjdO9KnUcO here"),
    ("gcp_service_account", "{\"type\": \"service_account\", \"project_id\": \"x\"}"),
    ("azure_ad_client_secret", "found wcO6Q~ExM3tnY4WftHKrmUeUKjuZSibyToBcC here"),
    ("azure_storage_account_key", "DefaultEndpointsProtocol=https;AccountName=acme;AccountKey=2hJY8WaHPRonXEBXo0rt8BtStrkqBlLMLXxqqvsbgCIFZb2qTjVKLUll8LtVg3WbJfjjrlm4vvykJCieLwc2TV==;EndpointSuffix=core.windows.net"),
    ("azure_storage_key", "azure_storage_key_secret = \"WSZx8WzjOSfXtrAb9nLbFVwXRRYpSATLisQhrn8kKaCnfCvld1kcQtsGqPfJz46ugs7pnkYlTbt1PNNWUKa1Gm==\""),
    ("alibaba_access_key_id", "found LTAIqa3z2ok3tgi8bmdhk9r7 here"),
    ("alibaba_secret_key", "alibaba_secret = \"rsw4vrswmc4p43nrrwyyevr41oxout\""),
    ("digitalocean_pat", "found dop_v1_f4e17da3fae4e615c4973b41c3186ffc85a72b5629daa0b37d9c1f51bab883f4 here"),
    ("digitalocean_access_token", "found doo_v1_a03852cc8e3f49b08c5bfc44d45673ec678b4cc3f388e1c5e2bc7f1ac32ec216 here"),
    ("digitalocean_refresh_token", "found dor_v1_f0e1c95197baa028c65e0b7e20a392e20eeb977f069aa45b8a2ec9e003e60166 here"),
    ("flyio_access_token", "found fo1_fFk8ECgq9we6689HxG0MA9ChzYughJx7erqLyUX7lR1 here"),
    ("heroku_api_key_v2", "found HRKU-AAlllxbu1F5nIYAHUYoYq1CSopAU6KEP3UI7DCBIjZ72E2oiT6DpYcx097mC here"),
    ("heroku_api_key", "heroku_secret = \"cbc8c5ff-0998-6c17-2bff-9339249d9ae9\""),
    ("yandex_aws_access_token", "found YCfSm0YVYbYOY9hWRQw4FwURfsL8PKdeyJ271r9T here"),
    ("yandex_api_key", "found AQVNdQ9e8dbtXzpu3bZL5lfI6eiks43v5DxzeLu here"),
    ("yandex_access_token", "found t1.n.yXFn7s31OGqdY99h53AxjMPrnCeJYx4x9IjrAthtKlMhQ4E0KyanLDjgpRfifcW5kNt3vItU5aCnNuuyGcqRSi here"),
    ("scalingo_api_token", "found tk-us-IfZgPJ4Xh2XiVdvEtEWrZG2lNRYTBuyErQ9fqZ80chjQV38N here"),
    ("openshift_user_token", "found sha256~iE5Dg7k36bzLCVWjqW6pEEbJ6apgwh8JJNQ6F2g13oG here"),
    ("github_pat", "found ghp_2uzNRvTP4m5TSoYkWKHRqeLHghD072wAQj7f here"),
    ("github_oauth", "found gho_9kzREqws3vQIDwt5IdlF82YFVRfA1XcOIV4n here"),
    ("github_app_token", "found ghs_GcKOjV76qWWS2pWeYElwc88wILG73Lk6vaOW here"),
    ("github_refresh_token", "found ghr_qpEKGu5TqZRa1IABJU5sJ2r6gjUEXaZz6rU0 here"),
    ("github_fine_grained_pat", "found 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 here"),
    ("gitlab_pat", "found glpat-BkGJrxnjscEuLk1gTZ7f here"),
    ("gitlab_pat_routable", "found glpat-e64YcxxBjKipyjLjBgwINif84Qe.avfzoni5l here"),
    ("gitlab_cicd_job_token", "found glcbt-B_AwJNKBDwDkupW4VgdktB here"),
    ("gitlab_deploy_token", "found gldt-gFO2dUbn6Hm7ABIIRYse here"),
    ("gitlab_feature_flag_client_token", "found glffct-8hSWSkXEhFlxjjytkr1z here"),
    ("gitlab_feed_token", "found glft-Etglo8xjKCFuEWYUfGvV here"),
    ("gitlab_incoming_mail_token", "found glimt-fyVmTP71rxWh2M4293lewUMig here"),
    ("gitlab_kubernetes_agent_token", "found glagent-o7k20PRIfilrwSYKBBSOhsv0GsqKd1NQ9AJkrIASfXDBXpec4P here"),
    ("gitlab_oauth_app_secret", "found gloas-u8CuwuVk0ysFhK6mWnYTPCin0CglIHUiyXIhPZDcnYt6USv4TdtwswKAHdCnmz1d here"),
    ("gitlab_pipeline_trigger_token", "found glptt-9a122a261668eaf1ac0ed072da62babcf6975a2d here"),
    ("gitlab_runner_registration_token", "found GR1348941X59rYkrvQAhk2No3nn2M here"),
    ("gitlab_runner_token", "found glrt-wpSouVbgWsXiiiXtdUtn here"),
    ("gitlab_runner_token_routable", "found glrt-t3_2wx1K3hPb4qEobIXCoCNtwZEoUJ.utuyw55n6 here"),
    ("gitlab_scim_token", "found glsoat-XkOXo4RQ9uU5MSklxNYk here"),
    ("gitlab_session_cookie", "found _gitlab_session=36ub0181mdydqo6k5jctqqptodzraa9h here"),
    ("bitbucket_app_password", "found ATBBbGBbwlIr7TcWsIEUXUUNsF1m6TOxsRki here"),
    ("bitbucket_client_id", "bitbucket_secret = \"jko0ui6hutfyyvlhyd333g57sdg2ctjh\""),
    ("bitbucket_client_secret", "bitbucket_secret = \"kd2fnbltosvmo2gvjo2bji391rfzrniqmg0jr8eb7yx4ug3j5nan2m84ikdepj44\""),
    ("atlassian_api_token", "found ATATT3lUy4pHZ4PhFmgrd1GneTE60nDWonNdXVfgTQFH7BgMibLSlUSgCG0oiGr0U42o5xdEzcOVOwoEh25xQJMqLJF2c2dxtTJ2U1LSk3mwpAEnuUGcaK9Z5FokVMJ7xZZ8VbXpSi31ifP7Sb4SfIWWxyRwxHphPZBZwNA8VzBdXGV6CkiCylpdZ9XZsSbl here"),
    ("atlassian_api_token_keyed", "atlassian_secret = \"v3mhgvej95pbt7aboqld0ac3\""),
    ("droneci_access_token", "droneci_secret = \"qbyp0dsh97msljc9qwox6mj9bp5z2su3\""),
    ("travisci_access_token", "travis_secret = \"9xjx1o51dutfwvvbcoa9w9\""),
    ("codecov_access_token", "codecov_secret = \"13acksda96ir8nalafe7her8yzenepya\""),
    ("harness_api_key", "found pat.xjPcchOaiR4OkTcZNWeDqr.0jLY8ugikBn7YvOtvZRB2TM8.p6nlG8axhHYzaUipHsaC here"),
    ("octopus_deploy_api_key", "found API-W8DM1ALVCVM7R47TE4ZOQTNOK4 here"),
    ("prefect_api_token", "found pnu_Ubwq1GBLVFeWRuseArLWb3XtU2NSqoaHT7Hr here"),
    ("pulumi_api_token", "found pul-a85c9171bf80a71917674b5c8f07fa69dac33d80 here"),
    ("hashicorp_tf_api_token", "found xtiftinetkrmf7.atlasv1.r98254s55s5foepqwwy9czvswpchmy049rmxegetlv0ap4nyz4xl5pnmm2xi here"),
    ("vault_service_token", "found hvs.t1Jlm3zDIhBgY3owUduCbnIixlY30zxpDlwrAgr4LAhxMgq277cN11eORk8MPXXA8PCdVGMlu3EPpc5Lb3xWDAdKOz here"),
    ("vault_batch_token", "found hvb.Mm3ZPFnUl6CkhrojWxZ0nxBcpCZBCRZJ8mJPjNM9tQTcO9MlkCP8L6MqspyxdvLwahfR9gs6KIx1ATdrd17oREBuAZWZTCsHPyy2tUPlkUrf7ukYjwgVD8IrDSfXPSrJsxNlLFbZtH here"),
    ("infracost_api_token", "found ico-W3vc7Kokxew0EBpl5o50NrHolpJAtNF4 here"),
    ("sourcegraph_access_token", "found sgp_3EECaA8C8dB6E5Cc_92ba70E50f05E5c349FFBd8FBdCC85CFfaF0E107 here"),
    ("sourcegraph_access_token_keyed", "sourcegraph_secret = \"Fe1b026eA6EEDFFaacb6FAFe86E2B1f55dcCaf45\""),
    ("sonar_api_token", "found sqp_Y2sIfS7pvndTbXa1x3A01Nc4iuOCys6P755o5YwP here"),
    ("sonar_token_keyed", "sonar_secret = \"udln8do4159s345qywr1rbask8ofv8ldg6x7hvtw\""),
    ("snyk_api_token", "snyk_secret = \"2dc1dfd0-47fe-9fd9-9bd2-5359f9b90e34\""),
    ("jfrog_api_key", "found AKCplBiyRuP1y0XkRuPq03zjCHh8xzC20wwDXPTFQzVvUhQpdQPEeugupqp5sEeUbBWzctAwv here"),
    ("jfrog_reference_token", "found cmVmdnlKqydodw9mz2AmObjBsyToK2SBEs3RfgRaB7BEXocxZGHd8QWmWHQKIIo3 here"),
    ("jfrog_api_key_keyed", "jfrog_secret = \"z8q22hrosuf3738byc2jm61jeye1wqef38iob4ld7lhpepb308aa2s08e4njzj0g5bplclx21\""),
    ("jfrog_identity_token", "jfrog_secret = \"6b9om02kuq9vln8yjlsk27c1gcr3oen7g740qb9o9ktl70l8nl8av7dinfa1rx5t\""),
    ("clojars_api_token", "found CLOJARS_e35o755zh3xlu2kgiis94zxfcp5ygabmdbpwsce7pe9sw12y9twre9bnkfee here"),
    ("rubygems_api_token", "found rubygems_8c026acfb49db592e54ebfb7a81cbd1c537229fab8061f97 here"),
    ("pypi_upload_token", "found pypi-AgEIcHlwaS5vcmcFqRKyFnqi6ot3kTamcUA9MP1LhQqDYeAP6BLLaIyVsM8qhNnuJ here"),
    ("npm_access_token", "found npm_a4jxkgv2hl9b4nezsqflnwg2oemckwt5nm8q here"),
    ("readme_api_token", "found rdme_wav0slqoczqcss6l7ua8atyv7spfnxb2urlx3mny37did4rxvjtf16shpok99wa3wlhjj0 here"),
    ("postman_api_token", "found PMAK-bbbde38487202ae1049e8f88-542341336be5d8065f7a01fdf9a46e670e here"),
    ("databricks_api_token", "found dapiec9abf8cd964f47d1ba9b79c14b96b5a here"),
    ("doppler_api_token", "found dp.pt.0vy356dlo9op05fr0vwuoo02gq6s90znirp5efc9nhh here"),
    ("dynatrace_api_token", "found dt0c01.2nokpr9n3lqx3682myuj3uwx.k20nwez60ctkq12h6ui8d79e3u4idzoovw0lxsb9pdyys4m3b5e1ep2b4wyxw9tp here"),
    ("grafana_api_key", "found eyJrIjoiFp184TPX0FINZcfWA5tUcCmdOpvEiJAZ2rua5AgCaBDgAK7VxzkRYyi3NAngaAoEEi7Et6 here"),
    ("grafana_cloud_api_token", "found glc_nfTE8W259RPqhIpk3SEyY6s89pExrEwE here"),
    ("grafana_service_account_token", "found glsa_K8dLL6QNVlK0ZNL3KvYXiQHBklbRsD2c_aA1E3c0b here"),
    ("new_relic_user_api_key", "found NRAK-uttjjqes65rkza22ucjiv4b8g09 here"),
    ("new_relic_user_api_id", "new-relic_secret = \"26ja3mzf5yurwi9p4pva2i1ixmoibeb3w2zxgf04r4msrwiiqeaj7wm3conghp9p\""),
    ("new_relic_browser_api_token", "found NRJS-2b0616755580f401d77 here"),
    ("new_relic_insert_key", "found NRII-7b09gl7gsaxz8mjaq26507o5ro91wnc8 here"),
    ("datadog_access_token", "datadog_secret = \"o86zuuvumjep03h43hcm795r5hxjjse3gya0nsfk\""),
    ("sentry_org_token", "found 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 here"),
    ("sentry_user_token", "found 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 here"),
    ("sentry_access_token", "sentry_secret = \"091af7a0000c2b0a36fa7a05d010a7f87b44e9214edabc53d9f953948938e2b9\""),
    ("launchdarkly_access_token", "launchdarkly_secret = \"k3qkuwqd13e3hx6wj2ykt13xja52dvyut82xgmld\""),
    ("netlify_access_token", "netlify_secret = \"jm3uy5vvtxbda0rb5jzm8g2u4ufhnqutz2t8xc57\""),
    ("fastly_api_token", "fastly_secret = \"gus1as5t84n7evgdttlsmngixv6ruoy1\""),
    ("contentful_delivery_api_token", "contentful_secret = \"1zfwcnclwn1vbjguhae90oypi70tqcrwkf38zxvkhtz\""),
    ("frameio_api_token", "found fio-u-4e39i9iwf4nwk2bkmin99h37ghmudqsqrsa7hzx7up9wwzvkymh4cnq0xtiom8zw here"),
    ("freshbooks_access_token", "freshbooks_secret = \"4qplpppghsae6xiel4banm1mn0qm56e6r7vtzg6wxh3h5kjbcfizrqkjohl44l68\""),
    ("defined_networking_api_token", "found dnkey-39kb42manp4z3y7qk90kdjmc81-bz0dy5rnoo0lurewftlyxv9yjw4a4imbty7d7hq4i9v9kf03okmp here"),
    ("linear_api_key", "found lin_api_u8dxs77xmd5j0mb1uxx5en5sk8r6wl5zsbm14ist here"),
    ("linear_client_secret", "linear_secret = \"283ac19ee9b5da5c400ba750e4eba48b\""),
    ("planetscale_password", "found pscale_pw_Ty37O9l8cThdo8VAhjZWHmbuvmANpf2M here"),
    ("planetscale_api_token", "found pscale_tkn_mXizFjj5f7PZ2OUs1qBqwhvxxFh9BGeN here"),
    ("planetscale_oauth_token", "found pscale_oauth_7byM5bEzh81k6m56atipxkItY7M4Xipa here"),
    ("typeform_api_token", "found tfp_hx9qsopdsq8kyzovhcj7lun6xzrdrwl97486o68z7cbgi0xb66m8ala54ue here"),
    ("settlemint_personal_access_token", "found sm_pat_TwDkqFIMbrdsIsl9 here"),
    ("settlemint_application_access_token", "found sm_aat_C51USzVZVICS8NJ8 here"),
    ("settlemint_service_access_token", "found sm_sat_hk5HV8NtJPohyclF here"),
    ("age_secret_key", "found AGE-SECRET-KEY-1DPXCV32J8PPE8E5HY7UV8RRAXVFXW7GNSZN6HMPEDRKFN9HUKKZ5955FZP here"),
    ("onepassword_secret_key", "found A3-KOSXNO-ECBRCW7VKPM-4UGQ8-RGD9C-JLSKJ here"),
    ("onepassword_service_account_token", "found ops_eyJkzVJAyhZsOs6sZi9bxBjB7d6mvWr2Jjvvcrb3ltlS1YG7ZVR1NzJDJdmbXrCsT1WQ1aGe0P76i87LaiD9GYStkdXe4kRRpYS6pXDaJzCfvHWKtENpzhIT2ETM3ojAaLRtPQsbHWpA8vxGYEsjy4IRxLSzsWLP1sERkkgunOngdOkk1OXKDQNUy3njJVQO8WGiFIaagyAlU3zNKPNP5OWiRkDeWhRs70QCoULURtdjlGfeIBIJAbH8ayOKq here"),
    ("slack_bot_token", "found xoxb-9205193542-0647038019t here"),
    ("slack_user_token", "found xoxe-0220559088-5166461321-5087813175-QjMBZGrEFXGdsCXM3PVlCGAcuBZB here"),
    ("slack_app_token", "found xapp-1-Y-0-e here"),
    ("slack_config_access_token", "found xoxe.xoxb-9-XWPWJF30LNBKR836QCN6PCRKROKI58NE5ABR1OFZ42CBGZ77A19IBPDXIRAOHDCHGIQHID8KX2QZ9WBFENLYHQAJ4DESE4L68AH4726K0EUGVE2ICK3E69SDF9P2J67MBQSHPRNJMHRB7UXHVTVGL1N4BSDZRQEA1E2 here"),
    ("slack_config_refresh_token", "found xoxe-0-JCEHXBXL30VD5O047WM0RGU34S0ILR9SXA4CXHNY8PETL3G6RANEBFKZAK2KG25WB7ZPRR13I4F084JC8SCPAOFYZFLV1QOH7I02UMRGWAJ5VYAEOZAH29Y2VA38YC40W2MG5H0DYVF2ZG7WYO here"),
    ("slack_legacy_bot_token", "found xoxb-76856326-LXoX9UMQ4T2kLunyJy here"),
    ("slack_legacy_workspace_token", "found xoxa-CO90kYHy here"),
    ("slack_legacy_token", "found xoxs-0-0-4-0 here"),
    ("slack_webhook_url", "https://hooks.slack.com/services/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"),
    ("microsoft_teams_webhook", "https://acme.webhook.office.com/webhookb2/3f2a9c1e-7b4d-4e6f-8a0b-1c2d3e4f5a6b@9e8d7c6b-5a4f-4e3d-2c1b-0a9f8e7d6c5b/IncomingWebhook/8f7e6d5c4b3a29180f1e2d3c4b5a6978/1a2b3c4d-5e6f-4a7b-8c9d-0e1f2a3b4c5d"),
    ("discord_webhook", "https://discord.com/api/webhooks/123456789012345678/Qm7rT2vXk9LpW4zNb8YcD3fH-_Qm7rT2vXk9LpW4zNb8YcD3fH-_Qm7rT2vXk9LpW4zN"),
    ("discord_api_token", "discord_secret = \"f4bf2528f2715ae3e37479ff6661bd5d31f21f154c64321abb327b53778fbf8a\""),
    ("discord_client_id", "discord_secret = \"874547950322500434\""),
    ("discord_client_secret", "discord_secret = \"eazuzmibvtrvy4bhuxrpp6nbcqufneaq\""),
    ("telegram_bot_api_token", "bot 7519834562:AAH3kq9Zr2mXw9Rt4pKeB7nY3cD5fG1hJ6s"),
    ("telegram_bot_token_keyed", "telegr_secret = \"21710:Ah7qjo7bqawb5ouyzptoyu05bexoaync8g6\""),
    ("mattermost_access_token", "mattermost_secret = \"8zkm6hpl6ckzdlkzm5vmc023jv\""),
    ("gitter_access_token", "gitter_secret = \"e6snzf09cv28px54ptehk3bhpldwtzvdv3xpl41w\""),
    ("twitch_api_token", "twitch_secret = \"1j907o1cmpssk1qjap03p5v5dkb4d4\""),
    ("messagebird_api_token", "messagebird_secret = \"5hsmoc6ftcomuvxvd9rxy8tdg\""),
    ("messagebird_client_id", "messagebird_secret = \"6f43f5b8-c025-0c92-86b7-a3a8c0669151\""),
    ("sendgrid_api_token", "found SG.30fxxcwk6847cmz0s1pd4rlz6viumz2je6dv1ujits0jge1tenhq8c44pyugo2reh0 here"),
    ("sendinblue_api_token", "found 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 here"),
    ("mailchimp_api_key", "mailchimp_secret = \"8d95b1a332cab9377483a482b4121478-us27\""),
    ("mailgun_private_api_token", "mailgun_secret = \"key-1daa9d0dc6c41356d9e3b4409a51a430\""),
    ("mailgun_pub_key", "mailgun_secret = \"pubkey-5fbba8e4515f1d3a95d34dcdcc9cdac7\""),
    ("mailgun_signing_key", "mailgun_secret = \"0b56a35cd5a99afb0beg443b65bh5e04-eh4f16ah-0612gg7g\""),
    ("twilio_api_key", "found SK0Af8AB5CCFFD09E8AaF52caCacAd6Dc7 here"),
    ("intercom_api_key", "intercom_secret = \"wr0snby6mr6xrjazt1gsg8ux9zh800mdxn8o5cify6t8cmwz0sr0e2i3jx41\""),
    ("zendesk_secret_key", "zendesk_secret = \"k44p7hho09c54lqan3ew15juo0d1b16s7ycjhw4n\""),
    ("sendbird_access_token", "sendbird_secret = \"c7d38dafc72fb6b71636b8a70ca0724d7058ee1d\""),
    ("sendbird_access_id", "sendbird_secret = \"d47a270e-12ae-8813-581d-f2499e63909a\""),
    ("beamer_api_token", "beamer_secret = \"b_477zmu3gel98re7lhrztgrxgxfgyxbt0zqep0cc83k0i\""),
    ("trello_access_token", "trello_secret = \"GMXW9BASHyeZuRxZIdT312of5SzYlKDe\""),
    ("asana_client_id", "asana_secret = \"7532918930380639\""),
    ("asana_client_secret", "asana_secret = \"o2mci5jdyezje69ij944t5yjgr60qtwr\""),
    ("notion_api_token", "found 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 here"),
    ("stripe_access_token", "found sk_test_fK1LRj9wo4 here"),
    ("square_access_token", "found EAAAoxrq5nITHGgGGZP5LnZcrI here"),
    ("square_secret", "found sq0csp-jhncN0inhNQ84gjtxk7XsVaCdAhW69pI9bv0NvNcTeC here"),
    ("squarespace_access_token", "squarespace_secret = \"759cf667-bbc7-3893-80ac-62e46611d1bb\""),
    ("shopify_shared_secret", "found 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 here"),
    ("shopify_access_token", "found 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 here"),
    ("shopify_custom_access_token", "found 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 here"),
    ("shopify_private_app_access_token", "found 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 here"),
    ("shippo_api_token", "found shippo_live_dbCCaF9e4D1048AeD43CBC228D5CFaDEBAC9Cd1E here"),
    ("duffel_api_token", "found duffel_test_3eyhk4s3budeaz8xgqdvfa6t91g09lvvqpax9dhvjh7 here"),
    ("easypost_api_token", "found EZAKe0fdvj6dypnew5dcyoan0oibwft1nzeo2wqgqj3m0kwgqqc4epslbe here"),
    ("easypost_test_api_token", "found EZTK4ja1qntxezyq7yftiajqga89t03pq9lprnx4kp8wzduzroxf05c5ys here"),
    ("flutterwave_public_key", "found FLWPUBK_TEST-eeb81c532gbeg8993494fh6a163f4b7h-X here"),
    ("flutterwave_secret_key", "found FLWSECK_TEST-ddg6eg4658dg5442847353bd4b1e70d9-X here"),
    ("flutterwave_encryption_key", "found FLWSECK_TEST-3b9373ce582b here"),
    ("gocardless_api_token", "gocardless_secret = \"live_j4rhg6dkihhmt1gg05zy5w8jr4sthxqeio6zb844\""),
    ("plaid_client_id", "plaid_secret = \"6wnageh21p5qv3ateqmijkub\""),
    ("plaid_secret_key", "plaid_secret = \"u63z7ngquy7uxlgcj7hclcdv27wpg0\""),
    ("plaid_api_token", "found access-sandbox-a0d8e442-e49b-363e-b0e3-64082366fcf4 here"),
    ("coinbase_access_token", "coinbase_secret = \"8iwq4bszu9w46fwppfzlhu3zoh7vv9rcstpy30oy2mqy1stq5seokq79lcru9a38\""),
    ("kraken_access_token", "kraken_secret = \"wzoa59a39d3j6ax6zih6p2zkdpsfac55q8gnxtolk4qt48dcoi2retxarnt8bykio40lyku7kvkkh8o4\""),
    ("kucoin_access_token", "kucoin_secret = \"9044c7009cedc1abd98ce1e4\""),
    ("kucoin_secret_key", "kucoin_secret = \"1323aa8a-def4-f986-6131-5efa78ed590a\""),
    ("bittrex_api_key", "bittrex_secret = \"yawc4suoladcqwrfvpth8g7q6y3u6b3q\""),
    ("finicity_client_secret", "finicity_secret = \"fzfwb249r2hzynz6xat5\""),
    ("finicity_api_token", "finicity_secret = \"3a1145942c9f3d0dd72aeddeb147337d\""),
    ("finnhub_access_token", "finnhub_secret = \"9kcq0veu2unc80ag82oc\""),
    ("openai_api_key", "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"),
    ("openai_project_key", "found sk-proj-fOArLHDxqBmaBcZZxPOQvTdAegPAZ8R9AiniGYCp here"),
    ("anthropic_api_key", "found sk-ant-api03-9mVYKVkOMJl6Kffunnk5R4KrJNhEXST7tYUUBn6FrZgPY2yqMv88jycXBlyul56UQI3Gjblo1R1Sn8WttDzgYdjvlM8vJAA here"),
    ("anthropic_admin_api_key", "found sk-ant-admin01-ZiY0ac5KcSvfq3jWVadBCD4Y4uXH7oo2n3dgbdiAWLydcO3CwscY53JjJyOoFr4UDlIL2diNFQ61L9Qbu8G1MdaIJ4XbBAA here"),
    ("cohere_api_token", "cohere_secret = \"GvkKRpRoVM9fuAGFwJFcCM7n4wXbDLUg6PrBdAEM\""),
    ("huggingface_access_token", "found 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 here"),
    ("huggingface_organization_api_token", "found 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 here"),
    ("perplexity_api_key", "found 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 here"),
    ("groq_api_key", "found 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 here"),
    ("xai_api_key", "found xai-RD0nLVrgtzQD1VSzSKySaKvU5eFXvUVgfOjjkyJrItFEUYf97vQoiir5vHjmhBHmI6jlY4yBPBZCqgA9 here"),
    ("privateai_api_token", "privateai_secret = \"8jj47flf44794cbhpevmerdv62ogpf7h\""),
    ("adafruit_api_key", "adafruit_secret = \"dcs48upld6gff9jl6sqf4x7jhw13oq6l\""),
    ("adobe_client_id", "adobe_secret = \"568116ae9d257b8239bbe922af410bed\""),
    ("adobe_client_secret", "found p8e-apnjlh6vx0mwj6ozpyrzdp9c8hjakscb here"),
    ("airtable_api_key", "airtable_secret = \"wgo0ahm0wwg6cz4s2\""),
    ("algolia_api_key", "algolia_secret = \"24pwnbgar0mv0o8hghgmav5j0isr2ih4\""),
    ("authress_service_client_access_key", "found sc_v7i0r.iq5i.acc-2pwvn5ol38.lkqtlvxzktya6cope9iaj2r82v4jkz here"),
    ("clickhouse_cloud_api_secret_key", "found 4b1dih5kWTUGusqhvNuEE1g0YaXlRlskQZDW9cJnyM here"),
    ("confluent_access_token", "confluent_secret = \"ew53jfhtjyzx81w6\""),
    ("confluent_secret_key", "confluent_secret = \"6h36pil2g9ybzycjbqpg4nlay02i5u7vjldpwsp92pyj7p05r3y44jo9mgaph0i8\""),
    ("dropbox_api_token", "dropbox_secret = \"7evmmnkiwpjgqhe\""),
    ("dropbox_long_lived_api_token", "found 05z8x6ez057AAAAAAAAAA73i07i64yexur8sr3pih6jgp37xfc0r8w7qtsti10ym here"),
    ("dropbox_short_lived_api_token", "found sl.jGhPxGtcx94f1ebVfZdXSRUELF94zN1H0Fw0fs4T5BWpKx9By8jtvT8NbNqD5b3wl7WVmHiEhulqkH6hx3UI6dfcyb6nBpHHuiY1bLZMau10Yb49eKCWMKnDC5gTSmawmGgN7S5 here"),
    ("etsy_access_token", "etsy_secret = \"2prx0ejuwe33gf2gh6n08k5y\""),
    ("facebook_secret", "facebook_secret = \"b8eef3e3fef6e413101c207d21b29c94\""),
    ("facebook_access_token", "fb = 1477036645700765|wRPf2v3mt2JfMqCLK8n7oltrEmc"),
    ("facebook_page_access_token", "found EAAMFwABHQAByA4Q1ldd96kIQemxXaxurqMklOJX4ONPkicbUpjGUThJ4Scbg2j4CqsrlnwPXOTZkk6tHX3CxZHoLGtG7u0dQLUfLx91 here"),
    ("flickr_access_token", "flickr_secret = \"3poo1xhb5tknxepe6baugbogr5zfnuns\""),
    ("hubspot_api_key", "hubspot_secret = \"b66df13f-2261-9e9b-1d82-dafcde1b391d\""),
    ("linkedin_client_id", "linkedin_secret = \"y9x3m4eut6n23z\""),
    ("linkedin_client_secret", "linkedin_secret = \"ndgy0gtvotbglhe4\""),
    ("lob_pub_api_key", "lob_secret = \"test_pub_b58d29692eca6654802478248eaa8c6\""),
    ("lob_api_key", "lob_secret = \"live_9cda425b9c775a68434c10d5a23e0b4ef76\""),
    ("looker_client_id", "looker_secret = \"oh6yezi2130dwpol3nyv\""),
    ("looker_client_secret", "looker_secret = \"0whf5600mqkvhz6fb2zoqbf2\""),
    ("mapbox_api_token", "mapbox_secret = \"pk.km37es7tckrt6n7edn64yzke25ofxq33uoahyuckoi0vg5yp6ymee34i7oj6.ke5awmvtkf67ur3dp1y8c2\""),
    ("mapbox_secret_token", "found sk.eyJncyHFe3ncradoLTzbw6yCul7gbLEVxPrAmtrlKIYUWJHgM49Bk.t5kRtMrEBvOeCGjSbFRY here"),
    ("maxmind_license_key", "found 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 here"),
    ("cisco_meraki_api_key", "meraki_secret = \"df4c8ca6591dea5692a42c8a10424ceeb3c5e640\""),
    ("nytimes_access_token", "nytimes_secret = \"0ri0e43y31oxwyipze405cuybawq0452\""),
    ("okta_access_token", "okta_secret = \"00i3N4AW9yUQmSVo5TV5DFYo63DzuABVXxyAG6sKHA\""),
    ("rapidapi_access_token", "rapidapi_secret = \"k28t63adb4bnhmxpj3btjfg07ixwbcp0isvlrousxbnjqkwybc\""),
    ("sumologic_access_id", "sumo_secret = \"su3lyi6qnuz9rd\""),
    ("sumologic_access_token", "sumo_secret = \"tcwl1e3btccjei455x3z3prb9ftivhl9xd4nb71lqpp6vnnktzz52jgz8zkx5963\""),
    ("twitter_api_key", "twitter_secret = \"fjz8igmfqw2adqiptwnsd46ul\""),
    ("twitter_api_secret", "twitter_secret = \"zlenzctcjfj8x304pc3odgilwvmbmiwfn7t1pdxh4ev0ovqtbl\""),
    ("twitter_access_token", "twitter_secret = \"146008601663945-57hJJqRZq7cjDpq5DaeK\""),
    ("twitter_access_secret", "twitter_secret = \"fdtb0t7y2rxw1jktniiqzfejmufb1c3xhk4flisv61ri9\""),
    ("twitter_bearer_token", "found AAAAAAAAAAAAAAAAAAAAAAjBObNHmXHuugAaqi7UgVg6OWhcSlVrbDYRXmKlNoft9YoQmaTpCbG0tMImKQZ6ysaHLG4WVwKV4NjCA5 here"),
    ("twilio_account_auth", "twilio_auth_token = \"9f3a1c7e5b2d4f60a8c1e3b5d7f9a2c4\""),
    ("sidekiq_secret", "bundle_enterprise__contribsys__com_secret = \"b3facf44:12be5ec5\""),
    ("sidekiq_sensitive_url", "https://cafeb4b3:d3adb33f@enterprise.contribsys.com/"),
    ("intra42_client_secret", "found 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 here"),
    ("jwt", "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.Qm7rT2vXk9LpW4zNb8YcD3fH"),
    ("url_credentials", "DATABASE_URL=postgres://svc:Qm7rT2vXk9LpW4zN@db.internal:5432/app"),
    ("curl_auth_user", "curl -u admin:Qm7rT2vXk9LpW4zN https://api.example.net/v1"),
    ("curl_auth_header", "curl -H \"X-Api-Key: Qm7rT2vXk9LpW4zNb8Yc\" https://api.example.net/v1"),
    ("high_entropy_constant", "const fetchCart = \"Qm7rT2vXk9LpW4zNb8Yc\";"),
    ("database_cli_argument", "psql \"Qm7rT2vXk9LpW4zN!b\" -c 'select 1'"),
    ("bearer_token", "Authorization: Bearer Qm7rT2vXk9LpW4zNb8YcD3fH"),
    ("private_key", "-----BEGIN RSA PRIVATE KEY-----\nMIIEowIBAAKCAQEAx4Zq8vL2mXw9Rt4pKeB7nY3cD5fG1hJ6sA0uQeZq8vL2mXw9\nRt4pKeB7nY3cD5fG1hJ6sA0uQe==\n-----END RSA PRIVATE KEY-----"),
    ("generic_secret", "DB_PASSWORD = \"Qm7rT2vXk9LpW4zN!b\""),
];

#[test]
fn every_rule_has_a_sample() {
    let ids: Vec<String> = rule_ids().collect();
    for id in &ids {
        let name = id.trim_start_matches("secrets.");
        assert!(
            RULE_SAMPLES.iter().any(|(r, _)| *r == name),
            "no sample for {id}"
        );
    }
    assert_eq!(RULE_SAMPLES.len(), ids.len());
}

/// Positive: the rule reports its sample. Negative: the same text with the second half of
/// the secret turned into a placeholder (`xxxx`) is not reported by that rule.
#[test]
fn every_rule_positive_and_negative() {
    let det = detector();
    let mut failures = Vec::new();
    for (name, text) in RULE_SAMPLES {
        let id = format!("secrets.{name}");
        let hits = scan(&det, text);
        let Some(hit) = hits.iter().find(|h| h.rule == id) else {
            failures.push(format!(
                "{id}: not found in {text:?} (got {:?})",
                rules_of(&hits)
            ));
            continue;
        };
        let (s, e) = (hit.span.start, hit.span.end);
        let mid = s + (e - s) / 2;
        let mut neg = text[..mid].to_string();
        neg.extend(
            text[mid..e]
                .chars()
                .map(|c| if c.is_ascii_alphanumeric() { 'x' } else { c }),
        );
        neg.push_str(&text[e..]);
        if scan(&det, &neg).iter().any(|h| h.rule == id) {
            failures.push(format!("{id}: placeholder reported: {neg:?}"));
        }
    }
    assert!(
        failures.is_empty(),
        "{} failures:\n{}",
        failures.len(),
        failures.join("\n")
    );
}
