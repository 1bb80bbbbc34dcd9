module github.com/guardrail-dev/guardrail/go

go 1.24
