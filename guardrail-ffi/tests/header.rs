//! Regenerates include/guardrail.h in memory with the pinned cbindgen crate and fails if the
//! checked-in header differs. `GUARDRAIL_BLESS_HEADER=1` rewrites the header instead.

use std::path::Path;

#[test]
fn header_is_up_to_date() {
    let crate_dir = Path::new(env!("CARGO_MANIFEST_DIR"));
    let header_path = crate_dir.join("../include/guardrail.h");
    let config = cbindgen::Config::from_file(crate_dir.join("cbindgen.toml"))
        .expect("guardrail-ffi/cbindgen.toml is readable and valid");
    let bindings = cbindgen::Builder::new()
        .with_crate(crate_dir)
        .with_config(config)
        .generate()
        .expect("cbindgen can parse guardrail-ffi");
    let mut generated = Vec::new();
    bindings.write(&mut generated);
    let generated = String::from_utf8(generated).expect("the header is UTF-8");

    if std::env::var_os("GUARDRAIL_BLESS_HEADER").is_some() {
        std::fs::write(&header_path, &generated).expect("include/guardrail.h is writable");
        return;
    }
    let checked_in = std::fs::read_to_string(&header_path).unwrap_or_default();
    if checked_in != generated {
        let first = checked_in
            .lines()
            .zip(generated.lines())
            .position(|(a, b)| a != b)
            .unwrap_or_else(|| checked_in.lines().count().min(generated.lines().count()));
        panic!(
            "include/guardrail.h is out of date with guardrail-ffi/src (first difference at line {}).\n\
             Regenerate it with:\n    GUARDRAIL_BLESS_HEADER=1 cargo test -p guardrail-ffi --test header\n\
             and commit the result.",
            first + 1
        );
    }
}

#[test]
fn version_macros_match_the_crate() {
    let header = include_str!("../../include/guardrail.h");
    let version = env!("CARGO_PKG_VERSION");
    let parts: Vec<&str> = version.split(['.', '-']).collect();
    for (name, value) in ["MAJOR", "MINOR", "PATCH"].iter().zip(&parts) {
        let line = format!("#define GUARDRAIL_VERSION_{name} {value}");
        assert!(
            header.contains(&line),
            "include/guardrail.h lacks `{line}`: update after_includes in guardrail-ffi/cbindgen.toml"
        );
    }
    let runtime = unsafe { std::ffi::CStr::from_ptr(guardrail::guardrail_version()) };
    assert_eq!(runtime.to_str().unwrap(), version);
}
