package paykit

import (
	"reflect"
	"strconv"
	"strings"
	"unicode"
)

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
