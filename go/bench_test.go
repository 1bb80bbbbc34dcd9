package guardrail

import (
	"encoding/json"
	"strings"
	"testing"
)

// The same 1 KB prompt as examples/c/bench_ffi.c and guardrail-ffi/benches/ffi.rs.
const sentence = "Please summarize the quarterly billing report for the finance team and list the open invoices by customer. "

var benchText = strings.Repeat(sentence, 1024/len(sentence)+1)[:1024]

func benchGuard(b *testing.B) (*Guard, *State) {
	g, err := NewDefault()
	if err != nil {
		b.Fatal(err)
	}
	s := NewState()
	b.Cleanup(func() { g.Close(); s.Close() })
	b.SetBytes(int64(len(benchText)))
	return g, s
}

func BenchmarkEvaluateJSON(b *testing.B) {
	g, s := benchGuard(b)
	event, _ := json.Marshal(map[string]any{"type": "prompt", "ts": 1, "text": benchText})
	for b.Loop() {
		if _, err := g.EvaluateJSON(s, event); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkEvaluate(b *testing.B) {
	g, s := benchGuard(b)
	event, _ := json.Marshal(map[string]any{"type": "prompt", "ts": 1, "text": benchText})
	for b.Loop() {
		if _, err := g.Evaluate(s, event); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkCheckPrompt(b *testing.B) {
	g, s := benchGuard(b)
	for b.Loop() {
		if _, err := g.CheckPrompt(s, "", benchText); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkScan(b *testing.B) {
	g, _ := benchGuard(b)
	for b.Loop() {
		if _, err := g.Scan(ChannelUser, benchText); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkRedact(b *testing.B) {
	g, _ := benchGuard(b)
	for b.Loop() {
		if _, _, err := g.Redact(ChannelUser, benchText); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkScanParallel(b *testing.B) {
	g, _ := benchGuard(b)
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if _, err := g.Scan(ChannelUser, benchText); err != nil {
				b.Fatal(err)
			}
		}
	})
}
