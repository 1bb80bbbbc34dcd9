package guardrail

/*
#include <stdint.h>
#include "guardrail.h"
guardrail_status guardrail_go_add_classifier(guardrail_options *options, uintptr_t handle, guardrail_error **error_out);
*/
import "C"

import (
	"maps"
	"runtime"
	"runtime/cgo"
	"slices"
	"unsafe"
)

// Classifier is a host model for the policy's content.safety section: it scores a text seen
// on a channel with labels from 0 to 1 (any labels; a label named in
// content.safety.categories takes that entry's threshold and action, others the defaults).
// The guard turns the scores into findings exactly like its built-in categories.
//
// It is called from the goroutine that evaluates, scans or redacts, possibly from many at
// once: it must be safe for concurrent use. A classifier that panics scores nothing for that
// text, and scores that are not numbers from 0 to 1 are dropped; wrap the guard in an
// Evaluate-time check of your own where a failing model must block.
type Classifier func(text string, channel Channel) map[string]float64

// WithClassifier adds a host classifier (call it once per model).
func WithClassifier(c Classifier) Option {
	return func(o *options) { o.classifiers = append(o.classifiers, c) }
}

// classifiers holds the handles the C library calls back through. It lives as long as the
// guard or any of its streams (which share the library's guard), and its handles are
// released by the garbage collector after that, never while a call could still use them.
type classifiers struct {
	handles []cgo.Handle
}

func newClassifiers(list []Classifier) *classifiers {
	if len(list) == 0 {
		return nil
	}
	set := &classifiers{}
	for _, c := range list {
		set.handles = append(set.handles, cgo.NewHandle(c))
	}
	runtime.AddCleanup(set, func(hs []cgo.Handle) {
		for _, h := range hs {
			h.Delete()
		}
	}, set.handles)
	return set
}

// register adds every classifier to the options.
func (set *classifiers) register(copts *C.guardrail_options) error {
	if set == nil {
		return nil
	}
	for _, h := range set.handles {
		var cerr *C.guardrail_error
		if st := C.guardrail_go_add_classifier(copts, C.uintptr_t(h), &cerr); st != C.GUARDRAIL_STATUS_OK {
			return errorFrom(st, cerr)
		}
	}
	return nil
}

//export goClassify
func goClassify(userData unsafe.Pointer, text *C.uint8_t, textLen C.size_t, channel C.uint32_t, scores *C.guardrail_scores) {
	// A panic must not unwind through the library's C frames.
	defer func() { _ = recover() }()
	classify := cgo.Handle(uintptr(userData)).Value().(Classifier)
	input := C.GoStringN((*C.char)(unsafe.Pointer(text)), C.int(textLen))
	labels := classify(input, Channel(channel))
	// In label order, so that findings come out the same way every time.
	for _, label := range slices.Sorted(maps.Keys(labels)) {
		p, n := stringArg(label)
		C.guardrail_scores_add(scores, p, n, C.float(labels[label]), nil)
		runtime.KeepAlive(label)
	}
}
