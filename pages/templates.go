package pages

import (
	"bytes"
	"embed"
	"fmt"
	"html/template"
	"io/fs"
	"net/http"
	"path"
	"strings"
	"time"

	"github.com/paykit/paykit"
)

// The templates and the stylesheet, embedded: a page needs nothing but the
// binary. Each page is templates/<name>.html, executed inside
// templates/layout.html.

//go:embed templates/*.html
var templateFS embed.FS

//go:embed assets
var assetFS embed.FS

// view is what the layout shows around a page.
type view struct {
	Title  string
	Base   string // the handler's mount path: the forms' prefix
	Assets string // the path of the assets
	Lang   string // the page's language; "en" when empty
	Wide   bool   // a wide page (the console's tables)
	ImgSrc string // an origin images may also come from (a Memento request's image), for the CSP
	Data   any    // the page's own
}

var templates = parseTemplates()

// parseTemplates returns every page, each a clone of the layout with the
// page's own template.
func parseTemplates() map[string]*template.Template {
	// The layout, and the partials (_*.html) every page may use.
	layout := template.Must(template.New("layout.html").Funcs(funcs).ParseFS(templateFS, "templates/layout.html", "templates/_*.html"))
	names, err := fs.Glob(templateFS, "templates/*.html")
	if err != nil {
		panic(err)
	}
	out := map[string]*template.Template{}
	for _, n := range names {
		name := strings.TrimSuffix(path.Base(n), ".html")
		if name == "layout" || strings.HasPrefix(name, "_") {
			continue
		}
		out[name] = template.Must(template.Must(layout.Clone()).ParseFS(templateFS, n))
	}
	return out
}

// render writes the page name with status. It renders into a buffer first,
// so that a template error is a 500, not half a page.
func (s *site) render(w http.ResponseWriter, r *http.Request, status int, name string, v view) {
	t, ok := templates[name]
	if !ok {
		panic("pages: no template " + name) // a mistake of the program
	}
	v.Base = basePath(r)
	v.Assets = v.Base + s.assets
	if v.Lang == "" {
		v.Lang = "en"
	}
	var b bytes.Buffer
	if err := t.ExecuteTemplate(&b, "layout.html", v); err != nil {
		s.log.Error("pages: render", "page", name, "err", err)
		http.Error(w, "Internal error.", http.StatusInternalServerError)
		return
	}
	if v.ImgSrc != "" {
		w.Header().Set("Content-Security-Policy", strings.Replace(csp, "img-src 'self' data:", "img-src 'self' data: "+v.ImgSrc, 1))
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	w.Write(b.Bytes())
}

// assetHandler serves the embedded assets, which may be cached for a day:
// they change only with the binary.
func assetHandler() http.Handler {
	sub, err := fs.Sub(assetFS, "assets")
	if err != nil {
		panic(err)
	}
	files := http.FileServerFS(sub)
	return http.StripPrefix("/assets", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "public, max-age=86400")
		files.ServeHTTP(w, r)
	}))
}

// funcs are the templates' helpers.
var funcs = template.FuncMap{
	"money":     formatMoney,
	"when":      formatTime,
	"remaining": formatRemaining,
	"upper":     strings.ToUpper,
	"short":     shortID,
}

// formatMoney writes m with its currency's decimals, digits grouped by
// thousands, and its code: "1,234.50 USD". It works on the decimal's text,
// never a float.
func formatMoney(m paykit.Money) string {
	s := m.Fixed()
	sign := ""
	if strings.HasPrefix(s, "-") {
		sign, s = "-", s[1:]
	}
	whole, frac, _ := strings.Cut(s, ".")
	var b strings.Builder
	for i, c := range whole {
		if i > 0 && (len(whole)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	if frac != "" {
		b.WriteString("." + frac)
	}
	return sign + b.String() + " " + string(m.Currency)
}

// formatTime writes t in UTC to the minute, or "—" for nil or zero.
func formatTime(t any) string {
	var tt time.Time
	switch v := t.(type) {
	case time.Time:
		tt = v
	case *time.Time:
		if v == nil {
			return "—"
		}
		tt = *v
	}
	if tt.IsZero() {
		return "—"
	}
	return tt.UTC().Format("2 Jan 2006 15:04 UTC")
}

// formatRemaining writes a duration left as a person reads it: "2 days 3 h",
// "4 min 5 s", "expired".
func formatRemaining(d time.Duration) string {
	if d <= 0 {
		return "no time"
	}
	d = d.Truncate(time.Second)
	days, h, m, sec := int(d/(24*time.Hour)), int(d/time.Hour)%24, int(d/time.Minute)%60, int(d/time.Second)%60
	switch {
	case days > 0:
		return fmt.Sprintf("%d %s %d h", days, plural(days, "day"), h)
	case h > 0:
		return fmt.Sprintf("%d h %d min", h, m)
	case m > 0:
		return fmt.Sprintf("%d min %d s", m, sec)
	}
	return fmt.Sprintf("%d s", sec)
}

func plural(n int, word string) string {
	if n == 1 {
		return word
	}
	return word + "s"
}

// shortID writes the first characters of a long id, for tables.
func shortID(id string) string {
	if len(id) <= 13 {
		return id
	}
	return id[:8] + "…"
}

// retryAfterSeconds writes a Retry-After value: whole seconds, rounded up.
func retryAfterSeconds(d time.Duration) string {
	return fmt.Sprint(int64((d + time.Second - 1) / time.Second))
}
