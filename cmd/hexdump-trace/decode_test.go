package main

import (
	"bytes"
	"fmt"
	"maps"
	"math/rand/v2"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/twmb/franz-go/pkg/kmsg"
)

// everyMessage calls fn for each request and response kmsg knows, at every
// version.
func everyMessage(t *testing.T, fn func(t *testing.T, key, version int16, request bool)) {
	keys := 0
	for key := range int16(1000) {
		r := kmsg.RequestForKey(key)
		if r == nil {
			continue
		}
		keys++
		for v := range r.MaxVersion() + 1 {
			for _, request := range []bool{true, false} {
				fn(t, key, v, request)
			}
		}
	}
	if keys < 90 {
		t.Fatalf("only %d api keys: kmsg.RequestForKey changed?", keys)
	}
}

func kind(request bool) string {
	if request {
		return "request"
	}
	return "response"
}

// TestSchemaRoundTripsEveryMessage encodes every request and response kmsg
// knows, at every version, with kmsg: first its defaults, then values
// chosen at random (nested arrays and structs filled, tagged fields set),
// and decodes the bytes with the decoder. It must consume every byte with
// no problem, and every value it reads must be what kmsg's own decoder reads
// from the same bytes.
func TestSchemaRoundTripsEveryMessage(t *testing.T) {
	messages, tagged := 0, 0
	unseen := map[string]bool{}
	everyMessage(t, func(t *testing.T, key, version int16, request bool) {
		name := fmt.Sprintf("%s v%d %s", apiName(key), version, kind(request))
		s, err := schemaFor(key, version, request)
		if err != nil {
			t.Errorf("%s: %v", name, err)
			return
		}
		rng := rand.New(rand.NewPCG(uint64(key), uint64(version)))
		want := map[string]bool{}
		taggedFields(s.body, name+": ", want)
		defer func() {
			for k := range want {
				unseen[k] = true
			}
		}()
		for round := range 6 {
			m := newMessage(key, request)
			unwrap(m).(probeMessageT).SetVersion(version)
			if round > 0 {
				fill(rng, reflect.ValueOf(unwrap(m)).Elem(), 0)
				unwrap(m).(probeMessageT).SetVersion(version)
			}
			enc := encode(m)
			got := decodeBody(s, enc, 0)
			if len(got.problems) > 0 {
				t.Errorf("%s round %d: %v\n% x", name, round, got.problems, enc)
				return
			}
			kdec := newMessage(key, request)
			unwrap(kdec).(probeMessageT).SetVersion(version)
			if err := unwrap(kdec).(interface{ ReadFrom([]byte) error }).ReadFrom(enc); err != nil {
				t.Fatalf("%s: kmsg cannot read its own encoding: %v", name, err)
			}
			if diff := compareNode(got.body, reflect.ValueOf(unwrap(kdec)).Elem(), "body"); diff != "" {
				t.Errorf("%s round %d: %s", name, round, diff)
				return
			}
			messages++
			tagged += countNodes(got.body, func(n *node) bool { return n.tag >= 0 })
			seenTagged(got.body, name+": ", want)
		}
	})
	t.Logf("%d encodings decoded, %d tagged fields among them", messages, tagged)
	if len(unseen) > 0 {
		t.Errorf("%d tagged fields in the schemas were never decoded, such as %v", len(unseen), slices.Sorted(maps.Keys(unseen))[:min(5, len(unseen))])
	}
}

// taggedFields lists the tagged fields of a schema, nested ones included.
func taggedFields(s *structSchema, prefix string, into map[string]bool) {
	for _, f := range s.fields {
		walkTagged(f, prefix, into)
	}
	for _, f := range s.tagged {
		into[prefix+f.name] = true
		walkTagged(f, prefix, into)
	}
}

func walkTagged(f *fieldSchema, prefix string, into map[string]bool) {
	switch {
	case f.sub != nil:
		taggedFields(f.sub, prefix+f.name+".", into)
	case f.elem != nil && f.elem.sub != nil:
		taggedFields(f.elem.sub, prefix+f.name+".", into)
	}
}

func seenTagged(n *node, prefix string, into map[string]bool) {
	for _, c := range n.children {
		p := prefix
		if c.name != "" {
			if c.tag >= 0 {
				delete(into, prefix+c.name)
			}
			p = prefix + c.name + "."
		}
		seenTagged(c, p, into)
	}
}

func countNodes(n *node, pred func(*node) bool) int {
	c := 0
	if pred(n) {
		c++
	}
	for _, ch := range n.children {
		c += countNodes(ch, pred)
	}
	return c
}

// fill sets every exported field of a struct to a random value.
func fill(rng *rand.Rand, v reflect.Value, depth int) {
	for i := range v.NumField() {
		sf := v.Type().Field(i)
		if !sf.IsExported() || sf.Type == tagsType {
			continue
		}
		fillValue(rng, v.Field(i), depth)
	}
}

func fillValue(rng *rand.Rand, f reflect.Value, depth int) {
	switch f.Kind() {
	case reflect.Bool:
		f.SetBool(rng.IntN(2) == 1)
	case reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		f.SetInt(int64(rng.Uint64()) >> (64 - f.Type().Bits()))
	case reflect.Uint16, reflect.Uint32:
		f.SetUint(rng.Uint64() >> (64 - f.Type().Bits()))
	case reflect.Float64:
		f.SetFloat(rng.NormFloat64())
	case reflect.Array:
		for j := range f.Len() {
			f.Index(j).SetUint(uint64(rng.IntN(256)))
		}
	case reflect.String:
		f.SetString(randomString(rng))
	case reflect.Pointer:
		if rng.IntN(4) == 0 {
			f.Set(reflect.Zero(f.Type()))
			return
		}
		p := reflect.New(f.Type().Elem())
		if p.Elem().Kind() == reflect.Struct {
			callDefault(p.Elem())
		}
		fillValue(rng, p.Elem(), depth+1)
		f.Set(p)
	case reflect.Slice:
		if rng.IntN(5) == 0 {
			f.Set(reflect.Zero(f.Type()))
			return
		}
		n := 1 + rng.IntN(2)
		if depth > 4 {
			n = 0
		}
		s := reflect.MakeSlice(f.Type(), n, n)
		for j := range n {
			if s.Index(j).Kind() == reflect.Struct {
				callDefault(s.Index(j))
			}
			fillValue(rng, s.Index(j), depth+1)
		}
		f.Set(s)
	case reflect.Struct:
		fill(rng, f, depth+1)
	}
}

func randomString(rng *rand.Rand) string {
	const letters = "abcdefghijklmnopqrstuvwxyz-._"
	b := make([]byte, rng.IntN(8))
	for i := range b {
		b[i] = letters[rng.IntN(len(letters))]
	}
	return string(b)
}

// compareNode checks a decoded node against the value kmsg decoded.
func compareNode(n *node, v reflect.Value, path string) string {
	if n.field != nil && n.field.kind != n.kind {
		return path + ": kind differs from its field"
	}
	switch n.kind {
	case wStruct, wNullableStruct:
		if v.Kind() == reflect.Pointer {
			if n.null != v.IsNil() {
				return fmt.Sprintf("%s: null %v, kmsg nil %v", path, n.null, v.IsNil())
			}
			if n.null {
				return ""
			}
			v = v.Elem()
		}
		for _, c := range n.children {
			if c.unknownTag {
				return fmt.Sprintf("%s: unknown tag %d", path, c.tag)
			}
			if d := compareNode(c, v.Field(c.field.index), path+"."+c.name); d != "" {
				return d
			}
		}
	case wArray:
		if len(n.children) != v.Len() {
			return fmt.Sprintf("%s: %d elements, kmsg %d", path, len(n.children), v.Len())
		}
		for i, c := range n.children {
			if d := compareNode(c, v.Index(i), fmt.Sprintf("%s[%d]", path, i)); d != "" {
				return d
			}
		}
	case wBool:
		if (n.num == 1) != v.Bool() {
			return fmt.Sprintf("%s: %v, kmsg %v", path, n.num == 1, v.Bool())
		}
	case wInt8, wInt16, wInt32, wInt64:
		if n.num != v.Int() {
			return fmt.Sprintf("%s: %d, kmsg %d", path, n.num, v.Int())
		}
	case wUint16, wUint32:
		if n.unum != v.Uint() {
			return fmt.Sprintf("%s: %d, kmsg %d", path, n.unum, v.Uint())
		}
	case wFloat64:
		if n.flt != v.Float() {
			return fmt.Sprintf("%s: %v, kmsg %v", path, n.flt, v.Float())
		}
	case wUUID:
		want := make([]byte, 16)
		reflect.Copy(reflect.ValueOf(want), v)
		if !bytes.Equal(n.raw, want) {
			return fmt.Sprintf("%s: % x, kmsg % x", path, n.raw, want)
		}
	case wString:
		if v.Kind() == reflect.Pointer {
			if n.null != v.IsNil() {
				return fmt.Sprintf("%s: null %v, kmsg nil %v", path, n.null, v.IsNil())
			}
			if n.null {
				return ""
			}
			v = v.Elem()
		}
		if n.str != v.String() {
			return fmt.Sprintf("%s: %q, kmsg %q", path, n.str, v.String())
		}
	case wBytes:
		if !bytes.Equal(n.raw, v.Bytes()) || n.null && v.Len() != 0 {
			return fmt.Sprintf("%s: % x (null %v), kmsg % x", path, n.raw, n.null, v.Bytes())
		}
	default:
		return path + ": unexpected kind"
	}
	return ""
}

// TestDecodeStopsWithOffsetAndReason cuts a Metadata v12 response short and
// corrupts a count, and expects the decoder to say where and why it stopped.
func TestDecodeStopsWithOffsetAndReason(t *testing.T) {
	resp := kmsg.NewPtrMetadataResponse()
	resp.SetVersion(12)
	topic := kmsg.NewMetadataResponseTopic()
	topic.Topic = kmsg.StringPtr("orders")
	topic.Partitions = []kmsg.MetadataResponseTopicPartition{kmsg.NewMetadataResponseTopicPartition()}
	resp.Topics = []kmsg.MetadataResponseTopic{topic}
	enc := resp.AppendTo(nil)
	s, err := schemaFor(3, 12, false)
	if err != nil {
		t.Fatal(err)
	}
	cut := decodeBody(s, enc[:len(enc)-5], 100)
	p := cut.stopped()
	if p == nil {
		t.Fatal("no problem reported for a body cut short")
	}
	if !strings.HasPrefix(p.path, "Topics[0].") || p.off < 100 || p.off > 100+len(enc) {
		t.Errorf("stopped %v", p)
	}
	if len(cut.body.children) == 0 || cut.body.children[0].name != "ThrottleMillis" {
		t.Errorf("the fields before the cut were not kept: %+v", cut.body.children)
	}

	long := decodeBody(s, append(bytes.Clone(enc), 1, 2, 3), 0)
	if p := long.stopped(); p == nil || p.off != len(enc) || !strings.Contains(p.reason, "3 bytes after the last field") {
		t.Errorf("trailing bytes: %v", long.problems)
	}

	// A count of 2^31-1 topics must be refused before anything is
	// allocated for them.
	huge := bytes.Clone(enc)
	i := bytes.Index(huge, []byte("\x00\x00\x07orders")) - 1 // Topics' compact length, before ErrorCode
	if i < 0 || huge[i] != 2 {
		t.Fatalf("layout changed: % x", huge)
	}
	huge = append(huge[:i], append([]byte{0xff, 0xff, 0xff, 0xff, 0x07}, huge[i+1:]...)...)
	if p := decodeBody(s, huge, 0).stopped(); p == nil || p.path != "Topics" || !strings.Contains(p.reason, "elements needs at least") {
		t.Errorf("huge count: %v", p)
	}
}
