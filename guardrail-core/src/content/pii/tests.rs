use super::*;

fn detector_all() -> PiiDetector {
    let config = PiiConfig {
        min_confidence: 0.0,
        ..PiiConfig::default()
    };
    PiiDetector::new(&config).unwrap()
}

fn found(d: &PiiDetector, text: &str) -> Vec<(Entity, String)> {
    d.find(text)
        .into_iter()
        .map(|m| (m.entity, text[m.span.start..m.span.end].to_string()))
        .collect()
}

#[test]
fn entity_table_is_consistent() {
    for (i, e) in Entity::ALL.iter().enumerate() {
        assert_eq!(e.index(), i);
        assert_eq!(Entity::parse(e.name()), Some(*e));
        assert_eq!(e.rule(), format!("pii.{}", e.name()));
    }
    assert!(Entity::ALL.len() <= 32, "context masks are u32");
}

#[test]
fn smoke() {
    let d = PiiDetector::new(&PiiConfig::default()).unwrap();
    let t = "Call me at (415) 555-0132 or mail john.smith@example.com, card 4111 1111 1111 1111.";
    let f = found(&d, t);
    eprintln!("{f:?}");
    assert!(f.contains(&(Entity::Phone, "(415) 555-0132".into())));
    assert!(f.contains(&(Entity::Email, "john.smith@example.com".into())));
    assert!(f.contains(&(Entity::CreditCard, "4111 1111 1111 1111".into())));
    let _ = detector_all();
}

/// One positive and one negative text per entity, default policy (context included where
/// the entity needs it).
#[test]
fn each_entity_positive_and_negative() {
    let d = PiiDetector::new(&PiiConfig::default()).unwrap();
    let cases: &[(Entity, &str, &str, &str)] = &[
        (
            Entity::Email,
            "write to ana.ruiz@example.co.uk today",
            "ana.ruiz@example.co.uk",
            "write to ana.ruiz@localhost today",
        ),
        (
            Entity::Phone,
            "call (415) 555-0132 now",
            "(415) 555-0132",
            "call 555-0132 now",
        ),
        (
            Entity::Phone,
            "ring +49 30 1234567",
            "+49 30 1234567",
            "ring +999 30 1234567",
        ),
        (
            Entity::CreditCard,
            "card 4012-8888-8888-1881 ok",
            "4012-8888-8888-1881",
            "card 4012-8888-8888-1882 ok",
        ),
        (
            Entity::UsSsn,
            "SSN 078-05-1123",
            "078-05-1123",
            "SSN 666-05-1123",
        ),
        (
            Entity::Iban,
            "IBAN DE89 3704 0044 0532 0130 00.",
            "DE89 3704 0044 0532 0130 00",
            "IBAN DE89 3704 0044 0532 0130 01.",
        ),
        (
            Entity::IpAddress,
            "from 192.168.10.4 port",
            "192.168.10.4",
            "version 1.2.3 port",
        ),
        (
            Entity::IpAddress,
            "via 2001:db8::8a2e:370:7334.",
            "2001:db8::8a2e:370:7334",
            "via std::vector::size.",
        ),
        (
            Entity::MacAddress,
            "mac 00:1A:2B:3C:4D:5E",
            "00:1A:2B:3C:4D:5E",
            "mac FF:FF:FF:FF:FF:FF",
        ),
        (
            Entity::UrlCredentials,
            "db postgres://app:s3cret@db.internal/prod",
            "postgres://app:s3cret@db.internal/prod",
            "db postgres://db.internal/prod",
        ),
        (
            Entity::DateOfBirth,
            "date of birth: 1984-07-21",
            "1984-07-21",
            "deployed 1984-07-21",
        ),
        (
            Entity::UsPassport,
            "passport number A12345678",
            "A12345678",
            "part number A12345678",
        ),
        (
            Entity::UkNhs,
            "NHS number 401 023 2137",
            "401 023 2137",
            "NHS number 401 023 2138",
        ),
        (
            Entity::UkNino,
            "NI number AB 12 34 56 C",
            "AB 12 34 56 C",
            "NI number BG 12 34 56 C",
        ),
        (
            Entity::CaSin,
            "SIN 130-692-544",
            "130-692-544",
            "SIN 130-692-545",
        ),
        (
            Entity::InAadhaar,
            "aadhaar 3123 4567 8909",
            "3123 4567 8909",
            "aadhaar 1234 5678 9012",
        ),
        (
            Entity::InPan,
            "PAN ABCPD1234Z",
            "ABCPD1234Z",
            "PAN ABCD1234",
        ),
        (Entity::EsNif, "DNI 12345678Z", "12345678Z", "DNI 12345678A"),
        (Entity::EsNie, "NIE X9613851N", "X9613851N", "NIE X9613851Q"),
        (
            Entity::ItFiscalCode,
            "codice fiscale RSSMRA85T10A562S",
            "RSSMRA85T10A562S",
            "codice fiscale RSSMRA85T10A56",
        ),
        (
            Entity::DeTaxId,
            "Steuer-ID 12345678903",
            "12345678903",
            "Steuer-ID 12345678901",
        ),
        (
            Entity::CryptoWallet,
            "btc 3J98t1WpEZ73CNmQviecrnyiWrnqRhWNLy",
            "3J98t1WpEZ73CNmQviecrnyiWrnqRhWNLy",
            "btc 3J98t1WpEZ73CNmQviecrnyiWrnqRhWNLz",
        ),
        (
            Entity::CryptoWallet,
            "eth 0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed",
            "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed",
            "eth 0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAeD",
        ),
        (
            Entity::Person,
            "Dear Jennifer Walsh, thanks",
            "Jennifer Walsh",
            "Dear Customer Service, thanks",
        ),
        (
            Entity::Address,
            "ship to 1600 Pennsylvania Avenue, Washington, DC 20500",
            "1600 Pennsylvania Avenue, Washington, DC 20500",
            "ship to aisle 16 of the store",
        ),
    ];
    for &(entity, pos, want, neg) in cases {
        let got = found(&d, pos);
        assert!(
            got.contains(&(entity, want.to_string())),
            "{entity:?} not found in {pos:?}: {got:?}"
        );
        let got = found(&d, neg);
        assert!(
            got.iter().all(|(e, _)| *e != entity),
            "{entity:?} wrongly found in {neg:?}: {got:?}"
        );
    }
}

#[test]
fn context_words_raise_confidence() {
    let d = PiiDetector::new(&PiiConfig::default()).unwrap();
    assert!(
        found(&d, "ref 078051123").is_empty(),
        "bare nine digits stay below the threshold"
    );
    assert!(found(&d, "my ssn is 078051123").contains(&(Entity::UsSsn, "078051123".into())));
    // Context words stand alone: inside a longer word they do not count.
    assert!(found(&d, "myssnis 078051123").is_empty());
    let config = PiiConfig {
        context_words: [(
            "us_ssn".to_string(),
            vec!["employee ref".to_string(), "número".to_string()],
        )]
        .into(),
        ..PiiConfig::default()
    };
    let custom = PiiDetector::new(&config).unwrap();
    for text in [
        "Employee REF: 078051123",
        "NÚMERO 078051123",
        "número 078051123",
    ] {
        let got = found(&custom, text);
        // ASCII case is folded; a non-ASCII word matches as written.
        assert_eq!(
            got.contains(&(Entity::UsSsn, "078051123".into())),
            text != "NÚMERO 078051123",
            "{text}: {got:?}"
        );
    }
}

#[test]
fn bad_input_is_handled() {
    let d = detector_all();
    assert!(d.find("").is_empty());
    // Non-ASCII around and inside candidates: spans stay on char boundaries.
    for t in [
        "é4111 1111 1111 1111é",
        "ß@ß.de",
        "📞 +44 20 7946 0958 📞",
        "Zoë Müller wohnt in der Hauptstraße 5",
    ] {
        for m in d.find(t) {
            assert!(t.get(m.span.start..m.span.end).is_some(), "{t:?} {m:?}");
        }
    }
    // Large and adversarial inputs finish (linear time; speed is measured in the bench).
    let colons = ":1".repeat(200_000);
    let digits = "1 ".repeat(200_000);
    let caps = "Ab ".repeat(200_000);
    let hexdots = "ab:cd.".repeat(100_000);
    for t in [&colons, &digits, &caps, &hexdots] {
        let _ = d.find(t);
    }
    assert_eq!(d.find(&"x".repeat(1 << 20)).len(), 0);
}

#[test]
fn unknown_entities_and_bad_confidence_are_policy_errors() {
    let mut config = PiiConfig::default();
    config
        .entities
        .insert("emial".into(), EntityConfig::default());
    config.context_words.insert("ssn".into(), vec![" ".into()]);
    config.min_confidence = 1.5;
    let err = PiiDetector::new(&config).unwrap_err();
    let paths: Vec<&str> = err.issues().iter().map(|i| i.path.as_str()).collect();
    assert_eq!(
        paths,
        [
            "content.pii.min_confidence",
            "content.pii.entities.emial",
            "content.pii.context_words.ssn"
        ]
    );
}

/// Presidio's own recognizer test cases, run for every entity we support. Offsets there are
/// code points; ours are bytes.
#[test]
fn presidio_vectors() {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../shared/data/peer-vectors/presidio.jsonl"
    );
    let Ok(data) = std::fs::read_to_string(path) else {
        println!("skipped: ../shared/data/peer-vectors/presidio.jsonl not found (only present in the project workspace)");
        return;
    };
    let map = |name: &str| -> Option<Entity> {
        Some(match name {
            "CA_SIN" => Entity::CaSin,
            "CREDIT_CARD" => Entity::CreditCard,
            "CRYPTO" => Entity::CryptoWallet,
            "DE_TAX_ID" => Entity::DeTaxId,
            "EMAIL_ADDRESS" => Entity::Email,
            "ES_NIE" => Entity::EsNie,
            "ES_NIF" => Entity::EsNif,
            "IBAN_CODE" => Entity::Iban,
            "IN_AADHAAR" => Entity::InAadhaar,
            "IN_PAN" => Entity::InPan,
            "IP_ADDRESS" => Entity::IpAddress,
            "IT_FISCAL_CODE" => Entity::ItFiscalCode,
            "MAC_ADDRESS" => Entity::MacAddress,
            "PHONE_NUMBER" => Entity::Phone,
            "UK_NHS" => Entity::UkNhs,
            "UK_NINO" => Entity::UkNino,
            "US_DRIVER_LICENSE" => Entity::UsDriverLicense,
            "US_PASSPORT" => Entity::UsPassport,
            "US_SSN" => Entity::UsSsn,
            _ => return None,
        })
    };
    let d = detector_all();
    // (entity, text) -> the expected span sets of its cases (Presidio runs a few texts with
    // different leniency settings; matching any of them counts).
    type Cases = std::collections::BTreeMap<(Entity, String), Vec<Vec<(usize, usize)>>>;
    let mut cases: Cases = Default::default();
    for line in data.lines() {
        let v: serde_json::Value = serde_json::from_str(line).unwrap();
        let Some(entity) = v["entity"].as_str().and_then(map) else {
            continue;
        };
        if v["expected_count"].is_null() {
            continue; // helper tests (palindromes), not recognizer cases
        }
        let text = v["text"].as_str().unwrap().to_string();
        let count = v["expected_count"].as_u64().unwrap() as usize;
        let mut spans: Vec<(usize, usize)> = v["expected"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| {
                (
                    s["start"].as_u64().unwrap() as usize,
                    s["end"].as_u64().unwrap() as usize,
                )
            })
            .collect();
        spans.truncate(count);
        spans.sort();
        cases.entry((entity, text)).or_default().push(spans);
    }
    let mut per: std::collections::BTreeMap<&str, (usize, usize)> = Default::default();
    let mut failures = Vec::new();
    for ((entity, text), variants) in &cases {
        let cp = |byte: usize| text[..byte].chars().count();
        // Whitespace at the edge of an expected span is no part of the value (Presidio's
        // NINO pattern takes the space before it), so spans compare without it.
        let chars: Vec<char> = text.chars().collect();
        let blank = |i: usize| chars.get(i).is_some_and(|c| c.is_whitespace());
        let trim = |&(mut s, mut e): &(usize, usize)| {
            while s < e && blank(s) {
                s += 1;
            }
            while e > s && blank(e - 1) {
                e -= 1;
            }
            (s, e)
        };
        let variants: Vec<Vec<(usize, usize)>> = variants
            .iter()
            .map(|spans| spans.iter().map(trim).collect())
            .collect();
        let mut got: Vec<(usize, usize)> = d
            .find(text)
            .into_iter()
            .filter(|m| m.entity == *entity)
            .map(|m| (cp(m.span.start), cp(m.span.end)))
            .collect();
        got.sort();
        got.dedup();
        let ok = variants.contains(&got);
        let e = per.entry(entity.name()).or_default();
        e.1 += 1;
        if ok {
            e.0 += 1;
        } else {
            failures.push(format!(
                "{}: {text:?} expected {variants:?} got {got:?}",
                entity.name()
            ));
        }
    }
    let (mut pass, mut total) = (0, 0);
    for (name, (p, t)) in &per {
        println!(
            "presidio {name:<18} {p:>4}/{t:<4} {:.1}%",
            100.0 * *p as f64 / *t as f64
        );
        pass += p;
        total += t;
    }
    println!(
        "presidio all {pass}/{total} {:.1}%",
        100.0 * pass as f64 / total as f64
    );
    for f in &failures {
        println!("  miss {f}");
    }
    // The issue's target is 95% per entity; we reach 99.7% overall (the two misses are
    // Presidio quirks listed in docs/benchmarks/pii.md), so guard that.
    assert!(
        pass * 1000 >= total * 990,
        "pass rate {pass}/{total} below 99%"
    );
    // Per entity too, except IN_PAN's one case that Presidio itself scores 0.01 (its catch-all
    // pattern for any 10 characters with four digits, not a PAN layout).
    for (name, (p, t)) in &per {
        let allowed_misses = usize::from(*name == "in_pan");
        assert!(
            p * 100 >= t * 95 || t - p <= allowed_misses,
            "presidio {name}: {p}/{t} below 95%"
        );
    }
}

/// Per-entity precision / recall / F1 on the generated evaluation set
/// (`benches/pii_eval/eval.jsonl`), default policy. A prediction counts when it overlaps an
/// unmatched gold span of the same entity.
fn evaluate(d: &PiiDetector) -> std::collections::BTreeMap<String, (usize, usize, usize)> {
    let data = include_str!("../../../../benches/pii_eval/eval.jsonl");
    let mut stats: std::collections::BTreeMap<String, (usize, usize, usize)> = Default::default();
    for line in data.lines() {
        let v: serde_json::Value = serde_json::from_str(line).unwrap();
        let text = v["text"].as_str().unwrap();
        // Gold offsets are code points: convert to bytes.
        let bytes_at: Vec<usize> = text
            .char_indices()
            .map(|(b, _)| b)
            .chain([text.len()])
            .collect();
        let mut gold: Vec<(String, usize, usize, bool)> = v["spans"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| {
                let e = s["entity"].as_str().unwrap().to_string();
                (
                    e,
                    bytes_at[s["start"].as_u64().unwrap() as usize],
                    bytes_at[s["end"].as_u64().unwrap() as usize],
                    false,
                )
            })
            .collect();
        for m in resolve_overlaps(&d.find(text)) {
            let name = m.entity.name().to_string();
            let hit = gold
                .iter_mut()
                .find(|g| !g.3 && g.0 == name && g.1 < m.span.end && m.span.start < g.2);
            match hit {
                Some(g) => {
                    g.3 = true;
                    stats.entry(name).or_default().0 += 1;
                }
                None => stats.entry(name).or_default().1 += 1,
            }
        }
        for g in gold.iter().filter(|g| !g.3) {
            stats.entry(g.0.clone()).or_default().2 += 1;
        }
    }
    stats
}

#[test]
fn eval_set_precision_recall() {
    let d = PiiDetector::new(&PiiConfig::default()).unwrap();
    let stats = evaluate(&d);
    let (mut tp, mut fp, mut fn_) = (0, 0, 0);
    let mut low = Vec::new();
    println!(
        "{:<18} {:>5} {:>5} {:>5} {:>6} {:>6} {:>6}",
        "entity", "tp", "fp", "fn", "P", "R", "F1"
    );
    for (name, &(t, f, n)) in &stats {
        let p = t as f64 / (t + f).max(1) as f64;
        let r = t as f64 / (t + n).max(1) as f64;
        let f1 = if p + r > 0.0 {
            2.0 * p * r / (p + r)
        } else {
            0.0
        };
        println!("{name:<18} {t:>5} {f:>5} {n:>5} {p:>6.3} {r:>6.3} {f1:>6.3}");
        low.extend((f1 < 0.9).then(|| format!("{name} {f1:.3}")));
        tp += t;
        fp += f;
        fn_ += n;
    }
    let p = tp as f64 / (tp + fp) as f64;
    let r = tp as f64 / (tp + fn_) as f64;
    let f1 = 2.0 * p * r / (p + r);
    println!("micro P {p:.3} R {r:.3} F1 {f1:.3}");
    // The set is generated by our own script, so these floors guard against regressions;
    // they say nothing about text the generator does not imitate.
    assert!(low.is_empty(), "entities below F1 0.9: {low:?}");
    assert!(f1 >= 0.98, "micro F1 {f1:.3}");
}

mod through_the_guard {
    use crate::event::Event;
    use crate::{Action, Guard, Policy, State};

    fn guard(yaml: &str) -> Guard {
        Guard::builder()
            .build(&Policy::from_yaml(yaml).unwrap())
            .unwrap()
    }

    fn eval(g: &Guard, json: &str) -> crate::Decision {
        g.evaluate(&Event::from_json(json.as_bytes()).unwrap(), &State::new())
    }

    #[test]
    fn tool_output_pii_is_redacted_in_place() {
        let g = guard("version: 1\n");
        let d = eval(
            &g,
            r#"{"type":"tool_result","ts":1,"tool":"crm.get","output":{"name":"x","email":"ana.ruiz@example.com","ssn":"078-05-1123","note":"order 4111 1111 1111 1112"}}"#,
        );
        assert_eq!(d.action, Action::Redact);
        let rules: Vec<&str> = d.findings.iter().map(|f| f.rule.as_str()).collect();
        assert!(
            rules.contains(&"pii.email") && rules.contains(&"pii.us_ssn"),
            "{rules:?}"
        );
        assert!(
            !rules.contains(&"pii.credit_card"),
            "a number failing Luhn is no card"
        );
        let out = serde_json::to_string(&d.args).unwrap();
        assert!(
            !out.contains("ana.ruiz@example.com") && !out.contains("078-05-1123"),
            "{out}"
        );
    }

    #[test]
    fn entity_settings_change_the_decision() {
        let g = guard(
            "version: 1\ncontent:\n  pii:\n    entities:\n      credit_card: { action: block }\n      email: { enabled: false }\n",
        );
        let d = eval(
            &g,
            r#"{"type":"prompt","ts":1,"role":"user","text":"card 4111-1111-1111-1111, mail a.b@example.com"}"#,
        );
        assert_eq!(d.action, Action::Block);
        assert!(d.findings.iter().all(|f| f.rule != "pii.email"));
        let off = guard(
            "version: 1\ncontent:\n  pii:\n    enabled: false\n  safety:\n    enabled: false\n",
        );
        let d = eval(
            &off,
            r#"{"type":"prompt","ts":1,"role":"user","text":"card 4111-1111-1111-1111"}"#,
        );
        assert_eq!(d.action, Action::Allow);
    }

    #[test]
    fn bad_pii_policy_points_at_the_path() {
        let err = Policy::from_yaml(
            "version: 1\ncontent:\n  pii:\n    min_confidence: 3\n    entities:\n      emial: {}\n",
        )
        .unwrap_err();
        let paths: Vec<&str> = err.issues().iter().map(|i| i.path.as_str()).collect();
        assert!(paths.contains(&"content.pii.min_confidence"), "{paths:?}");
        assert!(paths.contains(&"content.pii.entities.emial"), "{paths:?}");
    }

    #[test]
    fn safety_findings_escalate() {
        let g = guard("version: 1\n");
        let d = eval(
            &g,
            r#"{"type":"model_output","ts":1,"text":"step one: how to build a b0mb"}"#,
        );
        assert_eq!(d.action, Action::Escalate);
        assert_eq!(d.findings[0].rule, "safety.weapons");
    }
}
