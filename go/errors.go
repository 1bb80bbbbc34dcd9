package guardrail

/*
#include "guardrail.h"
*/
import "C"

import (
	"encoding/json"
	"errors"
)

// Status is the C ABI's status code of a failed call.
type Status uint32

// The statuses of the C ABI (GUARDRAIL_STATUS_*).
const (
	StatusOK              Status = C.GUARDRAIL_STATUS_OK
	StatusNullParameter   Status = C.GUARDRAIL_STATUS_NULL_PARAMETER
	StatusInvalidUTF8     Status = C.GUARDRAIL_STATUS_INVALID_UTF8
	StatusInvalidLength   Status = C.GUARDRAIL_STATUS_INVALID_LENGTH
	StatusInputTooLarge   Status = C.GUARDRAIL_STATUS_INPUT_TOO_LARGE
	StatusInvalidJSON     Status = C.GUARDRAIL_STATUS_INVALID_JSON
	StatusInvalidEvent    Status = C.GUARDRAIL_STATUS_INVALID_EVENT
	StatusInvalidPolicy   Status = C.GUARDRAIL_STATUS_INVALID_POLICY
	StatusInvalidState    Status = C.GUARDRAIL_STATUS_INVALID_STATE
	StatusInvalidArgument Status = C.GUARDRAIL_STATUS_INVALID_ARGUMENT
	StatusBuild           Status = C.GUARDRAIL_STATUS_BUILD
	StatusPanic           Status = C.GUARDRAIL_STATUS_PANIC
	StatusInternal        Status = C.GUARDRAIL_STATUS_INTERNAL
)

// String is the status's C name, e.g. "GUARDRAIL_STATUS_INVALID_UTF8".
func (s Status) String() string { return C.GoString(C.guardrail_status_name(C.uint32_t(s))) }

// PolicyIssue is one problem of a policy that does not load.
type PolicyIssue struct {
	// Path is the dotted path into the document, e.g. "rules[2].regex".
	Path string `json:"path"`
	// Line is the 1-based line in the policy text, 0 when unknown.
	Line int `json:"line"`
	// Message says what is wrong.
	Message string `json:"message"`
	// Hint is a fix to try ("did you mean `keywords`?"), or empty.
	Hint string `json:"hint"`
}

// Error is a failed call: its status, kind and message, and for a policy every issue.
// Compare with errors.Is against the Err* values, which match on Status.
type Error struct {
	Status  Status        `json:"-"`
	Kind    string        `json:"kind"`
	Message string        `json:"message"`
	Issues  []PolicyIssue `json:"issues,omitempty"`
}

func (e *Error) Error() string { return "guardrail: " + e.Message }

// Is reports whether target is an *Error with the same Status (errors.Is(err,
// guardrail.ErrInvalidPolicy)).
func (e *Error) Is(target error) bool {
	t, ok := target.(*Error)
	return ok && t.Status == e.Status
}

// Values to compare errors with, by status.
var (
	ErrNullParameter   = &Error{Status: StatusNullParameter, Kind: "null_parameter", Message: "a required value is missing"}
	ErrInvalidUTF8     = &Error{Status: StatusInvalidUTF8, Kind: "invalid_utf8", Message: "invalid UTF-8"}
	ErrInvalidLength   = &Error{Status: StatusInvalidLength, Kind: "invalid_length", Message: "input contains a NUL byte"}
	ErrInputTooLarge   = &Error{Status: StatusInputTooLarge, Kind: "input_too_large", Message: "input too large"}
	ErrInvalidJSON     = &Error{Status: StatusInvalidJSON, Kind: "json", Message: "malformed JSON"}
	ErrInvalidEvent    = &Error{Status: StatusInvalidEvent, Kind: "event", Message: "invalid event"}
	ErrInvalidPolicy   = &Error{Status: StatusInvalidPolicy, Kind: "policy", Message: "invalid policy"}
	ErrInvalidState    = &Error{Status: StatusInvalidState, Kind: "state", Message: "invalid state snapshot"}
	ErrInvalidArgument = &Error{Status: StatusInvalidArgument, Kind: "invalid_argument", Message: "invalid argument"}
	ErrBuild           = &Error{Status: StatusBuild, Kind: "build", Message: "the guard cannot be built"}
)

// ErrClosed is returned by calls on a Guard or State after Close.
var ErrClosed = errors.New("guardrail: use of a closed guard or state")

// errorFrom reads and frees a C error.
func errorFrom(status C.guardrail_status, cerr *C.guardrail_error) error {
	defer C.guardrail_error_free(cerr)
	e := &Error{Status: Status(status), Kind: "unknown", Message: Status(status).String()}
	if cerr != nil {
		raw := C.GoString(C.guardrail_error_json(cerr))
		if json.Unmarshal([]byte(raw), e) != nil {
			e.Message = C.GoString(C.guardrail_error_message(cerr))
		}
	}
	return e
}
