//! The PII entities we detect, their rule ids, placeholders and built-in settings.

use crate::decision::Severity;

/// One kind of personal data.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Entity {
    /// An email address.
    Email,
    /// A phone number, international (`+44 20 7123 4567`) or national (`(415) 555-0132`).
    Phone,
    /// A payment card number (Luhn and issuer range).
    CreditCard,
    /// A US Social Security number.
    UsSsn,
    /// An IBAN (country length and mod 97).
    Iban,
    /// An IPv4 or IPv6 address.
    IpAddress,
    /// A MAC address.
    MacAddress,
    /// A URL carrying a user name and password.
    UrlCredentials,
    /// A date near birth context (`born`, `DOB`).
    DateOfBirth,
    /// A US passport number.
    UsPassport,
    /// A US driver-license number (formats vary by state: weak without context).
    UsDriverLicense,
    /// A UK NHS number (mod 11).
    UkNhs,
    /// A UK National Insurance number.
    UkNino,
    /// A Canadian Social Insurance Number (Luhn).
    CaSin,
    /// An Indian Aadhaar number (Verhoeff).
    InAadhaar,
    /// An Indian PAN.
    InPan,
    /// A Spanish NIF / DNI (mod 23 letter).
    EsNif,
    /// A Spanish NIE (mod 23 letter).
    EsNie,
    /// An Italian codice fiscale.
    ItFiscalCode,
    /// A German tax id (Steuer-IdNr, ISO 7064).
    DeTaxId,
    /// A cryptocurrency wallet address with a checksum (Bitcoin base58check / bech32,
    /// Ethereum EIP-55).
    CryptoWallet,
    /// A person's name (gazetteer and cues; no model).
    Person,
    /// A street address (street grammar; no model).
    Address,
}

/// Built-in settings of one entity.
pub(crate) struct Builtin {
    pub name: &'static str,
    pub placeholder: &'static str,
    #[allow(
        dead_code,
        reason = "read by the Detector impl, which the guard calls once wired"
    )]
    pub severity: Severity,
    /// Words that, near a match, raise its confidence.
    pub context: &'static [&'static str],
}

impl Entity {
    /// Every entity, in a fixed order (indexes into per-entity tables).
    pub const ALL: [Entity; 23] = [
        Entity::Email,
        Entity::Phone,
        Entity::CreditCard,
        Entity::UsSsn,
        Entity::Iban,
        Entity::IpAddress,
        Entity::MacAddress,
        Entity::UrlCredentials,
        Entity::DateOfBirth,
        Entity::UsPassport,
        Entity::UsDriverLicense,
        Entity::UkNhs,
        Entity::UkNino,
        Entity::CaSin,
        Entity::InAadhaar,
        Entity::InPan,
        Entity::EsNif,
        Entity::EsNie,
        Entity::ItFiscalCode,
        Entity::DeTaxId,
        Entity::CryptoWallet,
        Entity::Person,
        Entity::Address,
    ];

    /// Index into [`Entity::ALL`].
    pub(crate) fn index(self) -> usize {
        self as usize
    }

    /// The entity's policy name (`email`, `credit_card`); the rule id is `pii.<name>`.
    pub fn name(self) -> &'static str {
        self.builtin().name
    }

    /// The rule id, `pii.<name>`.
    pub fn rule(self) -> &'static str {
        match self {
            Entity::Email => "pii.email",
            Entity::Phone => "pii.phone",
            Entity::CreditCard => "pii.credit_card",
            Entity::UsSsn => "pii.us_ssn",
            Entity::Iban => "pii.iban",
            Entity::IpAddress => "pii.ip_address",
            Entity::MacAddress => "pii.mac_address",
            Entity::UrlCredentials => "pii.url_credentials",
            Entity::DateOfBirth => "pii.date_of_birth",
            Entity::UsPassport => "pii.us_passport",
            Entity::UsDriverLicense => "pii.us_driver_license",
            Entity::UkNhs => "pii.uk_nhs",
            Entity::UkNino => "pii.uk_nino",
            Entity::CaSin => "pii.ca_sin",
            Entity::InAadhaar => "pii.in_aadhaar",
            Entity::InPan => "pii.in_pan",
            Entity::EsNif => "pii.es_nif",
            Entity::EsNie => "pii.es_nie",
            Entity::ItFiscalCode => "pii.it_fiscal_code",
            Entity::DeTaxId => "pii.de_tax_id",
            Entity::CryptoWallet => "pii.crypto_wallet",
            Entity::Person => "pii.person",
            Entity::Address => "pii.address",
        }
    }

    /// The placeholder stem (`EMAIL` gives `<EMAIL_1>`).
    pub fn placeholder(self) -> &'static str {
        self.builtin().placeholder
    }

    /// Parses a policy name (`email`, `credit_card`, ...).
    pub fn parse(name: &str) -> Option<Entity> {
        Entity::ALL.into_iter().find(|e| e.name() == name)
    }

    pub(crate) fn builtin(self) -> Builtin {
        use Severity::{High, Low, Medium};
        let b = |name, placeholder, severity, context| Builtin {
            name,
            placeholder,
            severity,
            context,
        };
        match self {
            Entity::Email => b(
                "email",
                "EMAIL",
                Medium,
                &["email", "e-mail", "mail", "contact"],
            ),
            Entity::Phone => b(
                "phone",
                "PHONE",
                Medium,
                &[
                    "phone",
                    "telephone",
                    "tel",
                    "mobile",
                    "cell",
                    "call",
                    "fax",
                    "whatsapp",
                    "contact",
                ],
            ),
            Entity::CreditCard => b(
                "credit_card",
                "CREDIT_CARD",
                High,
                &[
                    "card",
                    "credit",
                    "debit",
                    "visa",
                    "mastercard",
                    "amex",
                    "cc",
                    "pan",
                    "payment",
                ],
            ),
            Entity::UsSsn => b(
                "us_ssn",
                "US_SSN",
                High,
                &["ssn", "social security", "social sec", "ss#", "ssn#"],
            ),
            Entity::Iban => b(
                "iban",
                "IBAN",
                High,
                &["iban", "bank", "account", "transfer", "sepa"],
            ),
            Entity::IpAddress => b(
                "ip_address",
                "IP_ADDRESS",
                Low,
                &["ip", "ipv4", "ipv6", "address", "host", "server"],
            ),
            Entity::MacAddress => b(
                "mac_address",
                "MAC_ADDRESS",
                Low,
                &["mac", "hardware address", "ethernet", "physical address"],
            ),
            Entity::UrlCredentials => b("url_credentials", "URL", High, &[]),
            Entity::DateOfBirth => b(
                "date_of_birth",
                "DATE_OF_BIRTH",
                Medium,
                &[
                    "born",
                    "birth",
                    "birthday",
                    "dob",
                    "d.o.b",
                    "date of birth",
                    "birthdate",
                    "geboren",
                    "nacimiento",
                    "né le",
                    "née le",
                ],
            ),
            Entity::UsPassport => b(
                "us_passport",
                "US_PASSPORT",
                High,
                &["passport", "travel document"],
            ),
            Entity::UsDriverLicense => b(
                "us_driver_license",
                "US_DRIVER_LICENSE",
                High,
                &[
                    "driver", "license", "licence", "dl", "dl#", "driving", "permit",
                ],
            ),
            Entity::UkNhs => b(
                "uk_nhs",
                "UK_NHS",
                High,
                &["nhs", "health service", "national health"],
            ),
            Entity::UkNino => b(
                "uk_nino",
                "UK_NINO",
                High,
                &["nino", "national insurance", "ni number"],
            ),
            Entity::CaSin => b(
                "ca_sin",
                "CA_SIN",
                High,
                &["sin", "social insurance", "nas", "assurance sociale"],
            ),
            Entity::InAadhaar => b(
                "in_aadhaar",
                "IN_AADHAAR",
                High,
                &["aadhaar", "aadhar", "uidai", "uid"],
            ),
            Entity::InPan => b(
                "in_pan",
                "IN_PAN",
                High,
                &["pan", "permanent account", "income tax"],
            ),
            Entity::EsNif => b(
                "es_nif",
                "ES_NIF",
                High,
                &["nif", "dni", "documento nacional"],
            ),
            Entity::EsNie => b("es_nie", "ES_NIE", High, &["nie", "extranjero"]),
            Entity::ItFiscalCode => b(
                "it_fiscal_code",
                "IT_FISCAL_CODE",
                High,
                &["codice fiscale", "fiscal code", "cf"],
            ),
            Entity::DeTaxId => b(
                "de_tax_id",
                "DE_TAX_ID",
                High,
                &[
                    "steuer",
                    "steuer-id",
                    "idnr",
                    "steuerid",
                    "tax id",
                    "identifikationsnummer",
                ],
            ),
            Entity::CryptoWallet => b(
                "crypto_wallet",
                "CRYPTO_WALLET",
                Medium,
                &["wallet", "bitcoin", "btc", "ethereum", "eth", "address"],
            ),
            Entity::Person => b(
                "person",
                "PERSON",
                Medium,
                &[
                    "name", "mr", "mrs", "ms", "dear", "signed", "customer", "contact",
                ],
            ),
            Entity::Address => b(
                "address",
                "ADDRESS",
                Medium,
                &[
                    "address",
                    "street",
                    "ship to",
                    "shipping",
                    "billing",
                    "lives at",
                    "located at",
                ],
            ),
        }
    }
}
