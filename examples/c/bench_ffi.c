/*
 * Per-call cost of the C ABI on a 1 KB prompt: the JSON path (guardrail_guard_evaluate_json)
 * and the fast paths (check_prompt, scan, redact), median over batches.
 *
 *   ./bench_ffi [iterations per batch, default 2000]
 *
 * The same input is measured from Rust (guardrail-ffi/benches/ffi.rs) and Go
 * (go/bench_test.go); docs/benchmarks/ffi.md has the figures.
 */
#define _POSIX_C_SOURCE 199309L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "guardrail.h"

#define BATCHES 21
#define TEXT_BYTES 1024

static const char SENTENCE[] =
    "Please summarize the quarterly billing report for the finance team and list the open "
    "invoices by customer. ";

static char text[TEXT_BYTES + 1];
static char event[TEXT_BYTES + 128];
static size_t event_len;

static double now_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

static int cmp(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

enum which { EVALUATE_JSON, CHECK_PROMPT, SCAN, SCAN_JSON, REDACT };
static const char *NAMES[] = {"evaluate_json (JSON path)", "check_prompt (fast path)",
                              "scan (fast path)", "scan_json", "redact (fast path)"};

static int call(enum which w, const guardrail_guard *g, const guardrail_state *s) {
    guardrail_status st = GUARDRAIL_STATUS_OK;
    switch (w) {
        case EVALUATE_JSON: {
            guardrail_bytes out = {NULL, 0};
            st = guardrail_guard_evaluate_json(g, s, (const uint8_t *)event, event_len, &out, NULL);
            guardrail_bytes_free(&out);
            break;
        }
        case CHECK_PROMPT: {
            guardrail_action a;
            st = guardrail_guard_check_prompt(g, s, NULL, 0, (const uint8_t *)text, TEXT_BYTES, &a, NULL);
            break;
        }
        case SCAN: {
            guardrail_findings *f = NULL;
            st = guardrail_guard_scan(g, GUARDRAIL_CHANNEL_USER, (const uint8_t *)text, TEXT_BYTES, &f, NULL);
            guardrail_findings_free(f);
            break;
        }
        case SCAN_JSON: {
            guardrail_bytes out = {NULL, 0};
            st = guardrail_guard_scan_json(g, GUARDRAIL_CHANNEL_USER, (const uint8_t *)text, TEXT_BYTES, &out, NULL);
            guardrail_bytes_free(&out);
            break;
        }
        case REDACT: {
            guardrail_bytes out = {NULL, 0};
            st = guardrail_guard_redact(g, GUARDRAIL_CHANNEL_USER, (const uint8_t *)text, TEXT_BYTES, &out, NULL, NULL);
            guardrail_bytes_free(&out);
            break;
        }
    }
    return st == GUARDRAIL_STATUS_OK;
}

int main(int argc, char **argv) {
    long iterations = argc > 1 ? atol(argv[1]) : 2000;
    if (iterations < 1) iterations = 1;
    for (size_t i = 0; i < TEXT_BYTES; i++) text[i] = SENTENCE[i % (sizeof SENTENCE - 1)];
    text[TEXT_BYTES] = '\0';
    event_len = (size_t)snprintf(event, sizeof event, "{\"type\":\"prompt\",\"ts\":1,\"text\":\"%s\"}", text);

    guardrail_guard *guard = NULL;
    if (guardrail_guard_new_default(&guard, NULL) != GUARDRAIL_STATUS_OK) return 1;
    guardrail_state *state = guardrail_state_new();

    printf("guardrail %s, built-in policy, %d-byte prompt, median of %d batches of %ld calls\n",
           guardrail_version(), TEXT_BYTES, BATCHES, iterations);
    for (int w = EVALUATE_JSON; w <= REDACT; w++) {
        double per_call[BATCHES];
        for (long i = 0; i < iterations / 10 + 1; i++) call((enum which)w, guard, state); /* warm up */
        for (int b = 0; b < BATCHES; b++) {
            double start = now_ns();
            for (long i = 0; i < iterations; i++) {
                if (!call((enum which)w, guard, state)) {
                    fprintf(stderr, "%s failed\n", NAMES[w]);
                    return 1;
                }
            }
            per_call[b] = (now_ns() - start) / (double)iterations;
        }
        qsort(per_call, BATCHES, sizeof per_call[0], cmp);
        printf("%-28s median %8.0f ns/call (min %.0f, max %.0f)\n", NAMES[w], per_call[BATCHES / 2],
               per_call[0], per_call[BATCHES - 1]);
    }
    guardrail_state_free(state);
    guardrail_guard_free(guard);
    return 0;
}
