//! The built-in ruleset: one entry per credential format.
//!
//! Formats (prefixes, alphabets, lengths, checksums) are public facts about each provider's
//! credentials; the patterns are written here from those facts. Every rule names the keywords
//! that must occur near a match: the engine runs a rule's regex only in a window around one
//! of its keywords, so a rule costs nothing on text that does not mention it.
//!
//! Two shapes:
//! - [`Pattern::Regex`]: a self-contained pattern, usually anchored on a distinctive prefix
//!   (`ghp_`, `xoxb-`, `AKIA`). Capture group 1, when present, is the secret.
//! - [`Pattern::Keyed`]: a value shape that only means "secret" when it is assigned to a name
//!   mentioning the service (`ADAFRUIT_TOKEN = "..."`, `"algolia_key": "..."`,
//!   `<asanaSecret>...</asanaSecret>`). The engine wraps the value in the shared assignment
//!   grammar of [`keyed_regex`].

use crate::decision::Severity;

/// How a rule's match is confirmed beyond its regex.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Check {
    /// The regex (plus allowlist and entropy) is the whole test.
    None,
    /// A GitHub token with a base62 CRC32 checksum in its last 6 characters.
    GithubCrc,
    /// A JSON Web Token: the header must not decode to something that is not a JWT header.
    Jwt,
    /// A generic assignment: the value must look random (see `generic.rs`).
    Generic,
    /// Upper case, lower case and digits must all occur (short prefixes like `s.`).
    Mixed,
    /// An unnamed string constant: accepted only when it looks random (see `generic.rs`)
    /// with a higher entropy bar than named assignments.
    HighEntropy,
    /// A password in a URL or in a `curl -u user:pass`: the password must not be a
    /// placeholder or a variable.
    UrlPassword,
}

/// How a rule finds candidates.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Pattern {
    /// A complete regex; group 1, when present, is the secret.
    Regex(&'static str),
    /// A value regex that must follow an assignment to a name containing a keyword.
    Keyed(&'static str),
    /// A PEM private key block with its matching end line (see `pem.rs`).
    Pem,
}

/// The category the policy can act on.
pub(crate) const CREDENTIAL: &str = "credential";
/// Private keys: blocked by default.
pub(crate) const PRIVATE_KEY: &str = "private_key";
/// Passwords inside connection strings and URLs.
pub(crate) const CONNECTION_STRING: &str = "connection_string";

/// One entry of the ruleset.
#[derive(Debug, Clone, Copy)]
pub(crate) struct RuleSpec {
    /// The id without the `secrets.` family prefix; also the redaction placeholder.
    pub name: &'static str,
    /// [`CREDENTIAL`], [`PRIVATE_KEY`] or [`CONNECTION_STRING`].
    pub category: &'static str,
    /// How bad a leak of this credential is.
    pub severity: Severity,
    /// Lowercase words of which one must occur near a match (matched case-insensitively).
    pub keywords: &'static [&'static str],
    /// How candidates are found.
    pub pattern: Pattern,
    /// Minimum Shannon entropy (bits per byte) of the secret; 0 disables the test.
    pub entropy: f32,
    /// Extra confirmation.
    pub check: Check,
    /// Bytes before the keyword where a match may start.
    pub before: usize,
    /// Bytes after the keyword where a match may end.
    pub after: usize,
    /// Whether every match starts exactly at a keyword. Then the regex runs anchored at each
    /// keyword hit and stops at the first byte that cannot match (a few bytes, usually);
    /// otherwise it searches the merged windows around the hits.
    pub anchored: bool,
}

impl RuleSpec {
    /// Overlap resolution: a specific rule beats a keyed one, which beats a generic one.
    pub(crate) fn priority(&self) -> u8 {
        match (self.check, self.pattern) {
            (Check::Generic | Check::HighEntropy, _) => 0,
            (_, Pattern::Keyed(_)) => 1,
            _ => 2,
        }
    }
}

const fn re(
    name: &'static str,
    severity: Severity,
    keywords: &'static [&'static str],
    regex: &'static str,
) -> RuleSpec {
    RuleSpec {
        name,
        category: CREDENTIAL,
        severity,
        keywords,
        pattern: Pattern::Regex(regex),
        entropy: 0.0,
        check: Check::None,
        before: 0,
        after: 320,
        anchored: true,
    }
}

const fn kv(
    name: &'static str,
    severity: Severity,
    keywords: &'static [&'static str],
    value: &'static str,
) -> RuleSpec {
    RuleSpec {
        name,
        category: CREDENTIAL,
        severity,
        keywords,
        pattern: Pattern::Keyed(value),
        entropy: 0.0,
        check: Check::None,
        before: 0,
        after: 200,
        anchored: true,
    }
}

impl RuleSpec {
    const fn ent(mut self, bits: f32) -> RuleSpec {
        self.entropy = bits;
        self
    }
    const fn check(mut self, check: Check) -> RuleSpec {
        self.check = check;
        self
    }
    const fn window(mut self, before: usize, after: usize) -> RuleSpec {
        self.before = before;
        self.after = after;
        self.anchored = before == 0;
        self
    }
    const fn unanchored(mut self) -> RuleSpec {
        self.anchored = false;
        self
    }
    const fn cat(mut self, category: &'static str) -> RuleSpec {
        self.category = category;
        self
    }
}

use Severity::{Critical as C, High as H, Low as L, Medium as M};

/// A UUID-shaped value (many providers use them as keys).
macro_rules! uuid {
    () => {
        r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"
    };
}

/// The shared assignment grammar around a keyed value: a name containing the keyword, the
/// rest of the identifier, an optional closing quote, an operator (`=`, `:`, `:=`, `=>`,
/// `?=`, `.=`, `||`, `,` as in `setProperty("KEY", "v")`, `>` as in `<key>v</key>`), then
/// quotes or blanks, the value (group 1), and a delimiter.
pub(crate) fn keyed_regex(keywords: &[&str], value: &str) -> String {
    let names: Vec<String> = keywords.iter().map(|k| regex_escape(k)).collect();
    format!(
        r#"(?i)(?:{names})[\w.\-]{{0,40}}?(?:[ \t]+string|[ \t]*:[ \t]*(?:&(?:'static[ \t]+)?)?(?:str|string))?[ \t'"\x60\]]{{0,3}}(?:=|:{{1,3}}=?|=>|\?=|\.=|\+=|\|\||,|>)[ \t\r\n'"\x60=]{{0,6}}({value})(?:[\x60'"\s;,)}}\]<>&|\\]|$)"#,
        names = names.join("|"),
        value = value
    )
}

fn regex_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if "\\.+*?()|[]{}^$#&-~ ".contains(c) {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// The built-in rules. Names are stable ids (`secrets.<name>`).
pub(crate) static RULES: &[RuleSpec] = &[
    // ------------------------------------------------------------------ cloud providers
    re("aws_access_key_id", C, &["akia", "asia", "abia", "acca", "a3t"],
        r"\b((?:A3T[A-Z0-9]|AKIA|ASIA|ABIA|ACCA)[A-Z2-7]{16})\b").ent(2.5),
    kv("aws_secret_access_key", C, &["aws_secret", "secret_access_key", "secretaccesskey", "aws_secret_key"],
        r"(?-i:[A-Za-z0-9/+]{40})").ent(4.0),
    re("aws_bedrock_api_key", C, &["absk"], r"\b(ABSK[A-Za-z0-9+/]{109,269}={0,2})").ent(4.0),
    re("aws_bedrock_short_lived_key", C, &["bedrock-api-key-"],
        r"(bedrock-api-key-YmVkcm9jay5hbWF6b25hd3MuY29t(?:[A-Za-z0-9+/]{4})*[A-Za-z0-9+/=]{0,4})")
        .ent(3.0),
    re("gcp_api_key", H, &["aiza"], r"\b(AIza[\w-]{35})(?:[^\w-]|$)").ent(4.0),
    re("gcp_service_account", C, &["service_account"], r#""type"\s*:\s*"service_account""#).window(16, 20),
    re("azure_ad_client_secret", H, &["q~"],
        r#"(?:^|[\\'"\x60\s>=:(,)])([a-zA-Z0-9_~.]{3}\dQ~[a-zA-Z0-9_~.-]{31,34})(?:$|[\\'"\x60\s<),])"#)
        .ent(3.0).window(8, 48),
    re("azure_storage_account_key", C, &["accountkey="],
        r"(?i)AccountKey=([A-Za-z0-9+/]{86}==)"),
    kv("azure_storage_key", C, &["azure_storage_key", "storage_account_key", "storageaccountkey", "azurestoragekey"],
        r"(?-i:[A-Za-z0-9+/]{86}==)").ent(4.0),
    re("alibaba_access_key_id", H, &["ltai"], r"\b(LTAI(?i:[a-z0-9]{20}))\b").ent(3.0),
    kv("alibaba_secret_key", H, &["alibaba"], r"[a-z0-9]{30}").ent(3.0),
    re("digitalocean_pat", H, &["dop_v1_"], r"\b(dop_v1_[a-f0-9]{64})\b").ent(3.0),
    re("digitalocean_access_token", H, &["doo_v1_"], r"\b(doo_v1_[a-f0-9]{64})\b").ent(3.0),
    re("digitalocean_refresh_token", H, &["dor_v1_"], r"\b(dor_v1_[a-f0-9]{64})\b").ent(3.0),
    re("flyio_access_token", H, &["fo1_", "fm1", "fm2_"],
        r"\b((?:fo1_[\w-]{43}|fm1[ar]_[a-zA-Z0-9+/]{100,}={0,3}|fm2_[a-zA-Z0-9+/]{100,}={0,3}))(?:[^\w-]|$)")
        .ent(4.0).window(0, 1200),
    re("heroku_api_key_v2", H, &["hrku-aa"], r"\b(HRKU-AA[0-9a-zA-Z_-]{58})\b").ent(4.0),
    kv("heroku_api_key", H, &["heroku"], uuid!()),
    re("yandex_aws_access_token", H, &["yc"], r"\b(YC[a-zA-Z0-9_\-]{38})(?:[^\w-]|$)").ent(4.0),
    re("yandex_api_key", H, &["aqvn"], r"\b(AQVN[A-Za-z0-9_\-]{35,38})(?:[^\w-]|$)").ent(4.0),
    re("yandex_access_token", H, &["t1."],
        r"\b(t1\.[A-Z0-9a-z_-]+={0,2}\.[A-Z0-9a-z_-]{86}={0,2})(?:[^\w=.-]|$)").ent(4.0).window(0, 600),
    re("scalingo_api_token", H, &["tk-us-"], r"\b(tk-us-[\w-]{48})(?:[^\w-]|$)").ent(3.0),
    re("openshift_user_token", H, &["sha256~"], r"\b(sha256~[\w-]{43})(?:[^\w-]|$)").ent(3.5),
    // -------------------------------------------------------------- source hosts and CI
    re("github_pat", C, &["ghp_"], r"\b(ghp_[0-9a-zA-Z]{36})\b").ent(3.0).check(Check::GithubCrc),
    re("github_oauth", C, &["gho_"], r"\b(gho_[0-9a-zA-Z]{36})\b").ent(3.0).check(Check::GithubCrc),
    re("github_app_token", C, &["ghu_", "ghs_"], r"\b((?:ghu|ghs)_[0-9a-zA-Z]{36})\b")
        .ent(3.0).check(Check::GithubCrc),
    re("github_refresh_token", C, &["ghr_"], r"\b(ghr_[0-9a-zA-Z]{36})\b").ent(3.0).check(Check::GithubCrc),
    re("github_fine_grained_pat", C, &["github_pat_"], r"\b(github_pat_\w{82})\b").ent(3.0),
    re("gitlab_pat", C, &["glpat-"], r"\b(glpat-[\w-]{20})(?:[^\w.-]|$)").ent(3.0),
    re("gitlab_pat_routable", C, &["glpat-"],
        r"\b(glpat-[0-9a-zA-Z_-]{27,300}\.[0-9a-z]{2}[0-9a-z]{7})\b").ent(4.0),
    re("gitlab_cicd_job_token", H, &["glcbt-"], r"\b(glcbt-[0-9a-zA-Z]{1,5}_[0-9a-zA-Z_-]{20})\b").ent(3.0),
    re("gitlab_deploy_token", H, &["gldt-"], r"\b(gldt-[0-9a-zA-Z_\-]{20})\b").ent(3.0),
    re("gitlab_feature_flag_client_token", M, &["glffct-"], r"\b(glffct-[0-9a-zA-Z_\-]{20})\b").ent(3.0),
    re("gitlab_feed_token", M, &["glft-"], r"\b(glft-[0-9a-zA-Z_\-]{20})\b").ent(3.0),
    re("gitlab_incoming_mail_token", M, &["glimt-"], r"\b(glimt-[0-9a-zA-Z_\-]{25})\b").ent(3.0),
    re("gitlab_kubernetes_agent_token", H, &["glagent-"], r"\b(glagent-[0-9a-zA-Z_\-]{50})\b").ent(3.0),
    re("gitlab_oauth_app_secret", H, &["gloas-"], r"\b(gloas-[0-9a-zA-Z_\-]{64})\b").ent(3.0),
    re("gitlab_pipeline_trigger_token", H, &["glptt-"], r"\b(glptt-[0-9a-f]{40})\b").ent(3.0),
    re("gitlab_runner_registration_token", H, &["gr1348941"], r"\b(GR1348941[\w-]{20})\b").ent(3.0),
    re("gitlab_runner_token", H, &["glrt-"], r"\b(glrt-[0-9a-zA-Z_\-]{20})\b").ent(3.0),
    re("gitlab_runner_token_routable", H, &["glrt-"],
        r"\b(glrt-t\d_[0-9a-zA-Z_\-]{27,300}\.[0-9a-z]{2}[0-9a-z]{7})\b").ent(4.0),
    re("gitlab_scim_token", H, &["glsoat-"], r"\b(glsoat-[0-9a-zA-Z_\-]{20})\b").ent(3.0),
    re("gitlab_session_cookie", H, &["_gitlab_session="], r"(_gitlab_session=[0-9a-z]{32})"),
    re("bitbucket_app_password", H, &["atbb"], r"\b(ATBB[a-zA-Z0-9]{32})\b").ent(3.5),
    kv("bitbucket_client_id", M, &["bitbucket"], r"[a-z0-9]{32}").ent(3.0),
    kv("bitbucket_client_secret", H, &["bitbucket"], r"[a-z0-9=_\-]{64}").ent(3.0),
    re("atlassian_api_token", H, &["atatt3"], r"\b(ATATT3[A-Za-z0-9_\-=]{186})(?:[^\w=-]|$)").ent(3.5),
    kv("atlassian_api_token_keyed", H, &["atlassian", "confluence", "jira"], r"[a-z0-9]{20}[a-f0-9]{4}")
        .ent(3.5),
    kv("droneci_access_token", H, &["droneci"], r"[a-z0-9]{32}").ent(3.0),
    kv("travisci_access_token", H, &["travis"], r"[a-z0-9]{22}").ent(3.0),
    kv("codecov_access_token", M, &["codecov"], r"[a-z0-9]{32}").ent(3.0),
    re("harness_api_key", H, &["pat.", "sat."],
        r"\b((?:pat|sat)\.[a-zA-Z0-9_-]{22}\.[a-zA-Z0-9]{24}\.[a-zA-Z0-9]{20})\b").ent(3.5),
    re("octopus_deploy_api_key", H, &["api-"], r"\b(API-[A-Z0-9]{26})\b").ent(3.0),
    re("prefect_api_token", H, &["pnu_"], r"\b(pnu_[a-zA-Z0-9]{36})\b").ent(3.0),
    re("pulumi_api_token", H, &["pul-"], r"\b(pul-[a-f0-9]{40})\b").ent(3.0),
    re("hashicorp_tf_api_token", H, &["atlasv1"],
        r"(?i)\b([a-z0-9]{14}\.(?-i:atlasv1)\.[a-z0-9\-_=]{60,70})(?:[^\w=-]|$)").ent(3.5).window(16, 90),
    re("vault_service_token", C, &["hvs.", "s."],
        r"\b((?:hvs\.[\w-]{90,120}|s\.(?i:[a-z0-9]{24})))(?:[^\w-]|$)").ent(3.5).check(Check::Mixed),
    re("vault_batch_token", C, &["hvb."], r"\b(hvb\.[\w-]{138,300})(?:[^\w-]|$)").ent(4.0),
    re("infracost_api_token", M, &["ico-"], r"(?:^|[^\w./-])(ico-[a-zA-Z0-9]{32})\b").ent(3.0).window(1, 40),
    re("sourcegraph_access_token", H, &["sgp_"],
        r"\b(sgp_(?:[a-fA-F0-9]{16}|local)_[a-fA-F0-9]{40}|sgp_[a-fA-F0-9]{40})\b").ent(3.0),
    kv("sourcegraph_access_token_keyed", H, &["sourcegraph"], r"(?-i:[a-fA-F0-9]{40})").ent(3.0),
    re("sonar_api_token", H, &["sqa_", "squ_", "sqp_"], r"\b((?:squ|sqp|sqa)_[a-zA-Z0-9]{40})\b")
        .ent(3.0),
    kv("sonar_token_keyed", H, &["sonar"], r"[a-z0-9=_\-]{40}").ent(3.0),
    kv("snyk_api_token", H, &["snyk"], uuid!()),
    re("jfrog_api_key", H, &["akcp"], r"\b(AKCp[A-Za-z0-9]{69})\b").ent(4.0),
    re("jfrog_reference_token", H, &["cmvmd"], r"\b(cmVmd[A-Za-z0-9]{59})\b").ent(4.0),
    kv("jfrog_api_key_keyed", H, &["jfrog", "artifactory", "bintray", "xray"], r"[a-z0-9]{73}").ent(3.0),
    kv("jfrog_identity_token", H, &["jfrog", "artifactory", "bintray", "xray"], r"[a-z0-9]{64}").ent(3.0),
    re("clojars_api_token", H, &["clojars_"], r"(?i)\b((?-i:CLOJARS_)[a-z0-9]{60})\b").ent(2.0),
    re("rubygems_api_token", H, &["rubygems_"], r"\b(rubygems_[a-f0-9]{48})\b").ent(3.0),
    re("pypi_upload_token", H, &["pypi-ageichlwas5vcmc"], r"\b(pypi-AgEIcHlwaS5vcmc[\w-]{50,1000})")
        .window(0, 1100),
    re("npm_access_token", H, &["npm_"], r"(?i)\b((?-i:npm_)[a-z0-9]{36})\b").ent(3.0),
    re("readme_api_token", H, &["rdme_"], r"\b(rdme_[a-z0-9]{70})\b").ent(3.0),
    re("postman_api_token", H, &["pmak-"], r"(?i)\b((?-i:PMAK-)[a-f0-9]{24}-[a-f0-9]{34})\b").ent(3.0),
    re("databricks_api_token", H, &["dapi"], r"(?i)\b((?-i:dapi)[a-f0-9]{32}(?:-\d)?)\b").ent(3.0),
    re("doppler_api_token", H, &["dp.pt."], r"(?i)((?-i:dp\.pt\.)[a-z0-9]{43})\b").ent(2.0),
    re("dynatrace_api_token", H, &["dt0c01."], r"(?i)((?-i:dt0c01\.)[a-z0-9]{24}\.[a-z0-9]{64})\b").ent(3.0),
    re("grafana_api_key", H, &["eyjrijoi"], r"(?i)\b((?-i:eyJrIjoi)[A-Za-z0-9]{70,400}={0,3})(?:[^\w=]|$)")
        .ent(3.0).window(0, 420),
    re("grafana_cloud_api_token", H, &["glc_"], r"(?i)\b((?-i:glc_)[A-Za-z0-9+/]{32,400}={0,3})(?:[^\w+/=]|$)")
        .ent(3.0).window(0, 420),
    re("grafana_service_account_token", H, &["glsa_"], r"(?i)\b((?-i:glsa_)[A-Za-z0-9]{32}_[A-Fa-f0-9]{8})\b")
        .ent(3.0),
    re("new_relic_user_api_key", H, &["nrak-"], r"(?i)\b((?-i:NRAK-)[a-z0-9]{27})\b").ent(3.0),
    kv("new_relic_user_api_id", M, &["new-relic", "newrelic", "new_relic"], r"[a-z0-9]{64}").ent(3.0),
    re("new_relic_browser_api_token", M, &["nrjs-"], r"(?i)\b((?-i:NRJS-)[a-f0-9]{19})\b").ent(3.0),
    re("new_relic_insert_key", H, &["nrii-"], r"(?i)\b((?-i:NRII-)[a-z0-9-]{32})\b").ent(3.0),
    kv("datadog_access_token", H, &["datadog"], r"[a-z0-9]{40}").ent(3.0),
    re("sentry_org_token", H, &["sntrys_"], r"\b(sntrys_eyJpYXQiO[a-zA-Z0-9+/]{10,200}(?:LCJyZWdpb25fdXJs|InJlZ2lvbl91cmwi|cmVnaW9uX3VybCI6)[a-zA-Z0-9+/]{10,200}={0,2}_[a-zA-Z0-9+/]{43})(?:[^\w+/=]|$)")
        .window(0, 520),
    re("sentry_user_token", H, &["sntryu_"], r"\b(sntryu_[a-f0-9]{64})\b").ent(3.5),
    kv("sentry_access_token", H, &["sentry"], r"[a-f0-9]{64}").ent(3.0),
    kv("launchdarkly_access_token", H, &["launchdarkly"], r"[a-z0-9=_\-]{40}").ent(3.0),
    kv("netlify_access_token", H, &["netlify"], r"[a-z0-9=_\-]{40,46}").ent(3.0),
    kv("fastly_api_token", H, &["fastly"], r"[a-z0-9=_\-]{32}").ent(3.0),
    kv("contentful_delivery_api_token", M, &["contentful"], r"[a-z0-9=_\-]{43}").ent(3.0),
    re("frameio_api_token", H, &["fio-u-"], r"(?i)\b((?-i:fio-u-)[a-z0-9\-_=]{64})"),
    kv("freshbooks_access_token", H, &["freshbooks"], r"[a-z0-9]{64}").ent(3.0),
    re("defined_networking_api_token", H, &["dnkey-"], r"(?i)((?-i:dnkey-)[a-z0-9=_\-]{26}-[a-z0-9=_\-]{52})"),
    re("linear_api_key", H, &["lin_api_"], r"(?i)\b((?-i:lin_api_)[a-z0-9]{40})\b").ent(3.0),
    kv("linear_client_secret", H, &["linear"], r"[a-f0-9]{32}").ent(3.0),
    re("planetscale_password", C, &["pscale_pw_"], r"(?i)\b((?-i:pscale_pw_)[\w=.-]{32,64})(?:[^\w=.-]|$)").ent(3.0),
    re("planetscale_api_token", H, &["pscale_tkn_"], r"(?i)\b((?-i:pscale_tkn_)[\w=.-]{32,64})(?:[^\w=.-]|$)").ent(3.0),
    re("planetscale_oauth_token", H, &["pscale_oauth_"], r"(?i)\b((?-i:pscale_oauth_)[\w=.-]{32,64})(?:[^\w=.-]|$)")
        .ent(3.0),
    re("typeform_api_token", H, &["tfp_"], r"(?i)\b((?-i:tfp_)[a-z0-9\-_.=]{59})(?:[^\w=.-]|$)"),
    re("settlemint_personal_access_token", H, &["sm_pat_"], r"\b(sm_pat_[a-zA-Z0-9]{16})\b").ent(3.0),
    re("settlemint_application_access_token", H, &["sm_aat_"], r"\b(sm_aat_[a-zA-Z0-9]{16})\b").ent(3.0),
    re("settlemint_service_access_token", H, &["sm_sat_"], r"\b(sm_sat_[a-zA-Z0-9]{16})\b").ent(3.0),
    re("age_secret_key", C, &["age-secret-key-1"], r"(AGE-SECRET-KEY-1[QPZRY9X8GF2TVDW0S3JN54KHCE6MUA7L]{58})"),
    re("onepassword_secret_key", C, &["a3-"],
        r"\b(A3-[A-Z0-9]{6}-(?:[A-Z0-9]{11}|[A-Z0-9]{6}-[A-Z0-9]{5})-[A-Z0-9]{5}-[A-Z0-9]{5}-[A-Z0-9]{5})\b")
        .ent(3.0),
    re("onepassword_service_account_token", C, &["ops_eyj"], r"(ops_eyJ[a-zA-Z0-9+/]{250,}={0,3})")
        .ent(4.0).window(0, 2400),
    // ------------------------------------------------------------------------ chat
    re("slack_bot_token", H, &["xoxb-"], r"\b(xoxb-[0-9]{10,13}-[0-9]{10,13}[a-zA-Z0-9-]*)").ent(2.5),
    re("slack_user_token", H, &["xoxp-", "xoxe-"], r"\b(xox[pe](?:-[0-9]{10,13}){3}-[a-zA-Z0-9-]{28,34})")
        .ent(2.5),
    re("slack_app_token", H, &["xapp-"], r"(?i)\b((?-i:xapp-)\d-[A-Z0-9]+-\d+-[a-z0-9]+)\b").ent(2.5),
    re("slack_config_access_token", H, &["xoxe.xox"], r"(?i)\b((?-i:xoxe\.xox)[bp]-\d-[A-Z0-9]{163,166})\b")
        .ent(3.0),
    re("slack_config_refresh_token", H, &["xoxe-"], r"(?i)\b((?-i:xoxe-)\d-[A-Z0-9]{146})\b").ent(3.0),
    re("slack_legacy_bot_token", H, &["xoxb-"], r"\b(xoxb-[0-9]{8,14}-[a-zA-Z0-9]{18,26})(?:[^\w-]|$)")
        .ent(2.5),
    re("slack_legacy_workspace_token", H, &["xoxa-", "xoxr-"], r"\b(xox[ar]-(?:\d-)?[0-9a-zA-Z]{8,48})\b"),
    re("slack_legacy_token", H, &["xoxo-", "xoxs-"], r"\b(xox[os]-\d+-\d+-\d+-[a-fA-F\d]+)\b"),
    re("slack_webhook_url", H, &["hooks.slack.com"],
        r"((?:https?://)?hooks\.slack\.com/(?:services|workflows|triggers)/[A-Za-z0-9+/]{43,56}|(?:https?://)?hooks\.slack\.com/services/T[A-Z0-9]{8,12}/B[A-Z0-9]{8,12}/[A-Za-z0-9]{24})")
        .window(8, 120),
    re("microsoft_teams_webhook", H, &[".webhook.office.com"],
        r"(?i)(https://[a-z0-9]+\.webhook\.office\.com/webhookb2/[a-z0-9]{8}-(?:[a-z0-9]{4}-){3}[a-z0-9]{12}@[a-z0-9]{8}-(?:[a-z0-9]{4}-){3}[a-z0-9]{12}/IncomingWebhook/[a-z0-9]{32}(?:/[a-z0-9]{8}-(?:[a-z0-9]{4}-){3}[a-z0-9]{12})?)")
        .window(40, 300),
    re("discord_webhook", H, &["discord.com/api/webhooks", "discordapp.com/api/webhooks"],
        r"(https://(?:ptb\.|canary\.)?discord(?:app)?\.com/api/webhooks/\d{17,20}/[\w-]{60,68})").window(24, 120),
    kv("discord_api_token", H, &["discord"], r"[a-f0-9]{64}").ent(3.0),
    kv("discord_client_id", L, &["discord"], r"[0-9]{18}").ent(2.0),
    kv("discord_client_secret", H, &["discord"], r"[a-z0-9=_\-]{32}").ent(2.0),
    re("telegram_bot_api_token", H, &[":aa"], r"\b([0-9]{8,10}:AA[0-9A-Za-z_-]{33})(?:[^\w-]|$)").window(12, 40),
    kv("telegram_bot_token_keyed", H, &["telegr", "tg_token"], r"[0-9]{5,16}:(?-i:A)[a-z0-9_\-]{34}"),
    kv("mattermost_access_token", H, &["mattermost"], r"[a-z0-9]{26}").ent(3.0),
    kv("gitter_access_token", H, &["gitter"], r"[a-z0-9_-]{40}").ent(3.0),
    kv("twitch_api_token", H, &["twitch"], r"[a-z0-9]{30}").ent(3.0),
    kv("messagebird_api_token", H, &["messagebird", "message-bird", "message_bird"], r"[a-z0-9]{25}").ent(3.0),
    kv("messagebird_client_id", M, &["messagebird", "message-bird", "message_bird"], uuid!()),
    re("sendgrid_api_token", H, &["sg."], r"\b(SG\.(?i:[a-z0-9=_\-.]{66}))(?:[^\w=.-]|$)").ent(3.0),
    re("sendinblue_api_token", H, &["xkeysib-"], r"(?i)\b((?-i:xkeysib-)[a-f0-9]{64}-[a-z0-9]{16})\b"),
    kv("mailchimp_api_key", H, &["mailchimp"], r"[a-f0-9]{32}-us\d\d").ent(3.0),
    kv("mailgun_private_api_token", H, &["mailgun"], r"key-[a-f0-9]{32}"),
    kv("mailgun_pub_key", L, &["mailgun"], r"pubkey-[a-f0-9]{32}"),
    kv("mailgun_signing_key", H, &["mailgun"], r"[a-h0-9]{32}-[a-h0-9]{8}-[a-h0-9]{8}"),
    re("twilio_api_key", H, &["sk"], r"\b(SK[0-9a-fA-F]{32})\b").ent(3.0).window(0, 36),
    kv("intercom_api_key", H, &["intercom"], r"[a-z0-9=_\-]{60}").ent(3.0),
    kv("zendesk_secret_key", H, &["zendesk"], r"[a-z0-9]{40}").ent(3.0),
    kv("sendbird_access_token", H, &["sendbird"], r"[a-f0-9]{40}").ent(3.0),
    kv("sendbird_access_id", M, &["sendbird"], uuid!()),
    kv("beamer_api_token", H, &["beamer"], r"b_[a-z0-9=_\-]{44}"),
    kv("trello_access_token", H, &["trello"], r"[a-zA-Z0-9]{32}").ent(3.0),
    kv("asana_client_id", L, &["asana"], r"[0-9]{16}").ent(2.0),
    kv("asana_client_secret", H, &["asana"], r"[a-z0-9]{32}").ent(3.0),
    re("notion_api_token", H, &["ntn_"], r"\b(ntn_[0-9]{11}[A-Za-z0-9]{35})\b").ent(4.0),
    // ------------------------------------------------------------------- payments
    re("stripe_access_token", C, &["sk_live_", "sk_test_", "sk_prod_", "rk_live_", "rk_test_", "rk_prod_"],
        r"\b((?:sk|rk)_(?:test|live|prod)_[a-zA-Z0-9]{10,99})\b").ent(2.5),
    re("square_access_token", H, &["sq0atp-", "eaaa"], r"\b((?:EAAA|sq0atp-)[\w-]{22,60})(?:[^\w-]|$)")
        .ent(3.5),
    re("square_secret", H, &["sq0csp-"], r"(?i)\b((?-i:sq0csp-)[\w\]-]{43})(?:[^\w-]|$)").ent(3.0),
    kv("squarespace_access_token", H, &["squarespace"], uuid!()),
    re("shopify_shared_secret", H, &["shpss_"], r"\b(shpss_[a-fA-F0-9]{32})\b").ent(3.0),
    re("shopify_access_token", H, &["shpat_"], r"\b(shpat_[a-fA-F0-9]{32})\b").ent(3.0),
    re("shopify_custom_access_token", H, &["shpca_"], r"\b(shpca_[a-fA-F0-9]{32})\b").ent(3.0),
    re("shopify_private_app_access_token", H, &["shppa_"], r"\b(shppa_[a-fA-F0-9]{32})\b").ent(3.0),
    re("shippo_api_token", H, &["shippo_"], r"\b(shippo_(?:live|test)_[a-fA-F0-9]{40})\b").ent(3.0),
    re("duffel_api_token", H, &["duffel_"], r"(?i)\b((?-i:duffel_)(?:test|live)_[a-z0-9_\-=]{43})(?:[^\w=-]|$)"),
    re("easypost_api_token", H, &["ezak"], r"(?i)\b((?-i:EZAK)[a-z0-9]{54})\b").ent(3.0),
    re("easypost_test_api_token", M, &["eztk"], r"(?i)\b((?-i:EZTK)[a-z0-9]{54})\b").ent(3.0),
    re("flutterwave_public_key", L, &["flwpubk_test-"], r"(?i)\b((?-i:FLWPUBK_TEST-)[a-h0-9]{32}-X)\b"),
    re("flutterwave_secret_key", H, &["flwseck_test-"], r"(?i)\b((?-i:FLWSECK_TEST-)[a-h0-9]{32}-X)\b"),
    re("flutterwave_encryption_key", H, &["flwseck_test"], r"(?i)\b((?-i:FLWSECK_TEST-)?[a-h0-9]{12})\b"),
    kv("gocardless_api_token", H, &["gocardless"], r"live_[a-z0-9\-_=]{40}"),
    kv("plaid_client_id", M, &["plaid"], r"[a-z0-9]{24}").ent(3.0),
    kv("plaid_secret_key", H, &["plaid"], r"[a-z0-9]{30}").ent(3.0),
    re("plaid_api_token", H, &["access-sandbox-", "access-development-", "access-production-"],
        concat!(r"(?i)\b(access-(?:sandbox|development|production)-", uuid!(), r")\b")),
    kv("coinbase_access_token", H, &["coinbase"], r"[a-z0-9_-]{64}").ent(3.0),
    kv("kraken_access_token", H, &["kraken"], r"[a-z0-9/=_+\-]{80,90}").ent(3.0),
    kv("kucoin_access_token", H, &["kucoin"], r"[a-f0-9]{24}").ent(3.0),
    kv("kucoin_secret_key", H, &["kucoin"], uuid!()),
    // Bittrex access and secret keys have the same shape: one rule for both.
    kv("bittrex_api_key", H, &["bittrex"], r"[a-z0-9]{32}").ent(3.0),
    kv("finicity_client_secret", H, &["finicity"], r"[a-z0-9]{20}").ent(3.0),
    kv("finicity_api_token", H, &["finicity"], r"[a-f0-9]{32}").ent(3.0),
    kv("finnhub_access_token", H, &["finnhub"], r"[a-z0-9]{20}").ent(3.0),
    // --------------------------------------------------------------- LLM providers
    re("openai_api_key", C, &["t3blbkfj"],
        r"\b(sk-(?:(?:proj|svcacct|admin)-(?:[A-Za-z0-9_-]{74}|[A-Za-z0-9_-]{58})T3BlbkFJ(?:[A-Za-z0-9_-]{74}|[A-Za-z0-9_-]{58})|[a-zA-Z0-9]{20}T3BlbkFJ[a-zA-Z0-9]{20}))(?:[^\w-]|$)")
        .window(90, 90),
    re("openai_project_key", C, &["sk-proj-", "sk-svcacct-", "sk-admin-"],
        r"\b(sk-(?:proj|svcacct|admin)-[A-Za-z0-9_-]{40,250})(?:[^\w-]|$)").ent(4.0),
    re("anthropic_api_key", C, &["sk-ant-api03-"], r"\b(sk-ant-api03-[a-zA-Z0-9_\-]{93}AA)(?:[^\w-]|$)"),
    re("anthropic_admin_api_key", C, &["sk-ant-admin01-"], r"\b(sk-ant-admin01-[a-zA-Z0-9_\-]{93}AA)(?:[^\w-]|$)"),
    kv("cohere_api_token", H, &["cohere", "co_api_key"], r"(?-i:[a-zA-Z0-9]{40})").ent(4.0),
    re("huggingface_access_token", H, &["hf_"], r"\b(hf_(?i:[a-z]{34}))(?:[^\w-]|$)").ent(3.5),
    re("huggingface_organization_api_token", H, &["api_org_"], r"\b(api_org_(?i:[a-z]{34}))(?:[^\w-]|$)")
        .ent(3.5),
    re("perplexity_api_key", H, &["pplx-"], r"\b(pplx-[a-zA-Z0-9]{48})(?:[^\w-]|$)").ent(4.0),
    re("groq_api_key", H, &["gsk_"], r"\b(gsk_[a-zA-Z0-9]{52})\b").ent(4.0),
    re("xai_api_key", H, &["xai-"], r"\b(xai-[a-zA-Z0-9]{80})\b").ent(4.0),
    kv("privateai_api_token", H, &["privateai", "private_ai", "private-ai"], r"[a-z0-9]{32}").ent(3.0),
    // -------------------------------------------------------------- SaaS and APIs
    kv("adafruit_api_key", M, &["adafruit"], r"[a-z0-9_-]{32}").ent(3.0),
    kv("adobe_client_id", M, &["adobe"], r"[a-f0-9]{32}").ent(3.0),
    re("adobe_client_secret", H, &["p8e-"], r"(?i)\b((?-i:p8e-)[a-z0-9]{32})(?:[^\w-]|$)").ent(3.0),
    kv("airtable_api_key", H, &["airtable"], r"[a-z0-9]{17}").ent(3.0),
    kv("algolia_api_key", H, &["algolia"], r"[a-z0-9]{32}").ent(3.0),
    re("authress_service_client_access_key", H, &["sc_", "ext_", "scauth_", "authress_"],
        r"(?i)\b((?:sc|ext|scauth|authress)_[a-z0-9]{5,30}\.[a-z0-9]{4,6}\.acc[_-][a-z0-9-]{10,32}\.[a-z0-9+/_=-]{30,120})(?:[^\w+/=-]|$)"),
    re("clickhouse_cloud_api_secret_key", H, &["4b1d"], r"\b(4b1d[A-Za-z0-9]{38})\b").ent(4.0),
    kv("confluent_access_token", H, &["confluent"], r"[a-z0-9]{16}").ent(3.0),
    kv("confluent_secret_key", H, &["confluent"], r"[a-z0-9]{64}").ent(3.0),
    kv("dropbox_api_token", H, &["dropbox"], r"[a-z0-9]{15}").ent(3.0),
    re("dropbox_long_lived_api_token", H, &["aaaaaaaaaa"], r"(?i)\b([a-z0-9]{11}AAAAAAAAAA[a-z0-9\-_=]{43})(?:[^\w=-]|$)")
        .window(12, 60),
    re("dropbox_short_lived_api_token", H, &["sl."], r"\b(sl\.[a-zA-Z0-9\-=_]{135})(?:[^\w=-]|$)"),
    kv("etsy_access_token", H, &["etsy"], r"[a-z0-9]{24}").ent(3.0),
    kv("facebook_secret", H, &["facebook"], r"[a-f0-9]{32}").ent(3.0),
    re("facebook_access_token", H, &["|", "%7c"], r"(?i)\b(\d{15,16}(?:\||%7C)[0-9a-z\-_]{27,40})(?:[^\w-]|$)")
        .ent(3.0).window(20, 48),
    re("facebook_page_access_token", H, &["eaam", "eaac"], r"\b(EAA[MC][a-zA-Z0-9]{100,})\b").ent(4.0).window(0, 400),
    kv("flickr_access_token", H, &["flickr"], r"[a-z0-9]{32}").ent(3.0),
    kv("hubspot_api_key", H, &["hubspot"], uuid!()),
    kv("linkedin_client_id", L, &["linkedin", "linked_in", "linked-in"], r"[a-z0-9]{14}").ent(3.0),
    kv("linkedin_client_secret", H, &["linkedin", "linked_in", "linked-in"], r"[a-z0-9]{16}").ent(3.0),
    kv("lob_pub_api_key", L, &["lob"], r"(?:test|live)_pub_[a-f0-9]{31}"),
    kv("lob_api_key", H, &["lob"], r"(?:live|test)_[a-f0-9]{35}"),
    kv("looker_client_id", M, &["looker"], r"[a-z0-9]{20}").ent(3.0),
    kv("looker_client_secret", H, &["looker"], r"[a-z0-9]{24}").ent(3.0),
    kv("mapbox_api_token", M, &["mapbox"], r"pk\.[a-z0-9]{60}\.[a-z0-9]{22}"),
    re("mapbox_secret_token", H, &["sk.ey"], r"\b(sk\.eyJ[a-zA-Z0-9]{50,}\.[a-zA-Z0-9_-]{20,})\b").window(0, 400),
    re("maxmind_license_key", H, &["_mmk"], r"\b([A-Za-z0-9]{6}_[A-Za-z0-9]{29}_mmk)\b").ent(4.0).window(40, 8),
    kv("cisco_meraki_api_key", H, &["meraki"], r"(?-i:[0-9a-f]{40})").ent(3.0),
    kv("nytimes_access_token", M, &["nytimes", "new-york-times", "newyorktimes"], r"[a-z0-9=_\-]{32}").ent(3.0),
    kv("okta_access_token", H, &["okta"], r"00[\w=\-]{40}").ent(4.0),
    kv("rapidapi_access_token", H, &["rapidapi"], r"[a-z0-9_-]{50}").ent(3.0),
    kv("sumologic_access_id", M, &["sumo"], r"(?-i:su)[a-z0-9]{12}").ent(3.0),
    kv("sumologic_access_token", H, &["sumo"], r"[a-z0-9]{64}").ent(3.0),
    kv("twitter_api_key", H, &["twitter"], r"[a-z0-9]{25}").ent(3.0),
    kv("twitter_api_secret", H, &["twitter"], r"[a-z0-9]{50}").ent(3.0),
    kv("twitter_access_token", H, &["twitter"], r"[0-9]{15,25}-[a-zA-Z0-9]{20,40}"),
    kv("twitter_access_secret", H, &["twitter"], r"[a-z0-9]{45}").ent(3.0),
    re("twitter_bearer_token", H, &["aaaaaaaaaaaaaaaaaaaaaa"], r"\b(A{22}[a-zA-Z0-9%]{80,100})(?:[^\w%]|$)")
        .window(0, 140),
    re("twilio_account_auth", H, &["twilio"], r"(?i)twilio[\w.\-]{0,20}?(?:auth|secret)[\w.\-]{0,20}?[ \t'\x22]{0,3}[=:][ \t'\x22]{0,3}([a-f0-9]{32})\b"),
    kv("sidekiq_secret", H, &["bundle_enterprise__contribsys__com", "bundle_gems__contribsys__com"],
        r"[a-f0-9]{8}:[a-f0-9]{8}"),
    re("sidekiq_sensitive_url", H, &["contribsys.com"],
        r"(?i)\bhttps?://([a-f0-9]{8}:[a-f0-9]{8})@(?:gems\.contribsys\.com|enterprise\.contribsys\.com)")
        .window(40, 40),
    re("intra42_client_secret", H, &["s-s4t2"], r"\b(s-s4t2(?:ud|af)-[abcdef0123456789]{64})\b"),
    // --------------------------------------------------------------- tokens, keys
    re("jwt", H, &["eyj"],
        r"\b(ey[a-zA-Z0-9]{17,}\.ey[a-zA-Z0-9/\\_-]{17,}\.(?:[a-zA-Z0-9/\\_-]{10,}={0,2})?)(?:[^\w/\\=-]|$)")
        .check(Check::Jwt).window(0, 2048),
    pem_rule(),
    // ---------------------------------------------- credentials in URLs and commands
    re("url_credentials", H, &["://"],
        r"://[^:@/\s'\x22\x60<>]{0,64}:([^@/\s'\x22\x60<>]{3,128})@[a-zA-Z0-9\[][a-zA-Z0-9.\-\]:%]*")
        .cat(CONNECTION_STRING).check(Check::UrlPassword).window(0, 260),
    re("curl_auth_user", H, &["curl"],
        r#"\s(?:-u|--user)(?:=|[ \t]{1,5})(?:"[^:"\s]*:([^"\s]{3,})"|"([^:"\s]{3,}):"|'[^:'\s]*:([^'\s]{3,})'|[\w$@.\-]{2,}:([^\s'"]{3,}))(?:\s|$)"#)
        .check(Check::UrlPassword).window(0, 600).unanchored(),
    re("curl_auth_header", H, &["curl"],
        r#"(?i)\s(?:-H|--header)(?:=|[ \t]{1,5})["']?(?:authorization:[ \t]*(?:(?:token|basic)[ \t]+)?|(?:x-)?[\w-]*(?:api-?key|token|secret|auth)[\w-]*:)[ \t]*([\w\-.~+/=]{8,})"#)
        .check(Check::UrlPassword).window(0, 600).unanchored(),
    // ------------------------------------------------------- generic assignments
    RuleSpec {
        name: "generic_secret",
        category: CREDENTIAL,
        severity: H,
        keywords: GENERIC_KEYWORDS,
        pattern: Pattern::Regex(GENERIC_REGEX),
        entropy: 0.0,
        check: Check::Generic,
        before: 0,
        after: 340,
        anchored: true,
    },
    re("high_entropy_constant", M, &["const "],
        r#"\bconst[ \t]+[A-Za-z_][\w]{0,60}(?:[ \t]*:[ \t]*&?(?:'static[ \t]+)?[\w]{1,20})?[ \t]*=[ \t]*["'\x60]([\x21-\x7e&&[^'"\x60\\ ]]{14,128})["'\x60]"#)
        .check(Check::HighEntropy).window(0, 240),
    re("database_cli_argument", H, &["psql ", "mysql ", "redis-cli ", "mongosh ", "mongo "],
        r#"\b(?:psql|mysql|redis-cli|mongosh|mongo)[ \t]+["']([\x21-\x7e&&[^'"\x60\\ ]]{12,128})["'](?:[ \t]|$)"#)
        .check(Check::HighEntropy).window(0, 180),
    re("bearer_token", H, &["bearer"], r#"(?i)\bbearer(?:[ \t]+|\(["'\x60])([A-Za-z0-9\-._~+/]{12,}=*)"#)
        .check(Check::Generic).window(0, 400),
];

/// Names that make the value assigned to them a secret (`DB_PASSWORD`, `api_key`, ...).
pub(crate) const GENERIC_KEYWORDS: &[&str] = &[
    "password",
    "passwd",
    "pwd",
    "passphrase",
    "secret",
    "token",
    "apikey",
    "api_key",
    "api-key",
    "access_key",
    "accesskey",
    "auth",
    "credential",
    "private_key",
    "privatekey",
    "key",
];

/// The generic assignment: a secret-looking name, the rest of the identifier, an operator
/// (including the prose forms `my key is ...` and `credential "..."`), and the value.
const GENERIC_REGEX: &str = r#"(?i)(?:password|passwd|pwd|passphrase|secret|token|api[_-]?key|access_?key|auth|credential|private_?key|key)[\w.\-]{0,40}?(?:[ \t]+string|[ \t]*:[ \t]*(?:&(?:'static[ \t]+)?)?(?:str|string))?(?:[ \t'"\x60\]]{0,3}(?:=|:{1,3}=?|=>|\?=|\.=|\+=|\|\||,|>)|[ \t]+is|[ \t]*\(|[ \t]+["'\x60])[ \t\r\n'"\x60=]{0,6}((?-i:[\x21-\x7e&&[^'"\x60\\,;<>(){}\[\] ]]{8,}))"#;

const fn pem_rule() -> RuleSpec {
    RuleSpec {
        name: "private_key",
        category: PRIVATE_KEY,
        severity: C,
        keywords: &["-----begin"],
        pattern: Pattern::Pem,
        entropy: 0.0,
        check: Check::None,
        before: 0,
        after: 16,
        anchored: false,
    }
}
