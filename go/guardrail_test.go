package guardrail

import (
	"encoding/json"
	"errors"
	"strings"
	"sync"
	"testing"
)

const testPolicy = `version: 1
rules:
  - id: ticket
    keywords: [TCK-]
    regex: 'TCK-\d+'
    action: redact
    category: internal
    message: internal ticket number
  - id: drop
    keywords: [drop table]
    action: escalate
    message: destructive SQL needs a human
  - id: exfil
    keywords: [attacker.example]
    action: block
`

func newTestGuard(t testing.TB) *Guard {
	t.Helper()
	g, err := New([]byte(testPolicy))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { g.Close() })
	return g
}

func TestVersion(t *testing.T) {
	if LibraryABIVersion() != ABIVersion {
		t.Fatalf("library ABI %d, package %d", LibraryABIVersion(), ABIVersion)
	}
	if !strings.HasPrefix(Version(), "0.") {
		t.Fatalf("version %q", Version())
	}
}

func TestEvaluateDecisions(t *testing.T) {
	g := newTestGuard(t)
	s := NewState()
	defer s.Close()

	d, err := g.Evaluate(s, ToolCall("db", map[string]any{"q": "DROP TABLE users"}))
	if err != nil {
		t.Fatal(err)
	}
	if d.Enforced != ActionEscalate || d.Gate == nil || d.Allowed() {
		t.Fatalf("want an escalation with a gate, got %+v", d)
	}
	if d.Findings[0].Rule != "custom.drop" || d.Findings[0].Path != "/args/q" {
		t.Fatalf("finding %+v", d.Findings[0])
	}
	if d.Policy != g.PolicyHash() || !strings.HasPrefix(d.Policy, "sha256:") {
		t.Fatalf("policy %q vs %q", d.Policy, g.PolicyHash())
	}

	d, err = g.Evaluate(s, Prompt("see TCK-42"))
	if err != nil {
		t.Fatal(err)
	}
	if d.Enforced != ActionRedact || d.Text == nil || *d.Text != "see [REDACTED:ticket]" {
		t.Fatalf("redaction: %+v", d)
	}
	d, err = g.Evaluate(s, ToolCall("http", map[string]any{"url": "https://x", "body": "ticket TCK-9"}))
	if err != nil {
		t.Fatal(err)
	}
	if string(d.Args) != `{"body":"ticket [REDACTED:ticket]","url":"https://x"}` {
		t.Fatalf("args %s", d.Args)
	}
	d, err = g.Evaluate(s, `{"type":"model_output","ts":1,"text":"all good"}`)
	if err != nil || !d.Allowed() || d.Args != nil || d.Text != nil {
		t.Fatalf("allow: %+v %v", d, err)
	}
}

func TestErrorsAreTyped(t *testing.T) {
	_, err := New([]byte("version: 1\nmdoe: shadow\n"))
	var gerr *Error
	if !errors.As(err, &gerr) || !errors.Is(err, ErrInvalidPolicy) {
		t.Fatalf("want a policy error, got %v", err)
	}
	if len(gerr.Issues) != 1 || gerr.Issues[0].Line != 2 || !strings.Contains(gerr.Issues[0].Hint, "mode") {
		t.Fatalf("issues %+v", gerr.Issues)
	}
	if _, err := New([]byte("version: 1\ncontent:\n  redaction:\n    operator: hash\n")); !errors.Is(err, ErrBuild) {
		t.Fatalf("want a build error, got %v", err)
	}
	g, err := New([]byte("version: 1\ncontent:\n  redaction:\n    operator: hash\n"), WithHashSalt([]byte("salt")))
	if err != nil {
		t.Fatal(err)
	}
	g.Close()

	g = newTestGuard(t)
	s := NewState()
	defer s.Close()
	cases := []struct {
		event string
		want  *Error
		say   string
	}{
		{`{"type":`, ErrInvalidJSON, "malformed JSON"},
		{`{"type":"promt","ts":1,"text":"x"}`, ErrInvalidEvent, "did you mean `prompt`"},
		{"{\"type\":\"prompt\",\"ts\":1,\"text\":\"\xff\"}", ErrInvalidUTF8, "UTF-8"},
		{"{\"type\":\"prompt\",\"ts\":1,\"text\":\"x\"}\x00", ErrInvalidLength, "strlen"},
		{"", ErrInvalidJSON, "malformed JSON"},
	}
	for _, c := range cases {
		_, err := g.Evaluate(s, []byte(c.event))
		if !errors.Is(err, c.want) || !strings.Contains(err.Error(), c.say) {
			t.Errorf("%q: want %v containing %q, got %v", c.event, c.want.Status, c.say, err)
		}
	}
	if _, err := g.Scan(Channel(42), "x"); !errors.Is(err, ErrInvalidArgument) {
		t.Errorf("unknown channel: %v", err)
	}
	if _, err := g.Evaluate(nil, Prompt("x")); !errors.Is(err, ErrNullParameter) {
		t.Errorf("nil state: %v", err)
	}
	if _, err := RestoreState([]byte(`{"version":1,"bogus":1}`)); !errors.Is(err, ErrInvalidState) {
		t.Errorf("bad snapshot: %v", err)
	}
	if _, err := g.Scan(ChannelUser, strings.Repeat("a", MaxInputBytes+1)); !errors.Is(err, ErrInputTooLarge) {
		t.Errorf("huge text: %v", err)
	}
}

func TestFastPaths(t *testing.T) {
	g := newTestGuard(t)
	text := "ticket TCK-77 and TCK-8"
	f, err := g.Scan(ChannelUser, text)
	if err != nil || len(f) != 2 {
		t.Fatalf("scan: %v %+v", err, f)
	}
	if f[0].Rule != "custom.ticket" || f[0].Category != "internal" || f[0].Action != ActionRedact ||
		f[0].Layer != LayerContent || text[f[0].Span.Start:f[0].Span.End] != "TCK-77" {
		t.Fatalf("finding %+v", f[0])
	}
	full, err := g.ScanJSON(ChannelUser, text)
	if err != nil || len(full) != 2 || full[0].Message != "internal ticket number" || full[0].Confidence == 0 {
		t.Fatalf("scan json: %v %+v", err, full)
	}
	red, f, err := g.Redact(ChannelModelOutput, text)
	if err != nil || red != "ticket [REDACTED:ticket] and [REDACTED:ticket]" || len(f) != 2 {
		t.Fatalf("redact: %q %v %v", red, f, err)
	}
	if f, err := g.Scan(ChannelUser, ""); err != nil || len(f) != 0 {
		t.Fatalf("empty scan: %v %v", f, err)
	}

	s := NewState()
	defer s.Close()
	for text, want := range map[string]Action{
		"hello":                       ActionAllow,
		"see TCK-1":                   ActionRedact,
		"please drop table users":     ActionEscalate,
		"mail it to attacker.example": ActionBlock,
	} {
		got, err := g.CheckPrompt(s, "", text)
		if err != nil || got != want {
			t.Errorf("CheckPrompt(%q) = %v, %v; want %v", text, got, err, want)
		}
	}
	registry, err := New([]byte("version: 1\ngovernance:\n  registry:\n    agents:\n      - id: bot\n        owner: ops@example.com\n"))
	if err != nil {
		t.Fatal(err)
	}
	defer registry.Close()
	for agent, want := range map[string]Action{"bot": ActionAllow, "": ActionBlock, "stranger": ActionBlock} {
		if got, err := registry.CheckPrompt(s, agent, "hello"); err != nil || got != want {
			t.Errorf("CheckPrompt as %q = %v, %v; want %v", agent, got, err, want)
		}
	}
	shadow, err := New([]byte(testPolicy), WithShadow(true))
	if err != nil {
		t.Fatal(err)
	}
	defer shadow.Close()
	if got, _ := shadow.CheckPrompt(s, "", "attacker.example"); got != ActionAllow {
		t.Errorf("shadow mode enforced %v", got)
	}
}

func TestSnapshotRoundTrip(t *testing.T) {
	g := newTestGuard(t)
	s := NewState()
	if _, err := g.Evaluate(s, ToolCall("db", map[string]any{"q": "drop table t"})); err != nil {
		t.Fatal(err)
	}
	snap, err := s.Snapshot()
	if err != nil || !strings.Contains(string(snap), "destructive SQL") {
		t.Fatalf("snapshot %s %v", snap, err)
	}
	s.Close()
	back, err := RestoreState(snap)
	if err != nil {
		t.Fatal(err)
	}
	defer back.Close()
	again, _ := back.Snapshot()
	if string(again) != string(snap) {
		t.Fatalf("round trip changed the state:\n%s\n%s", snap, again)
	}
}

func TestAuditRecordsDrainOnce(t *testing.T) {
	g, err := New([]byte("version: 1\ngovernance:\n  audit:\n    enabled: true\n"))
	if err != nil {
		t.Fatal(err)
	}
	defer g.Close()
	s := NewState()
	defer s.Close()
	var wg sync.WaitGroup
	for i := 0; i < 8; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := 0; j < 10; j++ {
				if _, err := g.Evaluate(s, Prompt("hi").With("agent", "a1")); err != nil {
					t.Error(err)
				}
			}
		}()
	}
	wg.Wait()
	records, err := s.TakeAuditRecords()
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSuffix(string(records), "\n"), "\n")
	if len(lines) != 80 {
		t.Fatalf("%d records, want 80", len(lines))
	}
	var last struct {
		Hash string `json:"hash"`
	}
	if err := json.Unmarshal([]byte(lines[79]), &last); err != nil {
		t.Fatal(err)
	}
	if again, _ := s.TakeAuditRecords(); len(again) != 0 {
		t.Fatalf("drained twice: %s", again)
	}
	head, err := s.AuditHead()
	if err != nil || !strings.Contains(string(head), `"seq":80`) || !strings.Contains(string(head), last.Hash) {
		t.Fatalf("head %s %v", head, err)
	}
	if report, err := s.Showback(); err != nil || !strings.Contains(string(report), `"total"`) {
		t.Fatalf("showback %s %v", report, err)
	}
}

func TestCloseIsSafe(t *testing.T) {
	g, err := NewDefault()
	if err != nil {
		t.Fatal(err)
	}
	s := NewState()
	// Close while other goroutines are calling: every call either works or says ErrClosed.
	var wg sync.WaitGroup
	for i := 0; i < 16; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := 0; j < 50; j++ {
				if _, err := g.Scan(ChannelUser, "hello"); err != nil && !errors.Is(err, ErrClosed) {
					t.Error(err)
				}
				if _, err := g.CheckPrompt(s, "", "hello"); err != nil && !errors.Is(err, ErrClosed) {
					t.Error(err)
				}
			}
		}()
	}
	g.Close()
	wg.Wait()
	if err := g.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := g.Scan(ChannelUser, "x"); !errors.Is(err, ErrClosed) {
		t.Fatalf("after Close: %v", err)
	}
	s.Close()
	if _, err := s.Snapshot(); !errors.Is(err, ErrClosed) {
		t.Fatalf("state after Close: %v", err)
	}
	var nilGuard *Guard
	if _, err := nilGuard.Scan(ChannelUser, "x"); !errors.Is(err, ErrNullParameter) {
		t.Fatalf("nil guard: %v", err)
	}
}

func TestUnclosedValuesAreCollected(t *testing.T) {
	// Guards and states dropped without Close are freed by their cleanups; the race
	// detector and the C library's own checks would flag a double free.
	for i := 0; i < 200; i++ {
		g, err := NewDefault()
		if err != nil {
			t.Fatal(err)
		}
		_ = NewState()
		if i%2 == 0 {
			g.Close()
		}
	}
	runtimeGC()
}

func TestManyGoroutinesShareOneGuard(t *testing.T) {
	g := newTestGuard(t)
	s := NewState()
	defer s.Close()
	const goroutines, calls = 64, 40
	var wg sync.WaitGroup
	var mu sync.Mutex
	gates := map[string]bool{}
	for i := 0; i < goroutines; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := 0; j < calls; j++ {
				d, err := g.Evaluate(s, ToolCall("db", map[string]any{"q": "drop table t"}))
				if err != nil || d.Gate == nil {
					t.Errorf("evaluate: %v %+v", err, d)
					return
				}
				mu.Lock()
				gates[d.Gate.ID] = true
				mu.Unlock()
				f, err := g.Scan(ChannelToolOutput, "TCK-1 TCK-2")
				if err != nil || len(f) != 2 {
					t.Errorf("scan: %v %v", err, f)
					return
				}
				if a, err := g.CheckPrompt(s, "", "see TCK-3"); err != nil || a != ActionRedact {
					t.Errorf("check: %v %v", a, err)
					return
				}
			}
		}()
	}
	wg.Wait()
	if len(gates) != goroutines*calls {
		t.Fatalf("%d distinct gates, want %d", len(gates), goroutines*calls)
	}
	snap, _ := s.Snapshot()
	if n := strings.Count(string(snap), `"expires_at"`); n != goroutines*calls {
		t.Fatalf("state holds %d gates, want %d", n, goroutines*calls)
	}
}
