package guardrail

/*
#include "guardrail.h"
*/
import "C"

import (
	"encoding/json"
	"fmt"
	"time"
)

// Action is what the host should do with an event, least to most severe: the larger of
// two actions is the one to carry out.
type Action uint32

// The actions.
const (
	ActionAllow    Action = C.GUARDRAIL_ACTION_ALLOW
	ActionRedact   Action = C.GUARDRAIL_ACTION_REDACT
	ActionEscalate Action = C.GUARDRAIL_ACTION_ESCALATE
	ActionBlock    Action = C.GUARDRAIL_ACTION_BLOCK
)

var actionNames = []string{"allow", "redact", "escalate", "block"}

func (a Action) String() string { return name(actionNames, uint32(a)) }

// MarshalText writes the action's JSON name.
func (a Action) MarshalText() ([]byte, error) { return []byte(a.String()), nil }

// UnmarshalText reads an action's JSON name.
func (a *Action) UnmarshalText(b []byte) error { return parse(actionNames, b, (*uint32)(a)) }

// Severity is how bad a finding is.
type Severity uint32

// The severities.
const (
	SeverityInfo     Severity = C.GUARDRAIL_SEVERITY_INFO
	SeverityLow      Severity = C.GUARDRAIL_SEVERITY_LOW
	SeverityMedium   Severity = C.GUARDRAIL_SEVERITY_MEDIUM
	SeverityHigh     Severity = C.GUARDRAIL_SEVERITY_HIGH
	SeverityCritical Severity = C.GUARDRAIL_SEVERITY_CRITICAL
)

var severityNames = []string{"info", "low", "medium", "high", "critical"}

func (s Severity) String() string { return name(severityNames, uint32(s)) }

// MarshalText writes the severity's JSON name.
func (s Severity) MarshalText() ([]byte, error) { return []byte(s.String()), nil }

// UnmarshalText reads a severity's JSON name.
func (s *Severity) UnmarshalText(b []byte) error { return parse(severityNames, b, (*uint32)(s)) }

// Layer is the layer of the stack that reported a finding.
type Layer uint32

// The layers.
const (
	LayerConstraints Layer = C.GUARDRAIL_LAYER_CONSTRAINTS
	LayerContent     Layer = C.GUARDRAIL_LAYER_CONTENT
	LayerObserve     Layer = C.GUARDRAIL_LAYER_OBSERVE
	LayerGates       Layer = C.GUARDRAIL_LAYER_GATES
	LayerGovernance  Layer = C.GUARDRAIL_LAYER_GOVERNANCE
)

var layerNames = []string{"constraints", "content", "observe", "gates", "governance"}

func (l Layer) String() string { return name(layerNames, uint32(l)) }

// MarshalText writes the layer's JSON name.
func (l Layer) MarshalText() ([]byte, error) { return []byte(l.String()), nil }

// UnmarshalText reads a layer's JSON name.
func (l *Layer) UnmarshalText(b []byte) error { return parse(layerNames, b, (*uint32)(l)) }

// Channel is where a text travels; detectors and thresholds are chosen per channel.
type Channel uint32

// The channels.
const (
	ChannelUser        Channel = C.GUARDRAIL_CHANNEL_USER
	ChannelSystem      Channel = C.GUARDRAIL_CHANNEL_SYSTEM
	ChannelModelOutput Channel = C.GUARDRAIL_CHANNEL_MODEL_OUTPUT
	ChannelToolArgs    Channel = C.GUARDRAIL_CHANNEL_TOOL_ARGS
	ChannelToolOutput  Channel = C.GUARDRAIL_CHANNEL_TOOL_OUTPUT
)

var channelNames = []string{"user", "system", "model_output", "tool_args", "tool_output"}

func (c Channel) String() string { return name(channelNames, uint32(c)) }

func name(names []string, v uint32) string {
	if int(v) < len(names) {
		return names[v]
	}
	return fmt.Sprintf("unknown(%d)", v)
}

func parse(names []string, b []byte, out *uint32) error {
	for i, n := range names {
		if n == string(b) {
			*out = uint32(i)
			return nil
		}
	}
	return fmt.Errorf("guardrail: unknown value %q", b)
}

// Span is a byte range [Start, End) into the text a finding is about.
type Span struct {
	Start int `json:"start"`
	End   int `json:"end"`
}

// Finding is one reason behind a decision.
type Finding struct {
	Layer      Layer    `json:"layer"`
	Rule       string   `json:"rule"`
	Category   string   `json:"category"`
	Severity   Severity `json:"severity"`
	Confidence float32  `json:"confidence,omitempty"`
	Message    string   `json:"message,omitempty"`
	Action     Action   `json:"action"`
	Shadow     bool     `json:"shadow,omitempty"`
	// Path is a JSON pointer into the event to the text the span is about ("/args/sql").
	Path       string `json:"path,omitempty"`
	Span       *Span  `json:"span,omitempty"`
	Suggestion string `json:"suggestion,omitempty"`
	// Package is the package a shell.package_install finding names, for a dependency policy.
	Package *Package `json:"package,omitempty"`
}

// Package is a package a command installs: its ecosystem ("pypi", "npm", ...), its name
// without a version, and the version or requirement written with it, if any.
type Package struct {
	Ecosystem string `json:"ecosystem"`
	Name      string `json:"name"`
	Version   string `json:"version,omitempty"`
}

// GateRequest is the human approval an escalate decision asks for.
type GateRequest struct {
	ID          string `json:"id"`
	Role        string `json:"role"`
	Reason      string `json:"reason"`
	Expires     string `json:"expires"`
	Fingerprint string `json:"fingerprint"`
}

// Decision is what the guard decided about one event.
type Decision struct {
	// Action is the most severe action any finding asks for.
	Action Action `json:"action"`
	// Enforced is the action to carry out (Allow in shadow mode).
	Enforced Action `json:"enforced"`
	// Policy is the policy's content hash.
	Policy   string    `json:"policy"`
	Findings []Finding `json:"findings"`
	// Text is the redacted text when the action is redact and the event carries text.
	Text *string `json:"text"`
	// Args is the redacted arguments (or tool output) when the event carries JSON.
	Args json.RawMessage `json:"args"`
	// Gate is the approval request when the action is escalate.
	Gate *GateRequest `json:"gate"`
}

// Allowed reports whether the host may go ahead with the event as it is.
func (d *Decision) Allowed() bool { return d.Enforced == ActionAllow }

// Event is an event in the JSON form every binding speaks; build one with Prompt,
// ModelOutput, ToolCall or ToolResult, or write the map yourself (see docs/EVENTS.md).
type Event map[string]any

func now() int64 { return time.Now().UnixMilli() }

// Prompt is a user prompt event, timestamped now.
func Prompt(text string) Event { return Event{"type": "prompt", "ts": now(), "text": text} }

// ModelOutput is a model output event, timestamped now.
func ModelOutput(text string) Event {
	return Event{"type": "model_output", "ts": now(), "text": text}
}

// ToolCall is a tool call event (before the tool runs), timestamped now.
func ToolCall(tool string, args any) Event {
	return Event{"type": "tool_call", "ts": now(), "tool": tool, "args": args}
}

// ToolResult is a tool result event (after the tool ran), timestamped now.
func ToolResult(tool string, output any) Event {
	return Event{"type": "tool_result", "ts": now(), "tool": tool, "output": output}
}

// With returns a copy of the event with one more field (agent, session, run, user, ...).
func (e Event) With(key string, value any) Event {
	out := make(Event, len(e)+1)
	for k, v := range e {
		out[k] = v
	}
	out[key] = value
	return out
}
