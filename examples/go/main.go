// An HTTP service whose tool endpoint is guarded: every tool call an agent asks for goes
// through the guard before the tool runs, and the tool's output goes through it after.
//
//	cargo build --release -p guardrail-ffi
//	cd examples/go && go run . -policy policy.yaml -addr 127.0.0.1:8080
//	curl -s localhost:8080/tools/sql -d '{"query":"ALTER TABLE invoices DROP COLUMN notes"}'
//
// Answers: 200 with the tool's output (redacted where the policy says so), 202 with a gate
// id when a human must approve, 403 with the reasons when the policy blocks. GET /audit
// drains the audit records (JSON Lines) that a real service would append to its log.
package main

import (
	"encoding/json"
	"errors"
	"flag"
	"log"
	"net/http"
	"os"

	guardrail "github.com/guardrail-dev/guardrail/go"
)

// Tool runs one tool call; the service's real tools would call databases, HTTP APIs, ...
type Tool func(args map[string]any) (string, error)

// Server guards the tools of one agent.
type Server struct {
	Guard *guardrail.Guard
	State *guardrail.State
	Tools map[string]Tool
	Agent string
}

type answer struct {
	Decision string   `json:"decision"`
	Output   string   `json:"output,omitempty"`
	Gate     string   `json:"gate,omitempty"`
	Reasons  []string `json:"reasons,omitempty"`
	Error    string   `json:"error,omitempty"`
}

func reply(w http.ResponseWriter, status int, a answer) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(a)
}

func reasons(d *guardrail.Decision) []string {
	var out []string
	for _, f := range d.Findings {
		if f.Action != guardrail.ActionAllow && !f.Shadow {
			out = append(out, f.Rule+": "+f.Message)
		}
	}
	return out
}

// ServeHTTP handles POST /tools/{name} with the call's JSON arguments as the body.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("name")
	tool, ok := s.Tools[name]
	if !ok {
		reply(w, http.StatusNotFound, answer{Error: "unknown tool " + name})
		return
	}
	var args map[string]any
	if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, 1<<20)).Decode(&args); err != nil {
		reply(w, http.StatusBadRequest, answer{Error: "the body must be a JSON object: " + err.Error()})
		return
	}

	// Before the tool runs.
	d, err := s.Guard.Evaluate(s.State, guardrail.ToolCall(name, args).With("agent", s.Agent))
	if err != nil {
		var gerr *guardrail.Error
		if errors.As(err, &gerr) && gerr.Status == guardrail.StatusInvalidEvent {
			reply(w, http.StatusBadRequest, answer{Error: err.Error()})
		} else {
			reply(w, http.StatusInternalServerError, answer{Error: err.Error()})
		}
		return
	}
	switch d.Enforced {
	case guardrail.ActionBlock:
		reply(w, http.StatusForbidden, answer{Decision: "block", Reasons: reasons(d)})
		return
	case guardrail.ActionEscalate:
		reply(w, http.StatusAccepted, answer{Decision: "escalate", Gate: d.Gate.ID, Reasons: reasons(d)})
		return
	case guardrail.ActionRedact:
		// The tool gets the arguments with the offending spans replaced.
		if err := json.Unmarshal(d.Args, &args); err != nil {
			reply(w, http.StatusInternalServerError, answer{Error: err.Error()})
			return
		}
	}
	output, err := tool(args)
	if err != nil {
		reply(w, http.StatusBadGateway, answer{Error: err.Error()})
		return
	}

	// After the tool ran: its output is untrusted text on its way to the model.
	d, err = s.Guard.Evaluate(s.State, guardrail.ToolResult(name, output).With("agent", s.Agent))
	if err != nil {
		reply(w, http.StatusInternalServerError, answer{Error: err.Error()})
		return
	}
	switch d.Enforced {
	case guardrail.ActionBlock, guardrail.ActionEscalate:
		reply(w, http.StatusForbidden, answer{Decision: d.Enforced.String(), Reasons: reasons(d)})
	case guardrail.ActionRedact:
		reply(w, http.StatusOK, answer{Decision: "redact", Output: *d.Text, Reasons: reasons(d)})
	default:
		reply(w, http.StatusOK, answer{Decision: "allow", Output: output})
	}
}

// Routes mounts the guarded tool endpoint.
func (s *Server) Routes() http.Handler {
	mux := http.NewServeMux()
	mux.Handle("POST /tools/{name}", s)
	mux.HandleFunc("GET /audit", func(w http.ResponseWriter, _ *http.Request) {
		records, err := s.State.TakeAuditRecords()
		if err != nil {
			reply(w, http.StatusInternalServerError, answer{Error: err.Error()})
			return
		}
		w.Header().Set("Content-Type", "application/jsonl")
		_, _ = w.Write(records)
	})
	return mux
}

// demoTools stand in for real ones: an echo of the SQL, a fake lookup, and a web fetch
// that returns whatever the page says.
func demoTools() map[string]Tool {
	return map[string]Tool{
		"sql": func(args map[string]any) (string, error) {
			q, _ := args["query"].(string)
			return "ran: " + q, nil
		},
		"lookup": func(args map[string]any) (string, error) {
			host, _ := args["host"].(string)
			return "resolved " + host + " via db7.billing.corp.internal", nil
		},
		"fetch": func(args map[string]any) (string, error) {
			page, _ := args["page"].(string)
			return page, nil
		},
	}
}

func main() {
	policyPath := flag.String("policy", "policy.yaml", "policy file (YAML or JSON)")
	addr := flag.String("addr", "127.0.0.1:8080", "listen address")
	flag.Parse()
	policy, err := os.ReadFile(*policyPath)
	if err != nil {
		log.Fatal(err)
	}
	guard, err := guardrail.New(policy)
	if err != nil {
		log.Fatal(err)
	}
	defer guard.Close()
	state := guardrail.NewState()
	defer state.Close()
	srv := &Server{Guard: guard, State: state, Tools: demoTools(), Agent: "billing-agent"}
	log.Printf("guardrail %s, policy %s, listening on %s", guardrail.Version(), guard.PolicyHash(), *addr)
	log.Fatal(http.ListenAndServe(*addr, srv.Routes()))
}
