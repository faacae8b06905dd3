//go:build !linux

package projections

func growHuge(n, held int64) (start, size uintptr) { return 0, 0 }

func endHuge(start, size uintptr) {}
