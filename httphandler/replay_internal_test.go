package httphandler

import (
	"fmt"
	"runtime"
	"testing"
	"time"
)

func liveHeap() uint64 {
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapAlloc
}

// TestReplayCache_ForgetsExpiredSignatures: a signature is refused again within its
// window, accepted as new after it (it was purged), and the cache does not grow past
// the signatures still inside the window.
func TestReplayCache_ForgetsExpiredSignatures(t *testing.T) {
	c := &replayCache{seen: map[string]time.Time{}}
	now := time.Date(2026, 6, 1, 12, 0, 0, 0, time.UTC)
	if !c.firstUse("k:a", now.Add(signatureWindow), now) || c.firstUse("k:a", now.Add(signatureWindow), now.Add(time.Minute)) {
		t.Fatal("a signature must be accepted once within its window")
	}
	for i := range 1000 {
		c.firstUse(fmt.Sprint("k:", i), now.Add(signatureWindow), now)
	}
	later := now.Add(2 * signatureWindow)
	if !c.firstUse("k:fresh", later.Add(signatureWindow), later) {
		t.Fatal("a new signature refused")
	}
	if n := len(c.seen); n != 1 {
		t.Fatalf("%d signatures kept after their window passed, want 1", n)
	}
}

// BenchmarkReplayCacheHeap reports the live heap each remembered signature costs (the
// cache holds every signed request of the last 5 minutes).
func BenchmarkReplayCacheHeap(b *testing.B) {
	c := &replayCache{seen: map[string]time.Time{}}
	now := time.Now()
	before := liveHeap()
	for i := 0; b.Loop(); i++ {
		c.firstUse(fmt.Sprintf("key_%024d:%064x", i, i), now.Add(signatureWindow), now)
	}
	b.ReportMetric(float64(liveHeap()-before)/float64(b.N), "heap-B/signature")
	runtime.KeepAlive(c)
}
