package integration

import (
	"slices"
	"testing"

	"github.com/kafkaio/kafkaio/internal/kafkatest"
	"github.com/kafkaio/kafkaio/internal/leakcheck"
)

// Metadata on a 3-broker cluster, then a kafkaio connection to every broker
// it lists, each answering ApiVersions on its own connection.
func TestMetadataThenEveryBroker(t *testing.T) {
	t.Cleanup(leakcheck.Verify(t)) // first, so it runs after every other cleanup
	bootstrap := kafkatest.Brokers(t, 3)
	md := dial(t, bootstrap[0]).metadata(nil)
	if len(md.Brokers) < 3 {
		t.Fatalf("Metadata lists %d brokers, want at least 3: %+v", len(md.Brokers), md.Brokers)
	}
	seen := map[int32]bool{}
	var listed []string
	for _, b := range md.Brokers {
		if seen[b.NodeID] {
			t.Fatalf("node id %d listed twice: %+v", b.NodeID, md.Brokers)
		}
		seen[b.NodeID] = true
		addr := brokerAddr(b)
		listed = append(listed, addr)
		checkApiVersions(t, dial(t, addr).apiVersions(3), 3)
	}
	if !seen[md.ControllerID] {
		t.Errorf("controller %d is not among the listed brokers", md.ControllerID)
	}
	// The embedded cluster's bootstrap list is exactly its brokers; a real
	// cluster may advertise other names than the ones used to reach it.
	if kafkatest.RealBrokers() == nil {
		slices.Sort(listed)
		slices.Sort(bootstrap)
		if !slices.Equal(listed, bootstrap) {
			t.Errorf("Metadata lists %q, the cluster listens on %q", listed, bootstrap)
		}
	}
}
