package httpapi

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/paykit/paykit"
	"github.com/shopspring/decimal"
)

// The Gigapay dialect's request bodies: JSON or form data, read field by
// field as Django REST Framework's serializer fields read them.

// Bodies.

// readBody returns the request body as JSON: a JSON body as it is (empty is
// {}), and form data as an object of strings (a field given more than once, a
// list of them; a file, its content in base64; metadata parsed as JSON, see
// formJSON).
func (c *gigapayCall) readBody() (json.RawMessage, error) {
	ct, params, _ := mime.ParseMediaType(c.r.Header.Get("Content-Type"))
	body := http.MaxBytesReader(c.w, c.r.Body, maxBodyBytes)
	tooLarge := func(err error) error {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return &statusError{http.StatusRequestEntityTooLarge, paykit.Errorf(paykit.EINVALID, "Request body is larger than %d bytes.", mbe.Limit)}
		}
		return paykit.Errorf(paykit.EINVALID, "The request body could not be read.")
	}
	switch {
	case ct == "" || ct == "application/json" || strings.HasSuffix(ct, "+json"):
		b, err := readAll(c.w, c.r)
		if err != nil {
			return nil, tooLarge(err)
		}
		if len(bytes.TrimSpace(b)) == 0 {
			return json.RawMessage(`{}`), nil
		}
		if err := paykit.CheckJSONDepth(b); err != nil {
			return nil, err
		}
		if !json.Valid(b) {
			var v any
			err := json.Unmarshal(b, &v)
			return nil, paykit.Errorf(paykit.EINVALID, "JSON parse error - %s", strings.TrimPrefix(fmt.Sprint(err), "json: "))
		}
		return b, nil
	case ct == "application/x-www-form-urlencoded":
		b, err := readAll(c.w, c.r)
		if err != nil {
			return nil, tooLarge(err)
		}
		vals, err := url.ParseQuery(string(b))
		if err != nil {
			return nil, paykit.Errorf(paykit.EINVALID, "Form parse error - %s", err)
		}
		return c.formJSON(vals, nil)
	case ct == "multipart/form-data":
		form, err := multipart.NewReader(body, params["boundary"]).ReadForm(maxBodyBytes)
		if err != nil {
			return nil, tooLarge(err)
		}
		defer form.RemoveAll()
		return c.formJSON(form.Value, form.File)
	}
	return nil, &statusError{http.StatusUnsupportedMediaType,
		paykit.Errorf(paykit.EINVALID, "Unsupported media type %q in request.", c.r.Header.Get("Content-Type"))}
}

// formJSON returns form fields as a JSON object. A JSON field (metadata) is
// JSON text in a form, as Django REST Framework's JSONField reads it from
// form data: its value is the JSON it holds, and text that is not JSON
// ("hello", or nothing) is noted in c.notJSON, which form.raw refuses with
// DRF's "Value must be valid JSON.", never stored as a string.
func (c *gigapayCall) formJSON(vals url.Values, files map[string][]*multipart.FileHeader) (json.RawMessage, error) {
	m := map[string]any{}
	for k, vs := range vals {
		switch {
		case k == "metadata" && json.Valid([]byte(vs[len(vs)-1])):
			m[k] = json.RawMessage(vs[len(vs)-1]) // the last, as a QueryDict gives it
		case k == "metadata":
			if c.notJSON == nil {
				c.notJSON = map[string]bool{}
			}
			c.notJSON[k] = true
			m[k] = vs[len(vs)-1]
		case len(vs) == 1:
			m[k] = vs[0]
		default:
			m[k] = vs
		}
	}
	for k, fs := range files {
		if len(fs) == 0 {
			continue
		}
		f, err := fs[0].Open()
		if err != nil {
			return nil, fmt.Errorf("form file %s: %w", k, err)
		}
		b, err := io.ReadAll(f)
		f.Close()
		if err != nil {
			return nil, fmt.Errorf("form file %s: %w", k, err)
		}
		m[k] = base64.StdEncoding.EncodeToString(b)
	}
	return json.Marshal(m)
}

// objects splits a body into its objects: one for an object (list false), each
// item of an array (list true). Anything else is an invalid-data error.
func objects(raw json.RawMessage, allowList bool) (items []map[string]json.RawMessage, list bool, err error) {
	raw = bytes.TrimSpace(raw)
	if allowList && len(raw) > 0 && raw[0] == '[' {
		var elems []json.RawMessage
		if err := json.Unmarshal(raw, &elems); err != nil {
			return nil, true, paykit.Errorf(paykit.EINVALID, "JSON parse error - %s", err)
		}
		var v paykit.Validation
		for i, e := range elems {
			var m map[string]json.RawMessage
			if len(e) == 0 || e[0] != '{' || json.Unmarshal(e, &m) != nil {
				v.Add(fmt.Sprintf("[%d].non_field_errors", i), "Invalid data. Expected a dictionary, but got "+jsonTypeName(e)+".")
			}
			items = append(items, m)
		}
		if err := v.Err(); err != nil {
			return nil, true, &bulkError{len(elems), err}
		}
		return items, true, nil
	}
	var m map[string]json.RawMessage
	if len(raw) == 0 || raw[0] != '{' || json.Unmarshal(raw, &m) != nil {
		return nil, false, invalidField("non_field_errors", "Invalid data. Expected a dictionary, but got "+jsonTypeName(raw)+".")
	}
	return []map[string]json.RawMessage{m}, false, nil
}

// jsonTypeName names a JSON value's type as Python would.
func jsonTypeName(b []byte) string {
	switch jsonKind(bytes.TrimSpace(b)) {
	case "string":
		return "str"
	case "array":
		return "list"
	case "bool":
		return "bool"
	case "null":
		return "NoneType"
	case "object":
		return "dict"
	}
	if bytes.ContainsAny(b, ".eE") {
		return "float"
	}
	return "int"
}

// form reads the fields of one body object as Django REST Framework's fields
// do, recording their errors (prefixed, for a nested or listed object) in v,
// and in empty the strings that arrived empty.
type form struct {
	m      map[string]json.RawMessage
	prefix string
	v      *paykit.Validation
	// empty records, by prefixed field name, each string given as null
	// ("null") or as "" or only spaces ("blank"): the Service reads both as
	// no value, and errorBody says which it was when the Service wanted one
	// (gigapayEmpty). Shared by the forms of one request; nil records nothing.
	empty map[string]string
	// notJSON names the JSON fields of a form body whose text is not JSON
	// (see formJSON); nil for a JSON body.
	notJSON map[string]bool
}

// newForm returns a form of the request's body object m, recording in the
// call which strings arrived empty.
func (c *gigapayCall) newForm(m map[string]json.RawMessage, prefix string, v *paykit.Validation) *form {
	if c.empty == nil {
		c.empty = map[string]string{}
	}
	return &form{m: m, prefix: prefix, v: v, empty: c.empty, notJSON: c.notJSON}
}

func (f *form) bad(k, msg string) { f.v.Add(f.prefix+k, msg) }

// arrived records how the string k arrived empty: "null" or "blank".
func (f *form) arrived(k, how string) {
	if f.empty != nil {
		f.empty[f.prefix+k] = how
	}
}

// present reports whether k was given, null included.
func (f *form) present(k string) bool { _, ok := f.m[k]; return ok }

func (f *form) null(k string) bool { return string(bytes.TrimSpace(f.m[k])) == "null" }

// str reads a CharField: a string, or a number as its text. Absent or null
// is "".
func (f *form) str(k string) string {
	s := f.strPtr(k)
	if s == nil {
		return ""
	}
	return *s
}

// strPtr is str that tells absent (nil) from null or empty (a pointer to "").
// It records a null or blank value (see form.empty).
func (f *form) strPtr(k string) *string {
	raw, ok := f.m[k]
	if !ok {
		return nil
	}
	raw = bytes.TrimSpace(raw)
	var s string
	switch jsonKind(raw) {
	case "null":
		f.arrived(k, "null")
	case "string":
		if err := json.Unmarshal(raw, &s); err != nil {
			f.bad(k, "Not a valid string.")
		} else if strings.TrimSpace(s) == "" {
			f.arrived(k, "blank") // trimmed, as a CharField does
		}
	case "number":
		s = string(raw)
	default:
		f.bad(k, "Not a valid string.")
	}
	return &s
}

// decimal reads a DecimalField: a number, or a string holding one. Absent or
// null is nil.
func (f *form) decimal(k string) *decimal.Decimal {
	raw, ok := f.m[k]
	if !ok || f.null(k) {
		return nil
	}
	raw = bytes.TrimSpace(raw)
	text := string(raw)
	if jsonKind(raw) == "string" {
		if json.Unmarshal(raw, &text) != nil {
			text = ""
		}
		text = strings.TrimSpace(text)
	} else if jsonKind(raw) != "number" {
		text = ""
	}
	d, err := decimal.NewFromString(text)
	if err != nil || text == "" {
		f.bad(k, "A valid number is required.")
		return nil
	}
	return &d
}

// time reads a DateTimeField: ISO 8601, with an offset or in UTC. Absent or
// null is nil.
func (f *form) time(k string) *time.Time {
	s := f.strPtr(k)
	if s == nil || *s == "" {
		return nil
	}
	t, err := parseTime(*s)
	if err != nil {
		f.bad(k, "Datetime has wrong format. Use one of these formats instead: YYYY-MM-DDThh:mm[:ss[.uuuuuu]][+HH:MM|-HH:MM|Z].")
		return nil
	}
	return &t
}

// boolean reads a BooleanField.
func (f *form) boolean(k string) *bool {
	raw, ok := f.m[k]
	if !ok || f.null(k) {
		return nil
	}
	var b bool
	var s string
	switch {
	case json.Unmarshal(raw, &b) == nil:
	case json.Unmarshal(raw, &s) == nil && (s == "true" || s == "True" || s == "1"):
		b = true
	case json.Unmarshal(raw, &s) == nil && (s == "false" || s == "False" || s == "0"):
	case string(bytes.TrimSpace(raw)) == "1":
		b = true
	case string(bytes.TrimSpace(raw)) == "0":
	default:
		f.bad(k, "Must be a valid boolean.")
		return nil
	}
	return &b
}

// raw reads a JSONField: any JSON value. Absent is nil; form text that is not
// JSON is an error, as in Django REST Framework.
func (f *form) raw(k string) json.RawMessage {
	if f.notJSON[f.prefix+k] {
		f.bad(k, "Value must be valid JSON.")
		return nil
	}
	return f.m[k]
}

// rawPtr is raw for an update: nil when k is absent.
func (f *form) rawPtr(k string) *json.RawMessage {
	if !f.present(k) {
		return nil
	}
	return ptrTo(f.raw(k))
}

// strings reads a ListField of strings. Absent is nil.
func (f *form) strings(k string) *[]string {
	raw, ok := f.m[k]
	if !ok {
		return nil
	}
	var out []string
	var s string
	switch {
	case f.null(k):
		f.bad(k, "This field may not be null.")
	case json.Unmarshal(raw, &out) == nil:
	case json.Unmarshal(raw, &s) == nil:
		out = []string{s} // a form field given once
	default:
		f.bad(k, fmt.Sprintf("Expected a list of items but got type %q.", jsonTypeName(raw)))
	}
	if out == nil {
		out = []string{}
	}
	return &out
}
