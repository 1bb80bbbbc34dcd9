/*
 * Tests of the C ABI from C: bad input of every kind, ownership, threads.
 * Built with gcc -Wall -Wextra -Werror and run under valgrind by scripts/test-c.sh.
 * Prints "N passed, M failed" and exits non-zero on any failure.
 */
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "guardrail.h"

static int passed = 0, failed = 0;

#define CHECK(cond)                                                          \
    do {                                                                     \
        if (cond) {                                                          \
            passed++;                                                        \
        } else {                                                             \
            failed++;                                                        \
            fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #cond); \
        }                                                                    \
    } while (0)

#define U8(s) ((const uint8_t *)(s))

static const char *POLICY =
    "version: 1\n"
    "rules:\n"
    "  - id: ticket\n"
    "    keywords: [TCK-]\n"
    "    regex: 'TCK-\\d+'\n"
    "    action: redact\n"
    "    category: internal\n"
    "    message: internal ticket number\n"
    "  - id: drop\n"
    "    keywords: [drop table]\n"
    "    action: escalate\n"
    "    message: destructive SQL needs a human\n"
    "  - id: exfil\n"
    "    keywords: [attacker.example]\n"
    "    action: block\n";

/* Checks that `status` is `expected` and that the error says `needle`; frees the error. */
static void expect_error(guardrail_status status, guardrail_error *error, guardrail_status expected,
                         const char *needle, int line) {
    int ok = status == expected && error != NULL && guardrail_error_status(error) == expected &&
             strstr(guardrail_error_message(error), needle) != NULL;
    if (ok) {
        passed++;
    } else {
        failed++;
        fprintf(stderr, "test_ffi.c:%d: expected %s containing \"%s\", got %s: %s\n", line,
                guardrail_status_name(expected), needle, guardrail_status_name(status),
                error ? guardrail_error_message(error) : "(no error)");
    }
    guardrail_error_free(error);
}
#define EXPECT_ERROR(call, expected, needle)                              \
    do {                                                                  \
        guardrail_error *err_ = NULL;                                     \
        guardrail_status st_ = call;                                      \
        expect_error(st_, err_, expected, needle, __LINE__);              \
    } while (0)
/* `call` must use `&err_` as its error argument. */

static guardrail_guard *make_guard(void) {
    guardrail_guard *guard = NULL;
    guardrail_status st = guardrail_guard_new(U8(POLICY), strlen(POLICY), NULL, &guard, NULL);
    if (st != GUARDRAIL_STATUS_OK) {
        fprintf(stderr, "cannot build the test guard\n");
        exit(1);
    }
    return guard;
}

static void test_version(void) {
    CHECK(guardrail_abi_version() == GUARDRAIL_ABI_VERSION);
    char expected[32];
    snprintf(expected, sizeof expected, "%d.%d.%d", GUARDRAIL_VERSION_MAJOR,
             GUARDRAIL_VERSION_MINOR, GUARDRAIL_VERSION_PATCH);
    CHECK(strcmp(guardrail_version(), expected) == 0);
    CHECK(strcmp(guardrail_status_name(GUARDRAIL_STATUS_INVALID_UTF8), "GUARDRAIL_STATUS_INVALID_UTF8") == 0);
    CHECK(strcmp(guardrail_status_name(1000), "GUARDRAIL_STATUS_UNKNOWN") == 0);
}

static void test_bad_policies(void) {
    guardrail_guard *guard = (guardrail_guard *)&guard; /* must be reset to NULL on failure */
    const char *typo = "version: 1\nmdoe: shadow\n";
    guardrail_error *err = NULL;
    guardrail_status st = guardrail_guard_new(U8(typo), strlen(typo), NULL, &guard, &err);
    CHECK(st == GUARDRAIL_STATUS_INVALID_POLICY);
    CHECK(guard == NULL);
    CHECK(strstr(guardrail_error_message(err), "line 2") != NULL);
    const char *json = guardrail_error_json(err);
    CHECK(strstr(json, "\"kind\":\"policy\"") != NULL);
    CHECK(strstr(json, "\"line\":2") != NULL);
    CHECK(strstr(json, "did you mean `mode`") != NULL);
    guardrail_error_free(err);

    const char *bad_regex = "version: 1\nrules:\n  - id: r\n    regex: '(unclosed'\n";
    EXPECT_ERROR(guardrail_guard_new(U8(bad_regex), strlen(bad_regex), NULL, &guard, &err_),
                 GUARDRAIL_STATUS_INVALID_POLICY, "rules[0]");
    EXPECT_ERROR(guardrail_guard_new(NULL, 0, NULL, &guard, &err_), GUARDRAIL_STATUS_INVALID_POLICY, "");
    EXPECT_ERROR(guardrail_guard_new(NULL, 10, NULL, &guard, &err_), GUARDRAIL_STATUS_NULL_PARAMETER,
                 "`policy` is NULL but its length is 10");
    EXPECT_ERROR(guardrail_guard_new(U8("version: 1\n\xff"), 12, NULL, &guard, &err_),
                 GUARDRAIL_STATUS_INVALID_UTF8, "offset 11");
    /* sizeof counts the terminator: the classic length mismatch. */
    static const char with_nul[] = "version: 1\n";
    EXPECT_ERROR(guardrail_guard_new(U8(with_nul), sizeof with_nul, NULL, &guard, &err_),
                 GUARDRAIL_STATUS_INVALID_LENGTH, "strlen");
    EXPECT_ERROR(guardrail_guard_new(U8(POLICY), (size_t)GUARDRAIL_MAX_INPUT_BYTES + 1, NULL, &guard, &err_),
                 GUARDRAIL_STATUS_INPUT_TOO_LARGE, "limit");
    EXPECT_ERROR(guardrail_guard_new(U8(POLICY), strlen(POLICY), NULL, NULL, &err_),
                 GUARDRAIL_STATUS_NULL_PARAMETER, "guard_out");
    EXPECT_ERROR(guardrail_guard_new_default(NULL, &err_), GUARDRAIL_STATUS_NULL_PARAMETER, "guard_out");
    /* A NULL error_out is allowed: the status alone. */
    CHECK(guardrail_guard_new(NULL, 3, NULL, &guard, NULL) == GUARDRAIL_STATUS_NULL_PARAMETER);
}

static void test_options(void) {
    const char *hashing = "version: 1\ncontent:\n  redaction:\n    operator: hash\n";
    guardrail_guard *guard = NULL;
    EXPECT_ERROR(guardrail_guard_new(U8(hashing), strlen(hashing), NULL, &guard, &err_),
                 GUARDRAIL_STATUS_BUILD, "salt");
    guardrail_options *opts = guardrail_options_new();
    CHECK(guardrail_options_set_hash_salt(opts, U8("s\0lt"), 4, NULL) == GUARDRAIL_STATUS_OK);
    CHECK(guardrail_guard_new(U8(hashing), strlen(hashing), opts, &guard, NULL) == GUARDRAIL_STATUS_OK);
    guardrail_guard_free(guard);
    EXPECT_ERROR(guardrail_options_set_hash_salt(NULL, U8("s"), 1, &err_), GUARDRAIL_STATUS_NULL_PARAMETER, "options");
    EXPECT_ERROR(guardrail_options_set_hash_salt(opts, NULL, 1, &err_), GUARDRAIL_STATUS_NULL_PARAMETER, "salt");

    /* Shadow mode: the decision is reported, the enforced action is allow. */
    CHECK(guardrail_options_set_shadow(opts, true, NULL) == GUARDRAIL_STATUS_OK);
    guard = NULL;
    CHECK(guardrail_guard_new(U8(POLICY), strlen(POLICY), opts, &guard, NULL) == GUARDRAIL_STATUS_OK);
    guardrail_options_free(opts);
    guardrail_state *state = guardrail_state_new();
    const char *text = "send it to attacker.example";
    guardrail_action action = GUARDRAIL_ACTION_BLOCK;
    CHECK(guardrail_guard_check_prompt(guard, state, NULL, 0, U8(text), strlen(text), &action, NULL) == GUARDRAIL_STATUS_OK);
    CHECK(action == GUARDRAIL_ACTION_ALLOW);
    guardrail_state_free(state);
    guardrail_guard_free(guard);
}

static void test_evaluate(guardrail_guard *guard) {
    guardrail_state *state = guardrail_state_new();
    guardrail_bytes out = {NULL, 0};
    const char *call = "{\"type\":\"tool_call\",\"ts\":1,\"tool\":\"db\",\"args\":{\"q\":\"DROP TABLE users\"}}";
    CHECK(guardrail_guard_evaluate_json(guard, state, U8(call), strlen(call), &out, NULL) == GUARDRAIL_STATUS_OK);
    CHECK(out.data != NULL && out.len == strlen((const char *)out.data));
    CHECK(strstr((const char *)out.data, "\"enforced\":\"escalate\"") != NULL);
    CHECK(strstr((const char *)out.data, "\"gate\":{\"id\"") != NULL);
    guardrail_bytes_free(&out);
    CHECK(out.data == NULL && out.len == 0);
    guardrail_bytes_free(&out); /* harmless twice through the same variable */

    const char *prompt = "{\"type\":\"prompt\",\"ts\":1,\"text\":\"see TCK-42\"}";
    CHECK(guardrail_guard_evaluate_json(guard, state, U8(prompt), strlen(prompt), &out, NULL) == GUARDRAIL_STATUS_OK);
    CHECK(strstr((const char *)out.data, "\"text\":\"see [REDACTED:ticket]\"") != NULL);
    guardrail_bytes_free(&out);

    EXPECT_ERROR(guardrail_guard_evaluate_json(guard, state, U8("{\"type\":"), 8, &out, &err_),
                 GUARDRAIL_STATUS_INVALID_JSON, "malformed JSON");
    CHECK(out.data == NULL);
    const char *typo = "{\"type\":\"promt\",\"ts\":1,\"text\":\"x\"}";
    EXPECT_ERROR(guardrail_guard_evaluate_json(guard, state, U8(typo), strlen(typo), &out, &err_),
                 GUARDRAIL_STATUS_INVALID_EVENT, "did you mean `prompt`");
    EXPECT_ERROR(guardrail_guard_evaluate_json(guard, state, U8("[1,2]"), 5, &out, &err_),
                 GUARDRAIL_STATUS_INVALID_EVENT, "object");
    EXPECT_ERROR(guardrail_guard_evaluate_json(NULL, state, U8(call), strlen(call), &out, &err_),
                 GUARDRAIL_STATUS_NULL_PARAMETER, "`guard`");
    EXPECT_ERROR(guardrail_guard_evaluate_json(guard, NULL, U8(call), strlen(call), &out, &err_),
                 GUARDRAIL_STATUS_NULL_PARAMETER, "`state`");
    EXPECT_ERROR(guardrail_guard_evaluate_json(guard, state, U8(call), strlen(call), NULL, &err_),
                 GUARDRAIL_STATUS_NULL_PARAMETER, "decision_out");
    EXPECT_ERROR(guardrail_guard_evaluate_json(guard, state, U8(call), strlen(call) + 1, &out, &err_),
                 GUARDRAIL_STATUS_INVALID_LENGTH, "strlen");
    const char bad_utf8[] = "{\"type\":\"prompt\",\"ts\":1,\"text\":\"\xc3\x28\"}";
    EXPECT_ERROR(guardrail_guard_evaluate_json(guard, state, U8(bad_utf8), strlen(bad_utf8), &out, &err_),
                 GUARDRAIL_STATUS_INVALID_UTF8, "UTF-8");
    /* Deeply nested JSON is an error, not a stack overflow. */
    size_t depth = 100000;
    char *deep = malloc(depth);
    memset(deep, '[', depth);
    EXPECT_ERROR(guardrail_guard_evaluate_json(guard, state, U8(deep), depth, &out, &err_),
                 GUARDRAIL_STATUS_INVALID_JSON, "recursion");
    free(deep);

    /* Snapshot and restore keep the open gate. */
    guardrail_bytes snap = {NULL, 0};
    CHECK(guardrail_state_snapshot(state, &snap, NULL) == GUARDRAIL_STATUS_OK);
    CHECK(strstr((const char *)snap.data, "destructive SQL") != NULL);
    guardrail_state *restored = NULL;
    CHECK(guardrail_state_restore(snap.data, snap.len, &restored, NULL) == GUARDRAIL_STATUS_OK);
    guardrail_bytes again = {NULL, 0};
    CHECK(guardrail_state_snapshot(restored, &again, NULL) == GUARDRAIL_STATUS_OK);
    CHECK(again.len == snap.len && memcmp(again.data, snap.data, snap.len) == 0);
    guardrail_bytes_free(&again);
    guardrail_bytes_free(&snap);
    guardrail_state_free(restored);
    restored = NULL;
    EXPECT_ERROR(guardrail_state_restore(U8("{\"version\":1,\"nope\":0}"), 22, &restored, &err_),
                 GUARDRAIL_STATUS_INVALID_STATE, "nope");
    EXPECT_ERROR(guardrail_state_restore(U8("nope"), 4, &restored, &err_), GUARDRAIL_STATUS_INVALID_JSON, "malformed");
    CHECK(restored == NULL);
    EXPECT_ERROR(guardrail_state_snapshot(NULL, &snap, &err_), GUARDRAIL_STATUS_NULL_PARAMETER, "state");
    guardrail_state_free(state);
}

static void test_fast_paths(guardrail_guard *guard) {
    const char *text = "ticket TCK-77 and TCK-8";
    guardrail_findings *findings = NULL;
    CHECK(guardrail_guard_scan(guard, GUARDRAIL_CHANNEL_USER, U8(text), strlen(text), &findings, NULL) == GUARDRAIL_STATUS_OK);
    CHECK(guardrail_findings_len(findings) == 2);
    const guardrail_finding *items = guardrail_findings_items(findings);
    CHECK(items != NULL && strcmp(items[0].rule, "custom.ticket") == 0);
    CHECK(items != NULL && strcmp(items[0].category, "internal") == 0);
    CHECK(items != NULL && items[0].has_span && items[0].end - items[0].start == 6 &&
          memcmp(text + items[0].start, "TCK-77", 6) == 0);
    CHECK(items != NULL && items[1].action == GUARDRAIL_ACTION_REDACT && items[1].layer == GUARDRAIL_LAYER_CONTENT);
    guardrail_findings_free(findings);

    findings = (guardrail_findings *)&findings;
    CHECK(guardrail_guard_scan(guard, GUARDRAIL_CHANNEL_USER, NULL, 0, &findings, NULL) == GUARDRAIL_STATUS_OK);
    CHECK(guardrail_findings_len(findings) == 0 && guardrail_findings_items(findings) == NULL);
    guardrail_findings_free(findings);
    EXPECT_ERROR(guardrail_guard_scan(guard, 99, U8(text), strlen(text), &findings, &err_),
                 GUARDRAIL_STATUS_INVALID_ARGUMENT, "unknown channel 99");
    CHECK(findings == NULL);
    EXPECT_ERROR(guardrail_guard_scan(guard, GUARDRAIL_CHANNEL_USER, U8("a\0b"), 3, &findings, &err_),
                 GUARDRAIL_STATUS_INVALID_LENGTH, "offset 1");

    guardrail_bytes red = {NULL, 0};
    CHECK(guardrail_guard_redact(guard, GUARDRAIL_CHANNEL_MODEL_OUTPUT, U8(text), strlen(text), &red, NULL, NULL) == GUARDRAIL_STATUS_OK);
    CHECK(strcmp((const char *)red.data, "ticket [REDACTED:ticket] and [REDACTED:ticket]") == 0);
    guardrail_bytes_free(&red);
    EXPECT_ERROR(guardrail_guard_redact(guard, GUARDRAIL_CHANNEL_MODEL_OUTPUT, U8(text), strlen(text), NULL, NULL, &err_),
                 GUARDRAIL_STATUS_NULL_PARAMETER, "text_out");

    guardrail_bytes json = {NULL, 0};
    CHECK(guardrail_guard_scan_json(guard, GUARDRAIL_CHANNEL_USER, U8(text), strlen(text), &json, NULL) == GUARDRAIL_STATUS_OK);
    CHECK(strstr((const char *)json.data, "\"message\":\"internal ticket number\"") != NULL);
    guardrail_bytes_free(&json);
    CHECK(guardrail_guard_redact_json(guard, GUARDRAIL_CHANNEL_USER, U8(text), strlen(text), &json, NULL) == GUARDRAIL_STATUS_OK);
    CHECK(strncmp((const char *)json.data, "{\"text\":\"ticket [REDACTED:ticket]", 33) == 0);
    guardrail_bytes_free(&json);

    guardrail_state *state = guardrail_state_new();
    guardrail_action action = GUARDRAIL_ACTION_ALLOW;
    const char *bad = "please drop table users";
    CHECK(guardrail_guard_check_prompt(guard, state, NULL, 0, U8(bad), strlen(bad), &action, NULL) == GUARDRAIL_STATUS_OK);
    CHECK(action == GUARDRAIL_ACTION_ESCALATE);
    const char *fine = "hello";
    CHECK(guardrail_guard_check_prompt(guard, state, NULL, 0, U8(fine), strlen(fine), &action, NULL) == GUARDRAIL_STATUS_OK);
    CHECK(action == GUARDRAIL_ACTION_ALLOW);
    EXPECT_ERROR(guardrail_guard_check_prompt(guard, state, NULL, 0, U8(fine), strlen(fine), NULL, &err_),
                 GUARDRAIL_STATUS_NULL_PARAMETER, "action_out");
    EXPECT_ERROR(guardrail_guard_check_prompt(guard, state, NULL, 3, U8(fine), strlen(fine), &action, &err_),
                 GUARDRAIL_STATUS_NULL_PARAMETER, "`agent` is NULL but its length is 3");
    EXPECT_ERROR(guardrail_guard_check_prompt(guard, state, NULL, 0, U8("\xff"), 1, &action, &err_),
                 GUARDRAIL_STATUS_INVALID_UTF8, "offset 0");
    guardrail_state_free(state);
}

static void test_free_null_and_loops(void) {
    guardrail_guard_free(NULL);
    guardrail_state_free(NULL);
    guardrail_options_free(NULL);
    guardrail_findings_free(NULL);
    guardrail_error_free(NULL);
    guardrail_bytes_free(NULL);
    CHECK(guardrail_findings_len(NULL) == 0);
    CHECK(strcmp(guardrail_error_message(NULL), "") == 0);
    CHECK(strcmp(guardrail_guard_policy_hash(NULL), "") == 0);
    for (int i = 0; i < 20; i++) {
        guardrail_guard *g = NULL;
        CHECK(guardrail_guard_new_default(&g, NULL) == GUARDRAIL_STATUS_OK);
        CHECK(strncmp(guardrail_guard_policy_hash(g), "sha256:", 7) == 0);
        guardrail_guard_free(g);
    }
}

struct worker {
    guardrail_guard *guard;
    guardrail_state *state;
    int escalations;
    int errors;
};

static void *work(void *arg) {
    struct worker *w = arg;
    const char *call = "{\"type\":\"tool_call\",\"ts\":1,\"tool\":\"db\",\"args\":{\"q\":\"drop table t\"}}";
    const char *text = "TCK-1 TCK-2";
    for (int i = 0; i < 25; i++) {
        guardrail_bytes out = {NULL, 0};
        if (guardrail_guard_evaluate_json(w->guard, w->state, U8(call), strlen(call), &out, NULL) != GUARDRAIL_STATUS_OK)
            w->errors++;
        else if (strstr((const char *)out.data, "\"enforced\":\"escalate\""))
            w->escalations++;
        guardrail_bytes_free(&out);
        guardrail_findings *f = NULL;
        if (guardrail_guard_scan(w->guard, GUARDRAIL_CHANNEL_TOOL_OUTPUT, U8(text), strlen(text), &f, NULL) != GUARDRAIL_STATUS_OK ||
            guardrail_findings_len(f) != 2)
            w->errors++;
        guardrail_findings_free(f);
    }
    return NULL;
}

static void test_threads(guardrail_guard *guard) {
    enum { THREADS = 4 };
    guardrail_state *state = guardrail_state_new();
    pthread_t threads[THREADS];
    struct worker workers[THREADS];
    for (int i = 0; i < THREADS; i++) {
        workers[i] = (struct worker){guard, state, 0, 0};
        pthread_create(&threads[i], NULL, work, &workers[i]);
    }
    int escalations = 0, errors = 0;
    for (int i = 0; i < THREADS; i++) {
        pthread_join(threads[i], NULL);
        escalations += workers[i].escalations;
        errors += workers[i].errors;
    }
    CHECK(errors == 0);
    CHECK(escalations == THREADS * 25);
    /* Every escalation opened its own gate in the shared state. */
    guardrail_bytes snap = {NULL, 0};
    CHECK(guardrail_state_snapshot(state, &snap, NULL) == GUARDRAIL_STATUS_OK);
    int gates = 0;
    /* Count pending gates by a key only they carry (other layers store fingerprints too). */
    for (const char *p = (const char *)snap.data; (p = strstr(p, "\"expires_at\"")) != NULL; p++) gates++;
    CHECK(gates == THREADS * 25);
    guardrail_bytes_free(&snap);
    guardrail_state_free(state);
}

/* A streamed output: the token split across chunks is found once and never shown; the guard
 * may be freed before the stream; bad input and use after finish are errors. */
/* A host classifier: flags texts containing "idiot" as toxicity 0.95 and counts its calls;
 * it also reports bad scores, which guardrail_scores_add refuses without dropping the rest. */
struct toxicity_model {
    int calls;
    int refused;
};

static void classify_toxicity(void *user_data, const uint8_t *text, size_t text_len, uint32_t channel,
                              guardrail_scores *scores) {
    struct toxicity_model *model = user_data;
    model->calls++;
    char copy[256];
    snprintf(copy, sizeof copy, "%.*s", (int)text_len, (const char *)text);
    float score = strstr(copy, "idiot") != NULL ? 0.95f : 0.05f;
    if (channel == GUARDRAIL_CHANNEL_USER || channel == GUARDRAIL_CHANNEL_MODEL_OUTPUT) {
        guardrail_scores_add(scores, U8("toxicity"), 8, score, NULL);
    }
    model->refused += guardrail_scores_add(scores, U8("toxicity"), 8, 1.5f, NULL) == GUARDRAIL_STATUS_INVALID_ARGUMENT;
    model->refused += guardrail_scores_add(scores, U8("toxicity"), 8, NAN, NULL) == GUARDRAIL_STATUS_INVALID_ARGUMENT;
    model->refused += guardrail_scores_add(scores, U8(""), 0, 0.5f, NULL) == GUARDRAIL_STATUS_INVALID_ARGUMENT;
    model->refused += guardrail_scores_add(scores, U8("\xff"), 1, 0.5f, NULL) == GUARDRAIL_STATUS_INVALID_UTF8;
    model->refused += guardrail_scores_add(scores, NULL, 3, 0.5f, NULL) == GUARDRAIL_STATUS_NULL_PARAMETER;
    model->refused += guardrail_scores_add(NULL, U8("toxicity"), 8, 0.5f, NULL) == GUARDRAIL_STATUS_NULL_PARAMETER;
}

static void test_classifier(void) {
    const char *policy =
        "version: 1\n"
        "content:\n"
        "  safety:\n"
        "    categories:\n"
        "      toxicity: {action: block, threshold: 0.9}\n";
    struct toxicity_model model = {0, 0};
    guardrail_options *opts = guardrail_options_new();
    EXPECT_ERROR(guardrail_options_add_classifier(opts, NULL, &model, &err_), GUARDRAIL_STATUS_NULL_PARAMETER, "classify");
    EXPECT_ERROR(guardrail_options_add_classifier(NULL, classify_toxicity, &model, &err_), GUARDRAIL_STATUS_NULL_PARAMETER,
                 "options");
    CHECK(guardrail_options_add_classifier(opts, classify_toxicity, &model, NULL) == GUARDRAIL_STATUS_OK);
    guardrail_guard *guard = NULL;
    CHECK(guardrail_guard_new(U8(policy), strlen(policy), opts, &guard, NULL) == GUARDRAIL_STATUS_OK);
    guardrail_options_free(opts); /* the guard keeps the callback, not the options */

    guardrail_findings *findings = NULL;
    const char *rude = "you idiot";
    CHECK(guardrail_guard_scan(guard, GUARDRAIL_CHANNEL_USER, U8(rude), strlen(rude), &findings, NULL) == GUARDRAIL_STATUS_OK);
    CHECK(guardrail_findings_len(findings) == 1);
    const guardrail_finding *items = guardrail_findings_items(findings);
    CHECK(items != NULL && strcmp(items[0].rule, "safety.toxicity") == 0 && items[0].action == GUARDRAIL_ACTION_BLOCK);
    guardrail_findings_free(findings);

    const char *kind = "thanks a lot";
    CHECK(guardrail_guard_scan(guard, GUARDRAIL_CHANNEL_USER, U8(kind), strlen(kind), &findings, NULL) == GUARDRAIL_STATUS_OK);
    CHECK(guardrail_findings_len(findings) == 0);
    guardrail_findings_free(findings);

    guardrail_state *state = guardrail_state_new();
    guardrail_action action = GUARDRAIL_ACTION_ALLOW;
    CHECK(guardrail_guard_check_prompt(guard, state, NULL, 0, U8(rude), strlen(rude), &action, NULL) == GUARDRAIL_STATUS_OK);
    CHECK(action == GUARDRAIL_ACTION_BLOCK);
    guardrail_state_free(state);
    guardrail_guard_free(guard);
    CHECK(model.calls == 3);
    CHECK(model.refused == 6 * model.calls);
}

static void test_stream(void) {
    guardrail_guard *guard = NULL;
    CHECK(guardrail_guard_new_default(&guard, NULL) == GUARDRAIL_STATUS_OK);
    guardrail_stream *stream = NULL;
    EXPECT_ERROR(guardrail_stream_new(guard, 99, &stream, &err_), GUARDRAIL_STATUS_INVALID_ARGUMENT, "channel");
    CHECK(stream == NULL);
    EXPECT_ERROR(guardrail_stream_new(NULL, GUARDRAIL_CHANNEL_MODEL_OUTPUT, &stream, &err_),
                 GUARDRAIL_STATUS_NULL_PARAMETER, "guard");
    CHECK(guardrail_stream_new(guard, GUARDRAIL_CHANNEL_MODEL_OUTPUT, &stream, NULL) == GUARDRAIL_STATUS_OK);
    guardrail_guard_free(guard); /* the stream keeps its own reference */

    const char *chunks[] = {"Use the token ghp_Zq8vL2mXw9", "Rt4pKeB7nY3cD5fG1hJ", "6sA0uQe to push."};
    char shown[256] = "";
    guardrail_bytes json = {NULL, 0};
    for (size_t i = 0; i < 3; i++) {
        CHECK(guardrail_stream_push_json(stream, U8(chunks[i]), strlen(chunks[i]), &json, NULL) == GUARDRAIL_STATUS_OK);
        CHECK(strstr((const char *)json.data, "ghp_") == NULL);
        guardrail_bytes_free(&json);
    }
    EXPECT_ERROR(guardrail_stream_push_json(stream, U8("\xc3"), 1, &json, &err_), GUARDRAIL_STATUS_INVALID_UTF8, "chunk");
    EXPECT_ERROR(guardrail_stream_push_json(stream, NULL, 4, &json, &err_), GUARDRAIL_STATUS_NULL_PARAMETER, "chunk");
    EXPECT_ERROR(guardrail_stream_push_json(NULL, U8("x"), 1, &json, &err_), GUARDRAIL_STATUS_NULL_PARAMETER, "stream");
    EXPECT_ERROR(guardrail_stream_push_json(stream, U8("x"), 1, NULL, &err_), GUARDRAIL_STATUS_NULL_PARAMETER, "answer_out");
    CHECK(guardrail_stream_finish_json(stream, &json, NULL) == GUARDRAIL_STATUS_OK);
    snprintf(shown, sizeof shown, "%s", (const char *)json.data);
    CHECK(strstr(shown, "\"text\":\"Use the token [REDACTED:github_pat] to push.\"") != NULL);
    CHECK(strstr(shown, "\"rule\":\"secrets.github_pat\"") != NULL);
    CHECK(strstr(shown, "\"action\":\"redact\"") != NULL);
    guardrail_bytes_free(&json);
    EXPECT_ERROR(guardrail_stream_push_json(stream, U8("x"), 1, &json, &err_), GUARDRAIL_STATUS_INVALID_ARGUMENT, "finished");
    EXPECT_ERROR(guardrail_stream_finish_json(stream, &json, &err_), GUARDRAIL_STATUS_INVALID_ARGUMENT, "finished");
    CHECK(json.data == NULL);
    guardrail_stream_free(stream);
    guardrail_stream_free(NULL);
}

int main(void) {
    guardrail_guard *guard = make_guard();
    test_version();
    test_bad_policies();
    test_options();
    test_evaluate(guard);
    test_fast_paths(guard);
    test_free_null_and_loops();
    test_threads(guard);
    test_stream();
    test_classifier();
    guardrail_guard_free(guard);
    printf("%d passed, %d failed\n", passed, failed);
    return failed == 0 ? 0 : 1;
}
