// Package leakcheck detects file descriptors and goroutines that a test left
// behind.
//
// A test takes a Snapshot before it starts anything and checks it at the end:
//
//	func TestSomething(t *testing.T) {
//		t.Cleanup(leakcheck.Verify(t)) // register first: cleanups run last-in first-out
//		peer := testpeer.Start(t, "tcp4", testpeer.Echo())
//		...
//	}
//
// Registering the check as the first cleanup makes it run after every cleanup
// registered later (listeners, peers, clients), so their resources are already
// released when it counts. A deferred check would run before those cleanups and
// report them as leaks.
//
// The counts are process-wide, so the package cannot tell one test's leak from
// another's: do not use it in tests that call t.Parallel.
package leakcheck
