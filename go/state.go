package guardrail

/*
#include "guardrail.h"
*/
import "C"

import (
	"runtime"
	"sync"
)

// State is what the stateful layers remember between events (pending gates, counters and
// budgets). Keep one per process (or tenant) and pass it to every Evaluate; safe for
// concurrent use.
type State struct {
	mu      sync.RWMutex
	ptr     *C.guardrail_state
	cleanup runtime.Cleanup
}

func newState(ptr *C.guardrail_state) *State {
	s := &State{ptr: ptr}
	s.cleanup = runtime.AddCleanup(s, func(p *C.guardrail_state) { C.guardrail_state_free(p) }, ptr)
	return s
}

// NewState returns an empty state.
func NewState() *State {
	ptr := C.guardrail_state_new()
	if ptr == nil {
		panic("guardrail: the library failed to allocate a state")
	}
	return newState(ptr)
}

// RestoreState rebuilds a state from a snapshot made by Snapshot.
func RestoreState(snapshot []byte) (*State, error) {
	var ptr *C.guardrail_state
	var cerr *C.guardrail_error
	p, n := bytesArg(snapshot)
	st := C.guardrail_state_restore(p, n, &ptr, &cerr)
	runtime.KeepAlive(snapshot)
	if st != C.GUARDRAIL_STATUS_OK {
		return nil, errorFrom(st, cerr)
	}
	return newState(ptr), nil
}

// Snapshot returns the state as JSON (every pending gate and counter).
func (s *State) Snapshot() ([]byte, error) {
	var out []byte
	err := s.use(func(sp *C.guardrail_state) error {
		var res C.guardrail_bytes
		var cerr *C.guardrail_error
		if st := C.guardrail_state_snapshot(sp, &res, &cerr); st != C.GUARDRAIL_STATUS_OK {
			return errorFrom(st, cerr)
		}
		out = takeBytes(&res)
		return nil
	})
	return out, err
}

// report runs one of the state's JSON reports.
func (s *State) report(f func(*C.guardrail_state, *C.guardrail_bytes, **C.guardrail_error) C.guardrail_status) ([]byte, error) {
	var out []byte
	err := s.use(func(sp *C.guardrail_state) error {
		var res C.guardrail_bytes
		var cerr *C.guardrail_error
		if st := f(sp, &res, &cerr); st != C.GUARDRAIL_STATUS_OK {
			return errorFrom(st, cerr)
		}
		out = takeBytes(&res)
		return nil
	})
	return out, err
}

// TakeAuditRecords drains the audit records appended since the last call (the policy's
// governance.audit.enabled turns them on) as JSON Lines: one hash-chained record per line,
// ready to append to a log. Empty when there is none. Drain regularly: undrained records
// stay in memory.
func (s *State) TakeAuditRecords() ([]byte, error) {
	return s.report(func(sp *C.guardrail_state, out *C.guardrail_bytes, e **C.guardrail_error) C.guardrail_status {
		return C.guardrail_state_take_audit_records(sp, out, e)
	})
}

// AuditHead returns the audit chain's head as JSON ({"seq": ..., "hash": ...}); store it
// with the records to detect a truncated log.
func (s *State) AuditHead() ([]byte, error) {
	return s.report(func(sp *C.guardrail_state, out *C.guardrail_bytes, e **C.guardrail_error) C.guardrail_status {
		return C.guardrail_state_audit_head(sp, out, e)
	})
}

// Showback returns the cost, token and call report (total and by team, agent, workflow
// and tag) as JSON.
func (s *State) Showback() ([]byte, error) {
	return s.report(func(sp *C.guardrail_state, out *C.guardrail_bytes, e **C.guardrail_error) C.guardrail_status {
		return C.guardrail_state_showback(sp, out, e)
	})
}

// Close releases the state. Calls after Close return ErrClosed; Close waits for calls in
// flight and is safe to call twice.
func (s *State) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.ptr != nil {
		s.cleanup.Stop()
		C.guardrail_state_free(s.ptr)
		s.ptr = nil
	}
	return nil
}

func (s *State) use(f func(*C.guardrail_state) error) error {
	if s == nil {
		return &Error{Status: StatusNullParameter, Kind: "null_parameter", Message: "the state is nil"}
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	if s.ptr == nil {
		return ErrClosed
	}
	return f(s.ptr)
}
