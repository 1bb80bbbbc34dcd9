package guardrail

import (
	"runtime"
	"time"
)

// runtimeGC runs the collector and gives cleanups a moment to run.
func runtimeGC() {
	for i := 0; i < 3; i++ {
		runtime.GC()
		time.Sleep(10 * time.Millisecond)
	}
}
