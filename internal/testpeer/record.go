package testpeer

import "sync"

// recorder keeps every byte the peer's reading steps received, across all
// connections, in the order the reads completed.
type recorder struct {
	mu    sync.Mutex
	bytes []byte
	count int64
}

// add counts b and, when keep is set, stores a copy of it.
func (r *recorder) add(b []byte, keep bool) {
	if len(b) == 0 {
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	r.count += int64(len(b))
	if keep {
		r.bytes = append(r.bytes, b...)
	}
}

func (r *recorder) snapshot() []byte {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]byte(nil), r.bytes...)
}

func (r *recorder) total() int64 {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.count
}
