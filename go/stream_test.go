package guardrail

import (
	"errors"
	"strings"
	"testing"
)

func TestStreamRedactsATokenSplitAcrossChunks(t *testing.T) {
	g, err := NewDefault()
	if err != nil {
		t.Fatal(err)
	}
	s, err := g.Stream(ChannelModelOutput)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	g.Close() // the stream keeps its own reference
	var shown strings.Builder
	var findings []Finding
	for _, chunk := range []string{"Use the token ghp_Zq8vL2mXw9", "Rt4pKeB7nY3cD5fG1hJ", "6sA0uQe to push."} {
		out, err := s.Push(chunk)
		if err != nil {
			t.Fatal(err)
		}
		shown.WriteString(out.Text)
		findings = append(findings, out.Findings...)
	}
	out, err := s.Finish()
	if err != nil {
		t.Fatal(err)
	}
	shown.WriteString(out.Text)
	findings = append(findings, out.Findings...)
	if got := shown.String(); got != "Use the token [REDACTED:github_pat] to push." {
		t.Fatalf("shown %q", got)
	}
	if len(findings) != 1 || findings[0].Rule != "secrets.github_pat" || findings[0].Span.Start != 14 {
		t.Fatalf("findings %+v", findings)
	}
	if out.Action != ActionRedact {
		t.Fatalf("action %v", out.Action)
	}
}

func TestStreamBadInput(t *testing.T) {
	g, err := NewDefault()
	if err != nil {
		t.Fatal(err)
	}
	defer g.Close()
	if _, err := g.Stream(Channel(42)); !errors.Is(err, ErrInvalidArgument) {
		t.Fatalf("unknown channel: %v", err)
	}
	s, err := g.Stream(ChannelUser)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Push("a\x00b"); err == nil {
		t.Fatal("a NUL byte was accepted")
	}
	if _, err := s.Push("\xff"); !errors.Is(err, ErrInvalidUTF8) {
		t.Fatalf("invalid UTF-8: %v", err)
	}
	if _, err := s.Finish(); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Push("more"); !errors.Is(err, ErrInvalidArgument) {
		t.Fatalf("push after finish: %v", err)
	}
	s.Close()
	s.Close()
	if _, err := s.Push("more"); !errors.Is(err, ErrClosed) {
		t.Fatalf("push after close: %v", err)
	}
	var nilStream *Stream
	if _, err := nilStream.Finish(); err == nil {
		t.Fatal("nil stream")
	}
}
