/*
 * Loads a policy, guards a tool call and redacts a text through the C ABI.
 *
 *   cargo build --release -p guardrail-ffi
 *   gcc -std=c99 -Wall -Wextra -Werror -I include examples/c/guard_tool_call.c \
 *       -L target/release -lguardrail -Wl,-rpath,"$PWD/target/release" -o guard_tool_call
 *   ./guard_tool_call examples/policy.yaml
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "guardrail.h"

/* Prints the error, frees it and returns 1. */
static int fail(const char *what, guardrail_status status, guardrail_error *error) {
    fprintf(stderr, "%s failed: %s: %s\n", what, guardrail_status_name(status),
            guardrail_error_message(error));
    guardrail_error_free(error);
    return 1;
}

/* Reads a whole file into a malloc'd buffer. */
static char *read_file(const char *path, size_t *len) {
    FILE *f = fopen(path, "rb");
    if (f == NULL) return NULL;
    char *buf = NULL;
    size_t cap = 0, n = 0;
    for (;;) {
        if (n == cap) {
            cap = cap ? cap * 2 : 4096;
            char *grown = realloc(buf, cap);
            if (grown == NULL) { free(buf); fclose(f); return NULL; }
            buf = grown;
        }
        size_t got = fread(buf + n, 1, cap - n, f);
        n += got;
        if (got == 0) break;
    }
    fclose(f);
    *len = n;
    return buf;
}

static const char *action_name(guardrail_action a) {
    switch (a) {
        case GUARDRAIL_ACTION_ALLOW: return "allow";
        case GUARDRAIL_ACTION_REDACT: return "redact";
        case GUARDRAIL_ACTION_ESCALATE: return "escalate";
        case GUARDRAIL_ACTION_BLOCK: return "block";
    }
    return "?";
}

int main(int argc, char **argv) {
    if (guardrail_abi_version() != GUARDRAIL_ABI_VERSION) {
        fprintf(stderr, "header and library do not match\n");
        return 1;
    }
    const char *path = argc > 1 ? argv[1] : "examples/policy.yaml";
    size_t policy_len = 0;
    char *policy = read_file(path, &policy_len);
    if (policy == NULL) {
        fprintf(stderr, "cannot read %s\n", path);
        return 1;
    }

    guardrail_guard *guard = NULL;
    guardrail_error *error = NULL;
    guardrail_status status =
        guardrail_guard_new((const uint8_t *)policy, policy_len, NULL, &guard, &error);
    free(policy);
    if (status != GUARDRAIL_STATUS_OK) return fail("loading the policy", status, error);
    printf("guardrail %s, policy %s\n", guardrail_version(), guardrail_guard_policy_hash(guard));

    guardrail_state *state = guardrail_state_new();

    /* 1. Guard a tool call: the decision comes back as JSON. */
    const char *call =
        "{\"type\":\"tool_call\",\"ts\":\"2026-11-23T10:15:00Z\",\"agent\":\"billing-bot\","
        "\"env\":\"prod\",\"tool\":\"db.migrate\","
        "\"args\":{\"sql\":\"ALTER TABLE refunds DROP COLUMN notes\"}}";
    guardrail_bytes decision = {NULL, 0};
    status = guardrail_guard_evaluate_json(guard, state, (const uint8_t *)call, strlen(call),
                                           &decision, &error);
    if (status != GUARDRAIL_STATUS_OK) return fail("evaluating the tool call", status, error);
    printf("tool call decision: %s\n", (const char *)decision.data);
    int escalated = strstr((const char *)decision.data, "\"enforced\":\"escalate\"") != NULL;
    guardrail_bytes_free(&decision);

    /* 2. Redact a text: no JSON, findings as an array of structs. */
    const char *text = "the replica is db7.billing.corp.internal, port 5432";
    guardrail_bytes redacted = {NULL, 0};
    guardrail_findings *findings = NULL;
    status = guardrail_guard_redact(guard, GUARDRAIL_CHANNEL_MODEL_OUTPUT, (const uint8_t *)text,
                                    strlen(text), &redacted, &findings, &error);
    if (status != GUARDRAIL_STATUS_OK) return fail("redacting", status, error);
    printf("redacted: %s\n", (const char *)redacted.data);
    const guardrail_finding *items = guardrail_findings_items(findings);
    for (size_t i = 0; i < guardrail_findings_len(findings); i++) {
        printf("  finding %s (%s) at %zu..%zu: %s\n", items[i].rule, items[i].category,
               items[i].start, items[i].end, action_name(items[i].action));
    }
    guardrail_findings_free(findings);
    guardrail_bytes_free(&redacted);

    /* 3. Check a prompt of the registered agent: just the action. */
    const char *agent = "billing-bot";
    const char *prompt = "summarize the open refunds";
    guardrail_action action = GUARDRAIL_ACTION_BLOCK;
    status = guardrail_guard_check_prompt(guard, state, (const uint8_t *)agent, strlen(agent),
                                          (const uint8_t *)prompt, strlen(prompt), &action, &error);
    if (status != GUARDRAIL_STATUS_OK) return fail("checking the prompt", status, error);
    printf("prompt: %s\n", action_name(action));

    /* 4. The state remembers the open gate; snapshot it. */
    guardrail_bytes snapshot = {NULL, 0};
    status = guardrail_state_snapshot(state, &snapshot, &error);
    if (status != GUARDRAIL_STATUS_OK) return fail("snapshotting", status, error);
    printf("state snapshot: %zu bytes\n", snapshot.len);
    guardrail_bytes_free(&snapshot);

    /* 5. The policy keeps an audit chain: drain the new records (JSON Lines) to a log. */
    guardrail_bytes records = {NULL, 0};
    status = guardrail_state_take_audit_records(state, &records, &error);
    if (status != GUARDRAIL_STATUS_OK) return fail("draining the audit records", status, error);
    size_t lines = 0;
    for (size_t i = 0; i < records.len; i++) lines += records.data[i] == '\n';
    printf("audit records drained: %zu\n", lines);
    guardrail_bytes_free(&records);

    guardrail_state_free(state);
    guardrail_guard_free(guard);
    return escalated ? 0 : 2;
}
