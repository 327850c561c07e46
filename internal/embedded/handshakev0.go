package embedded

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"regexp"
	"time"

	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// probeTimeout bounds the ApiVersions exchange Start has with its own
// cluster; it takes well under a millisecond.
const probeTimeout = 10 * time.Second

// probeVersion is the ApiVersions version of the probe: the first flexible
// one, which carries the feature lists too. Versions 4 and 5 add nothing to
// the response.
const probeVersion = 3

// advertiseHandshakeV0 installs AdvertiseSaslHandshakeV0's ApiVersions
// control on fake, from kfake's own answer read through ln.
func advertiseHandshakeV0(fake *kfake.Cluster, ln *trackedListener) error {
	if ln == nil {
		return errors.New("advertise SaslHandshake v0: the cluster has no listener")
	}
	own, err := probeApiVersions(ln)
	if err != nil {
		return fmt.Errorf("advertise SaslHandshake v0: asking the cluster for its ApiVersions: %w", err)
	}
	w, err := newWidened(own)
	if err != nil {
		return fmt.Errorf("advertise SaslHandshake v0: %w", err)
	}
	fake.ControlKey(kmsg.ApiVersions.Int16(), func(r kmsg.Request) (kmsg.Response, error, bool) {
		resp, ok := w.answer(r.(*kmsg.ApiVersionsRequest))
		if !ok {
			return nil, nil, false // kfake answers; the control stays
		}
		fake.KeepControl()
		return resp, nil, true
	})
	return nil
}

// probeApiVersions sends one ApiVersions request to the cluster over an
// in-memory connection injected into ln (so it needs neither TLS nor SASL)
// and returns kfake's response.
func probeApiVersions(ln *trackedListener) (*kmsg.ApiVersionsResponse, error) {
	client, server := net.Pipe()
	defer client.Close() // kfake reads EOF and closes its end
	ln.inject(server)
	if err := client.SetDeadline(time.Now().Add(probeTimeout)); err != nil {
		return nil, err
	}
	req := kmsg.NewPtrApiVersionsRequest()
	req.Version = probeVersion
	req.ClientSoftwareName, req.ClientSoftwareVersion = "kafkaio-embedded", "1"
	const correlationID = 1
	frame := kmsg.NewRequestFormatter(kmsg.FormatterClientID("kafkaio-embedded")).AppendRequest(nil, req, correlationID)
	if _, err := client.Write(frame); err != nil {
		return nil, err
	}
	var size [4]byte
	if _, err := io.ReadFull(client, size[:]); err != nil {
		return nil, err
	}
	n := binary.BigEndian.Uint32(size[:])
	if n < 4 || n > 1<<20 {
		return nil, fmt.Errorf("response size %d", n)
	}
	body := make([]byte, n)
	if _, err := io.ReadFull(client, body); err != nil {
		return nil, err
	}
	if got := int32(binary.BigEndian.Uint32(body)); got != correlationID {
		return nil, fmt.Errorf("correlation id %d, want %d", got, correlationID)
	}
	resp := req.ResponseKind().(*kmsg.ApiVersionsResponse)
	if err := resp.ReadFrom(body[4:]); err != nil { // ApiVersions responses have header v0
		return nil, err
	}
	if resp.ErrorCode != 0 {
		return nil, fmt.Errorf("error code %d", resp.ErrorCode)
	}
	return resp, nil
}

// widened is kfake's ApiVersions answer with SaslHandshake from version 0.
type widened struct {
	own        *kmsg.ApiVersionsResponse
	maxVersion int16 // the highest ApiVersions version kfake serves
}

func newWidened(own *kmsg.ApiVersionsResponse) (*widened, error) {
	w := &widened{own: own, maxVersion: -1}
	found := false
	for i := range own.ApiKeys {
		switch k := &own.ApiKeys[i]; k.ApiKey {
		case kmsg.SASLHandshake.Int16():
			k.MinVersion, found = 0, true
		case kmsg.ApiVersions.Int16():
			w.maxVersion = k.MaxVersion
		}
	}
	if !found {
		return nil, errors.New("kfake does not advertise SaslHandshake")
	}
	if w.maxVersion < probeVersion {
		return nil, fmt.Errorf("kfake serves ApiVersions up to v%d only", w.maxVersion)
	}
	return w, nil
}

// answer returns the widened response for req, or false for the requests
// kfake must answer itself (see AdvertiseSaslHandshakeV0).
func (w *widened) answer(req *kmsg.ApiVersionsRequest) (*kmsg.ApiVersionsResponse, bool) {
	if req.Version < 0 || req.Version > w.maxVersion {
		return nil, false
	}
	if req.Version >= 3 && (!validSoftware.MatchString(req.ClientSoftwareName) ||
		!validSoftware.MatchString(req.ClientSoftwareVersion)) {
		return nil, false
	}
	if req.Version >= 5 && (req.ClusterID != nil || req.NodeID != -1) {
		return nil, false
	}
	resp := req.ResponseKind().(*kmsg.ApiVersionsResponse)
	resp.ApiKeys = append([]kmsg.ApiVersionsResponseApiKey(nil), w.own.ApiKeys...)
	resp.SupportedFeatures = append([]kmsg.ApiVersionsResponseSupportedFeature(nil), w.own.SupportedFeatures...)
	resp.FinalizedFeatures = append([]kmsg.ApiVersionsResponseFinalizedFeature(nil), w.own.FinalizedFeatures...)
	resp.FinalizedFeaturesEpoch = w.own.FinalizedFeaturesEpoch
	resp.ZkMigrationReady = w.own.ZkMigrationReady
	return resp, true
}

// validSoftware is the pattern a broker checks ApiVersions v3's client
// software name and version against.
var validSoftware = regexp.MustCompile(`^[a-zA-Z0-9](?:[a-zA-Z0-9\-.]*[a-zA-Z0-9])?$`)
