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
