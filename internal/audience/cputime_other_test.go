//go:build !unix

package audience

import "time"

// processCPU is not measured here.
func processCPU() time.Duration { return 0 }
