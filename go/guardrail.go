// Package guardrail guards autonomous AI agents from Go: it links the guardrail engine
// through its C ABI (cgo) and speaks the same event and decision JSON as every binding.
//
// Build the library first (cargo build --release -p guardrail-ffi); the package links
// ../target/release/libguardrail.so with an rpath, or the directory named in CGO_LDFLAGS.
//
//	guard, err := guardrail.New(policyYAML)
//	if err != nil { ... }            // *guardrail.Error with every policy issue and its line
//	defer guard.Close()
//	state := guardrail.NewState()
//	defer state.Close()
//	d, err := guard.Evaluate(state, guardrail.ToolCall("sql", map[string]any{"query": q}))
//	if d.Enforced == guardrail.ActionBlock { ... }
//
// A Guard and a State are safe for concurrent use by many goroutines. Close releases
// their memory at once; a Guard or State that is never closed is released by the garbage
// collector. Calls on a closed value return ErrClosed.
package guardrail

/*
#cgo CFLAGS: -I${SRCDIR}/../include
#cgo LDFLAGS: -L${SRCDIR}/../target/release -lguardrail -Wl,-rpath,${SRCDIR}/../target/release
#include "guardrail.h"
*/
import "C"

import (
	"encoding/json"
	"runtime"
	"sync"
	"unsafe"
)

// ABIVersion is the C ABI version this package was written against.
const ABIVersion = C.GUARDRAIL_ABI_VERSION

// MaxInputBytes is the largest policy, event or text the library accepts.
const MaxInputBytes = C.GUARDRAIL_MAX_INPUT_BYTES

// Version is the linked library's version ("0.1.0").
func Version() string { return C.GoString(C.guardrail_version()) }

// LibraryABIVersion is the ABI version of the linked library; it equals ABIVersion unless
// the package and the library come from different releases.
func LibraryABIVersion() uint32 { return uint32(C.guardrail_abi_version()) }

// Guard is a compiled policy ready to evaluate events. Safe for concurrent use.
type Guard struct {
	mu          sync.RWMutex
	ptr         *C.guardrail_guard
	hash        string
	cleanup     runtime.Cleanup
	classifiers *classifiers // kept alive while the library may call them
}

// Option sets a guard setting that is not policy.
type Option func(*options)

type options struct {
	shadow      *bool
	salt        []byte
	classifiers []Classifier
}

// WithShadow forces shadow mode on (decisions reported, never enforced) or off, whatever
// the policy says.
func WithShadow(shadow bool) Option { return func(o *options) { o.shadow = &shadow } }

// WithHashSalt sets the salt of the policy's `hash` redaction operator.
func WithHashSalt(salt []byte) Option {
	return func(o *options) { o.salt = append([]byte(nil), salt...) }
}

// bytesArg passes a Go buffer to C for the duration of one call (no copy).
func bytesArg(b []byte) (*C.uint8_t, C.size_t) {
	return (*C.uint8_t)(unsafe.Pointer(unsafe.SliceData(b))), C.size_t(len(b))
}

// stringArg passes a Go string to C for the duration of one call (no copy).
func stringArg(s string) (*C.uint8_t, C.size_t) {
	return (*C.uint8_t)(unsafe.Pointer(unsafe.StringData(s))), C.size_t(len(s))
}

// takeBytes copies a library buffer into Go memory and frees it.
func takeBytes(b *C.guardrail_bytes) []byte {
	defer C.guardrail_bytes_free(b)
	if b.data == nil {
		return nil
	}
	return C.GoBytes(unsafe.Pointer(b.data), C.int(b.len))
}

// takeString copies a library text into a Go string (one copy) and frees it.
func takeString(b *C.guardrail_bytes) string {
	defer C.guardrail_bytes_free(b)
	if b.data == nil {
		return ""
	}
	return C.GoStringN((*C.char)(unsafe.Pointer(b.data)), C.int(b.len))
}

// New compiles a policy (YAML or JSON text) into a guard. A policy that does not load
// returns an *Error with Status StatusInvalidPolicy whose Issues name every problem's path
// and line.
func New(policy []byte, opts ...Option) (*Guard, error) {
	var o options
	for _, opt := range opts {
		opt(&o)
	}
	hooks := newClassifiers(o.classifiers)
	var copts *C.guardrail_options
	if o.shadow != nil || o.salt != nil || hooks != nil {
		copts = C.guardrail_options_new()
		defer C.guardrail_options_free(copts)
		if o.shadow != nil {
			C.guardrail_options_set_shadow(copts, C.bool(*o.shadow), nil)
		}
		if o.salt != nil {
			var cerr *C.guardrail_error
			p, n := bytesArg(o.salt)
			if st := C.guardrail_options_set_hash_salt(copts, p, n, &cerr); st != C.GUARDRAIL_STATUS_OK {
				return nil, errorFrom(st, cerr)
			}
		}
		if err := hooks.register(copts); err != nil {
			return nil, err
		}
	}
	var ptr *C.guardrail_guard
	var cerr *C.guardrail_error
	p, n := bytesArg(policy)
	st := C.guardrail_guard_new(p, n, copts, &ptr, &cerr)
	runtime.KeepAlive(policy)
	if st != C.GUARDRAIL_STATUS_OK {
		return nil, errorFrom(st, cerr)
	}
	g := newGuard(ptr)
	g.classifiers = hooks
	return g, nil
}

// NewDefault returns a guard over the built-in default policy.
func NewDefault() (*Guard, error) {
	var ptr *C.guardrail_guard
	var cerr *C.guardrail_error
	if st := C.guardrail_guard_new_default(&ptr, &cerr); st != C.GUARDRAIL_STATUS_OK {
		return nil, errorFrom(st, cerr)
	}
	return newGuard(ptr), nil
}

func newGuard(ptr *C.guardrail_guard) *Guard {
	g := &Guard{ptr: ptr, hash: C.GoString(C.guardrail_guard_policy_hash(ptr))}
	g.cleanup = runtime.AddCleanup(g, func(p *C.guardrail_guard) { C.guardrail_guard_free(p) }, ptr)
	return g
}

// Close releases the guard. Calls after Close return ErrClosed; Close waits for calls in
// flight and is safe to call twice.
func (g *Guard) Close() error {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.ptr != nil {
		g.cleanup.Stop()
		C.guardrail_guard_free(g.ptr)
		g.ptr = nil
	}
	return nil
}

// PolicyHash is the policy's content hash ("sha256:..."), carried by every decision.
func (g *Guard) PolicyHash() string { return g.hash }

// use runs f with the live guard pointer, or returns ErrClosed.
func (g *Guard) use(f func(*C.guardrail_guard) error) error {
	if g == nil {
		return &Error{Status: StatusNullParameter, Kind: "null_parameter", Message: "the guard is nil"}
	}
	g.mu.RLock()
	defer g.mu.RUnlock()
	if g.ptr == nil {
		return ErrClosed
	}
	return f(g.ptr)
}

// EvaluateJSON evaluates one event given as JSON and returns the decision as JSON.
func (g *Guard) EvaluateJSON(state *State, event []byte) ([]byte, error) {
	var out []byte
	err := g.use(func(gp *C.guardrail_guard) error {
		return state.use(func(sp *C.guardrail_state) error {
			var res C.guardrail_bytes
			var cerr *C.guardrail_error
			p, n := bytesArg(event)
			st := C.guardrail_guard_evaluate_json(gp, sp, p, n, &res, &cerr)
			runtime.KeepAlive(event)
			if st != C.GUARDRAIL_STATUS_OK {
				return errorFrom(st, cerr)
			}
			out = takeBytes(&res)
			return nil
		})
	})
	return out, err
}

// Evaluate evaluates one event and returns the decision. The event is JSON ([]byte,
// json.RawMessage or string) or any value that encodes to the event JSON (a map, a struct,
// or the Event built by Prompt, ToolCall, ...).
func (g *Guard) Evaluate(state *State, event any) (*Decision, error) {
	var raw []byte
	switch e := event.(type) {
	case []byte:
		raw = e
	case json.RawMessage:
		raw = e
	case string:
		raw = []byte(e)
	default:
		var err error
		if raw, err = json.Marshal(e); err != nil {
			return nil, &Error{Status: StatusInvalidEvent, Kind: "event", Message: "cannot encode the event: " + err.Error()}
		}
	}
	out, err := g.EvaluateJSON(state, raw)
	if err != nil {
		return nil, err
	}
	var d Decision
	if err := json.Unmarshal(out, &d); err != nil {
		return nil, &Error{Status: StatusInternal, Kind: "internal", Message: "cannot read the decision: " + err.Error()}
	}
	if string(d.Args) == "null" {
		d.Args = nil
	}
	return &d, nil
}

// CheckPrompt evaluates a user prompt of agent (its id in the policy's registry, or "")
// through the whole stack (timestamped now) and returns only the enforced action: the fast
// path, no JSON. Use Evaluate when you need the findings, the redacted text, the gate or
// more context (run, session, principal, tags).
func (g *Guard) CheckPrompt(state *State, agent, text string) (Action, error) {
	var action C.guardrail_action
	err := g.use(func(gp *C.guardrail_guard) error {
		return state.use(func(sp *C.guardrail_state) error {
			var cerr *C.guardrail_error
			ap, an := stringArg(agent)
			p, n := stringArg(text)
			st := C.guardrail_guard_check_prompt(gp, sp, ap, an, p, n, &action, &cerr)
			runtime.KeepAlive(agent)
			runtime.KeepAlive(text)
			if st != C.GUARDRAIL_STATUS_OK {
				return errorFrom(st, cerr)
			}
			return nil
		})
	})
	return Action(action), err
}

// findingsFrom copies a C findings list (fast-path fields only) and frees it.
func findingsFrom(list *C.guardrail_findings) []Finding {
	defer C.guardrail_findings_free(list)
	n := int(C.guardrail_findings_len(list))
	if n == 0 {
		return nil
	}
	items := unsafe.Slice(C.guardrail_findings_items(list), n)
	out := make([]Finding, n)
	for i, it := range items {
		out[i] = Finding{
			Layer:    Layer(it.layer),
			Rule:     C.GoString(it.rule),
			Category: C.GoString(it.category),
			Severity: Severity(it.severity),
			Action:   Action(it.action),
			Shadow:   bool(it.shadow),
		}
		if it.has_span {
			out[i].Span = &Span{Start: int(it.start), End: int(it.end)}
		}
	}
	return out
}

// Scan runs every detector of the channel on text (stateless) and returns the findings
// with their layer, rule, category, severity, action, shadow flag and span (the fast path:
// no JSON; Message and Confidence are left empty, ScanJSON has them).
func (g *Guard) Scan(channel Channel, text string) ([]Finding, error) {
	var out []Finding
	err := g.use(func(gp *C.guardrail_guard) error {
		var list *C.guardrail_findings
		var cerr *C.guardrail_error
		p, n := stringArg(text)
		st := C.guardrail_guard_scan(gp, C.uint32_t(channel), p, n, &list, &cerr)
		runtime.KeepAlive(text)
		if st != C.GUARDRAIL_STATUS_OK {
			return errorFrom(st, cerr)
		}
		out = findingsFrom(list)
		return nil
	})
	return out, err
}

// ScanJSON is Scan with every field of every finding, as the JSON answer
// {"findings": [...]} decoded.
func (g *Guard) ScanJSON(channel Channel, text string) ([]Finding, error) {
	var answer struct {
		Findings []Finding `json:"findings"`
	}
	err := g.use(func(gp *C.guardrail_guard) error {
		var res C.guardrail_bytes
		var cerr *C.guardrail_error
		p, n := stringArg(text)
		st := C.guardrail_guard_scan_json(gp, C.uint32_t(channel), p, n, &res, &cerr)
		runtime.KeepAlive(text)
		if st != C.GUARDRAIL_STATUS_OK {
			return errorFrom(st, cerr)
		}
		return json.Unmarshal(takeBytes(&res), &answer)
	})
	return answer.Findings, err
}

// Redact replaces the span of every finding on the channel whose action is not allow
// with the policy's redaction operator ("[REDACTED:<rule>]" by default) and returns the
// redacted text and the findings (fast-path fields, spans into the original text).
func (g *Guard) Redact(channel Channel, text string) (string, []Finding, error) {
	var redacted string
	var findings []Finding
	err := g.use(func(gp *C.guardrail_guard) error {
		var res C.guardrail_bytes
		var list *C.guardrail_findings
		var cerr *C.guardrail_error
		p, n := stringArg(text)
		st := C.guardrail_guard_redact(gp, C.uint32_t(channel), p, n, &res, &list, &cerr)
		runtime.KeepAlive(text)
		if st != C.GUARDRAIL_STATUS_OK {
			return errorFrom(st, cerr)
		}
		redacted = takeString(&res)
		findings = findingsFrom(list)
		return nil
	})
	return redacted, findings, err
}
