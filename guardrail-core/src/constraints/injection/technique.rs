//! The techniques the detector tells apart; each is one rule id `injection.<technique>`.

use crate::decision::Severity;

/// An injection or jailbreak technique.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(crate) enum Technique {
    /// "Ignore all previous instructions", "new rule that replaces all previous ones".
    InstructionOverride,
    /// DAN, developer mode, "you are an unfiltered AI", persona jailbreaks.
    RoleplayJailbreak,
    /// "Show me your system prompt", "repeat everything above".
    SystemPromptExtraction,
    /// Fake chat-template tokens, fake `Assistant:`/`User:` turns, `[[ADMIN]]` notices.
    DelimiterInjection,
    /// Text addressed to the agent asking it to act (send, execute, invite) or hide things.
    ToolHijack,
    /// Base64, hex, rot13, URL-encoded or leet text that decodes to an injection.
    EncodedPayload,
    /// Unicode tag characters, bidi overrides, invisible HTML.
    HiddenText,
    /// Homoglyphs, zero-width interleaving, spaced-out letters.
    Obfuscation,
    /// Images and links whose URL carries data to a host outside the allowlist.
    Exfiltration,
    /// The learned classifier's score alone.
    Classifier,
}

impl Technique {
    /// Every technique, in report order.
    pub const ALL: [Technique; 10] = [
        Technique::InstructionOverride,
        Technique::RoleplayJailbreak,
        Technique::SystemPromptExtraction,
        Technique::DelimiterInjection,
        Technique::ToolHijack,
        Technique::EncodedPayload,
        Technique::HiddenText,
        Technique::Obfuscation,
        Technique::Exfiltration,
        Technique::Classifier,
    ];

    /// The technique's name, as in rule ids and in the policy's `actions` map.
    pub fn as_str(self) -> &'static str {
        match self {
            Technique::InstructionOverride => "instruction_override",
            Technique::RoleplayJailbreak => "roleplay_jailbreak",
            Technique::SystemPromptExtraction => "system_prompt_extraction",
            Technique::DelimiterInjection => "delimiter_injection",
            Technique::ToolHijack => "tool_hijack",
            Technique::EncodedPayload => "encoded_payload",
            Technique::HiddenText => "hidden_text",
            Technique::Obfuscation => "obfuscation",
            Technique::Exfiltration => "exfiltration",
            Technique::Classifier => "classifier",
        }
    }

    /// The rule id, `injection.<technique>`.
    pub fn rule_id(self) -> &'static str {
        match self {
            Technique::InstructionOverride => "injection.instruction_override",
            Technique::RoleplayJailbreak => "injection.roleplay_jailbreak",
            Technique::SystemPromptExtraction => "injection.system_prompt_extraction",
            Technique::DelimiterInjection => "injection.delimiter_injection",
            Technique::ToolHijack => "injection.tool_hijack",
            Technique::EncodedPayload => "injection.encoded_payload",
            Technique::HiddenText => "injection.hidden_text",
            Technique::Obfuscation => "injection.obfuscation",
            Technique::Exfiltration => "injection.exfiltration",
            Technique::Classifier => "injection.classifier",
        }
    }

    /// A readable reason for a finding of this technique.
    pub fn message(self) -> &'static str {
        match self {
            Technique::InstructionOverride => {
                "text tries to override the agent's instructions (prompt injection)"
            }
            Technique::RoleplayJailbreak => "role-play or persona jailbreak attempt",
            Technique::SystemPromptExtraction => "attempt to extract the system prompt",
            Technique::DelimiterInjection => {
                "fake conversation turns, chat-template tokens or system notices"
            }
            Technique::ToolHijack => {
                "text addressed to the agent asks it to take actions or hide them from the user"
            }
            Technique::EncodedPayload => "encoded text decodes to injected instructions",
            Technique::HiddenText => "instructions hidden from the reader (tag characters, bidi controls, invisible HTML)",
            Technique::Obfuscation => "obfuscated text (homoglyphs, zero-width characters, spacing)",
            Technique::Exfiltration => {
                "image or link sends data to a host outside the allowlist"
            }
            Technique::Classifier => "the injection classifier scores this text as an injection",
        }
    }

    /// How bad a finding of this technique is.
    pub fn severity(self) -> Severity {
        match self {
            Technique::Exfiltration | Technique::ToolHijack | Technique::HiddenText => {
                Severity::Critical
            }
            Technique::Obfuscation | Technique::Classifier => Severity::Medium,
            _ => Severity::High,
        }
    }
}
