package paykit

import (
	"bytes"
	"encoding/json"
	"fmt"
	"reflect"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Input limits (issue 13), in one place: how deeply a request body's JSON may
// nest, and how large and how deep an object's metadata may be. Every
// dialect's body goes through CheckJSONDepth before it is decoded, and every
// metadata the Service stores (Gigapay's integrations, employees, payouts,
// invoices and webhooks, gigstack's payments, clients, services, invoices,
// receipts and teams, the events API's endpoints) through checkMetadata, so a
// refused input writes nothing.

// Limits of request bodies and metadata.
const (
	// MaxJSONDepth is how deeply the JSON of a request body may nest: its
	// objects and arrays inside one another ({} is 1, {"a":[1]} 2). The
	// documents' deepest body (a gigstack payment's items and their taxes,
	// with metadata) nests 4 levels; metadata adds at most MaxMetadataDepth.
	MaxJSONDepth = 32

	// MaxMetadataDepth is how deeply metadata may nest: {"a":1} is 1,
	// {"a":{"b":1}} 2. Stripe's metadata, the model of these limits, does not
	// nest at all; Gigapay's is any JSON, so a little nesting stays allowed.
	MaxMetadataDepth = 5
	// MaxMetadataKeys is how many keys metadata may have (Stripe's 50), or
	// items when it is an array.
	MaxMetadataKeys = 50
	// MaxMetadataKeyLength bounds a metadata key, in characters (Stripe's 40).
	MaxMetadataKeyLength = 40
	// MaxMetadataValueLength bounds each value of metadata, in characters
	// (Stripe's 500): a string by its text, any other value (a number, an
	// object, an array) by its compact JSON, so a nested object of a key is
	// bounded as a whole.
	MaxMetadataValueLength = 500
	// maxMetadata bounds the whole of an object's metadata, in bytes of
	// compact JSON, as it did before the per-key limits.
	maxMetadata = 16 << 10
)

// The messages of the limits, in paykit's words; the dialects rewrite them in
// their tables like any other.
var (
	msgJSONDepth     = fmt.Sprintf("JSON nests at most %d levels deep.", MaxJSONDepth)
	msgMetadataSize  = "Metadata is at most 16 KiB of JSON."
	msgMetadataDepth = fmt.Sprintf("Metadata nests at most %d levels deep.", MaxMetadataDepth)
	msgMetadataKeys  = fmt.Sprintf("Metadata has at most %d keys.", MaxMetadataKeys)
	msgMetadataItems = fmt.Sprintf("Metadata has at most %d items.", MaxMetadataKeys)
	msgMetadataKey   = fmt.Sprintf("Metadata keys have at most %d characters.", MaxMetadataKeyLength)
	msgMetadataValue = fmt.Sprintf("Metadata values have at most %d characters (a value that is not a string counts by its JSON).", MaxMetadataValueLength)
)

// CheckJSONDepth returns EINVALID, with no field (the dialect names the body
// as its wire does), when the JSON text b nests deeper than MaxJSONDepth. It
// reads b once, without decoding it, so a hostile body costs no more than its
// length; b need not be valid JSON (the decoder says what else is wrong).
func CheckJSONDepth(b []byte) error {
	if jsonDepth(b, MaxJSONDepth) > MaxJSONDepth {
		return Errorf(EINVALID, "%s", msgJSONDepth)
	}
	return nil
}

// jsonDepth returns how deeply the JSON text b nests, counting no further than
// one past limit.
func jsonDepth(b []byte, limit int) int {
	depth, deepest, inString, escaped := 0, 0, false, false
	for _, c := range b {
		switch {
		case inString:
			switch {
			case escaped:
				escaped = false
			case c == '\\':
				escaped = true
			case c == '"':
				inString = false
			}
		case c == '"':
			inString = true
		case c == '{' || c == '[':
			depth++
			if depth > deepest {
				deepest = depth
				if deepest > limit {
					return deepest
				}
			}
		case c == '}' || c == ']':
			depth--
		}
	}
	return deepest
}

// checkMetadata validates metadata (any JSON value; absent or null is {})
// into v against the limits above, and returns it compacted.
func checkMetadata(v *Validation, field string, raw json.RawMessage) json.RawMessage {
	if len(raw) == 0 || string(raw) == "null" {
		return json.RawMessage(`{}`)
	}
	var buf bytes.Buffer
	if err := json.Compact(&buf, raw); err != nil {
		v.Add(field, "Not valid JSON.")
		return raw
	}
	if msg := metadataProblem(buf.Bytes()); msg != "" {
		v.Add(field, msg)
	}
	return json.RawMessage(buf.Bytes())
}

// metadataProblem returns what is wrong with the valid, compact JSON b as
// metadata, or "". An object is bounded in keys, key lengths and values; an
// array in items and values; a single value as a value.
func metadataProblem(b []byte) string {
	switch {
	case len(b) > maxMetadata:
		return msgMetadataSize
	case jsonDepth(b, MaxMetadataDepth) > MaxMetadataDepth:
		return msgMetadataDepth
	}
	switch b[0] {
	case '{':
		var m map[string]json.RawMessage
		if err := json.Unmarshal(b, &m); err != nil {
			return "Not valid JSON."
		}
		if len(m) > MaxMetadataKeys {
			return msgMetadataKeys
		}
		for k, val := range m {
			if utf8.RuneCountInString(k) > MaxMetadataKeyLength {
				return msgMetadataKey
			}
			if !metadataValueOK(val) {
				return msgMetadataValue
			}
		}
	case '[':
		var items []json.RawMessage
		if err := json.Unmarshal(b, &items); err != nil {
			return "Not valid JSON."
		}
		if len(items) > MaxMetadataKeys {
			return msgMetadataItems
		}
		for _, val := range items {
			if !metadataValueOK(val) {
				return msgMetadataValue
			}
		}
	default:
		if !metadataValueOK(b) {
			return msgMetadataValue
		}
	}
	return ""
}

// metadataValueOK reports whether the JSON value b is within
// MaxMetadataValueLength: a string by its characters, anything else by its
// JSON text.
func metadataValueOK(b json.RawMessage) bool {
	if len(b) > 0 && b[0] == '"' {
		var s string
		if json.Unmarshal(b, &s) == nil {
			return utf8.RuneCountInString(s) <= MaxMetadataValueLength
		}
	}
	return utf8.RuneCount(b) <= MaxMetadataValueLength
}

// checkEndpointMetadata validates an endpoint's metadata, a JSON object, into
// v with the limits of every metadata.
func checkEndpointMetadata(v *Validation, raw json.RawMessage) {
	if len(raw) == 0 {
		return
	}
	var buf bytes.Buffer
	if json.Compact(&buf, raw) != nil || buf.Len() == 0 || buf.Bytes()[0] != '{' {
		v.Add("metadata", "Metadata must be a JSON object.")
		return
	}
	if msg := metadataProblem(buf.Bytes()); msg != "" {
		v.Add("metadata", msg)
	}
}

// Checks every input of a write gets, whatever its noun, in one place: write
// runs checkText on the input it is given before anything else, so no text
// with a NUL character is stored (issue 13). Part of the input limits that
// apply to every API alike.

// msgNUL is the message of a text that holds a NUL character.
const msgNUL = "Text may not contain NUL characters (U+0000)."

// maxInputDepth bounds how deep checkText looks into an input: inputs are
// plain data, a few levels deep.
const maxInputDepth = 16

// checkText returns EINVALID, naming each field (by its JSON name, dotted
// into nested inputs, "[i]." before the fields of a list's items, as the
// Service's own validation names them), when a string of input holds a NUL
// character: a key or value of a map, an item of a list of strings. Raw JSON
// (metadata) is not text: JSON cannot hold a NUL but escaped, and stays so.
// A bare string input (an ID) is FieldInput.
func checkText(input any) error {
	var v Validation
	walkText(&v, reflect.ValueOf(input), "", 0)
	return v.Err()
}

// lowerCamel is a Go field's name as its JSON would be: the leading capitals
// lowered, but for the one that starts the next word (ID is id, APIKey apiKey).
func lowerCamel(name string) string {
	rs := []rune(name)
	for i := range rs {
		if !unicode.IsUpper(rs[i]) || (i > 0 && i+1 < len(rs) && unicode.IsLower(rs[i+1])) {
			break
		}
		rs[i] = unicode.ToLower(rs[i])
	}
	return string(rs)
}

func walkText(v *Validation, rv reflect.Value, path string, depth int) {
	if depth > maxInputDepth || !rv.IsValid() {
		return
	}
	field := strings.TrimSuffix(path, ".")
	if field == "" {
		field = FieldInput
	}
	switch rv.Kind() {
	case reflect.Pointer, reflect.Interface:
		if !rv.IsNil() {
			walkText(v, rv.Elem(), path, depth+1)
		}
	case reflect.String:
		if strings.IndexByte(rv.String(), 0) >= 0 {
			v.Add(field, msgNUL)
		}
	case reflect.Struct:
		t := rv.Type()
		for i := range t.NumField() {
			f := t.Field(i)
			if !f.IsExported() {
				continue
			}
			name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
			switch {
			case name == "-":
				continue
			case f.Anonymous && name == "":
				walkText(v, rv.Field(i), path, depth+1)
				continue
			case name == "":
				name = lowerCamel(f.Name)
			}
			switch {
			case strings.HasSuffix(path, "."): // "[2]."
				name = path + name
			case path != "":
				name = path + "." + name
			}
			walkText(v, rv.Field(i), name, depth+1)
		}
	case reflect.Slice, reflect.Array:
		if rv.Type().Elem().Kind() == reflect.Uint8 {
			return // bytes: raw JSON, a hash
		}
		for i := range rv.Len() {
			p := path
			if p == "" {
				p = "[" + strconv.Itoa(i) + "]."
			}
			walkText(v, rv.Index(i), p, depth+1)
		}
	case reflect.Map:
		for it := rv.MapRange(); it.Next(); {
			walkText(v, it.Key(), path, depth+1)
			walkText(v, it.Value(), path, depth+1)
		}
	}
}
