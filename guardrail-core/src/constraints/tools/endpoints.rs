//! URL-valued arguments: scheme and host allow / deny lists, and SSRF targets.
//!
//! URLs are parsed by the `url` crate (the WHATWG URL standard browsers follow), which
//! already reads the literal IPv4 spellings attackers use to dodge string filters:
//! `http://2130706433/`, `http://0177.0.0.1/` and `http://0x7f.1/` all come back as
//! `127.0.0.1`. IPv6 hosts that carry an IPv4 address (mapped `::ffff:a.b.c.d`,
//! compatible `::a.b.c.d`, NAT64 `64:ff9b::/96`, 6to4 `2002::/16`) are judged by that
//! address. Host names are not resolved (the core does no I/O): names known to point at
//! loopback or at a cloud metadata service are listed, and the limits are documented.

use super::pointer::ArgPointer;
use super::{hit, value_span, ToolHits};
use crate::decision::{Action, Severity};
use crate::policy::Diagnostics;
use globset::GlobSet;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::net::{Ipv4Addr, Ipv6Addr};
use url::{Host, Url};

/// One URL-valued argument of a tool and the endpoints it may reach.
#[derive(Debug, Clone, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields, default)]
pub struct UrlCheck {
    /// JSON pointer to the argument (`/url`); a `*` segment matches every array element or
    /// object member (`/requests/*/url`).
    pub pointer: String,
    /// Schemes the URL may use, lowercase.
    pub schemes: Vec<String>,
    /// Host globs the URL may reach (`api.example.com`, `*.example.com`; `*` spans dots,
    /// matching is case-insensitive). Empty allows every host that is not denied.
    pub allow_hosts: Vec<String>,
    /// Host globs the URL must not reach; a deny wins over an allow.
    pub deny_hosts: Vec<String>,
    /// Let loopback and private-range addresses through (for tools that are meant to reach
    /// internal services). Link-local and cloud metadata addresses stay blocked.
    pub allow_private: bool,
}

impl Default for UrlCheck {
    fn default() -> Self {
        UrlCheck {
            pointer: "/url".to_string(),
            schemes: vec!["https".to_string(), "http".to_string()],
            allow_hosts: Vec::new(),
            deny_hosts: Vec::new(),
            allow_private: false,
        }
    }
}

/// A compiled [`UrlCheck`].
#[derive(Debug)]
pub(crate) struct CompiledUrlCheck {
    pointer: ArgPointer,
    schemes: Vec<String>,
    allow: Option<GlobSet>,
    allow_shown: String,
    deny: Option<GlobSet>,
    allow_private: bool,
}

impl CompiledUrlCheck {
    /// Compiles `check`; problems are reported at `path`.
    pub(crate) fn compile(
        check: &UrlCheck,
        path: &str,
        diag: &mut Diagnostics,
    ) -> Option<CompiledUrlCheck> {
        let pointer = ArgPointer::compile(&check.pointer, &format!("{path}.pointer"), diag);
        let allow = globs(&check.allow_hosts, &format!("{path}.allow_hosts"), diag);
        let deny = globs(&check.deny_hosts, &format!("{path}.deny_hosts"), diag);
        if check.schemes.is_empty() {
            diag.error(
                format!("{path}.schemes"),
                "no scheme is allowed: list at least one",
            );
        }
        let shown: Vec<String> = check.allow_hosts.iter().map(|h| format!("`{h}`")).collect();
        Some(CompiledUrlCheck {
            pointer: pointer?,
            schemes: check
                .schemes
                .iter()
                .map(|s| s.to_ascii_lowercase())
                .collect(),
            allow: if check.allow_hosts.is_empty() {
                None
            } else {
                Some(allow?)
            },
            allow_shown: shown.join(", "),
            deny: if check.deny_hosts.is_empty() {
                None
            } else {
                Some(deny?)
            },
            allow_private: check.allow_private,
        })
    }

    /// Checks every URL the pointer names in `args`.
    pub(crate) fn check(&self, args: &Value, out: &mut ToolHits) {
        for (at, value) in self.pointer.resolve(args) {
            match value {
                Value::String(text) => self.check_url(&at, value, text, out),
                Value::Array(items) if items.iter().all(Value::is_string) => {
                    for (i, item) in items.iter().enumerate() {
                        if let Value::String(text) = item {
                            let at = format!("{at}/{i}");
                            self.check_url(&at, item, text, out);
                        }
                    }
                }
                _ => out.push((
                    Some(at),
                    denied(value, "expected a URL string".to_string(), None),
                )),
            }
        }
    }

    fn check_url(&self, at: &str, value: &Value, text: &str, out: &mut ToolHits) {
        let url = match parse(text) {
            Ok(url) => url,
            Err(error) => {
                out.push((
                    Some(at.to_string()),
                    denied(value, format!("not a valid URL ({error})"), None),
                ));
                return;
            }
        };
        let scheme = url.scheme();
        if !self.schemes.iter().any(|s| s == scheme) {
            let allowed: Vec<String> = self.schemes.iter().map(|s| format!("`{s}`")).collect();
            out.push((
                Some(at.to_string()),
                denied(
                    value,
                    format!("scheme `{scheme}` is not allowed for this tool"),
                    Some(format!("allowed schemes: {}", allowed.join(", "))),
                ),
            ));
            return;
        }
        let Some(host) = url.host() else {
            out.push((
                Some(at.to_string()),
                denied(value, "URL has no host".to_string(), None),
            ));
            return;
        };
        let name = match &host {
            Host::Domain(d) => d.trim_end_matches('.').to_string(),
            Host::Ipv4(ip) => ip.to_string(),
            Host::Ipv6(ip) => ip.to_string(),
        };
        if let Some(target) = ssrf_target(&host) {
            if !(self.allow_private && target.private_ok()) {
                out.push((
                    Some(at.to_string()),
                    hit(
                        "tools.ssrf",
                        "ssrf",
                        Severity::Critical,
                        Action::Block,
                        value_span(value),
                        format!("URL host `{name}` is {}", target.describe()),
                        Some(
                            "call a public endpoint the tool is meant for; internal \
                             services need `allow_private` on the tool's URL check"
                                .to_string(),
                        ),
                    ),
                ));
            }
        }
        if self.deny.as_ref().is_some_and(|d| d.is_match(&name)) {
            out.push((
                Some(at.to_string()),
                denied(
                    value,
                    format!("host `{name}` is on the tool's deny list"),
                    None,
                ),
            ));
        } else if let Some(allow) = &self.allow {
            if !allow.is_match(&name) {
                out.push((
                    Some(at.to_string()),
                    denied(
                        value,
                        format!("host `{name}` is not on the tool's allow list"),
                        Some(format!("allowed hosts: {}", self.allow_shown)),
                    ),
                ));
            }
        }
    }
}

/// Parses a URL; a bare `host/path` (no scheme) is read as `http://host/path`, which is
/// what most HTTP tools do with it.
fn parse(text: &str) -> Result<Url, url::ParseError> {
    let text = text.trim();
    match Url::parse(text) {
        Err(url::ParseError::RelativeUrlWithoutBase) => Url::parse(&format!("http://{text}")),
        other => other,
    }
}

fn denied(value: &Value, message: String, suggestion: Option<String>) -> crate::scan::Hit {
    hit(
        "tools.endpoint_denied",
        "endpoint",
        Severity::High,
        Action::Block,
        value_span(value),
        message,
        suggestion,
    )
}

fn globs(patterns: &[String], path: &str, diag: &mut Diagnostics) -> Option<GlobSet> {
    super::glob_set(patterns, path, diag, |p| {
        globset::GlobBuilder::new(p.trim_end_matches('.'))
            .case_insensitive(true)
            .build()
    })
}

/// What kind of internal address a host is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum SsrfTarget {
    /// A cloud instance metadata service (credentials live there).
    Metadata,
    /// The machine itself (`127.0.0.0/8`, `::1`, `0.0.0.0`, `localhost`).
    Loopback,
    /// Link-local (`169.254.0.0/16`, `fe80::/10`).
    LinkLocal,
    /// Private ranges (`10/8`, `172.16/12`, `192.168/16`, `100.64/10`, `fc00::/7`).
    Private,
}

impl SsrfTarget {
    fn private_ok(self) -> bool {
        matches!(self, SsrfTarget::Loopback | SsrfTarget::Private)
    }

    fn describe(self) -> &'static str {
        match self {
            SsrfTarget::Metadata => "a cloud metadata service (server-side request forgery)",
            SsrfTarget::Loopback => "the local machine (server-side request forgery)",
            SsrfTarget::LinkLocal => "a link-local address (server-side request forgery)",
            SsrfTarget::Private => "a private network address (server-side request forgery)",
        }
    }
}

/// Host names that are internal whatever DNS says, or that public wildcard DNS services
/// point at loopback.
const METADATA_NAMES: [&str; 4] = [
    "metadata.google.internal",
    "metadata.goog",
    "metadata",
    "instance-data.ec2.internal",
];
const LOOPBACK_SUFFIXES: [&str; 3] = ["localhost", "localtest.me", "lvh.me"];
/// Wildcard DNS services that answer `a.b.c.d.<service>` (or `a-b-c-d.<service>`) with
/// the embedded address.
const EMBEDDING_SERVICES: [&str; 3] = ["nip.io", "sslip.io", "xip.io"];

/// The internal target a URL host points at, if any.
pub(crate) fn ssrf_target(host: &Host<&str>) -> Option<SsrfTarget> {
    match host {
        Host::Ipv4(ip) => classify_v4(*ip),
        Host::Ipv6(ip) => classify_v6(*ip),
        Host::Domain(name) => classify_name(&name.trim_end_matches('.').to_ascii_lowercase()),
    }
}

fn classify_name(name: &str) -> Option<SsrfTarget> {
    if METADATA_NAMES.contains(&name) {
        return Some(SsrfTarget::Metadata);
    }
    let under = |suffix: &str| {
        name == suffix
            || name
                .strip_suffix(suffix)
                .is_some_and(|rest| rest.ends_with('.'))
    };
    if LOOPBACK_SUFFIXES.iter().any(|s| under(s)) {
        return Some(SsrfTarget::Loopback);
    }
    for service in EMBEDDING_SERVICES {
        if let Some(rest) = name.strip_suffix(service) {
            let labels = rest.trim_end_matches('.');
            if let Some(ip) = embedded_v4(labels) {
                return classify_v4(ip);
            }
        }
    }
    None
}

/// The IPv4 address at the end of `labels` (`app.10.0.0.1`, `app-10-0-0-1`, `10-0-0-1`).
fn embedded_v4(labels: &str) -> Option<Ipv4Addr> {
    let dotted: Vec<&str> = labels.rsplit('.').take(4).collect();
    if let [d, c, b, a] = dotted[..] {
        if let Ok(ip) = format!("{a}.{b}.{c}.{d}").parse() {
            return Some(ip);
        }
    }
    let last = labels.rsplit('.').next()?;
    let dashed: Vec<&str> = last.rsplit('-').take(4).collect();
    match dashed[..] {
        [d, c, b, a] => format!("{a}.{b}.{c}.{d}").parse().ok(),
        _ => None,
    }
}

fn classify_v4(ip: Ipv4Addr) -> Option<SsrfTarget> {
    let [a, b, c, d] = ip.octets();
    let metadata = matches!(
        (a, b, c, d),
        (169, 254, 169, 254) | (169, 254, 170, 2) | (100, 100, 100, 200) | (192, 0, 0, 192)
    );
    if metadata {
        Some(SsrfTarget::Metadata)
    } else if ip.is_loopback() || ip.is_unspecified() || a == 0 {
        // 0.0.0.0/8 reaches the local machine on Linux.
        Some(SsrfTarget::Loopback)
    } else if ip.is_link_local() {
        Some(SsrfTarget::LinkLocal)
    } else if ip.is_private() || (a == 100 && (64..128).contains(&b)) {
        // 100.64.0.0/10 is carrier-grade NAT, internal in every cloud that uses it.
        Some(SsrfTarget::Private)
    } else {
        None
    }
}

fn classify_v6(ip: Ipv6Addr) -> Option<SsrfTarget> {
    let s = ip.segments();
    if s == [0xfd00, 0x0ec2, 0, 0, 0, 0, 0, 0x0254] {
        return Some(SsrfTarget::Metadata);
    }
    if ip.is_loopback() || ip.is_unspecified() {
        return Some(SsrfTarget::Loopback);
    }
    if let Some(v4) = embedded_in_v6(ip) {
        return classify_v4(v4);
    }
    match s[0] & 0xffc0 {
        0xfe80 => return Some(SsrfTarget::LinkLocal),
        // fec0::/10, deprecated site-local, still routed internally by some stacks.
        0xfec0 => return Some(SsrfTarget::Private),
        _ => {}
    }
    if s[0] & 0xfe00 == 0xfc00 {
        return Some(SsrfTarget::Private);
    }
    None
}

/// The IPv4 address an IPv6 address carries: mapped, compatible, NAT64 or 6to4.
fn embedded_in_v6(ip: Ipv6Addr) -> Option<Ipv4Addr> {
    if let Some(v4) = ip.to_ipv4_mapped() {
        return Some(v4);
    }
    let s = ip.segments();
    let low =
        |hi: u16, lo: u16| Ipv4Addr::new((hi >> 8) as u8, hi as u8, (lo >> 8) as u8, lo as u8);
    match s {
        // ::a.b.c.d (IPv4-compatible, deprecated but still parsed by many stacks)
        [0, 0, 0, 0, 0, 0, hi, lo] => Some(low(hi, lo)),
        // 64:ff9b::/96, the NAT64 well-known prefix
        [0x0064, 0xff9b, 0, 0, 0, 0, hi, lo] => Some(low(hi, lo)),
        // 2002:AABB:CCDD::/48, 6to4
        [0x2002, hi, lo, ..] => Some(low(hi, lo)),
        _ => None,
    }
}
