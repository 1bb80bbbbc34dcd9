// Registers the Go classifier trampoline with the C ABI. Kept in C because a Go file that
// exports functions may only declare C code, and the handle travels as the void * context.
#include "guardrail.h"
#include "_cgo_export.h"

guardrail_status guardrail_go_add_classifier(guardrail_options *options, uintptr_t handle,
                                             guardrail_error **error_out) {
    return guardrail_options_add_classifier(options, (guardrail_classifier_fn)goClassify,
                                            (void *)handle, error_out);
}
