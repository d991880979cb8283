package ecsfake

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"encoding/xml"
	"math"
	"math/big"
	"time"

	"github.com/aws/smithy-go"
	"github.com/aws/smithy-go/document"
	"github.com/aws/smithy-go/encoding/cbor"
	"github.com/aws/smithy-go/traits"
)

// Responses are the SDK's own output types (ecs.DescribeServicesOutput, …),
// written through their generated Serialize methods into a tree and then
// encoded for the protocol the client speaks. The member names, list and map
// shapes and timestamp formats therefore come from the same Smithy schemas the
// client deserialises with, not from hand-written struct tags.

type nodeKind int

const (
	kindStruct nodeKind = iota
	kindList
	kindMap
	kindString
	kindInt
	kindFloat
	kindBool
	kindTime
	kindBlob
	kindNil
)

type node struct {
	kind    nodeKind
	schema  *smithy.Schema // the member (or root) schema the value was written with
	str     string
	num     int64
	flt     float64
	boolean bool
	at      time.Time
	blob    []byte
	fields  []field // struct members in write order, or map entries
	items   []*node // list items
}

type field struct {
	name  string
	value *node
}

// treeWriter implements smithy.ShapeSerializer by building a node tree.
type treeWriter struct {
	root  *node
	stack []*node
	key   string // the key of the next map value
}

var _ smithy.ShapeSerializer = (*treeWriter)(nil)

func serialise(v smithy.Serializable) *node {
	w := &treeWriter{}
	v.Serialize(w)
	if w.root == nil {
		return &node{kind: kindStruct}
	}
	return w.root
}

func (w *treeWriter) add(schema *smithy.Schema, n *node) {
	n.schema = schema
	if len(w.stack) == 0 {
		if w.root == nil {
			w.root = n
		}
		return
	}
	top := w.stack[len(w.stack)-1]
	switch top.kind {
	case kindList:
		top.items = append(top.items, n)
	case kindMap:
		top.fields = append(top.fields, field{name: w.key, value: n})
	default:
		top.fields = append(top.fields, field{name: schema.MemberName(), value: n})
	}
}

func (w *treeWriter) open(schema *smithy.Schema, kind nodeKind) {
	n := &node{kind: kind}
	w.add(schema, n)
	w.stack = append(w.stack, n)
}

func (w *treeWriter) close() {
	if len(w.stack) > 0 {
		w.stack = w.stack[:len(w.stack)-1]
	}
}

func (w *treeWriter) Bytes() []byte { return nil }

func (w *treeWriter) WriteInt8(s *smithy.Schema, v int8) {
	w.add(s, &node{kind: kindInt, num: int64(v)})
}
func (w *treeWriter) WriteInt16(s *smithy.Schema, v int16) {
	w.add(s, &node{kind: kindInt, num: int64(v)})
}
func (w *treeWriter) WriteInt32(s *smithy.Schema, v int32) {
	w.add(s, &node{kind: kindInt, num: int64(v)})
}
func (w *treeWriter) WriteInt64(s *smithy.Schema, v int64) { w.add(s, &node{kind: kindInt, num: v}) }
func (w *treeWriter) WriteFloat32(s *smithy.Schema, v float32) {
	w.add(s, &node{kind: kindFloat, flt: float64(v)})
}
func (w *treeWriter) WriteFloat64(s *smithy.Schema, v float64) {
	w.add(s, &node{kind: kindFloat, flt: v})
}
func (w *treeWriter) WriteBool(s *smithy.Schema, v bool) { w.add(s, &node{kind: kindBool, boolean: v}) }
func (w *treeWriter) WriteString(s *smithy.Schema, v string) {
	w.add(s, &node{kind: kindString, str: v})
}
func (w *treeWriter) WriteBigInt(s *smithy.Schema, v *big.Int) {
	w.add(s, &node{kind: kindString, str: v.String()})
}
func (w *treeWriter) WriteBigFloat(s *smithy.Schema, v *big.Float) {
	w.add(s, &node{kind: kindString, str: v.String()})
}
func (w *treeWriter) WriteBlob(s *smithy.Schema, v []byte)    { w.add(s, &node{kind: kindBlob, blob: v}) }
func (w *treeWriter) WriteTime(s *smithy.Schema, v time.Time) { w.add(s, &node{kind: kindTime, at: v}) }

// No output the fake serves has a document member; write null rather than
// guess an encoding.
func (w *treeWriter) WriteDocument(s *smithy.Schema, _ document.Value) { w.WriteNil(s) }
func (w *treeWriter) WriteNil(s *smithy.Schema)                        { w.add(s, &node{kind: kindNil}) }

// A union is an object with exactly one member on every protocol served here.
func (w *treeWriter) WriteUnion(schema, _ *smithy.Schema) { w.open(schema, kindStruct) }
func (w *treeWriter) CloseUnion()                         { w.close() }
func (w *treeWriter) WriteStruct(s *smithy.Schema)        { w.open(s, kindStruct) }
func (w *treeWriter) CloseStruct()                        { w.close() }
func (w *treeWriter) WriteList(s *smithy.Schema)          { w.open(s, kindList) }
func (w *treeWriter) CloseList()                          { w.close() }
func (w *treeWriter) WriteMap(s *smithy.Schema)           { w.open(s, kindMap) }
func (w *treeWriter) WriteKey(_ *smithy.Schema, key string) {
	w.key = key
}
func (w *treeWriter) CloseMap() { w.close() }

func timestampFormat(s *smithy.Schema, def string) string {
	if s != nil {
		if t, ok := smithy.SchemaTrait[*traits.TimestampFormat](s); ok {
			return t.Format
		}
	}
	return def
}

func epochSeconds(t time.Time) float64 {
	return math.Round(float64(t.UnixMilli())) / 1000
}

// encodeJSON renders n for awsJson1_0/1_1: timestamps in epoch seconds,
// blobs in base64.
func encodeJSON(n *node) []byte {
	b, err := json.Marshal(jsonValue(n))
	if err != nil {
		// Only non-finite floats fail, and no served shape has one.
		return []byte("{}")
	}
	return b
}

func jsonValue(n *node) any {
	switch n.kind {
	case kindStruct, kindMap:
		m := make(map[string]any, len(n.fields))
		for _, f := range n.fields {
			m[f.name] = jsonValue(f.value)
		}
		return m
	case kindList:
		l := make([]any, 0, len(n.items))
		for _, it := range n.items {
			l = append(l, jsonValue(it))
		}
		return l
	case kindString:
		return n.str
	case kindInt:
		return n.num
	case kindFloat:
		return n.flt
	case kindBool:
		return n.boolean
	case kindTime:
		switch timestampFormat(n.schema, "epoch-seconds") {
		case "date-time":
			return n.at.UTC().Format(time.RFC3339Nano)
		case "http-date":
			return n.at.UTC().Format(time.RFC1123)
		}
		return json.Number(formatEpoch(n.at))
	case kindBlob:
		return base64.StdEncoding.EncodeToString(n.blob)
	}
	return nil
}

func formatEpoch(t time.Time) string {
	b, _ := json.Marshal(epochSeconds(t))
	return string(b)
}

// encodeCBOR renders n for smithy rpcv2Cbor: timestamps are tag 1 around
// epoch seconds.
func encodeCBOR(n *node) []byte { return cbor.Encode(cborValue(n)) }

func cborValue(n *node) cbor.Value {
	switch n.kind {
	case kindStruct, kindMap:
		m := make(cbor.Map, len(n.fields))
		for _, f := range n.fields {
			m[f.name] = cborValue(f.value)
		}
		return m
	case kindList:
		l := make(cbor.List, 0, len(n.items))
		for _, it := range n.items {
			l = append(l, cborValue(it))
		}
		return l
	case kindString:
		return cbor.String(n.str)
	case kindInt:
		if n.num < 0 {
			return cbor.NegInt(uint64(-n.num))
		}
		return cbor.Uint(n.num)
	case kindFloat:
		return cbor.Float64(n.flt)
	case kindBool:
		return cbor.Bool(n.boolean)
	case kindTime:
		return &cbor.Tag{ID: 1, Value: cbor.Float64(epochSeconds(n.at))}
	case kindBlob:
		return cbor.Slice(n.blob)
	}
	return &cbor.Nil{}
}

// encodeQueryXML renders n as the body of an awsQuery response:
// <OpResponse><OpResult>…</OpResult><ResponseMetadata/></OpResponse>, lists
// wrapped in <member> elements unless flattened, timestamps in ISO 8601.
func encodeQueryXML(op, namespace, requestID string, n *node) []byte {
	var b bytes.Buffer
	b.WriteString(`<` + op + `Response xmlns="` + namespace + `">`)
	b.WriteString(`<` + op + `Result>`)
	for _, f := range n.fields {
		writeXMLMember(&b, f)
	}
	b.WriteString(`</` + op + `Result>`)
	b.WriteString(`<ResponseMetadata><RequestId>` + requestID + `</RequestId></ResponseMetadata>`)
	b.WriteString(`</` + op + `Response>`)
	return b.Bytes()
}

func xmlName(s *smithy.Schema, def string) string {
	if s != nil {
		if t, ok := smithy.SchemaDirectTrait[*traits.XMLName](s); ok {
			return t.Name
		}
	}
	return def
}

func writeXMLMember(b *bytes.Buffer, f field) {
	name := xmlName(f.value.schema, f.name)
	if f.value.kind == kindList {
		if _, flat := smithy.SchemaTrait[*traits.XMLFlattened](f.value.schema); flat {
			for _, it := range f.value.items {
				writeXMLElement(b, name, it)
			}
			return
		}
	}
	writeXMLElement(b, name, f.value)
}

func writeXMLElement(b *bytes.Buffer, name string, n *node) {
	b.WriteString("<" + name + ">")
	switch n.kind {
	case kindStruct:
		for _, f := range n.fields {
			writeXMLMember(b, f)
		}
	case kindList:
		item := "member"
		if n.schema != nil {
			item = xmlName(n.schema.ListMember(), "member")
		}
		for _, it := range n.items {
			writeXMLElement(b, item, it)
		}
	case kindMap:
		for _, f := range n.fields {
			b.WriteString("<entry>")
			writeXMLElement(b, "key", &node{kind: kindString, str: f.name})
			writeXMLElement(b, "value", f.value)
			b.WriteString("</entry>")
		}
	case kindString:
		_ = xml.EscapeText(b, []byte(n.str))
	case kindInt:
		b.WriteString(jsonScalar(n.num))
	case kindFloat:
		b.WriteString(jsonScalar(n.flt))
	case kindBool:
		b.WriteString(jsonScalar(n.boolean))
	case kindTime:
		switch timestampFormat(n.schema, "date-time") {
		case "epoch-seconds":
			b.WriteString(formatEpoch(n.at))
		case "http-date":
			b.WriteString(n.at.UTC().Format(time.RFC1123))
		default:
			b.WriteString(n.at.UTC().Format("2006-01-02T15:04:05.000Z"))
		}
	case kindBlob:
		b.WriteString(base64.StdEncoding.EncodeToString(n.blob))
	}
	b.WriteString("</" + name + ">")
}

func jsonScalar(v any) string {
	out, _ := json.Marshal(v)
	return string(out)
}

func writeXMLText(b *bytes.Buffer, s string) { _ = xml.EscapeText(b, []byte(s)) }
