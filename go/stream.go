package guardrail

/*
#include "guardrail.h"
*/
import "C"

import (
	"encoding/json"
	"runtime"
	"sync"
)

// Stream scans text that arrives in chunks (a streamed model output); see docs/STREAMING.md.
// Push each chunk and show the Text it returns (redacted; nothing in it can still match),
// then Finish. Safe for concurrent use (calls are serialized); it keeps its own reference
// to the guard, so the guard may be closed first.
type Stream struct {
	mu          sync.Mutex
	ptr         *C.guardrail_stream
	cleanup     runtime.Cleanup
	classifiers *classifiers // the guard's, called by this stream's scans
}

// StreamChunk is what one Push or Finish settled.
type StreamChunk struct {
	// Text is the next part of the stream, redacted: safe to show.
	Text string `json:"text"`
	// Findings settled by this call; spans are byte offsets in the whole stream.
	Findings []Finding `json:"findings"`
	// Action is the one to enforce; ActionBlock means stop the stream.
	Action Action `json:"action"`
}

// Stream starts a scan of text that arrives in chunks on the channel.
func (g *Guard) Stream(channel Channel) (*Stream, error) {
	var s *Stream
	err := g.use(func(gp *C.guardrail_guard) error {
		var ptr *C.guardrail_stream
		var cerr *C.guardrail_error
		if st := C.guardrail_stream_new(gp, C.uint32_t(channel), &ptr, &cerr); st != C.GUARDRAIL_STATUS_OK {
			return errorFrom(st, cerr)
		}
		s = &Stream{ptr: ptr, classifiers: g.classifiers}
		s.cleanup = runtime.AddCleanup(s, func(p *C.guardrail_stream) { C.guardrail_stream_free(p) }, ptr)
		return nil
	})
	return s, err
}

// Push adds the next chunk (whole UTF-8: do not split a character across chunks).
func (s *Stream) Push(chunk string) (StreamChunk, error) {
	return s.call(func(ptr *C.guardrail_stream, res *C.guardrail_bytes, cerr **C.guardrail_error) C.guardrail_status {
		p, n := stringArg(chunk)
		st := C.guardrail_stream_push_json(ptr, p, n, res, cerr)
		runtime.KeepAlive(chunk)
		return st
	})
}

// Finish ends the stream: the rest of the text and every finding still held back. Later
// calls fail with StatusInvalidArgument.
func (s *Stream) Finish() (StreamChunk, error) {
	return s.call(func(ptr *C.guardrail_stream, res *C.guardrail_bytes, cerr **C.guardrail_error) C.guardrail_status {
		return C.guardrail_stream_finish_json(ptr, res, cerr)
	})
}

// Close releases the stream (finished or not); safe to call twice.
func (s *Stream) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.ptr != nil {
		s.cleanup.Stop()
		C.guardrail_stream_free(s.ptr)
		s.ptr = nil
	}
	return nil
}

func (s *Stream) call(f func(*C.guardrail_stream, *C.guardrail_bytes, **C.guardrail_error) C.guardrail_status) (StreamChunk, error) {
	var out StreamChunk
	if s == nil {
		return out, &Error{Status: StatusNullParameter, Kind: "null_parameter", Message: "the stream is nil"}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.ptr == nil {
		return out, ErrClosed
	}
	var res C.guardrail_bytes
	var cerr *C.guardrail_error
	if st := f(s.ptr, &res, &cerr); st != C.GUARDRAIL_STATUS_OK {
		return out, errorFrom(st, cerr)
	}
	err := json.Unmarshal(takeBytes(&res), &out)
	return out, err
}
