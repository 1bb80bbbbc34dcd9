package guardrail

import (
	"math"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
)

const toxicityPolicy = `version: 1
content:
  safety:
    categories:
      toxicity: {action: block, threshold: 0.9}
`

func TestClassifierScoresBecomeFindings(t *testing.T) {
	var calls atomic.Int32
	toxicity := func(text string, channel Channel) map[string]float64 {
		calls.Add(1)
		if channel != ChannelUser && channel != ChannelModelOutput {
			t.Errorf("unexpected channel %d", channel)
		}
		score := 0.05
		if strings.Contains(text, "idiot") {
			score = 0.95
		}
		// Bad scores are dropped, the good one kept.
		return map[string]float64{"toxicity": score, "nan": math.NaN(), "big": 2, "": 0.99}
	}
	g, err := New([]byte(toxicityPolicy), WithClassifier(toxicity))
	if err != nil {
		t.Fatal(err)
	}
	defer g.Close()
	found, err := g.Scan(ChannelUser, "you idiot")
	if err != nil {
		t.Fatal(err)
	}
	if len(found) != 1 || found[0].Rule != "safety.toxicity" || found[0].Action != ActionBlock {
		t.Fatalf("findings %+v", found)
	}
	if found, _ = g.Scan(ChannelUser, "thanks a lot"); len(found) != 0 {
		t.Fatalf("findings %+v", found)
	}
	// Concurrent scans call the classifier concurrently (run with -race).
	var wg sync.WaitGroup
	for i := 0; i < 8; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := 0; j < 20; j++ {
				if f, err := g.Scan(ChannelModelOutput, "what an idiot"); err != nil || len(f) != 1 {
					t.Errorf("findings %+v, %v", f, err)
				}
			}
		}()
	}
	wg.Wait()
	if n := calls.Load(); n != 2+8*20 {
		t.Fatalf("classifier called %d times", n)
	}
}

func TestPanickingClassifierScoresNothing(t *testing.T) {
	g, err := New([]byte(toxicityPolicy), WithClassifier(func(string, Channel) map[string]float64 {
		panic("model crashed")
	}))
	if err != nil {
		t.Fatal(err)
	}
	defer g.Close()
	found, err := g.Scan(ChannelUser, "you idiot")
	if err != nil || len(found) != 0 {
		t.Fatalf("findings %+v, %v", found, err)
	}
}

func TestClassifierOutlivesClosedGuardInStreams(t *testing.T) {
	g, err := New([]byte(toxicityPolicy), WithClassifier(func(text string, _ Channel) map[string]float64 {
		if strings.Contains(text, "idiot") {
			return map[string]float64{"toxicity": 1}
		}
		return nil
	}))
	if err != nil {
		t.Fatal(err)
	}
	s, err := g.Stream(ChannelModelOutput)
	if err != nil {
		t.Fatal(err)
	}
	g.Close()
	runtime.GC()
	runtime.GC()
	for _, part := range []string{"you ", "idiot"} {
		if _, err := s.Push(part); err != nil {
			t.Fatal(err)
		}
	}
	chunk, err := s.Finish()
	if err != nil {
		t.Fatal(err)
	}
	if chunk.Action != ActionBlock {
		t.Fatalf("chunk %+v", chunk)
	}
	s.Close()
}
