package main

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"reflect"
	"slices"
	"sync"

	"github.com/twmb/franz-go/pkg/kmsg"
)

// The decoder needs, for each message at each version, the fields on the
// wire, in order, with their encodings. franz-go's kmsg has that knowledge
// only as code: a generated encoder and decoder per message. Rather than a
// printer per API, the schema is learnt from kmsg's encoders by probing: for
// every field of a struct the encoding is compared with one where only that
// field changed. A field whose change leaves the bytes alone is not on the
// wire at that version; one whose change first shows at the struct's
// tagged-field count is a tagged field, whose tag follows; any other is a
// fixed field, and where its change first shows orders it. Nullability is
// the difference between encoding nil and encoding an empty value. Go types
// give the rest. TestSchemaRoundTripsEveryMessage checks the result against
// kmsg's own decoder for every key at every version.

// wireKind is how a field is encoded.
type wireKind uint8

const (
	wBool wireKind = iota
	wInt8
	wInt16
	wUint16
	wInt32
	wUint32
	wInt64
	wFloat64
	wUUID
	wString
	wBytes
	wArray
	wStruct         // a struct inline, with its own tagged fields when flexible
	wNullableStruct // an int8 presence marker (-1 null), then the struct
)

// fieldSchema is one field of a struct at one version.
type fieldSchema struct {
	name     string
	index    int // index of the Go struct field; -1 for an array element
	kind     wireKind
	nullable bool
	compact  bool  // lengths as unsigned varints (flexible versions)
	tag      int64 // -1 for a field outside the tagged section
	goType   reflect.Type
	elem     *fieldSchema  // element of an array
	sub      *structSchema // fields of a struct kind
}

// structSchema is the wire layout of one struct at one version.
type structSchema struct {
	goType   reflect.Type
	flexible bool
	fields   []*fieldSchema          // fixed fields in wire order
	tagged   map[uint64]*fieldSchema // tagged fields by tag
}

// messageSchema is a top-level request or response body.
type messageSchema struct {
	key      int16
	version  int16
	request  bool
	flexible bool
	body     *structSchema
}

type schemaKey struct {
	key, version int16
	request      bool
}

var (
	schemaMu    sync.Mutex
	schemaCache = map[schemaKey]*messageSchema{}
)

// errNoSchema says why a body cannot be decoded at all.
type errNoSchema struct{ reason string }

func (e errNoSchema) Error() string { return e.reason }

// maxKnownVersion is the newest version kmsg knows for key, or -1.
func maxKnownVersion(key int16) int16 {
	r := kmsg.RequestForKey(key)
	if r == nil {
		return -1
	}
	return r.MaxVersion()
}

// schemaFor returns the schema of a request (or response) body of key at
// version, probing kmsg the first time it is asked for.
func schemaFor(key, version int16, request bool) (*messageSchema, error) {
	if kmsg.RequestForKey(key) == nil {
		return nil, errNoSchema{fmt.Sprintf("api key %d is unknown to the decoder", key)}
	}
	if maxV := maxKnownVersion(key); version < 0 || version > maxV {
		return nil, errNoSchema{fmt.Sprintf("%s v%d is not a version the decoder knows (v0 to v%d)", apiName(key), version, maxV)}
	}
	k := schemaKey{key, version, request}
	schemaMu.Lock()
	defer schemaMu.Unlock()
	if s := schemaCache[k]; s != nil {
		return s, nil
	}
	s, err := probeMessage(key, version, request)
	if err != nil {
		return nil, err
	}
	schemaCache[k] = s
	return s, nil
}

// newMessage returns a fresh kmsg request or response of key.
func newMessage(key int16, request bool) kmsg.Request {
	r := kmsg.RequestForKey(key)
	if request || r == nil {
		return r
	}
	// A response is wrapped so that both kinds share one interface here.
	return responseAsRequest{r.ResponseKind()}
}

// responseAsRequest lets a kmsg.Response go where the probe wants the
// methods both kinds share.
type responseAsRequest struct{ kmsg.Response }

func (responseAsRequest) ResponseKind() kmsg.Response { return nil }

// encoded is what the probe needs of a message: its value and its encoding.
type probeMessageT interface {
	SetVersion(int16)
	IsFlexible() bool
	AppendTo([]byte) []byte
}

func unwrap(m kmsg.Request) any {
	if r, ok := m.(responseAsRequest); ok {
		return r.Response
	}
	return m
}

// prober learns the schema of one message at one version.
type prober struct {
	key      int16
	version  int16
	request  bool
	flexible bool
}

// step leads from a struct to a struct inside it.
type step struct {
	index int
	kind  wireKind // wArray (its first element), wNullableStruct or wStruct
}

func probeMessage(key, version int16, request bool) (ms *messageSchema, err error) {
	defer func() {
		// A probe runs kmsg's encoders on values it made up; should one of
		// them panic, the message is reported as undecodable rather than
		// taking the tool down.
		if r := recover(); r != nil {
			ms, err = nil, errNoSchema{fmt.Sprintf("learning the layout of %s v%d failed: %v", apiName(key), version, r)}
		}
	}()
	p := &prober{key: key, version: version, request: request}
	root := p.newRoot()
	p.flexible = unwrap(root).(probeMessageT).IsFlexible()
	body, err := p.probeStruct(nil, reflect.TypeOf(unwrap(root)).Elem(), true, 0)
	if err != nil {
		return nil, err
	}
	return &messageSchema{key: key, version: version, request: request, flexible: p.flexible, body: body}, nil
}

func (p *prober) newRoot() kmsg.Request {
	m := newMessage(p.key, p.request)
	unwrap(m).(probeMessageT).SetVersion(p.version)
	return m
}

// instance makes a fresh message with the structs along path present and
// returns it with the struct at the end of path.
func (p *prober) instance(path []step) (kmsg.Request, reflect.Value) {
	m := p.newRoot()
	v := reflect.ValueOf(unwrap(m)).Elem()
	for _, s := range path {
		f := v.Field(s.index)
		switch s.kind {
		case wArray:
			f.Set(reflect.MakeSlice(f.Type(), 1, 1))
			v = f.Index(0)
			callDefault(v)
		case wNullableStruct:
			f.Set(reflect.New(f.Type().Elem()))
			v = f.Elem()
			callDefault(v)
		default:
			v = f
		}
	}
	return m, v
}

// callDefault runs kmsg's Default method on an addressable struct.
func callDefault(v reflect.Value) {
	if m := v.Addr().MethodByName("Default"); m.IsValid() {
		m.Call(nil)
	}
}

func encode(m kmsg.Request) []byte { return unwrap(m).(probeMessageT).AppendTo(nil) }

// The unknown tag the probe plants in a struct to find its tagged section;
// probeTag+1 marks an inline struct.
const probeTag = 9999

var probeTagValue = []byte("\xfe\xed\xfa\xce-probe-\xde\xad\xbe\xef")

var tagsType = reflect.TypeOf(kmsg.Tags{})

func plantTag(v reflect.Value, tag uint32) bool {
	f := v.FieldByName("UnknownTags")
	if !f.IsValid() || f.Type() != tagsType {
		return false
	}
	f.Addr().Interface().(*kmsg.Tags).Set(tag, probeTagValue)
	return true
}

// probeEntry is the planted tag's entry as it appears in an encoding.
var probeEntry = func() []byte {
	e := binary.AppendUvarint(nil, probeTag)
	e = binary.AppendUvarint(e, uint64(len(probeTagValue)))
	return append(e, probeTagValue...)
}()

// probeStruct learns the layout of the struct of type t found at path. Its
// fixed fields are in the order of the Go struct, which kmsg generates in
// wire order.
func (p *prober) probeStruct(path []step, t reflect.Type, top bool, depth int) (*structSchema, error) {
	if depth > 16 {
		return nil, fmt.Errorf("%s: structs nested too deeply", t)
	}
	s := &structSchema{goType: t, flexible: p.flexible, tagged: map[uint64]*fieldSchema{}}
	// In a flexible version the struct carries a planted unknown tag, so
	// that its tagged section can be found in every encoding: it ends with
	// the planted entry.
	baseline := func() (kmsg.Request, reflect.Value) {
		m, v := p.instance(path)
		if p.flexible && !plantTag(v, probeTag) {
			return nil, reflect.Value{}
		}
		return m, v
	}
	m0, _ := baseline()
	if m0 == nil {
		return nil, fmt.Errorf("%s has no UnknownTags", t)
	}
	base := encode(m0)
	if p.flexible && bytes.Count(base, probeEntry) != 1 {
		return nil, fmt.Errorf("%s: its tagged section is not in the encoding", t)
	}
	for i := range t.NumField() {
		sf := t.Field(i)
		if !sf.IsExported() || sf.Type == tagsType || (top && sf.Name == "Version") {
			continue
		}
		f := &fieldSchema{name: sf.Name, index: i, goType: sf.Type, compact: p.flexible, tag: -1}
		if err := classifyField(f); err != nil {
			return nil, fmt.Errorf("%s.%s: %v", t.Name(), sf.Name, err)
		}
		m1, v1 := baseline()
		setMarker(v1.Field(i), f)
		changed := encode(m1)
		if bytes.Equal(changed, base) {
			continue // not on the wire at this version
		}
		if p.flexible {
			if tag, ok := p.findTag(path, f, v1.Field(i), changed); ok {
				f.tag = int64(tag)
				if s.tagged[tag] != nil {
					return nil, fmt.Errorf("%s: fields %s and %s both have tag %d", t.Name(), s.tagged[tag].name, f.name, tag)
				}
				s.tagged[tag] = f
			}
		}
		if f.tag < 0 {
			s.fields = append(s.fields, f)
		}
		p.nullability(f, path)
		if err := p.probeInner(f, path, depth); err != nil {
			return nil, err
		}
	}
	return s, nil
}

// findTag decides whether f, set to marker in enc, is a tagged field. The
// struct's tagged section ends with the planted entry; were f tagged, the
// section would read: count 2, f's tag, its size, its value, the planted
// entry. Each way of reading the bytes before the planted entry like that
// gives a candidate, and a candidate is f's tag only if kmsg's decoder,
// given that tag and value as an unknown tag of the struct, sets f to the
// marker.
func (p *prober) findTag(path []step, f *fieldSchema, marker reflect.Value, enc []byte) (uint64, bool) {
	end := bytes.Index(enc, probeEntry)
	for c := end - 3; c >= 0; c-- {
		if enc[c] != 2 {
			continue
		}
		tag, n1 := binary.Uvarint(enc[c+1:])
		if n1 <= 0 || tag > 1<<31 {
			continue
		}
		size, n2 := binary.Uvarint(enc[c+1+n1:])
		if n2 <= 0 || uint64(end-(c+1+n1+n2)) != size {
			continue
		}
		if p.confirmTag(path, f, marker, uint32(tag), enc[c+1+n1+n2:end]) {
			return tag, true
		}
	}
	return 0, false
}

// confirmTag plants tag with value in the struct at path of an otherwise
// default message and checks that kmsg decodes it as f holding marker.
func (p *prober) confirmTag(path []step, f *fieldSchema, marker reflect.Value, tag uint32, value []byte) bool {
	m, v := p.instance(path)
	v.FieldByName("UnknownTags").Addr().Interface().(*kmsg.Tags).Set(tag, value)
	decoded := p.newRoot()
	if unwrap(decoded).(interface{ ReadFrom([]byte) error }).ReadFrom(encode(m)) != nil {
		return false
	}
	got, ok := follow(reflect.ValueOf(unwrap(decoded)).Elem(), path)
	return ok && reflect.DeepEqual(got.Field(f.index).Interface(), marker.Interface())
}

// follow walks path in a decoded message without changing it.
func follow(v reflect.Value, path []step) (reflect.Value, bool) {
	for _, s := range path {
		f := v.Field(s.index)
		switch s.kind {
		case wArray:
			if f.Len() != 1 {
				return reflect.Value{}, false
			}
			v = f.Index(0)
		case wNullableStruct:
			if f.IsNil() {
				return reflect.Value{}, false
			}
			v = f.Elem()
		default:
			v = f
		}
	}
	return v, true
}

var uuidType = reflect.TypeOf([16]byte{})

// classifyField sets a field's kind from its Go type.
func classifyField(f *fieldSchema) error {
	t := f.goType
	switch t.Kind() {
	case reflect.Bool:
		f.kind = wBool
	case reflect.Int8:
		f.kind = wInt8
	case reflect.Int16:
		f.kind = wInt16
	case reflect.Uint16:
		f.kind = wUint16
	case reflect.Int32:
		f.kind = wInt32
	case reflect.Uint32:
		f.kind = wUint32
	case reflect.Int64:
		f.kind = wInt64
	case reflect.Float64:
		f.kind = wFloat64
	case reflect.Array:
		if t != uuidType {
			return fmt.Errorf("unexpected array type %s", t)
		}
		f.kind = wUUID
	case reflect.String:
		f.kind = wString
	case reflect.Pointer:
		switch t.Elem().Kind() {
		case reflect.String:
			f.kind = wString
		case reflect.Struct:
			f.kind, f.nullable = wNullableStruct, true
		default:
			return fmt.Errorf("unexpected pointer type %s", t)
		}
	case reflect.Slice:
		if t.Elem().Kind() == reflect.Uint8 {
			f.kind = wBytes
			break
		}
		f.kind = wArray
		f.elem = &fieldSchema{name: f.name, index: -1, goType: t.Elem(), compact: f.compact, tag: -1}
		if t.Elem().Kind() == reflect.Struct {
			f.elem.kind = wStruct
		} else if err := classifyField(f.elem); err != nil {
			return err
		}
		if k := f.elem.kind; k == wArray || k == wBytes || k == wNullableStruct {
			return fmt.Errorf("unexpected element type %s", t.Elem())
		}
	case reflect.Struct:
		f.kind = wStruct
	default:
		return fmt.Errorf("unexpected type %s", t)
	}
	return nil
}

// probeInner learns the structs inside a field that is on the wire.
func (p *prober) probeInner(f *fieldSchema, path []step, depth int) error {
	var err error
	switch {
	case f.kind == wStruct:
		f.sub, err = p.probeStruct(append(slices.Clone(path), step{f.index, wStruct}), f.goType, false, depth+1)
	case f.kind == wNullableStruct:
		f.sub, err = p.probeStruct(append(slices.Clone(path), step{f.index, wNullableStruct}), f.goType.Elem(), false, depth+1)
	case f.kind == wArray && f.elem.kind == wStruct:
		f.elem.sub, err = p.probeStruct(append(slices.Clone(path), step{f.index, wArray}), f.goType.Elem(), false, depth+1)
	}
	return err
}

// nullability probes whether nil and an empty value encode differently.
func (p *prober) nullability(f *fieldSchema, path []step) {
	switch f.kind {
	case wString, wBytes, wArray:
		if f.goType.Kind() == reflect.String {
			return
		}
	default:
		return
	}
	mNil, vNil := p.instance(path)
	mEmpty, vEmpty := p.instance(path)
	fn, fe := vNil.Field(f.index), vEmpty.Field(f.index)
	fn.Set(reflect.Zero(f.goType))
	switch f.goType.Kind() {
	case reflect.Pointer:
		fe.Set(reflect.New(f.goType.Elem()))
	case reflect.Slice:
		fe.Set(reflect.MakeSlice(f.goType, 0, 0))
	}
	f.nullable = !bytes.Equal(encode(mNil), encode(mEmpty))
}

// setMarker changes v, a field of kind f, to a value its default is not.
func setMarker(v reflect.Value, f *fieldSchema) {
	switch f.kind {
	case wBool:
		v.SetBool(!v.Bool())
	case wInt8, wInt16, wInt32, wInt64:
		v.SetInt(v.Int() ^ 0x5555555555555555)
	case wUint16, wUint32:
		v.SetUint(v.Uint() ^ 0x5555555555555555)
	case wFloat64:
		v.SetFloat(v.Float() + 1.5)
	case wUUID:
		for i := range v.Len() {
			v.Index(i).SetUint(v.Index(i).Uint() ^ 0x55)
		}
	case wString:
		if v.Kind() == reflect.String {
			v.SetString(v.String() + "x")
			break
		}
		s := "x"
		if !v.IsNil() {
			s = v.Elem().String() + "x"
		}
		v.Set(reflect.ValueOf(&s).Convert(v.Type()))
	case wBytes:
		v.SetBytes(append(slices.Clone(v.Bytes()), 0x55))
	case wArray:
		e := reflect.New(v.Type().Elem()).Elem()
		if e.Kind() == reflect.Struct {
			callDefault(e)
		}
		v.Set(reflect.Append(v, e))
	case wNullableStruct:
		if !v.IsNil() {
			v.Set(reflect.Zero(v.Type()))
			break
		}
		v.Set(reflect.New(v.Type().Elem()))
		callDefault(v.Elem())
	case wStruct:
		// Every field changes, so that the struct's encoding changes at
		// any version where any of its fields is on the wire.
		plantTag(v, probeTag+1)
		for i := range v.NumField() {
			sf := v.Type().Field(i)
			if !sf.IsExported() || sf.Type == tagsType {
				continue
			}
			inner := &fieldSchema{goType: sf.Type}
			if classifyField(inner) == nil {
				setMarker(v.Field(i), inner)
			}
		}
	}
}
