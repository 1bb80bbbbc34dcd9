package guardrail_test

import (
	"fmt"

	guardrail "github.com/guardrail-dev/guardrail/go"
)

func Example() {
	guard, err := guardrail.New([]byte(`
version: 1
rules:
  - id: schema_change
    keywords: [alter table]
    action: escalate
    message: schema changes need a database owner
`))
	if err != nil {
		panic(err)
	}
	defer guard.Close()
	state := guardrail.NewState()
	defer state.Close()

	d, err := guard.Evaluate(state, guardrail.ToolCall("sql", map[string]any{"query": "ALTER TABLE t ADD c int"}))
	if err != nil {
		panic(err)
	}
	fmt.Println(d.Enforced, d.Findings[0].Rule, d.Gate != nil)
	// Output: escalate custom.schema_change true
}
