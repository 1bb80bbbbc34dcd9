module github.com/guardrail-dev/guardrail/examples/go

go 1.24

require github.com/guardrail-dev/guardrail/go v0.0.0

replace github.com/guardrail-dev/guardrail/go => ../../go
