package store

import (
	"database/sql/driver"
	"strings"
	"unicode"

	"modernc.org/sqlite"
)

// Case folding, the one rule of every Store's case-insensitive match: a
// search (FindClients, FindEmployees, FindPayouts) and an employee's email.
//
// Text is folded rune by rune to the lower case of its upper case, the simple
// case folding of strings.EqualFold: every letter matches its other cases in
// any script ("JOSÉ" and "josé", "ΣΟΦΊΑ" and "σοφία", "Ǆ", "ǅ" and "ǆ"),
// and a letter whose case form is more than one letter (ß, whose upper case
// is "SS") matches only itself. The folded text is stored beside the text
// and matched with LIKE, which both databases then compare byte for byte:
// neither SQLite's ASCII-only folding nor the PostgreSQL server's locale
// has a say.

// fold returns s folded by the rule above.
func fold(s string) string {
	return strings.Map(func(r rune) rune { return unicode.ToLower(unicode.ToUpper(r)) }, s)
}

// searchText returns the stored search text of fields: each folded, joined
// by newlines (see query.search).
func searchText(fields ...string) string {
	for i, f := range fields {
		fields[i] = fold(f)
	}
	return strings.Join(fields, "\n")
}

// paykit_fold is fold in SQLite's SQL, for the migration that folded the
// rows stored before the rule.
func init() {
	sqlite.MustRegisterDeterministicScalarFunction("paykit_fold", 1,
		func(_ *sqlite.FunctionContext, args []driver.Value) (driver.Value, error) {
			switch v := args[0].(type) {
			case string:
				return fold(v), nil
			case nil:
				return nil, nil
			default:
				return v, nil
			}
		})
}
